/*
 * kv_io.h — the one table of file-system functions the engine (and raft's
 * log storage, which reuses the engine's record log) performs all file I/O
 * through.
 *
 * Production uses kv_io_posix().  Tests substitute a table that fails the
 * Nth call with a chosen errno, or "crashes" by dropping every write not yet
 * covered by an fsync (or tearing the last one), the way SQLite tests its
 * storage.  Because every engine system call passes through here, such a
 * table can reach every error path.
 *
 * Every function returns 0 (or a count, or an fd) on success and -errno on
 * failure; none sets errno for the caller.  ctx is the table's own state.
 * Paths are absolute or relative to the process's working directory.
 */
#ifndef VS_ENGINE_KV_IO_H
#define VS_ENGINE_KV_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct kv_io {
	void *ctx;
	/* open(2): returns an fd >= 0. O_DIRECTORY opens a directory to fsync it. */
	int (*open)(void *ctx, const char *path, int flags, mode_t mode);
	int (*close)(void *ctx, int fd);
	/* Full transfers: a short read at end of file returns the bytes read. */
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t len, uint64_t off);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t len,
			  uint64_t off);
	/*
	 * Full transfer of iovcnt pieces, in order, as one write (a crash may
	 * keep any prefix of it).  May be NULL: the engine then writes the
	 * pieces with one pwrite each.
	 */
	ssize_t (*pwritev)(void *ctx, int fd, const struct iovec *iov,
			   int iovcnt, uint64_t off);
	int (*fdatasync)(void *ctx, int fd);
	int (*fsync)(void *ctx, int fd); /* also for directories */
	/* Reserves [off, off+len) so later writes need no size metadata update. */
	int (*fallocate)(void *ctx, int fd, uint64_t off, uint64_t len);
	int (*ftruncate)(void *ctx, int fd, uint64_t len);
	int (*file_size)(void *ctx, int fd, uint64_t *size);
	int (*rename)(void *ctx, const char *from, const char *to);
	int (*unlink)(void *ctx, const char *path);
	int (*link)(void *ctx, const char *from, const char *to);
	int (*mkdir)(void *ctx, const char *path, mode_t mode);
	int (*rmdir)(void *ctx, const char *path);
	/*
	 * Calls fn for each entry of directory path except "." and "..", in no
	 * particular order; stops early and returns fn's value if it is non-zero.
	 */
	int (*list_dir)(void *ctx, const char *path,
			int (*fn)(void *arg, const char *name), void *arg);
	/*
	 * Takes an exclusive advisory lock on an open fd without blocking:
	 * -EWOULDBLOCK if another process holds it.
	 */
	int (*lock)(void *ctx, int fd);
};

/* The real file system (POSIX calls, retried on EINTR).  Static; not freed. */
const struct kv_io *kv_io_posix(void);

#endif /* VS_ENGINE_KV_IO_H */
