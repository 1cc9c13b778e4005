/*
 * kv.h — VeriStore's durable, ordered, log-structured key-value engine.
 *
 * The engine keeps every value in an append-only log of segment files and an
 * in-memory ordered index from each key to the place of its newest value
 * (Bitcask with an ordered index).  A write batch is one log record, so it is
 * atomic; concurrent writers share one fdatasync (group commit).  Checkpoints
 * save the index so that a restart replays only the log after them;
 * compaction copies live values out of mostly-dead segments.
 *
 * Conventions (LMDB's): handles are opaque; every fallible call returns 0 on
 * success or a negative code (-errno for system errors, KV_E* for the
 * engine's own); out-parameters are written only on success; free functions
 * accept NULL.  All functions are thread-safe unless a comment says
 * otherwise; a single kv_iter or kv_batch is used by one thread at a time.
 *
 * The engine never prints: it reports through the log callback in
 * struct kv_options.
 */
#ifndef VS_ENGINE_KV_H
#define VS_ENGINE_KV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/kv_io.h"

/* Limits.  Keys and values are binary-safe byte strings. */
#define KV_KEY_MAX (4u * 1024)             /* bytes; empty keys are invalid */
#define KV_VALUE_MAX (32u * 1024 * 1024)   /* bytes */
#define KV_BATCH_BYTES_MAX (64u * 1024 * 1024) /* one record's payload */

/* Engine error codes, in their own range below -errno values. */
enum kv_error {
	KV_ENOTFOUND = -2001,  /* no such key */
	KV_EINVAL = -2002,     /* bad argument: empty or oversized key/value... */
	KV_ECORRUPT = -2003,   /* corruption that is not a torn tail (see log) */
	KV_EREADONLY = -2004,  /* a sync or write failed earlier: sticky, reopen */
	KV_ELOCKED = -2005,    /* another process holds the directory's lock */
	KV_ECLOSED = -2006,    /* the engine is closing */
	KV_ETOOBIG = -2007,    /* batch over KV_BATCH_BYTES_MAX */
};

/* Returns a static string for a code from any kv_* call (-errno included). */
const char *kv_strerror(int err);

/*
 * When a successful kv_write returns, relative to power loss:
 *   KV_SYNC_GROUP     the batch is durable (fdatasync'd); concurrent writers
 *                     share one fdatasync (group commit).
 *   KV_SYNC_INTERVAL  the batch is durable within sync_interval_ms (a
 *                     background thread syncs); a crash may lose the last
 *                     interval, never a prefix-violating subset.
 *   KV_SYNC_NONE      durable only after a later kv_sync() or kv_close()
 *                     returns.  Used under Raft, whose log is durable.
 * In every mode a crash loses only a suffix of the write order: if a batch
 * survives, every batch written before it survives too.
 */
enum kv_sync_mode {
	KV_SYNC_GROUP = 0,
	KV_SYNC_INTERVAL = 1,
	KV_SYNC_NONE = 2,
};

enum kv_log_level { KV_LOG_DEBUG, KV_LOG_INFO, KV_LOG_WARN, KV_LOG_ERROR };

/*
 * Formats one log line (up to 511 bytes) and hands it to fn, as the
 * engine, its record log, the Raft log store and the transport log
 * through their log_fn options; nothing when fn is NULL.
 */
void kv_log_emit(void (*fn)(void *ctx, enum kv_log_level lv, const char *msg),
		 void *ctx, enum kv_log_level lv, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

struct kv_options {
	enum kv_sync_mode sync_mode;     /* default KV_SYNC_GROUP */
	uint32_t sync_interval_ms;       /* KV_SYNC_INTERVAL; default 10 */
	uint64_t segment_bytes;          /* target segment size; default 128 MiB */
	bool create_if_missing;          /* default true */
	/*
	 * Background compaction: a sealed segment whose dead bytes are at least
	 * compact_dead_ratio of its size is rewritten.  compact_bytes_per_sec
	 * bounds the compactor's I/O so it cannot starve foreground writes
	 * (0 = unlimited).  Defaults: on, 0.5, 64 MiB/s.
	 */
	bool background_compaction;
	double compact_dead_ratio;
	uint64_t compact_bytes_per_sec;
	/* File I/O table; NULL means kv_io_posix(). Borrowed for kv's life. */
	const struct kv_io *io;
	/* Log callback, may be NULL; called from any engine thread. */
	void (*log_fn)(void *log_ctx, enum kv_log_level level, const char *msg);
	void *log_ctx;
};

/* Fills *opts with the defaults above. */
void kv_options_init(struct kv_options *opts);

struct kv;

/*
 * Opens (or creates) the engine in directory dir: loads the newest valid
 * checkpoint, replays the log after it, truncates a torn tail of the newest
 * segment, and refuses (KV_ECORRUPT, with file and offset in the log
 * callback) on corruption anywhere else.  Takes an exclusive lock on the
 * directory (KV_ELOCKED if another process has it).  opts may be NULL for
 * defaults.  On success *out owns the engine until kv_close().
 */
int kv_open(const char *dir, const struct kv_options *opts, struct kv **out);

/*
 * Stops background threads, makes every write durable, releases the lock
 * and frees kv.  Returns the first error seen while syncing (the engine is
 * freed regardless).  Every kv_iter and kv_ref must have been freed.
 */
int kv_close(struct kv *kv);

/* ---- Writes ----------------------------------------------------------- */

/*
 * A batch of puts and deletes, written as one atomic log record.  It copies
 * the keys it is given, and the values given to kv_batch_put.  Not
 * thread-safe; reusable after kv_batch_clear().  A batch holds at most
 * KV_BATCH_BYTES_MAX bytes of entries (KV_ETOOBIG).
 */
struct kv_batch;
int kv_batch_new(struct kv_batch **out);
void kv_batch_free(struct kv_batch *b);
void kv_batch_clear(struct kv_batch *b);
int kv_batch_put(struct kv_batch *b, const void *key, size_t key_len,
		 const void *val, size_t val_len);
/*
 * kv_batch_put without copying the value: the batch keeps a pointer to
 * val, and kv_write writes the record from the caller's memory.  The
 * value's bytes are read (checksummed) during this call and again (written)
 * during kv_write, so they must stay valid and unchanged from this call
 * until the last kv_write of the batch returns, or until the batch is
 * cleared or freed if it is never written; a change in between makes a
 * record whose checksum fails.  Worth it for large values (kv_put uses it
 * from 64 KiB); a batch references at most 64 values and copies the rest.
 */
int kv_batch_put_ref(struct kv_batch *b, const void *key, size_t key_len,
		     const void *val, size_t val_len);
int kv_batch_del(struct kv_batch *b, const void *key, size_t key_len);
/*
 * Attaches an applied-index marker (Raft's last applied log index) to the
 * batch: it becomes durable atomically with the batch's mutations, and
 * kv_applied_index() reports the newest one after recovery.  A batch may
 * carry only a marker and no mutation.
 */
void kv_batch_set_applied_index(struct kv_batch *b, uint64_t index);
size_t kv_batch_count(const struct kv_batch *b);  /* puts + deletes */

/*
 * Appends the batch as one record and applies it to the index; returns
 * when it is as durable as the sync mode promises.  Concurrent callers are
 * ordered: the log order is the order in which writes become visible.
 * A write is visible to readers as soon as it is appended, in every mode:
 * under KV_SYNC_GROUP a reader may see a value before its fdatasync ends,
 * which a crash can then lose -- never one whose kv_write had returned.
 * Deleting an absent key is not an error.  An empty batch (no mutation,
 * no marker) writes nothing and returns 0.
 */
int kv_write(struct kv *kv, const struct kv_batch *b);

/*
 * One-mutation conveniences for kv_write.  kv_put reads val only during the
 * call (a large value is written from the caller's memory, never copied).
 */
int kv_put(struct kv *kv, const void *key, size_t key_len, const void *val,
	   size_t val_len);
int kv_del(struct kv *kv, const void *key, size_t key_len);

/* Makes every write that returned before this call durable. */
int kv_sync(struct kv *kv);

/* The applied-index marker of the newest batch written or recovered; 0 if none. */
uint64_t kv_applied_index(struct kv *kv);

/* ---- Reads ------------------------------------------------------------ */

/*
 * Reads the newest value of key with one pread and checks its checksum.
 * On success *val is a malloc'd buffer the caller frees with free() and
 * *val_len its length (a zero-length value gives a non-NULL *val).
 * KV_ENOTFOUND if absent.
 */
int kv_get(struct kv *kv, const void *key, size_t key_len, void **val,
	   size_t *val_len);

/*
 * A pinned reference to one value in the log, for streaming it without
 * copying through user memory (sendfile, splice, or ranged preads).  While
 * a ref is held its segment file is neither deleted nor reused; a later
 * overwrite of the key does not change what the ref reads.  The bytes are
 * not checksummed by kv_ref_fd() consumers: call kv_ref_verify() first
 * where that matters (the gateway checks its own per-chunk digests).
 */
struct kv_ref;
int kv_get_ref(struct kv *kv, const void *key, size_t key_len,
	       struct kv_ref **out);
/* The value's file descriptor (valid until kv_ref_free) and placement. */
int kv_ref_fd(const struct kv_ref *ref);
uint64_t kv_ref_offset(const struct kv_ref *ref); /* of the value's byte 0 */
uint64_t kv_ref_len(const struct kv_ref *ref);
/* Reads len bytes at off within the value into buf (through the I/O table). */
int kv_ref_read(const struct kv_ref *ref, uint64_t off, void *buf, size_t len);
/* Reads the whole value and checks its checksum: 0 or KV_ECORRUPT. */
int kv_ref_verify(const struct kv_ref *ref);
void kv_ref_free(struct kv_ref *ref);

/* ---- Ordered iteration -------------------------------------------------- */

/*
 * An iterator walks keys in byte order (memcmp, shorter first on a tie)
 * within [lower, upper) — either bound may be NULL for open — and, if
 * prefix is non-NULL, only keys that start with it.
 *
 * Consistency (what it sees of concurrent writes): an iterator is a cursor,
 * not a snapshot.  Each step finds the next key after the current one in
 * the live index; a key's value is the newest one at the moment the
 * iterator stepped onto it, and stays that (pinned) until the iterator
 * moves.  So it sees every key that exists throughout the scan, never a
 * key twice, never a torn or freed value; a key inserted or deleted during
 * the scan ahead of the cursor may or may not be seen, behind it is not
 * seen.  Each step holds the index lock only for one O(log n) lookup, so a
 * scan never blocks writers for long.
 */
struct kv_iter;
struct kv_iter_options {
	const void *prefix;
	size_t prefix_len;
	const void *lower; /* inclusive */
	size_t lower_len;
	const void *upper; /* exclusive */
	size_t upper_len;
};
int kv_iter_new(struct kv *kv, const struct kv_iter_options *opts,
		struct kv_iter **out);
/* Positions at the first key >= key within the bounds (and prefix). */
int kv_iter_seek(struct kv_iter *it, const void *key, size_t key_len);
/* Positions at the first key within the bounds. */
int kv_iter_first(struct kv_iter *it);
bool kv_iter_valid(const struct kv_iter *it);
int kv_iter_next(struct kv_iter *it);
/* Borrowed until the iterator moves or is freed.  Only when valid. */
const void *kv_iter_key(const struct kv_iter *it, size_t *key_len);
uint64_t kv_iter_value_len(const struct kv_iter *it);
/*
 * Loads the current value (one pread, checksum checked) into a buffer the
 * iterator owns, borrowed until it moves or is freed.  Key-only scans
 * never call it and so never read values from disk.
 */
int kv_iter_value(struct kv_iter *it, const void **val, size_t *val_len);
void kv_iter_free(struct kv_iter *it);

/* ---- Checkpoints, compaction, statistics -------------------------------- */

/*
 * Writes a checkpoint: the index and the log position it covers (temp file,
 * fsync, rename, directory fsync); older checkpoints and the log before it
 * are no longer needed for recovery.  Writers continue meanwhile.
 */
int kv_checkpoint(struct kv *kv);

/*
 * Makes dest_dir (which must not exist) a consistent, openable copy of the
 * engine as of the call: the active segment is sealed, sealed segments are
 * hard-linked, and a checkpoint covering all of them is written there.
 * Raft's snapshots and backups are made this way.  Writers wait while the
 * index is copied (one pass over it in memory).  Returns the applied-index
 * marker the copy covers in *applied_index if not NULL.
 */
int kv_checkpoint_to(struct kv *kv, const char *dest_dir,
		     uint64_t *applied_index);

/*
 * Compacts now, in the calling thread: every sealed segment whose dead
 * ratio is at least min_dead_ratio (0 compacts every sealed segment with
 * any dead bytes).  Writers continue meanwhile.
 */
int kv_compact(struct kv *kv, double min_dead_ratio);

struct kv_stats {
	uint64_t keys;
	uint64_t live_bytes;  /* bytes of log records still referenced */
	uint64_t dead_bytes;  /* bytes of log superseded or deleted */
	uint64_t segments;
	uint64_t index_bytes; /* memory used by the in-memory index */
	uint64_t writes;      /* kv_write calls that succeeded */
	uint64_t fsyncs;      /* fdatasync/fsync calls made on the log */
	uint64_t groups;      /* group commits (one fdatasync each) */
	uint64_t group_max;   /* most batches one group commit covered */
	uint64_t compactions; /* segments compacted */
	uint64_t compacted_bytes; /* bytes copied by compaction */
	uint64_t checkpoints;
	uint64_t applied_index;
};
int kv_stats(struct kv *kv, struct kv_stats *out);

#endif /* VS_ENGINE_KV_H */
