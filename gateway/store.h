/*
 * store.h — the narrow interface between the object layer and the
 * key-value store beneath it.
 *
 * Three things only: submit an atomic batch of mutations guarded by
 * preconditions and wait until it commits; read a value (whole, or streamed
 * by offset); scan keys in byte order with seek.  The local adapter
 * (store_local.c) implements it over the engine; the Raft issue replaces it
 * with a replicated implementation (propose, commit, apply) without touching
 * the object layer or the S3 handlers.
 *
 * Preconditions are evaluated atomically with the commit: under Raft they
 * are evaluated deterministically when the entry is applied, so they may only
 * depend on the store's contents, never on a clock or on the node.
 *
 * An implementation embeds struct store (and struct store_value,
 * struct store_scan) as its first member; callers use the store_* wrappers.
 * All calls are thread-safe; one scan or value handle is used by one thread
 * at a time.
 */
#ifndef VS_GATEWAY_STORE_H
#define VS_GATEWAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Store error codes, in their own range; -ENOMEM etc. may also appear. */
enum store_error {
	STORE_ECOND = -3001,          /* a precondition failed: *failed says which */
	STORE_ENOTFOUND = -3002,      /* no such key */
	STORE_EINDETERMINATE = -3003, /* may or may not have committed (Raft) */
	STORE_EINVAL = -3004,         /* bad key/value size, empty key */
	STORE_ETOOBIG = -3005,        /* batch too large for one commit */
	STORE_EIO = -3006,            /* the store failed (disk, corruption) */
	STORE_ECLOSED = -3007,        /* the store is shutting down */
	STORE_EUNAVAILABLE = -3008,   /* no leader or quorum in time (Raft):
					 nothing was committed, retry */
};

/* Static text for any store_* return code. */
const char *store_strerror(int err);

/* Limits every implementation accepts (the engine's, see engine/kv.h). */
#define STORE_KEY_MAX (4u * 1024)
#define STORE_VALUE_MAX (32u * 1024 * 1024)
#define STORE_BATCH_BYTES_MAX (60u * 1024 * 1024)

/* ---- Batches ------------------------------------------------------------ */

enum store_op_kind { STORE_OP_PUT, STORE_OP_DEL };

enum store_cond_kind {
	STORE_COND_ABSENT,       /* key does not exist */
	STORE_COND_EXISTS,       /* key exists */
	STORE_COND_EQUALS,       /* key exists and its value is exactly val */
	STORE_COND_PREFIX_EMPTY, /* no key starts with key (a prefix) */
};

/* A mutation or condition as seen by an implementation; borrowed from the
 * batch until it is cleared or freed. */
struct store_item {
	int kind; /* enum store_op_kind or enum store_cond_kind */
	const uint8_t *key;
	size_t key_len;
	const uint8_t *val; /* PUT and EQUALS only */
	size_t val_len;
};

/*
 * A batch copies the bytes it is given.  Conditions are all checked first,
 * in the order added; the first that fails is reported and nothing is
 * written.  Mutations apply in the order added (a later one on the same key
 * wins).  Not thread-safe.
 */
struct store_batch;
int store_batch_new(struct store_batch **out);
void store_batch_free(struct store_batch *b);
void store_batch_clear(struct store_batch *b);
int store_batch_put(struct store_batch *b, const void *key, size_t key_len,
		    const void *val, size_t val_len);
int store_batch_del(struct store_batch *b, const void *key, size_t key_len);
int store_batch_cond(struct store_batch *b, enum store_cond_kind kind,
		     const void *key, size_t key_len, const void *val,
		     size_t val_len);
/*
 * Lazy durability: the batch need not be durable when submit returns; it
 * becomes durable no later than the next non-lazy submit that returns.
 * The object layer uses it for chunks, which matter only once the metadata
 * batch that references them has committed (and a crash loses only a
 * suffix of the commit order).
 *
 * Under Raft every entry is durable, so store_raft instead holds a lazy
 * batch of puts without conditions in the submitting thread and carries it
 * in that thread's next entry (applied just before the next batch; a held
 * batch is proposed alone when it outgrows 2 MiB, or before that thread
 * opens a value or a scan).  Until then only that thread's store_get sees
 * it; it is lost if the submit carrying it fails or the thread ends first,
 * as a crash would lose it.  So lazy batches must write keys that no other
 * thread needs before the non-lazy batch that follows on the same thread:
 * the object layer's in-flight records, chunks and garbage records are.
 */
void store_batch_set_lazy(struct store_batch *b, bool lazy);
bool store_batch_lazy(const struct store_batch *b);
size_t store_batch_op_count(const struct store_batch *b);
size_t store_batch_cond_count(const struct store_batch *b);
size_t store_batch_bytes(const struct store_batch *b); /* keys + values */
void store_batch_op(const struct store_batch *b, size_t i,
		    struct store_item *out);
void store_batch_cond_get(const struct store_batch *b, size_t i,
			  struct store_item *out);

/*
 * The batch as bytes, for a replicated implementation to put in its log
 * (a Raft entry) and apply on every node.  Version 1, big-endian:
 *   u8 version, u8 flags (bit 0: lazy), u32 condition count, u32 mutation
 *   count, then each item: u8 kind, u32 key length, key, and for PUT and
 *   EQUALS u32 value length, value.
 * Encoding returns a malloc'd buffer (caller frees).  Decoding validates
 * every length, kind and limit (the bytes come from the network or disk)
 * and returns STORE_EINVAL on anything malformed; *out is a new batch the
 * caller frees.
 */
int store_batch_encode(const struct store_batch *b, void **out,
		       size_t *out_len);
int store_batch_decode(const void *buf, size_t len, struct store_batch **out);

/* ---- The interface -------------------------------------------------------- */

struct store;
struct store_value; /* a pinned value being streamed */
struct store_scan;  /* an ordered cursor */

struct store_ops {
	int (*submit)(struct store *s, const struct store_batch *b,
		      size_t *failed);
	int (*get)(struct store *s, const void *key, size_t key_len,
		   void **val, size_t *val_len);
	int (*value_open)(struct store *s, const void *key, size_t key_len,
			  struct store_value **out);
	uint64_t (*value_len)(const struct store_value *v);
	int (*value_read)(struct store_value *v, uint64_t off, void *buf,
			  size_t len);
	void (*value_close)(struct store_value *v);
	int (*scan_new)(struct store *s, const void *lower, size_t lower_len,
			const void *upper, size_t upper_len,
			struct store_scan **out);
	int (*scan_seek)(struct store_scan *it, const void *key,
			 size_t key_len);
	bool (*scan_valid)(const struct store_scan *it);
	int (*scan_next)(struct store_scan *it);
	const void *(*scan_key)(const struct store_scan *it, size_t *key_len);
	int (*scan_value)(struct store_scan *it, const void **val,
			  size_t *val_len);
	void (*scan_free)(struct store_scan *it);
	void (*close)(struct store *s);
	/* Optional (NULL: nothing to do); see store_read_session. */
	void (*read_session)(struct store *s);
};

struct store {
	const struct store_ops *ops;
};
struct store_value {
	const struct store_ops *ops;
};
struct store_scan {
	const struct store_ops *ops;
};

/*
 * Submits b and waits until it has committed (durably, unless lazy) or
 * failed.  Returns 0; STORE_ECOND with *failed (if not NULL) set to the
 * index of the failing condition; STORE_EINDETERMINATE when the outcome is
 * unknown (the caller must not report success); or another error, in which
 * case nothing was committed.
 */
static inline int store_submit(struct store *s, const struct store_batch *b,
			       size_t *failed)
{
	return s->ops->submit(s, b, failed);
}

/* Reads key's value into a malloc'd buffer the caller frees (non-NULL even
 * when empty).  STORE_ENOTFOUND if absent. */
static inline int store_get(struct store *s, const void *key, size_t key_len,
			    void **val, size_t *val_len)
{
	return s->ops->get(s, key, key_len, val, val_len);
}

/* Pins key's current value for ranged reads: a later overwrite or delete
 * of the key does not change what the handle reads.  STORE_ENOTFOUND. */
static inline int store_value_open(struct store *s, const void *key,
				   size_t key_len, struct store_value **out)
{
	return s->ops->value_open(s, key, key_len, out);
}
static inline uint64_t store_value_len(const struct store_value *v)
{
	return v->ops->value_len(v);
}
/* Reads exactly len bytes at off (off + len <= store_value_len). */
static inline int store_value_read(struct store_value *v, uint64_t off,
				   void *buf, size_t len)
{
	return v->ops->value_read(v, off, buf, len);
}
static inline void store_value_close(struct store_value *v)
{
	if (v != NULL)
		v->ops->value_close(v);
}

/*
 * A cursor over keys in [lower, upper) in byte order (memcmp, shorter
 * first); NULL bounds are open.  Not positioned until the first seek.  Like
 * the engine's iterator it is a cursor, not a snapshot: it sees every key
 * that exists throughout the scan, never one twice.
 */
static inline int store_scan_new(struct store *s, const void *lower,
				 size_t lower_len, const void *upper,
				 size_t upper_len, struct store_scan **out)
{
	return s->ops->scan_new(s, lower, lower_len, upper, upper_len, out);
}
/* Positions at the first key >= key within the bounds. */
static inline int store_scan_seek(struct store_scan *it, const void *key,
				  size_t key_len)
{
	return it->ops->scan_seek(it, key, key_len);
}
static inline bool store_scan_valid(const struct store_scan *it)
{
	return it->ops->scan_valid(it);
}
static inline int store_scan_next(struct store_scan *it)
{
	return it->ops->scan_next(it);
}
/* Borrowed until the cursor moves or is freed; only when valid. */
static inline const void *store_scan_key(const struct store_scan *it,
					 size_t *key_len)
{
	return it->ops->scan_key(it, key_len);
}
static inline int store_scan_value(struct store_scan *it, const void **val,
				   size_t *val_len)
{
	return it->ops->scan_value(it, val, val_len);
}
static inline void store_scan_free(struct store_scan *it)
{
	if (it != NULL)
		it->ops->scan_free(it);
}

/*
 * Starts a read session on the calling thread — the gateway calls it once
 * per S3 request.  The session's first read waits for a linearizable point
 * as every read does (Raft: a ReadIndex barrier); the thread's later reads,
 * until its next store_read_session, reuse that point instead of paying a
 * round each.  Still linearizable: the point is taken after the session
 * began, so every read in it observes a state at least as new as any write
 * that completed before the request, and a node's applied state never goes
 * back.  Threads without a session are unaffected.
 */
static inline void store_read_session(struct store *s)
{
	if (s->ops->read_session != NULL)
		s->ops->read_session(s);
}

/* Closes and frees the store (all values and scans must be freed). */
static inline void store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

/* ---- The local adapter (store_local.c) ------------------------------------ */

struct store_local_stats {
	uint64_t submits;      /* successful submits */
	uint64_t cond_fails;   /* submits refused by a precondition */
	uint64_t syncs;        /* kv_sync calls made */
	uint64_t sync_waits;   /* non-lazy submits that waited for durability */
};

/*
 * Opens the engine in dir and wraps it.  The engine runs in KV_SYNC_NONE:
 * a short critical section checks the preconditions and appends the batch,
 * then durability is obtained outside it by one kv_sync that covers every
 * submit waiting at that moment (group commit), so concurrent submits share
 * fsyncs instead of serialising them.
 */
int store_local_open(const char *dir, struct store **out);
/* The same over a given file I/O table (engine/kv_io.h; borrowed for the
 * store's life): crash tests run the engine on a simulated disk. */
struct kv_io;
int store_local_open_io(const char *dir, const struct kv_io *io,
			struct store **out);
void store_local_stats(struct store *s, struct store_local_stats *out);

/*
 * What a replicated store (store_raft.c) needs of the local one, which
 * stays the one place conditions are checked and batches written.  Called
 * by one thread (the Raft driver's apply), beside concurrent reads.
 *
 * store_local_apply: the conditions, then the mutations in one engine write
 * carrying applied_index as the engine's applied-index marker (atomically
 * with them, so a restart never applies the entry twice; 0: no marker); not
 * synced.  0 or STORE_ECOND (*failed set; nothing written) or another error.
 * store_local_mark: a write with only the marker.
 * store_local_applied_index: the newest marker (kv_applied_index).
 * store_local_sync: everything written so far made durable (kv_sync).
 * store_local_checkpoint_to: a consistent copy in the new directory dir
 * (kv_checkpoint_to); *applied_index the marker it covers.
 */
int store_local_apply(struct store *s, const struct store_batch *b,
		      uint64_t applied_index, size_t *failed);
int store_local_mark(struct store *s, uint64_t applied_index);
uint64_t store_local_applied_index(struct store *s);
int store_local_sync(struct store *s);
int store_local_checkpoint_to(struct store *s, const char *dir,
			      uint64_t *applied_index);

/* ---- The replicated store (store_raft.c) --------------------------------- */

/*
 * Opens the engine in kv_dir (DATA/kv) and starts a Raft node (raft/node.h)
 * with the given options (node->dir is DATA/raft) whose state machine it
 * is; the store owns the node from then on and stops it in store_close.
 * Submits are proposed and return once applied here; reads pass a ReadIndex
 * barrier first.  Returns 0, a store error, or a raft_node_start error
 * (raft_node_strerror).  The network's receiver must be pointed at
 * store_raft_node(*out) (raft_node_receive) by the caller.
 *
 * STORE_RAFT_NO_PEERS: the network can reach no other node, ever (a cluster
 * of one without a Raft port).  Then every write this node's state holds
 * was proposed here and applied here before its submit returned, so once
 * the log is replayed (one barrier at open) a local read already sees every
 * completed write: reads skip the per-call ReadIndex round.
 */
#define STORE_RAFT_NO_PEERS 1u
struct raft_node;
struct raft_node_options;
int store_raft_open(const char *kv_dir, const struct raft_node_options *node,
		    unsigned flags, struct store **out);
/* The node inside (borrowed), for status, membership and the network. */
struct raft_node *store_raft_node(struct store *s);

#endif /* VS_GATEWAY_STORE_H */
