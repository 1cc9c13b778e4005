/*
 * record_log.h — the record log: an append-only sequence of checksummed
 * records in bounded, preallocated segment files, with group commit and
 * crash recovery.  The KV engine stores its batches in one; raft's log
 * storage reuses it for its own entries.
 *
 * Files: DIR/seg-<16 hex digits>.log, the number being the segment id
 * (increasing, so names sort by age).  Each segment is preallocated to
 * segment_bytes (fallocate), so an fdatasync after an append need not
 * update size metadata.  A record that does not fit in the rest of the
 * active segment goes to a new one; a record larger than segment_bytes gets
 * a segment of its own, sized to fit.  Before a new segment is started the
 * old one is fdatasync'd, so only the newest segment can ever hold a torn
 * write.
 *
 * Recovery (kv_rlog_open): segments from a start position on are read in
 * order and each valid record is handed to a replay callback.  An all-zero
 * header is the end of data.  A bad record in the newest segment with no
 * valid record after it is a torn write: the file is cut there and the rest
 * re-zeroed (ftruncate + fallocate), so new records land right after valid
 * data and garbage can never reappear behind them.  Non-zero bytes after
 * the end of data in the newest segment (pages written out of order and
 * never synced) are wiped the same way.  A bad record in the newest segment
 * followed by valid ones is still torn if none of them was appended after
 * an fdatasync covering it (each header records how far its segment was
 * synced); otherwise, and for any bad record in an older segment, it is
 * corruption: KV_ECORRUPT, with file and offset in the log callback.
 *
 * Durability: kv_rlog_append returns a log sequence number (lsn, one per
 * record, counted from 1 in this process); kv_rlog_sync(lsn) returns once an
 * fdatasync that began after that record was appended has completed.  The
 * first waiter performs the fdatasync for everyone appended so far (leader
 * and followers).  A failed fdatasync or fsync is never retried: the log
 * becomes read-only (sticky KV_EREADONLY) until reopened.
 *
 * Threads: every function is thread-safe.  Appends are serialised by one
 * lock, and the append callback runs under it, so callers can make their
 * in-memory state change in exactly log order.
 */
#ifndef VS_ENGINE_RECORD_LOG_H
#define VS_ENGINE_RECORD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "engine/kv.h"
#include "engine/kv_io.h"

/* Bytes a caller reserves at the front of an append buffer for the header. */
#define KV_RLOG_HDR 24u

struct kv_rlog;
/* A segment pinned by kv_rlog_seg_get: its file stays until unpinned. */
struct kv_rlog_seg;

/* A place in the log: segment id and byte offset in it. */
struct kv_rlog_pos {
	uint64_t seg;
	uint64_t off;
};

/* A segment's id and written size, as a checkpoint records them. */
struct kv_rlog_seginfo {
	uint64_t id;
	uint64_t used;     /* bytes of records (end of data) */
	uint64_t user;     /* caller's accounting (kv_rlog_seg_account) */
	bool sealed;       /* not the active segment */
};

struct kv_rlog_options {
	const struct kv_io *io;  /* borrowed for the log's life */
	uint64_t segment_bytes;  /* > 0 */
	void (*log_fn)(void *log_ctx, enum kv_log_level level, const char *msg);
	void *log_ctx;
	/*
	 * Replay starts at from; segments with a smaller id are taken as
	 * written up to known[i].used without being read.  Segments below
	 * from.seg that are not in known are leftovers of a compaction that
	 * finished and are deleted; a known segment that is missing makes
	 * kv_rlog_open fail with -ENOENT (the caller may retry from an older
	 * start), as does a start inside (off > 0) a segment that is missing.  known may be NULL when from is {0, 0}.
	 */
	struct kv_rlog_pos from;
	const struct kv_rlog_seginfo *known;
	size_t known_count;
};

/*
 * Called for each valid record in log order during kv_rlog_open: at is
 * where the record starts (its header), payload borrowed for the call.
 * A non-zero return stops the open and is returned by it.
 */
typedef int (*kv_rlog_replay_fn)(void *arg, const struct kv_rlog_pos *at,
				 uint32_t type, const unsigned char *payload,
				 uint32_t len);

/*
 * Opens the log in dir (which must exist), replays it into fn, repairs a
 * torn tail, and leaves the newest segment open for appends (or starts a
 * new one when the newest was below opts->from.seg, i.e. shared).
 * On success *out is owned by the caller until kv_rlog_close.
 */
int kv_rlog_open(const char *dir, const struct kv_rlog_options *opts,
		 kv_rlog_replay_fn fn, void *arg, struct kv_rlog **out);

/* Syncs and frees the log; returns the first sync error. */
int kv_rlog_close(struct kv_rlog *l);

/*
 * Called under the append lock once the record is written; at is where it
 * starts.  Its return value is returned by kv_rlog_append (the record stays
 * written either way).
 */
typedef int (*kv_rlog_appended_fn)(void *arg, const struct kv_rlog_pos *at);

/*
 * Appends one record.  rec holds KV_RLOG_HDR bytes of room followed by len
 * payload bytes; the header is filled in (rec is modified).  type != 0.
 * On success *lsn (if not NULL) is the record's sequence number.  A failed
 * write is returned, its bytes are wiped (zeros, best effort) and the log
 * turns read-only (sticky KV_EREADONLY).  Failing to start a new segment
 * for lack of space writes nothing and leaves the log writable.
 */
int kv_rlog_append(struct kv_rlog *l, uint32_t type, unsigned char *rec,
		   uint32_t len, kv_rlog_appended_fn fn, void *arg,
		   uint64_t *lsn);

/* Bound on the pieces of one kv_rlog_appendv. */
#define KV_RLOG_IOV_MAX 1024

/*
 * kv_rlog_append of a record in pieces, written with one pwritev (so large
 * payloads need not be copied together): iov[0] starts with KV_RLOG_HDR
 * bytes of room for the header (filled in), and the rest of the pieces,
 * len bytes, are the payload, in order.  payload_crc is the payload's
 * CRC32C, which the caller computed as it built the pieces; the header's
 * CRC is combined with it, so the payload is not read again (a debug
 * build checks it).  The pieces must not change until this returns.
 */
int kv_rlog_appendv(struct kv_rlog *l, uint32_t type, const struct iovec *iov,
		    int iovcnt, uint32_t len, uint32_t payload_crc,
		    kv_rlog_appended_fn fn, void *arg, uint64_t *lsn);

/*
 * Holds the append lock so a caller can read its own state, decide, and
 * append in one step (a compactor's compare-and-swap, a checkpoint's
 * consistent position).  Between kv_rlog_lock and kv_rlog_unlock only the
 * *_locked functions below may be called on l.
 */
void kv_rlog_lock(struct kv_rlog *l);
void kv_rlog_unlock(struct kv_rlog *l);
/* kv_rlog_append under kv_rlog_lock: *at is where the record starts. */
int kv_rlog_append_locked(struct kv_rlog *l, uint32_t type,
			  unsigned char *rec, uint32_t len,
			  struct kv_rlog_pos *at, uint64_t *lsn);
/* kv_rlog_rotate and kv_rlog_end under kv_rlog_lock. */
int kv_rlog_rotate_locked(struct kv_rlog *l, uint64_t *active);
struct kv_rlog_pos kv_rlog_end_locked(struct kv_rlog *l);

/* lsn of the newest appended record (0 if none). */
uint64_t kv_rlog_lsn(struct kv_rlog *l);

/*
 * Returns once every record up to lsn (0: all appended so far) is durable,
 * sharing one fdatasync among concurrent callers.  KV_EREADONLY (or the
 * sync's -errno the first time) after a failed sync.
 */
int kv_rlog_sync(struct kv_rlog *l, uint64_t lsn);

/* 0 or the sticky error that made the log read-only. */
int kv_rlog_error(struct kv_rlog *l);

/*
 * Seals the active segment (fdatasync) and starts a new one, unless the
 * active segment is empty.  *active (if not NULL) is the id of the active
 * segment afterwards: every record is in a segment below it.
 */
int kv_rlog_rotate(struct kv_rlog *l, uint64_t *active);

/*
 * Pins segment id (NULL if absent or retired).  While pinned its fd stays
 * open and its file is not deleted.
 */
struct kv_rlog_seg *kv_rlog_seg_get(struct kv_rlog *l, uint64_t id);
/* Unpins; deletes a retired segment's file when the last pin goes. */
void kv_rlog_seg_put(struct kv_rlog *l, struct kv_rlog_seg *s);
int kv_rlog_seg_fd(const struct kv_rlog_seg *s);
uint64_t kv_rlog_seg_id(const struct kv_rlog_seg *s);
/* Reads len bytes at off of segment s: 0, -errno, or KV_ECORRUPT if short. */
int kv_rlog_seg_read(struct kv_rlog *l, const struct kv_rlog_seg *s,
		     uint64_t off, void *buf, size_t len);
/*
 * Retires a sealed segment: no new pin can take it; its file is deleted
 * (and the directory fsync'd) once no pin remains.
 */
void kv_rlog_seg_retire(struct kv_rlog *l, struct kv_rlog_seg *s);

/*
 * The smallest segment id still on disk, retired ones included
 * (UINT64_MAX if none): a compactor may drop a tombstone only when no older
 * segment could still hold the key it deletes.
 */
uint64_t kv_rlog_oldest(struct kv_rlog *l);

/* Adds delta to segment id's caller accounting (ignored if absent). */
void kv_rlog_seg_account(struct kv_rlog *l, uint64_t id, int64_t delta);

/*
 * Copies up to max descriptions of the live (not retired) segments, oldest
 * first, into out; returns how many exist (may exceed max).
 */
size_t kv_rlog_segments(struct kv_rlog *l, struct kv_rlog_seginfo *out,
			size_t max);

/*
 * Reads the records of sealed segment id in order (a compactor's scan):
 * fn as for replay.  Returns 0, fn's value, or an error.
 */
int kv_rlog_seg_scan(struct kv_rlog *l, uint64_t id, kv_rlog_replay_fn fn,
		     void *arg);

/* Where the next record would start (the active segment's end). */
struct kv_rlog_pos kv_rlog_end(struct kv_rlog *l);

struct kv_rlog_stats {
	uint64_t segments;
	uint64_t used_bytes;
	uint64_t user_bytes;
	uint64_t fsyncs;
	uint64_t groups;
	uint64_t group_max;
};
void kv_rlog_stats(struct kv_rlog *l, struct kv_rlog_stats *out);

/* The path of segment id in dir, into buf of size len. */
void kv_rlog_seg_path(char *buf, size_t len, const char *dir, uint64_t id);
/* Parses a segment file name; 1 and *id if it is one. */
int kv_rlog_seg_name_parse(const char *name, uint64_t *id);

#endif /* VS_ENGINE_RECORD_LOG_H */
