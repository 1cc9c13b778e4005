/*
 * io_posix.c — kv_io_posix(): the engine's I/O table over the real file
 * system.  Each call returns -errno instead of setting errno, retries
 * EINTR, and completes short reads and writes (a read stops early only at
 * end of file), as kv_io.h promises.
 */
#include "engine/kv_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine/assert.h"

static int posix_open(void *ctx, const char *path, int flags, mode_t mode)
{
	(void)ctx;
	for (;;) {
		int fd = open(path, flags | O_CLOEXEC, mode);
		if (fd >= 0)
			return fd;
		if (errno != EINTR)
			return -errno;
	}
}

static int posix_close(void *ctx, int fd)
{
	(void)ctx;
	/* Linux closes the fd even when close() reports EINTR: never retry. */
	return close(fd) == 0 ? 0 : -errno;
}

static ssize_t posix_pread(void *ctx, int fd, void *buf, size_t len,
			   uint64_t off)
{
	(void)ctx;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static ssize_t posix_pwrite(void *ctx, int fd, const void *buf, size_t len,
			    uint64_t off)
{
	(void)ctx;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Pieces handed to one pwritev(2): bounds the stack copy, below IOV_MAX. */
#define PWRITEV_WINDOW 64

static ssize_t posix_pwritev(void *ctx, int fd, const struct iovec *iov,
			     int iovcnt, uint64_t off)
{
	(void)ctx;
	struct iovec win[PWRITEV_WINDOW];
	size_t done = 0, skip = 0; /* skip: bytes of iov[i] already written */
	int i = 0;
	/* Bounded: each pass finishes a piece or writes at least one byte. */
	while (i < iovcnt) {
		if (skip == iov[i].iov_len) {
			i++;
			skip = 0;
			continue;
		}
		int n = 0;
		for (; n < PWRITEV_WINDOW && i + n < iovcnt; n++)
			win[n] = iov[i + n];
		win[0].iov_base = (char *)win[0].iov_base + skip;
		win[0].iov_len -= skip;
		ssize_t w = pwritev(fd, win, n, (off_t)(off + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		done += (size_t)w;
		/* A short write ends inside some piece: resume there. */
		for (size_t left = (size_t)w; left > 0;) {
			ASSERT(i < iovcnt);
			size_t room = iov[i].iov_len - skip;
			if (left < room) {
				skip += left;
				left = 0;
			} else {
				left -= room;
				i++;
				skip = 0;
			}
		}
	}
	return (ssize_t)done;
}

static int posix_fdatasync(void *ctx, int fd)
{
	(void)ctx;
	/* No EINTR retry loop: a failed sync is never retried (STYLE.md). */
	return fdatasync(fd) == 0 ? 0 : -errno;
}

static int posix_fsync(void *ctx, int fd)
{
	(void)ctx;
	return fsync(fd) == 0 ? 0 : -errno;
}

static int io_fallocate(void *ctx, int fd, uint64_t off, uint64_t len)
{
	(void)ctx;
	if (len == 0)
		return 0;
	/* posix_fallocate returns the error instead of setting errno. */
	int rc;
	do
		rc = posix_fallocate(fd, (off_t)off, (off_t)len);
	while (rc == EINTR);
	return -rc;
}

static int posix_ftruncate(void *ctx, int fd, uint64_t len)
{
	(void)ctx;
	for (;;) {
		if (ftruncate(fd, (off_t)len) == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static int posix_file_size(void *ctx, int fd, uint64_t *size)
{
	(void)ctx;
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

static int posix_rename(void *ctx, const char *from, const char *to)
{
	(void)ctx;
	return rename(from, to) == 0 ? 0 : -errno;
}

static int posix_unlink(void *ctx, const char *path)
{
	(void)ctx;
	return unlink(path) == 0 ? 0 : -errno;
}

static int posix_link(void *ctx, const char *from, const char *to)
{
	(void)ctx;
	return link(from, to) == 0 ? 0 : -errno;
}

static int posix_mkdir(void *ctx, const char *path, mode_t mode)
{
	(void)ctx;
	return mkdir(path, mode) == 0 ? 0 : -errno;
}

static int posix_rmdir(void *ctx, const char *path)
{
	(void)ctx;
	return rmdir(path) == 0 ? 0 : -errno;
}

static int posix_list_dir(void *ctx, const char *path,
			  int (*fn)(void *arg, const char *name), void *arg)
{
	(void)ctx;
	DIR *d = opendir(path);
	if (d == NULL)
		return -errno;
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			rc = errno ? -errno : 0;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rc = fn(arg, de->d_name);
		if (rc != 0)
			break;
	}
	closedir(d);
	return rc;
}

static int posix_lock(void *ctx, int fd)
{
	(void)ctx;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
	}
}

static const struct kv_io posix_io = {
	.ctx = NULL,
	.open = posix_open,
	.close = posix_close,
	.pread = posix_pread,
	.pwrite = posix_pwrite,
	.pwritev = posix_pwritev,
	.fdatasync = posix_fdatasync,
	.fsync = posix_fsync,
	.fallocate = io_fallocate,
	.ftruncate = posix_ftruncate,
	.file_size = posix_file_size,
	.rename = posix_rename,
	.unlink = posix_unlink,
	.link = posix_link,
	.mkdir = posix_mkdir,
	.rmdir = posix_rmdir,
	.list_dir = posix_list_dir,
	.lock = posix_lock,
};

const struct kv_io *kv_io_posix(void)
{
	return &posix_io;
}
