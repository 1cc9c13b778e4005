/*
 * log_store.h — Raft's stable log on disk: a durable struct raft_storage
 * (raft.h) plus the write side the node driver uses to carry out ready
 * records, built on the engine's record log (engine/record_log.h: segments,
 * CRC32C framing, group commit, torn-tail recovery).
 *
 * What is on disk is a sequence of records, each describing the state it
 * leaves, so that replaying them in order rebuilds the log exactly:
 *   ENTRIES  first index i and entries i..j: "the log now ends at i-1,
 *            then these" -- a conflicting suffix is truncated by the same
 *            record that replaces it (ready step 3), never rewritten;
 *   HARD     term, vote, commit: one atomic record (ready step 4);
 *   SNAP     snapshot index, term, conf state, and how far the log goes
 *            after it (the suffix kept, or none: ready step 2).
 * Old records are never changed in place.  Compaction deletes whole sealed
 * segments, oldest first, whose entries are all covered by the snapshot,
 * and only once the snapshot record is durable (it first appends fresh
 * copies of the newest HARD and SNAP records if they sit in a segment about
 * to go).
 *
 * Memory: an index of (index -> term, type, segment, offset, length) for
 * every entry in the log, so term() is memory only and entries() is one
 * pread per run of entries written together.
 *
 * Durability: every write returns a log sequence number (lsn); nothing is
 * durable until raft_log_store_sync(lsn) returns 0.  The driver appends a
 * ready's snapshot, entries and hard state, then syncs once before sending
 * msgs_after_persist (raft.h ready steps 2-5); records are recovered as a
 * prefix in write order, which is what ready's contract allows.
 *
 * Errors: 0 or negative: -errno, KV_E* from the record log (KV_ECORRUPT
 * with file and offset in the log callback; KV_EREADONLY), or RAFT_ERR_*.
 * A failed write or sync makes the store read-only (sticky) until reopened;
 * reads go on working.  raft_log_store_strerror names every code.
 *
 * Threads: writers (append, set_*, compact) and readers (the storage
 * callbacks and the raft_log_store_* getters) are serialised by one mutex;
 * raft_log_store_sync may be called from any thread and does not take it.
 * Entry data returned by reads points into one buffer owned by the store,
 * valid until the next read call: one reading thread (the core's).
 */
#ifndef VS_RAFT_LOG_STORE_H
#define VS_RAFT_LOG_STORE_H

#include <stdint.h>

#include "engine/kv.h"
#include "engine/kv_io.h"
#include "raft/raft.h"

/* Largest entry data the store accepts (one record holds it). */
#define RAFT_LOG_STORE_ENTRY_MAX KV_BATCH_BYTES_MAX

struct raft_log_store; /* opaque */

struct raft_log_store_options {
	const struct kv_io *io;  /* NULL: kv_io_posix(); borrowed for life */
	uint64_t segment_bytes;  /* 0: 64 MiB */
	/* Configuration returned by initial_state while there is no snapshot. */
	struct raft_conf_state boot_conf;
	void (*log_fn)(void *log_ctx, enum kv_log_level level, const char *msg);
	void *log_ctx;
};

/*
 * Opens (creating dir if missing) and recovers the store in dir: replays
 * every record in order, cuts a torn tail, refuses corruption anywhere
 * else (KV_ECORRUPT, file and offset logged) and a replay that does not
 * rebuild a contiguous log (RAFT_ERR_CORRUPT, also logged).  Takes an
 * exclusive lock on dir/LOCK (KV_ELOCKED).  *out is owned by the caller
 * until raft_log_store_close.
 */
int raft_log_store_open(const char *dir,
			const struct raft_log_store_options *opts,
			struct raft_log_store **out);
/* Syncs and frees (NULL ok); returns the first error (sticky or sync). */
int raft_log_store_close(struct raft_log_store *ls);

/*
 * The struct raft_storage reading this store, for raft_new.  ls must
 * outlive the raft node.  initial_state gives the hard state and the
 * configuration as of the applied index set by raft_log_store_set_applied
 * (default: the snapshot's): the snapshot's configuration (boot_conf
 * without one) with the conf-change entries up to applied replayed over it.
 */
struct raft_storage raft_log_store_storage(struct raft_log_store *ls);

/*
 * Tells the store the state machine's applied index before raft_new with
 * config.applied = applied (a restart that applied beyond the snapshot),
 * so initial_state answers the configuration as of it.  applied must be in
 * [snapshot index, last index]: RAFT_ERR_INVALID otherwise.
 */
int raft_log_store_set_applied(struct raft_log_store *ls, uint64_t applied);

/*
 * Appends ents[0..n) (contiguous, ascending index; n > 0), first
 * truncating every entry with index >= ents[0].index (ready step 3).
 * ents[0].index must be in (snapshot index, last index + 1]:
 * RAFT_ERR_INVALID otherwise, RAFT_ERR_TOO_BIG for an entry over
 * RAFT_LOG_STORE_ENTRY_MAX.  The data is copied.  *lsn (may be NULL) is
 * what to pass to raft_log_store_sync.  Visible to reads at once.
 */
int raft_log_store_append(struct raft_log_store *ls,
			  const struct raft_entry *ents, size_t n,
			  uint64_t *lsn);

/* Records hs as the hard state (ready step 4).  *lsn as for append. */
int raft_log_store_set_hard_state(struct raft_log_store *ls,
				  const struct raft_hard_state *hs,
				  uint64_t *lsn);

/*
 * Records a snapshot (ready step 2, or a local snapshot before
 * raft_compact): entries <= meta->index leave the log; the suffix stays
 * only if the log holds meta->index with meta->term (or meta->index is the
 * current snapshot's).  meta->index must not be below the current
 * snapshot's (RAFT_ERR_INVALID).  Segments are not deleted here:
 * raft_log_store_compact does that.  *lsn as for append.
 */
int raft_log_store_set_snapshot(struct raft_log_store *ls,
				const struct raft_snapshot_meta *meta,
				uint64_t *lsn);

/*
 * Returns once every record up to lsn (0: all written so far) is durable;
 * concurrent callers share one fdatasync.  0, or the sticky error.
 */
int raft_log_store_sync(struct raft_log_store *ls, uint64_t lsn);

/*
 * Makes the snapshot record durable, then deletes the oldest sealed
 * segments whose entries all have index <= the snapshot's (never a segment
 * holding a later entry, never the active one).  *deleted (may be NULL):
 * how many segments went.  0 or an error (read-only after a failure).
 */
int raft_log_store_compact(struct raft_log_store *ls, unsigned *deleted);

/* ---- reads (also through raft_log_store_storage) ------------------------ */

uint64_t raft_log_store_first_index(struct raft_log_store *ls);
uint64_t raft_log_store_last_index(struct raft_log_store *ls);
/* As raft_storage.term. */
int raft_log_store_term(struct raft_log_store *ls, uint64_t i,
			uint64_t *term);
/*
 * As raft_storage.entries: [lo, hi) bounded by max_bytes (at least one),
 * each entry's checksum verified (RAFT_ERR_CORRUPT, logged, if it fails).
 * out[k].data points into the store's read buffer until the next read.
 */
int raft_log_store_entries(struct raft_log_store *ls, uint64_t lo,
			   uint64_t hi, uint64_t max_bytes,
			   struct raft_entry *out, size_t *n);
void raft_log_store_hard_state(struct raft_log_store *ls,
			       struct raft_hard_state *hs);
void raft_log_store_snapshot_meta(struct raft_log_store *ls,
				  struct raft_snapshot_meta *meta);
/* 0 or the sticky error that made the store read-only. */
int raft_log_store_error(struct raft_log_store *ls);

struct raft_log_store_stats {
	uint64_t segments;   /* live segment files */
	uint64_t used_bytes; /* bytes of records in them */
	uint64_t fsyncs;
	uint64_t entries;    /* entries in the in-memory index */
};
void raft_log_store_stats(struct raft_log_store *ls,
			  struct raft_log_store_stats *out);

/* A static string for any code this module returns; never NULL. */
const char *raft_log_store_strerror(int err);

#endif /* VS_RAFT_LOG_STORE_H */
