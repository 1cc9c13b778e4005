/*
 * credentials.h — the server's access key pair when none is configured.
 *
 * On first start without VERISTORE_ACCESS_KEY/SECRET_KEY, a key pair is
 * generated from the kernel's CSPRNG and stored in DATA_DIR/credentials
 * (mode 0600, written to a temp file, fsynced and renamed, so a crash never
 * leaves a half-written key).  Later starts read it back.
 */
#ifndef VS_GATEWAY_CREDENTIALS_H
#define VS_GATEWAY_CREDENTIALS_H

#include <stdbool.h>

#define GW_ACCESS_KEY_LEN 20
#define GW_SECRET_KEY_LEN 40

/*
 * Loads DATA_DIR/credentials, or creates it (and data_dir) if absent.
 * On success *access_key and *secret_key are malloc'd strings the caller
 * frees, and *created tells whether they were generated now.  Returns 0, or
 * -errno / -EINVAL (malformed file) on failure.
 */
int gw_credentials_load_or_create(const char *data_dir, char **access_key,
				  char **secret_key, bool *created);

#endif /* VS_GATEWAY_CREDENTIALS_H */
