/*
 * log_store_int.h — internals of raft/log_store (not for other modules):
 * the store's state, the record formats, and the one function that applies
 * a record to the in-memory log.  Both recovery and every live write go
 * through log_store_apply(), so replay rebuilds exactly the state the
 * writes built (log_store_record.c).
 */
#ifndef VS_RAFT_LOG_STORE_INT_H
#define VS_RAFT_LOG_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/bytes.h"
#include "engine/record_log.h"
#include "raft/log_store.h"

/* Record types in the record log ("RL" + kind). */
#define LS_REC_ENTRIES 0x524c0001u
#define LS_REC_HARD 0x524c0002u
#define LS_REC_SNAP 0x524c0003u

/*
 * ENTRIES payload: u32 magic LS_MAGIC_ENTRIES, u32 count, u64 first index,
 * then count entries, each a 32-byte header and its data:
 *   0 u32 crc32c of bytes 4..31 and the data (checked on every read)
 *   4 u32 len    8 u64 term    16 u64 index    24 u8 type    25..31 zero
 * HARD payload: u32 magic, u32 0, u64 term, vote, commit.
 * SNAP payload: u32 magic, u32 n_voters, u32 n_learners, u32 0, u64 index,
 * term, last (the log's last index right after the snapshot: index if the
 * log was cleared), then the voters and learners (u64 each).
 * All little-endian.
 */
#define LS_MAGIC_ENTRIES 0x31454c52u /* "RLE1" */
#define LS_MAGIC_HARD 0x31484c52u    /* "RLH1" */
#define LS_MAGIC_SNAP 0x31534c52u    /* "RLS1" */
/* Indexes beyond this on disk are corrupt (and cannot overflow). */
#define LS_INDEX_MAX (1ull << 62)
#define LS_ENTRIES_HDR 16u
#define LS_ENT_HDR 32u
#define LS_HARD_BYTES 32u
#define LS_SNAP_HDR 40u

/* One entry of the log: where it is on disk and what the core asks of it. */
struct ls_ent {
	uint64_t term;
	uint64_t seg; /* segment id */
	uint64_t off; /* its 32-byte header's offset in the segment */
	uint32_t len;
	uint8_t type;
};

/* The highest entry index ever written to a segment (compaction). */
struct ls_segmax {
	uint64_t seg;
	uint64_t max_index;
};

struct raft_log_store {
	const struct kv_io *io;
	char *dir;
	int lock_fd;
	struct kv_rlog *rlog;
	void (*log_fn)(void *, enum kv_log_level, const char *);
	void *log_ctx;
	struct raft_conf_state boot_conf;

	pthread_mutex_t mu; /* everything below */

	/*
	 * The log: entries base+1 .. base+n at ents[head .. head+n).  Once
	 * open, base is the snapshot index and base_term its term (0, 0
	 * without a snapshot).
	 */
	uint64_t base, base_term;
	struct ls_ent *ents;
	size_t head, n, cap;

	struct raft_hard_state hs;
	struct raft_snapshot_meta snap;
	/* Segments of the newest HARD and SNAP records (0: none). */
	uint64_t hs_seg, snap_seg;

	struct ls_segmax *segmax; /* ascending seg */
	size_t nsegmax, capsegmax;

	/*
	 * Replay only: known = every entry in (base, last] is known and base
	 * is the snapshot index (or 0 and no snapshot yet); false after the
	 * replay met the first record behind segments compaction deleted, until
	 * a snapshot record covers what is unknown.  seen_snap: a SNAP record
	 * was replayed.  Always true, true when open.
	 */
	bool known, seen_snap;

	unsigned char *wbuf; /* write buffer: KV_RLOG_HDR + payload */
	size_t wcap;
	unsigned char *rbuf; /* read buffer for entries() */
	size_t rcap;

	/* The state machine's applied index (raft_log_store_set_applied). */
	uint64_t applied;

	_Atomic int err; /* sticky: 0 or the first write/sync error */
};

static inline uint64_t ls_last(const struct raft_log_store *ls)
{
	return ls->base + ls->n;
}
static inline struct ls_ent *ls_ent_at(struct raft_log_store *ls, uint64_t i)
{
	return &ls->ents[ls->head + (size_t)(i - ls->base - 1)];
}

/* Logs one line through the store's callback (printf format). */
void log_store_logf(struct raft_log_store *ls, enum kv_log_level lv,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Applies the record of type at `at` (payload borrowed) to the in-memory
 * state.  Returns 0, RAFT_ERR_CORRUPT (malformed, or inconsistent with the
 * records before it; logged with file and offset) or -ENOMEM.  Caller
 * holds mu (or owns ls during open).  A kv_rlog_replay_fn.
 */
int log_store_apply(void *arg, const struct kv_rlog_pos *at, uint32_t type,
		    const unsigned char *payload, uint32_t len);

/* Fills the 32-byte entry header at h for e (crc included). */
void log_store_ent_encode(unsigned char *h, const struct raft_entry *e);
/*
 * Checks an entry read back (header + data): crc, and that it is entry
 * index of term and len bytes.  true if good.
 */
bool log_store_ent_check(const unsigned char *h, uint64_t index,
			 uint64_t term, uint32_t len);

/* raft_log_store_entries with mu held. */
int log_store_entries_locked(struct raft_log_store *ls, uint64_t lo,
			     uint64_t hi, uint64_t max_bytes,
			     struct raft_entry *out, size_t *n);
/*
 * The configuration as of applied (in [base, last]): the snapshot's (or
 * boot_conf) with the conf-change entries in (base, applied] replayed
 * over it (log_store_conf.c).  Caller holds mu.  0 or an error.
 */
int log_store_conf_at(struct raft_log_store *ls, uint64_t applied,
		      struct raft_conf_state *out);

#endif /* VS_RAFT_LOG_STORE_INT_H */
