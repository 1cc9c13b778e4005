/*
 * segment.h — one segment file of the record log (internal to engine/):
 * creating it preallocated, opening it, and scanning its records.
 */
#ifndef VS_ENGINE_SEGMENT_H
#define VS_ENGINE_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/kv_io.h"
#include "engine/record_log.h"

struct kv_rlog_seg {
	uint64_t id;
	int fd;
	uint64_t size;  /* file size (preallocated) */
	uint64_t used;  /* end of written records; advanced under append lock */
	int64_t user;   /* caller accounting, under the log's segment lock */
	int refs;       /* pins, under the log's segment lock; +1 for the table */
	bool retired;   /* out of the table; file deleted at last unpin */
	char path[];
};

/*
 * Creates (truncating any leftover) segment id in dir, preallocated to
 * size bytes and fsync'd.  Does not fsync the directory.  *out owned by the
 * caller.  *synced is false when it was the fsync that failed (the caller
 * must not go on as if nothing happened).
 */
int kv_seg_create(const struct kv_io *io, const char *dir, uint64_t id,
		  uint64_t size, struct kv_rlog_seg **out, bool *synced);
/* Opens an existing segment; used = 0 until scanned. */
int kv_seg_open(const struct kv_io *io, const char *dir, uint64_t id,
		struct kv_rlog_seg **out);
/* Closes the fd and frees s (NULL accepted). */
void kv_seg_free(const struct kv_io *io, struct kv_rlog_seg *s);

/*
 * Reads records of s from off on, calling fn for each valid one, until the
 * end of data.  *end is where scanning stopped; *bad is set when it stopped
 * at an invalid record rather than the end (fn's non-zero return is
 * returned as is).
 */
int kv_seg_scan(const struct kv_io *io, const struct kv_rlog_seg *s,
		uint64_t off, kv_rlog_replay_fn fn, void *arg, uint64_t *end,
		bool *bad);

/*
 * Whether any valid record (header and CRC) starts at an 8-aligned offset
 * after off: tells a torn tail (none) from corruption (some).  Sets
 * *found, and *at to the first such offset.
 */
int kv_seg_valid_after(const struct kv_io *io, const struct kv_rlog_seg *s,
		       uint64_t off, bool *found, uint64_t *at);

#endif /* VS_ENGINE_SEGMENT_H */
