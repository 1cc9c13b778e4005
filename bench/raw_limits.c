/*
 * raw_limits.c — raw disk limits for the benchmarks (raw_limits.h).
 */
#include "bench/raw_limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RAW_BLOCK_BYTES (1u << 20)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Opens dir/name fresh; returns the fd or -errno. */
static int raw_open(const char *dir, const char *name, char *path, size_t cap)
{
	if ((size_t)snprintf(path, cap, "%s/%s", dir, name) >= cap)
		return -ENAMETOOLONG;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	return fd < 0 ? -errno : fd;
}

/* Writes len bytes of buf-sized blocks from offset 0; 0 or -errno. */
static int raw_fill(int fd, const char *buf, size_t len)
{
	for (size_t off = 0; off < len; off += RAW_BLOCK_BYTES) {
		size_t n = len - off < RAW_BLOCK_BYTES ? len - off : RAW_BLOCK_BYTES;
		ssize_t w = pwrite(fd, buf, n, (off_t)off);
		if (w != (ssize_t)n)
			return w < 0 ? -errno : -EIO;
	}
	return 0;
}

int raw_fdatasync_per_sec(const char *dir, unsigned syncs, size_t prefill_bytes,
			  double *out)
{
	char path[4200];
	int fd = raw_open(dir, "raw-fsync", path, sizeof path);
	if (fd < 0)
		return fd;
	char *zero = calloc(1, RAW_BLOCK_BYTES);
	int rc = zero == NULL ? -ENOMEM : raw_fill(fd, zero, prefill_bytes);
	free(zero);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	char rec[128];
	memset(rec, 'r', sizeof rec);
	double t0 = now_s();
	/* Bounded: syncs iterations; the offsets stay inside the prefill
	 * when prefill_bytes >= syncs * 128, as the callers arrange. */
	for (unsigned i = 0; rc == 0 && i < syncs; i++) {
		if (pwrite(fd, rec, sizeof rec, (off_t)i * (off_t)sizeof rec) !=
		    (ssize_t)sizeof rec)
			rc = -EIO;
		else if (fdatasync(fd) != 0)
			rc = -errno;
	}
	double dt = now_s() - t0;
	close(fd);
	unlink(path);
	if (rc == 0)
		*out = syncs / dt;
	return rc;
}

int raw_seq_write_mb_per_sec(const char *dir, size_t total_bytes, double *out)
{
	char path[4200];
	int fd = raw_open(dir, "raw-seq", path, sizeof path);
	if (fd < 0)
		return fd;
	char *buf = malloc(RAW_BLOCK_BYTES);
	int rc = buf == NULL ? -ENOMEM : 0;
	double t0 = now_s();
	if (rc == 0) {
		memset(buf, 'w', RAW_BLOCK_BYTES);
		rc = raw_fill(fd, buf, total_bytes);
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	double dt = now_s() - t0;
	close(fd);
	unlink(path);
	free(buf);
	if (rc == 0)
		*out = (double)total_bytes / (1 << 20) / dt;
	return rc;
}
