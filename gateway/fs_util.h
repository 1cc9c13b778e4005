/*
 * fs_util.h — small file-system helpers the server needs at start-up.
 */
#ifndef VS_GATEWAY_FS_UTIL_H
#define VS_GATEWAY_FS_UTIL_H

/*
 * Creates directory path and any missing parents (mode 0700: the data
 * directory holds credentials and every object).  An existing directory is
 * fine.  0 or -errno (-EINVAL for an empty or over-long path).
 */
int gw_mkdir_p(const char *path);

#endif
