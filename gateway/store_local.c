/*
 * store_local.c — the store interface (store.h) over one local engine.
 *
 * Atomicity: a mutex covers "check the preconditions, then kv_write" so no
 * other submit can change a checked key in between.  The engine is opened in
 * KV_SYNC_NONE so the critical section never contains an fdatasync.
 *
 * Durability (group commit): each non-lazy submit takes a ticket (the
 * number of writes appended so far) and waits until a kv_sync that started
 * after its write has finished.  Only one thread syncs at a time; whoever
 * finds no sync in progress becomes the syncer for every write appended
 * before it starts, so N concurrent submits cost about two fsyncs, not N.
 * A crash loses only a suffix of the write order (engine/kv.h), so a lazy
 * batch written before a synced one is durable too.
 *
 * Reads of a write that is appended but not yet synced are possible (the
 * index is updated at append).  A reader may therefore see an object whose
 * PUT has not yet returned; if the machine loses power before the sync,
 * that object disappears again.  Raft's apply-after-commit removes this.
 */
#include "gateway/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/kv.h"

struct store_local {
	struct store base;
	struct kv *kv;
	pthread_mutex_t write_mu; /* preconditions + kv_write */
	pthread_mutex_t sync_mu;  /* the fields below */
	pthread_cond_t sync_cv;
	uint64_t written;  /* writes appended (ticket counter) */
	uint64_t synced;   /* every write with ticket <= synced is durable */
	bool syncing;
	int sticky_err;    /* a failed sync: every later submit fails */
	struct store_local_stats stats;
};

struct local_value {
	struct store_value base;
	struct kv_ref *ref;
};

struct local_scan {
	struct store_scan base;
	struct kv_iter *it;
};

static const struct store_ops local_ops;

static int map_err(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case KV_ENOTFOUND:
		return STORE_ENOTFOUND;
	case KV_EINVAL:
		return STORE_EINVAL;
	case KV_ETOOBIG:
		return STORE_ETOOBIG;
	case KV_ECLOSED:
		return STORE_ECLOSED;
	case -ENOMEM:
		return -ENOMEM;
	default:
		return STORE_EIO;
	}
}

static struct store_local *to_local(struct store *s)
{
	ASSERT(s->ops == &local_ops);
	return (struct store_local *)s;
}

/* Under write_mu.  Returns 0 or STORE_ECOND (setting *failed). */
static int local_check(struct store_local *l, const struct store_batch *b,
		       size_t *failed)
{
	for (size_t i = 0; i < store_batch_cond_count(b); i++) {
		struct store_item c;
		store_batch_cond_get(b, i, &c);
		bool ok = false;
		int rc = 0;
		if (c.kind == STORE_COND_PREFIX_EMPTY) {
			struct kv_iter_options o = {.prefix = c.key,
						    .prefix_len = c.key_len};
			struct kv_iter *it = NULL;
			rc = kv_iter_new(l->kv, &o, &it);
			if (rc == 0)
				rc = kv_iter_first(it);
			if (rc == 0)
				ok = !kv_iter_valid(it);
			kv_iter_free(it);
		} else {
			void *v = NULL;
			size_t vlen = 0;
			rc = kv_get(l->kv, c.key, c.key_len, &v, &vlen);
			bool present = rc == 0;
			if (rc == KV_ENOTFOUND)
				rc = 0;
			if (c.kind == STORE_COND_ABSENT)
				ok = !present;
			else if (c.kind == STORE_COND_EXISTS)
				ok = present;
			else
				ok = present && vlen == c.val_len &&
				     (vlen == 0 || memcmp(v, c.val, vlen) == 0);
			free(v);
		}
		if (rc != 0)
			return map_err(rc);
		if (!ok) {
			if (failed != NULL)
				*failed = i;
			return STORE_ECOND;
		}
	}
	return 0;
}

static int local_build(const struct store_batch *b, struct kv_batch *kb)
{
	for (size_t i = 0; i < store_batch_op_count(b); i++) {
		struct store_item op;
		store_batch_op(b, i, &op);
		int rc = op.kind == STORE_OP_PUT
				 ? kv_batch_put(kb, op.key, op.key_len, op.val,
						op.val_len)
				 : kv_batch_del(kb, op.key, op.key_len);
		if (rc != 0)
			return map_err(rc);
	}
	return 0;
}

/* Waits until every write with ticket <= ticket is durable. */
static int local_wait_durable(struct store_local *l, uint64_t ticket)
{
	pthread_mutex_lock(&l->sync_mu);
	l->stats.sync_waits++;
	int rc = 0;
	for (;;) { /* bounded: each round either syncs or waits for one */
		if (l->sticky_err != 0) {
			/* The batch is appended (and visible) but its sync
			 * failed: it may or may not survive a crash. */
			rc = STORE_EINDETERMINATE;
			break;
		}
		if (l->synced >= ticket)
			break;
		if (l->syncing) {
			pthread_cond_wait(&l->sync_cv, &l->sync_mu);
			continue;
		}
		l->syncing = true;
		uint64_t target = l->written;
		l->stats.syncs++;
		pthread_mutex_unlock(&l->sync_mu);
		int src = kv_sync(l->kv);
		pthread_mutex_lock(&l->sync_mu);
		l->syncing = false;
		if (src != 0)
			l->sticky_err = STORE_EIO; /* never retry an fsync */
		else if (target > l->synced)
			l->synced = target;
		pthread_cond_broadcast(&l->sync_cv);
	}
	pthread_mutex_unlock(&l->sync_mu);
	return rc;
}

/*
 * The one place a batch is checked and written (store_local_submit and,
 * under Raft, store_local_apply): the preconditions and the kv_write of the
 * mutations (with the applied-index marker if marker > 0) under write_mu.
 * Nothing is written when a condition fails.  No sync.
 */
static int local_check_write(struct store_local *l, const struct store_batch *b,
			     uint64_t marker, size_t *failed, uint64_t *ticket)
{
	struct kv_batch *kb = NULL;
	int rc = kv_batch_new(&kb);
	if (rc != 0)
		return map_err(rc);
	rc = local_build(b, kb);
	if (marker > 0)
		kv_batch_set_applied_index(kb, marker);
	if (rc == 0) {
		pthread_mutex_lock(&l->write_mu);
		rc = local_check(l, b, failed);
		if (rc == 0 && (kv_batch_count(kb) > 0 || marker > 0))
			rc = map_err(kv_write(l->kv, kb));
		if (rc == 0) {
			pthread_mutex_lock(&l->sync_mu);
			*ticket = ++l->written;
			l->stats.submits++;
			pthread_mutex_unlock(&l->sync_mu);
		} else if (rc == STORE_ECOND) {
			pthread_mutex_lock(&l->sync_mu);
			l->stats.cond_fails++;
			pthread_mutex_unlock(&l->sync_mu);
		}
		pthread_mutex_unlock(&l->write_mu);
	}
	kv_batch_free(kb);
	return rc;
}

static int local_submit(struct store *s, const struct store_batch *b,
			size_t *failed)
{
	struct store_local *l = to_local(s);
	uint64_t ticket = 0;
	int rc = local_check_write(l, b, 0, failed, &ticket);
	if (rc == 0 && !store_batch_lazy(b))
		rc = local_wait_durable(l, ticket);
	return rc;
}

static int local_get(struct store *s, const void *key, size_t key_len,
		     void **val, size_t *val_len)
{
	return map_err(kv_get(to_local(s)->kv, key, key_len, val, val_len));
}

static int local_value_open(struct store *s, const void *key, size_t key_len,
			    struct store_value **out)
{
	struct local_value *v = calloc(1, sizeof *v);
	if (v == NULL)
		return -ENOMEM;
	int rc = kv_get_ref(to_local(s)->kv, key, key_len, &v->ref);
	if (rc != 0) {
		free(v);
		return map_err(rc);
	}
	v->base.ops = &local_ops;
	*out = &v->base;
	return 0;
}

static uint64_t local_value_len(const struct store_value *v)
{
	return kv_ref_len(((const struct local_value *)v)->ref);
}

static int local_value_read(struct store_value *v, uint64_t off, void *buf,
			    size_t len)
{
	struct local_value *lv = (struct local_value *)v;
	ASSERT(off + len <= kv_ref_len(lv->ref));
	return map_err(kv_ref_read(lv->ref, off, buf, len));
}

static void local_value_close(struct store_value *v)
{
	struct local_value *lv = (struct local_value *)v;
	kv_ref_free(lv->ref);
	free(lv);
}

static int local_scan_new(struct store *s, const void *lower,
			  size_t lower_len, const void *upper,
			  size_t upper_len, struct store_scan **out)
{
	struct local_scan *sc = calloc(1, sizeof *sc);
	if (sc == NULL)
		return -ENOMEM;
	struct kv_iter_options o = {.lower = lower, .lower_len = lower_len,
				    .upper = upper, .upper_len = upper_len};
	int rc = kv_iter_new(to_local(s)->kv, &o, &sc->it);
	if (rc != 0) {
		free(sc);
		return map_err(rc);
	}
	sc->base.ops = &local_ops;
	*out = &sc->base;
	return 0;
}

static int local_scan_seek(struct store_scan *it, const void *key,
			   size_t key_len)
{
	return map_err(kv_iter_seek(((struct local_scan *)it)->it, key,
				    key_len));
}

static bool local_scan_valid(const struct store_scan *it)
{
	return kv_iter_valid(((const struct local_scan *)it)->it);
}

static int local_scan_next(struct store_scan *it)
{
	return map_err(kv_iter_next(((struct local_scan *)it)->it));
}

static const void *local_scan_key(const struct store_scan *it,
				  size_t *key_len)
{
	return kv_iter_key(((const struct local_scan *)it)->it, key_len);
}

static int local_scan_value(struct store_scan *it, const void **val,
			    size_t *val_len)
{
	return map_err(kv_iter_value(((struct local_scan *)it)->it, val,
				     val_len));
}

static void local_scan_free(struct store_scan *it)
{
	struct local_scan *sc = (struct local_scan *)it;
	kv_iter_free(sc->it);
	free(sc);
}

static void local_close(struct store *s)
{
	struct store_local *l = to_local(s);
	kv_close(l->kv);
	pthread_mutex_destroy(&l->write_mu);
	pthread_mutex_destroy(&l->sync_mu);
	pthread_cond_destroy(&l->sync_cv);
	free(l);
}

static const struct store_ops local_ops = {
	.submit = local_submit,
	.get = local_get,
	.value_open = local_value_open,
	.value_len = local_value_len,
	.value_read = local_value_read,
	.value_close = local_value_close,
	.scan_new = local_scan_new,
	.scan_seek = local_scan_seek,
	.scan_valid = local_scan_valid,
	.scan_next = local_scan_next,
	.scan_key = local_scan_key,
	.scan_value = local_scan_value,
	.scan_free = local_scan_free,
	.close = local_close,
};

int store_local_open(const char *dir, struct store **out)
{
	return store_local_open_io(dir, NULL, out);
}

int store_local_open_io(const char *dir, const struct kv_io *io,
			struct store **out)
{
	struct store_local *l = calloc(1, sizeof *l);
	if (l == NULL)
		return -ENOMEM;
	struct kv_options o;
	kv_options_init(&o);
	o.sync_mode = KV_SYNC_NONE;
	o.io = io;
	int rc = kv_open(dir, &o, &l->kv);
	if (rc != 0) {
		free(l);
		return map_err(rc);
	}
	pthread_mutex_init(&l->write_mu, NULL);
	pthread_mutex_init(&l->sync_mu, NULL);
	pthread_cond_init(&l->sync_cv, NULL);
	l->base.ops = &local_ops;
	*out = &l->base;
	return 0;
}

void store_local_stats(struct store *s, struct store_local_stats *out)
{
	struct store_local *l = to_local(s);
	pthread_mutex_lock(&l->sync_mu);
	*out = l->stats;
	pthread_mutex_unlock(&l->sync_mu);
}

/* ---- For a replicated store (store_raft.c) ------------------------------ */

int store_local_apply(struct store *s, const struct store_batch *b,
		      uint64_t applied_index, size_t *failed)
{
	uint64_t ticket = 0;
	return local_check_write(to_local(s), b, applied_index, failed, &ticket);
}

int store_local_mark(struct store *s, uint64_t applied_index)
{
	struct store_local *l = to_local(s);
	struct kv_batch *kb = NULL;
	int rc = kv_batch_new(&kb);
	if (rc != 0)
		return map_err(rc);
	kv_batch_set_applied_index(kb, applied_index);
	pthread_mutex_lock(&l->write_mu);
	rc = map_err(kv_write(l->kv, kb));
	pthread_mutex_unlock(&l->write_mu);
	kv_batch_free(kb);
	return rc;
}

uint64_t store_local_applied_index(struct store *s)
{
	return kv_applied_index(to_local(s)->kv);
}

int store_local_sync(struct store *s)
{
	struct store_local *l = to_local(s);
	pthread_mutex_lock(&l->sync_mu);
	l->stats.syncs++;
	pthread_mutex_unlock(&l->sync_mu);
	return map_err(kv_sync(l->kv));
}

int store_local_checkpoint_to(struct store *s, const char *dir,
			      uint64_t *applied_index)
{
	return map_err(kv_checkpoint_to(to_local(s)->kv, dir, applied_index));
}
