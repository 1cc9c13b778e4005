/*
 * store_raft.c — the store interface (store.h) replicated through Raft
 * (raft/node.h) over a local engine store (store_local.c).
 *
 * Writes: submit encodes the batch (store_batch_encode) and proposes it;
 * every node applies committed entries in log order through
 * store_local_apply, the one place conditions are checked and batches
 * written, so conditions are evaluated deterministically at apply time
 * (store.h).  The proposer gets the result of its own node's apply.
 *
 * Reads: a read barrier (raft_node_read_barrier: the leader's lease, or a
 * ReadIndex round), then the local engine: linearizable on every node
 * (Raft thesis §6.4).
 *
 * The applied index.  A write that changes the engine carries its entry's
 * index as the engine's applied-index marker in the same engine write, so
 * a restart never re-applies it.  Entries that change nothing (leader
 * no-ops, conf changes, refused conditions, undecodable commands) write
 * nothing: re-applying them after a restart changes nothing either, since
 * they see the same state.  The marker is brought up to date before the
 * driver relies on it being durable (sync, before log compaction) and
 * before a snapshot, so a checkpoint always covers exactly `applied`.
 *
 * Snapshot install swaps the engine directory (snap_install_dir, crash-safe;
 * snap_install_recover at every open) while no read is in flight:
 * every read and every open value or scan handle counts as a reader; the
 * install waits until there are none (readers never wait for an install,
 * so a thread holding a handle may read again without deadlock).
 *
 * Ownership: the store owns the node and the local store; options are
 * copied at open (the net and peers in them are borrowed).
 */
#include "gateway/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "raft/node.h"
#include "raft/snapshot_xfer.h" /* snap_install_dir, snap_install_recover */

struct store_raft {
	struct store base;
	struct raft_node *node;
	struct raft_node_app app;
	bool no_peers; /* STORE_RAFT_NO_PEERS: reads need no barrier */
	uint64_t session_id; /* read sessions of this store (raft_read_session) */
	pthread_key_t lazy_key; /* this thread's deferred lazy batch */
	char *kv_dir;
	const struct kv_io *io;
	pthread_mutex_t mu; /* readers, local */
	pthread_cond_t cv;
	unsigned readers;
	bool installing;
	struct store *local; /* NULL after a failed install */
	/* Driver thread only (apply, sync, snapshots). */
	uint64_t applied; /* last entry applied */
	uint64_t marked;  /* newest applied-index marker written */
};

struct raft_value {
	struct store_value base;
	struct store_raft *r;
	struct store_value *inner;
};

struct raft_scan {
	struct store_scan base;
	struct store_raft *r;
	struct store_scan *inner;
};

static const struct store_ops raft_ops;

static struct store_raft *to_raft(struct store *s)
{
	ASSERT(s->ops == &raft_ops);
	return (struct store_raft *)s;
}

static int map_node_err(int rc)
{
	switch (rc) {
	case RAFT_NODE_EINDETERMINATE:
		return STORE_EINDETERMINATE;
	case RAFT_NODE_EUNAVAILABLE:
		return STORE_EUNAVAILABLE;
	case RAFT_NODE_ESTOPPED:
		return STORE_ECLOSED;
	case RAFT_ERR_TOO_BIG:
		return STORE_ETOOBIG;
	case -ENOMEM:
		return -ENOMEM;
	default:
		return STORE_EIO;
	}
}

/* ---- Readers against the install ---------------------------------------- */

static struct store *reader_enter(struct store_raft *r)
{
	pthread_mutex_lock(&r->mu);
	struct store *l = r->local;
	if (l != NULL)
		r->readers++;
	pthread_mutex_unlock(&r->mu);
	return l;
}

static void reader_exit(struct store_raft *r)
{
	pthread_mutex_lock(&r->mu);
	ASSERT(r->readers > 0);
	if (--r->readers == 0 && r->installing)
		pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/*
 * The calling thread's read session (store_read_session): the store it
 * belongs to, by a process-unique id (not its address, which a later store
 * may reuse), and whether its barrier has passed.
 */
static _Atomic uint64_t session_ids;
static __thread uint64_t tls_session_store;
static __thread bool tls_session_passed;

static void raft_read_session(struct store *s)
{
	tls_session_store = to_raft(s)->session_id;
	tls_session_passed = false;
}

/* ReadIndex (once per read session), then a reader's hold on the engine.
 * 0 or an error. */
static int read_begin(struct store_raft *r, struct store **local)
{
	bool in_session = tls_session_store == r->session_id;
	if (!r->no_peers && !(in_session && tls_session_passed)) {
		int rc = raft_node_read_barrier(r->node);
		if (rc != 0)
			return map_node_err(rc);
		if (in_session)
			tls_session_passed = true;
	}
	*local = reader_enter(r);
	return *local != NULL ? 0 : STORE_EIO;
}

/* ---- Entries and deferred lazy batches ------------------------------------ */

/*
 * An entry is a store_batch_encode'd batch (its first byte is the batch
 * format version, 1), or ENTRY_LAZY_PREFIXED, u32 n (big-endian), n bytes
 * of an encoded lazy batch without conditions, then the encoded main batch:
 * the lazy one is applied first, unconditionally, then the main one.
 *
 * Why: a PUT writes an in-flight record and its chunks as lazy batches and
 * then its metadata.  Under Raft every entry is durable, so each lazy batch
 * would cost a commit round of its own (three for a 4 KiB PUT where the
 * local store pays one fsync).  So a lazy batch without conditions is held
 * by the submitting thread (up to LAZY_HOLD_BYTES) and travels in that
 * thread's next entry; store.h ("Lazy durability") says what that means.
 * Only batches of puts are held (see holdable()).
 */
#define ENTRY_LAZY_PREFIXED 0x80
#define LAZY_HOLD_BYTES (2u << 20)

static int entry_decode(const void *data, size_t len, struct store_batch **lazy,
			struct store_batch **main_b)
{
	const uint8_t *p = data;
	*lazy = NULL;
	if (len > 0 && p[0] == ENTRY_LAZY_PREFIXED) {
		if (len < 5)
			return STORE_EINVAL;
		size_t n = (size_t)p[1] << 24 | (size_t)p[2] << 16 |
			   (size_t)p[3] << 8 | p[4];
		if (n > len - 5)
			return STORE_EINVAL;
		int rc = store_batch_decode(p + 5, n, lazy);
		if (rc == 0 && store_batch_cond_count(*lazy) != 0)
			rc = STORE_EINVAL;
		if (rc == 0)
			rc = store_batch_decode(p + 5 + n, len - 5 - n, main_b);
		if (rc != 0) {
			store_batch_free(*lazy);
			*lazy = NULL;
		}
		return rc;
	}
	return store_batch_decode(data, len, main_b);
}

/* The entry for lazy (may be NULL) then b; malloc'd. */
static int entry_encode(const struct store_batch *lazy,
			const struct store_batch *b, void **out, size_t *len)
{
	if (lazy == NULL)
		return store_batch_encode(b, out, len);
	void *le = NULL, *be = NULL;
	size_t ll = 0, bl = 0;
	int rc = store_batch_encode(lazy, &le, &ll);
	if (rc == 0)
		rc = store_batch_encode(b, &be, &bl);
	uint8_t *buf = rc == 0 ? malloc(5 + ll + bl) : NULL;
	if (rc == 0 && buf == NULL)
		rc = -ENOMEM;
	if (rc == 0) {
		buf[0] = ENTRY_LAZY_PREFIXED;
		buf[1] = (uint8_t)(ll >> 24);
		buf[2] = (uint8_t)(ll >> 16);
		buf[3] = (uint8_t)(ll >> 8);
		buf[4] = (uint8_t)ll;
		memcpy(buf + 5, le, ll);
		memcpy(buf + 5 + ll, be, bl);
		*out = buf;
		*len = 5 + ll + bl;
	}
	free(le);
	free(be);
	return rc;
}

/* Proposes lazy (may be NULL) then b and waits for this node's apply. */
static int propose(struct store_raft *r, const struct store_batch *lazy,
		   const struct store_batch *b, size_t *failed)
{
	void *buf = NULL;
	size_t len = 0;
	int rc = entry_encode(lazy, b, &buf, &len);
	if (rc != 0)
		return rc;
	int result = 0;
	uint64_t aux = 0;
	rc = raft_node_propose(r->node, buf, len, &result, &aux);
	free(buf);
	if (rc != 0)
		return map_node_err(rc);
	if (result == STORE_ECOND && failed != NULL)
		*failed = (size_t)aux;
	if (result == RAFT_NODE_EFAILED)
		return STORE_EINDETERMINATE; /* this node stopped mid-apply */
	return result;
}

static void lazy_free(void *b)
{
	store_batch_free(b);
}

/* Takes this thread's held lazy batch (NULL if none). */
static struct store_batch *lazy_take(struct store_raft *r)
{
	struct store_batch *p = pthread_getspecific(r->lazy_key);
	if (p != NULL)
		pthread_setspecific(r->lazy_key, NULL);
	return p;
}

/* Proposes this thread's held lazy batch alone, before a read that must
 * see it (value handles and scans; store_get looks into it instead). */
static int lazy_flush(struct store_raft *r)
{
	struct store_batch *p = lazy_take(r);
	if (p == NULL)
		return 0;
	int rc = propose(r, NULL, p, NULL);
	store_batch_free(p);
	return rc;
}

/* Appends src's mutations to dst. */
static int batch_append_ops(struct store_batch *dst,
			    const struct store_batch *src)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < store_batch_op_count(src); i++) {
		struct store_item op;
		store_batch_op(src, i, &op);
		rc = op.kind == STORE_OP_PUT
			     ? store_batch_put(dst, op.key, op.key_len, op.val,
					       op.val_len)
			     : store_batch_del(dst, op.key, op.key_len);
	}
	return rc;
}

/* Holds lazy batch b (no conditions) for this thread: 0, or 1 if it is too
 * big to hold (the caller proposes it), or an error. */
static int lazy_hold(struct store_raft *r, const struct store_batch *b)
{
	struct store_batch *p = lazy_take(r);
	int rc = 0;
	if (p != NULL && store_batch_bytes(p) + store_batch_bytes(b) >
				 LAZY_HOLD_BYTES) {
		rc = propose(r, NULL, p, NULL);
		store_batch_free(p);
		p = NULL;
		if (rc != 0)
			return rc;
	}
	if (store_batch_bytes(b) > LAZY_HOLD_BYTES)
		return 1;
	if (p == NULL && (rc = store_batch_new(&p)) != 0)
		return rc;
	store_batch_set_lazy(p, true);
	rc = batch_append_ops(p, b);
	if (rc == 0)
		rc = pthread_setspecific(r->lazy_key, p) == 0 ? 0 : -ENOMEM;
	if (rc != 0)
		store_batch_free(p);
	return rc;
}

/*
 * Held: lazy batches of puts only, without conditions (the object layer's
 * in-flight records and chunks).  Lazy deletions (the collector's, an
 * abandoned upload's) are proposed at once: they are not followed by a
 * non-lazy batch of the same thread that would carry them soon.
 */
static bool holdable(const struct store_batch *b)
{
	if (!store_batch_lazy(b) || store_batch_cond_count(b) != 0)
		return false;
	for (size_t i = 0; i < store_batch_op_count(b); i++) {
		struct store_item op;
		store_batch_op(b, i, &op);
		if (op.kind != STORE_OP_PUT)
			return false;
	}
	return true;
}

/* The thread's held value of key: 1 (put: *val copied), 0 (deleted), -1
 * (not held). */
static int lazy_lookup(struct store_raft *r, const void *key, size_t key_len,
		       void **val, size_t *val_len)
{
	const struct store_batch *p = pthread_getspecific(r->lazy_key);
	for (size_t i = p ? store_batch_op_count(p) : 0; i > 0; i--) {
		struct store_item op;
		store_batch_op(p, i - 1, &op);
		if (op.key_len != key_len || memcmp(op.key, key, key_len) != 0)
			continue;
		if (op.kind == STORE_OP_DEL)
			return 0;
		*val = malloc(op.val_len ? op.val_len : 1);
		if (*val == NULL)
			return -ENOMEM;
		memcpy(*val, op.val, op.val_len);
		*val_len = op.val_len;
		return 1;
	}
	return -1;
}

/* ---- The state machine (raft_node_app), on the driver thread ------------ */

static uint64_t app_applied_index(void *ctx)
{
	return ((struct store_raft *)ctx)->applied;
}

static int app_apply(void *ctx, uint64_t index, const void *data, size_t len,
		     uint64_t *aux)
{
	struct store_raft *r = ctx;
	ASSERT(index > r->applied);
	ASSERT(r->local != NULL);
	if (len == 0) { /* no-op or conf change: nothing to write */
		r->applied = index;
		return 0;
	}
	struct store_batch *lazy = NULL, *b = NULL;
	int rc = entry_decode(data, len, &lazy, &b);
	if (rc == -ENOMEM)
		return RAFT_NODE_EFAILED; /* not deterministic: stop */
	if (rc != 0) {
		/* Malformed bytes fail the same way on every node. */
		r->applied = index;
		return STORE_EINVAL;
	}
	size_t failed = 0;
	/* A deferred lazy prefix first, unmarked: it has no conditions, so
	 * applying it again after a crash before the marker changes nothing. */
	if (lazy != NULL)
		rc = store_local_apply(r->local, lazy, 0, NULL);
	if (rc == 0)
		rc = store_local_apply(r->local, b, index, &failed);
	store_batch_free(lazy);
	store_batch_free(b);
	switch (rc) {
	case 0:
		r->applied = r->marked = index;
		return 0;
	case STORE_ECOND:
		if (aux != NULL)
			*aux = failed;
		r->applied = index;
		return STORE_ECOND;
	case STORE_EINVAL:
	case STORE_ETOOBIG: /* limits: deterministic, nothing written */
		r->applied = index;
		return rc;
	default:
		return RAFT_NODE_EFAILED; /* disk: this node cannot go on */
	}
}

/* Brings the durable-to-be marker up to `applied` (see top). */
static int mark_applied(struct store_raft *r)
{
	if (r->marked >= r->applied)
		return 0;
	int rc = store_local_mark(r->local, r->applied);
	if (rc == 0)
		r->marked = r->applied;
	return rc;
}

static int app_sync(void *ctx)
{
	struct store_raft *r = ctx;
	int rc = mark_applied(r);
	if (rc == 0)
		rc = store_local_sync(r->local);
	return rc == 0 ? 0 : RAFT_NODE_EFAILED;
}

static int app_snapshot_create(void *ctx, const char *dir, uint64_t *index)
{
	struct store_raft *r = ctx;
	uint64_t covered = 0;
	int rc = mark_applied(r);
	if (rc == 0)
		rc = store_local_checkpoint_to(r->local, dir, &covered);
	if (rc != 0)
		return rc == -ENOMEM ? -ENOMEM : -EIO;
	ASSERT(covered == r->applied);
	*index = covered;
	return 0;
}

/* Closes the engine once no reader holds it; returns with installing set. */
static void install_begin(struct store_raft *r)
{
	pthread_mutex_lock(&r->mu);
	r->installing = true;
	while (r->readers > 0) /* bounded: readers finish their calls */
		pthread_cond_wait(&r->cv, &r->mu);
	struct store *old = r->local;
	r->local = NULL;
	pthread_mutex_unlock(&r->mu);
	store_close(old); /* syncs */
}

static int app_snapshot_install(void *ctx, const char *dir, uint64_t index)
{
	struct store_raft *r = ctx;
	install_begin(r);
	struct store *fresh = NULL;
	int rc = snap_install_dir(dir, r->kv_dir);
	if (rc == 0)
		rc = store_local_open_io(r->kv_dir, r->io, &fresh);
	if (rc == 0) {
		r->marked = store_local_applied_index(fresh);
		ASSERT(r->marked <= index);
		r->applied = index;
		/* Make the marker say `index` durably now: the log before
		 * it is about to be compacted away. */
		if (r->marked < index)
			rc = store_local_mark(fresh, index);
		if (rc == 0)
			rc = store_local_sync(fresh);
		if (rc == 0)
			r->marked = index;
	}
	pthread_mutex_lock(&r->mu);
	r->local = fresh; /* NULL on failure: reads fail with STORE_EIO */
	r->installing = false;
	pthread_mutex_unlock(&r->mu);
	return rc == 0 ? 0 : RAFT_NODE_EFAILED;
}

/* ---- The store interface ------------------------------------------------ */

static int raft_submit(struct store *s, const struct store_batch *b,
		       size_t *failed)
{
	struct store_raft *r = to_raft(s);
	if (store_batch_op_count(b) == 0 && store_batch_cond_count(b) == 0)
		return 0; /* changes nothing and checks nothing */
	if (holdable(b)) {
		int rc = lazy_hold(r, b);
		if (rc <= 0)
			return rc;
	}
	struct store_batch *p = lazy_take(r);
	if (p != NULL && store_batch_bytes(p) + store_batch_bytes(b) >
				 STORE_BATCH_BYTES_MAX) {
		int rc = propose(r, NULL, p, NULL);
		store_batch_free(p);
		p = NULL;
		if (rc != 0)
			return rc;
	}
	/* The held batch rides along; if this fails it is lost with it, as
	 * a crash would lose it (store.h, "Lazy durability"). */
	int rc = propose(r, p, b, failed);
	store_batch_free(p);
	return rc;
}

static int raft_get(struct store *s, const void *key, size_t key_len,
		    void **val, size_t *val_len)
{
	struct store_raft *r = to_raft(s);
	int held = lazy_lookup(r, key, key_len, val, val_len);
	if (held >= 0)
		return held == 1 ? 0 : STORE_ENOTFOUND;
	if (held != -1)
		return held;
	struct store *l = NULL;
	int rc = read_begin(r, &l);
	if (rc != 0)
		return rc;
	rc = store_get(l, key, key_len, val, val_len);
	reader_exit(r);
	return rc;
}

static int raft_value_open(struct store *s, const void *key, size_t key_len,
			   struct store_value **out)
{
	struct store_raft *r = to_raft(s);
	int rc = lazy_flush(r);
	if (rc != 0)
		return rc;
	struct raft_value *v = calloc(1, sizeof *v);
	if (v == NULL)
		return -ENOMEM;
	struct store *l = NULL;
	rc = read_begin(r, &l);
	if (rc == 0) {
		rc = store_value_open(l, key, key_len, &v->inner);
		if (rc != 0)
			reader_exit(r);
	}
	if (rc != 0) {
		free(v);
		return rc;
	}
	v->base.ops = &raft_ops;
	v->r = r;
	*out = &v->base;
	return 0;
}

static uint64_t raft_value_len(const struct store_value *v)
{
	return store_value_len(((const struct raft_value *)v)->inner);
}

static int raft_value_read(struct store_value *v, uint64_t off, void *buf,
			   size_t len)
{
	return store_value_read(((struct raft_value *)v)->inner, off, buf, len);
}

static void raft_value_close(struct store_value *v)
{
	struct raft_value *rv = (struct raft_value *)v;
	store_value_close(rv->inner);
	reader_exit(rv->r);
	free(rv);
}

static int raft_scan_new(struct store *s, const void *lower, size_t lower_len,
			 const void *upper, size_t upper_len,
			 struct store_scan **out)
{
	struct store_raft *r = to_raft(s);
	int rc = lazy_flush(r);
	if (rc != 0)
		return rc;
	struct raft_scan *sc = calloc(1, sizeof *sc);
	if (sc == NULL)
		return -ENOMEM;
	struct store *l = NULL;
	rc = read_begin(r, &l);
	if (rc == 0) {
		rc = store_scan_new(l, lower, lower_len, upper, upper_len,
				    &sc->inner);
		if (rc != 0)
			reader_exit(r);
	}
	if (rc != 0) {
		free(sc);
		return rc;
	}
	sc->base.ops = &raft_ops;
	sc->r = r;
	*out = &sc->base;
	return 0;
}

static int raft_scan_seek(struct store_scan *it, const void *key,
			  size_t key_len)
{
	return store_scan_seek(((struct raft_scan *)it)->inner, key, key_len);
}

static bool raft_scan_valid(const struct store_scan *it)
{
	return store_scan_valid(((const struct raft_scan *)it)->inner);
}

static int raft_scan_next(struct store_scan *it)
{
	return store_scan_next(((struct raft_scan *)it)->inner);
}

static const void *raft_scan_key(const struct store_scan *it, size_t *key_len)
{
	return store_scan_key(((const struct raft_scan *)it)->inner, key_len);
}

static int raft_scan_value(struct store_scan *it, const void **val,
			   size_t *val_len)
{
	return store_scan_value(((struct raft_scan *)it)->inner, val, val_len);
}

static void raft_scan_free(struct store_scan *it)
{
	struct raft_scan *sc = (struct raft_scan *)it;
	store_scan_free(sc->inner);
	reader_exit(sc->r);
	free(sc);
}

static void raft_close(struct store *s)
{
	struct store_raft *r = to_raft(s);
	(void)lazy_flush(r); /* this thread's; other threads' ended with them */
	raft_node_stop(r->node); /* syncs through app_sync */
	pthread_key_delete(r->lazy_key);
	ASSERT(r->readers == 0);
	store_close(r->local);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r->kv_dir);
	free(r);
}

static const struct store_ops raft_ops = {
	.submit = raft_submit,
	.read_session = raft_read_session,
	.get = raft_get,
	.value_open = raft_value_open,
	.value_len = raft_value_len,
	.value_read = raft_value_read,
	.value_close = raft_value_close,
	.scan_new = raft_scan_new,
	.scan_seek = raft_scan_seek,
	.scan_valid = raft_scan_valid,
	.scan_next = raft_scan_next,
	.scan_key = raft_scan_key,
	.scan_value = raft_scan_value,
	.scan_free = raft_scan_free,
	.close = raft_close,
};

static void raft_free_unstarted(struct store_raft *r)
{
	pthread_key_delete(r->lazy_key);
	store_close(r->local);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r->kv_dir);
	free(r);
}

int store_raft_open(const char *kv_dir, const struct raft_node_options *node,
		    unsigned flags, struct store **out)
{
	struct store_raft *r = calloc(1, sizeof *r);
	if (r == NULL)
		return -ENOMEM;
	if (pthread_key_create(&r->lazy_key, lazy_free) != 0) {
		free(r);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->base.ops = &raft_ops;
	r->session_id = atomic_fetch_add(&session_ids, 1) + 1;
	r->io = node->io;
	r->kv_dir = strdup(kv_dir);
	int rc = r->kv_dir != NULL ? snap_install_recover(kv_dir) : -ENOMEM;
	if (rc == 0)
		rc = store_local_open_io(kv_dir, node->io, &r->local);
	if (rc != 0) {
		raft_free_unstarted(r);
		return rc;
	}
	r->applied = r->marked = store_local_applied_index(r->local);
	r->app = (struct raft_node_app){
		.ctx = r,
		.applied_index = app_applied_index,
		.apply = app_apply,
		.sync = app_sync,
		.snapshot_create = app_snapshot_create,
		.snapshot_install = app_snapshot_install,
	};
	rc = raft_node_start(node, &r->app, &r->node);
	if (rc != 0) {
		raft_free_unstarted(r);
		return rc;
	}
	*out = &r->base;
	if (flags & STORE_RAFT_NO_PEERS) {
		/* Replay what the log holds beyond the engine first (see
		 * store.h); the barrier waits for that. */
		rc = raft_node_read_barrier(r->node);
		if (rc != 0) {
			raft_close(&r->base);
			return map_node_err(rc);
		}
		r->no_peers = true;
	}
	return 0;
}

struct raft_node *store_raft_node(struct store *s)
{
	return to_raft(s)->node;
}
