/*
 * raw_limits.h — what the disk under a directory can do at best, measured
 * the same way by every benchmark (kvbench, s3bench), so that a judged case
 * is compared with the raw limit measured just before it on the same file
 * system.  The rates of a shared virtual disk drift by 2x within minutes,
 * which is why each benchmark re-measures instead of using a constant.
 */
#ifndef VS_BENCH_RAW_LIMITS_H
#define VS_BENCH_RAW_LIMITS_H

#include <stddef.h>

/*
 * Single-thread fdatasync rate: `syncs` times a 128-byte pwrite at an
 * increasing offset then fdatasync, on a file in dir whose first
 * prefill_bytes were written and fsync'd before (so every sync flushes data
 * only: the best case any log reaches).  Writes the rate in syncs/s into
 * *out and returns 0, or -errno.  The file is removed.
 */
int raw_fdatasync_per_sec(const char *dir, unsigned syncs, size_t prefill_bytes,
			  double *out);

/*
 * Sequential write bandwidth: total_bytes written as 1 MiB pwrites into a
 * new file in dir, then one fsync; MB/s (MiB/s) into *out, 0 or -errno.
 * The file is removed.
 */
int raw_seq_write_mb_per_sec(const char *dir, size_t total_bytes, double *out);

#endif /* VS_BENCH_RAW_LIMITS_H */
