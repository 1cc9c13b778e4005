/*
 * test_object_memstore.c — an in-memory store.h implementation (sorted
 * array under one mutex) and a counting wrapper around any store.
 */
#include "tests/test_object.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

struct ment {
	uint8_t *key;
	size_t klen;
	uint8_t *val;
	size_t vlen;
};

struct memstore_data {
	pthread_mutex_t mu;
	struct ment *v;
	size_t n, cap;
};

struct memstore {
	struct store base;
	struct memstore_data *d;
};

struct mvalue {
	struct store_value base;
	uint8_t *val;
	size_t len;
};

struct mscan {
	struct store_scan base;
	struct memstore_data *d;
	uint8_t *lo, *hi, *cur;
	size_t lo_len, hi_len, cur_len;
	bool valid, hi_set;
	uint8_t *val;
	size_t val_len;
};

static int kcmp(const void *a, size_t al, const void *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al < bl ? -1 : al > bl);
}

/* First index with key >= k. */
static size_t lower_bound(const struct memstore_data *d, const void *k,
			  size_t kl)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (kcmp(d->v[mid].key, d->v[mid].klen, k, kl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct ment *find(struct memstore_data *d, const void *k, size_t kl)
{
	size_t i = lower_bound(d, k, kl);
	if (i < d->n && kcmp(d->v[i].key, d->v[i].klen, k, kl) == 0)
		return &d->v[i];
	return NULL;
}

static void *dup_bytes(const void *p, size_t n)
{
	void *r = malloc(n ? n : 1);
	ASSERT(r != NULL);
	if (n)
		memcpy(r, p, n);
	return r;
}

static void mput(struct memstore_data *d, const uint8_t *k, size_t kl,
		 const uint8_t *v, size_t vl)
{
	size_t i = lower_bound(d, k, kl);
	if (i < d->n && kcmp(d->v[i].key, d->v[i].klen, k, kl) == 0) {
		free(d->v[i].val);
		d->v[i].val = dup_bytes(v, vl);
		d->v[i].vlen = vl;
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->v = realloc(d->v, d->cap * sizeof *d->v);
		ASSERT(d->v != NULL);
	}
	memmove(&d->v[i + 1], &d->v[i], (d->n - i) * sizeof *d->v);
	d->v[i] = (struct ment){dup_bytes(k, kl), kl, dup_bytes(v, vl), vl};
	d->n++;
}

static void mdel(struct memstore_data *d, const uint8_t *k, size_t kl)
{
	size_t i = lower_bound(d, k, kl);
	if (i < d->n && kcmp(d->v[i].key, d->v[i].klen, k, kl) == 0) {
		free(d->v[i].key);
		free(d->v[i].val);
		memmove(&d->v[i], &d->v[i + 1], (d->n - i - 1) * sizeof *d->v);
		d->n--;
	}
}

static bool cond_ok(struct memstore_data *d, const struct store_item *c)
{
	if (c->kind == STORE_COND_PREFIX_EMPTY) {
		size_t i = lower_bound(d, c->key, c->key_len);
		return !(i < d->n && d->v[i].klen >= c->key_len &&
			 memcmp(d->v[i].key, c->key, c->key_len) == 0);
	}
	struct ment *e = find(d, c->key, c->key_len);
	switch (c->kind) {
	case STORE_COND_ABSENT:
		return e == NULL;
	case STORE_COND_EXISTS:
		return e != NULL;
	case STORE_COND_EQUALS:
		return e != NULL && e->vlen == c->val_len &&
		       (e->vlen == 0 || memcmp(e->val, c->val, e->vlen) == 0);
	default:
		UNREACHABLE();
		return false;
	}
}

static int m_submit(struct store *s, const struct store_batch *b,
		    size_t *failed)
{
	struct memstore_data *d = ((struct memstore *)s)->d;
	pthread_mutex_lock(&d->mu);
	for (size_t i = 0; i < store_batch_cond_count(b); i++) {
		struct store_item c;
		store_batch_cond_get(b, i, &c);
		if (!cond_ok(d, &c)) {
			pthread_mutex_unlock(&d->mu);
			if (failed)
				*failed = i;
			return STORE_ECOND;
		}
	}
	for (size_t i = 0; i < store_batch_op_count(b); i++) {
		struct store_item op;
		store_batch_op(b, i, &op);
		if (op.kind == STORE_OP_PUT)
			mput(d, op.key, op.key_len, op.val, op.val_len);
		else
			mdel(d, op.key, op.key_len);
	}
	pthread_mutex_unlock(&d->mu);
	return 0;
}

static int m_get(struct store *s, const void *key, size_t kl, void **val,
		 size_t *vl)
{
	struct memstore_data *d = ((struct memstore *)s)->d;
	pthread_mutex_lock(&d->mu);
	struct ment *e = find(d, key, kl);
	if (e != NULL) {
		*val = dup_bytes(e->val, e->vlen);
		*vl = e->vlen;
	}
	pthread_mutex_unlock(&d->mu);
	return e ? 0 : STORE_ENOTFOUND;
}

static const struct store_ops mem_ops;

static int m_value_open(struct store *s, const void *key, size_t kl,
			struct store_value **out)
{
	void *v = NULL;
	size_t vl = 0;
	int rc = m_get(s, key, kl, &v, &vl);
	if (rc != 0)
		return rc;
	struct mvalue *mv = calloc(1, sizeof *mv);
	ASSERT(mv != NULL);
	mv->base.ops = &mem_ops;
	mv->val = v;
	mv->len = vl;
	*out = &mv->base;
	return 0;
}

static uint64_t m_value_len(const struct store_value *v)
{
	return ((const struct mvalue *)v)->len;
}

static int m_value_read(struct store_value *v, uint64_t off, void *buf,
			size_t len)
{
	struct mvalue *mv = (struct mvalue *)v;
	ASSERT(off + len <= mv->len);
	memcpy(buf, mv->val + off, len);
	return 0;
}

static void m_value_close(struct store_value *v)
{
	struct mvalue *mv = (struct mvalue *)v;
	free(mv->val);
	free(mv);
}

static int m_scan_new(struct store *s, const void *lo, size_t lol,
		      const void *hi, size_t hil, struct store_scan **out)
{
	struct mscan *sc = calloc(1, sizeof *sc);
	ASSERT(sc != NULL);
	sc->base.ops = &mem_ops;
	sc->d = ((struct memstore *)s)->d;
	if (lo != NULL) {
		sc->lo = dup_bytes(lo, lol);
		sc->lo_len = lol;
	}
	if (hi != NULL) {
		sc->hi = dup_bytes(hi, hil);
		sc->hi_len = hil;
		sc->hi_set = true;
	}
	*out = &sc->base;
	return 0;
}

/* Positions at the first key >= k (strictly > when after). */
static int m_position(struct mscan *sc, const void *k, size_t kl, bool after)
{
	struct memstore_data *d = sc->d;
	pthread_mutex_lock(&d->mu);
	if (sc->lo && kcmp(k, kl, sc->lo, sc->lo_len) < 0) {
		k = sc->lo;
		kl = sc->lo_len;
		after = false;
	}
	size_t i = lower_bound(d, k, kl);
	if (after && i < d->n && kcmp(d->v[i].key, d->v[i].klen, k, kl) == 0)
		i++;
	free(sc->val);
	sc->val = NULL;
	sc->valid = i < d->n && (!sc->hi_set || kcmp(d->v[i].key, d->v[i].klen,
						     sc->hi, sc->hi_len) < 0);
	if (sc->valid) {
		uint8_t *nk = dup_bytes(d->v[i].key, d->v[i].klen);
		free(sc->cur);
		sc->cur = nk;
		sc->cur_len = d->v[i].klen;
		sc->val = dup_bytes(d->v[i].val, d->v[i].vlen);
		sc->val_len = d->v[i].vlen;
	}
	pthread_mutex_unlock(&d->mu);
	return 0;
}

static int m_scan_seek(struct store_scan *it, const void *k, size_t kl)
{
	return m_position((struct mscan *)it, k, kl, false);
}

static bool m_scan_valid(const struct store_scan *it)
{
	return ((const struct mscan *)it)->valid;
}

static int m_scan_next(struct store_scan *it)
{
	struct mscan *sc = (struct mscan *)it;
	ASSERT(sc->valid);
	uint8_t *k = sc->cur;
	sc->cur = NULL;
	int rc = m_position(sc, k, sc->cur_len, true);
	free(k);
	return rc;
}

static const void *m_scan_key(const struct store_scan *it, size_t *kl)
{
	const struct mscan *sc = (const struct mscan *)it;
	ASSERT(sc->valid);
	*kl = sc->cur_len;
	return sc->cur;
}

static int m_scan_value(struct store_scan *it, const void **v, size_t *vl)
{
	struct mscan *sc = (struct mscan *)it;
	ASSERT(sc->valid);
	*v = sc->val;
	*vl = sc->val_len;
	return 0;
}

static void m_scan_free(struct store_scan *it)
{
	struct mscan *sc = (struct mscan *)it;
	free(sc->lo);
	free(sc->hi);
	free(sc->cur);
	free(sc->val);
	free(sc);
}

static void m_close(struct store *s)
{
	free(s);
}

static const struct store_ops mem_ops = {
	.submit = m_submit,
	.get = m_get,
	.value_open = m_value_open,
	.value_len = m_value_len,
	.value_read = m_value_read,
	.value_close = m_value_close,
	.scan_new = m_scan_new,
	.scan_seek = m_scan_seek,
	.scan_valid = m_scan_valid,
	.scan_next = m_scan_next,
	.scan_key = m_scan_key,
	.scan_value = m_scan_value,
	.scan_free = m_scan_free,
	.close = m_close,
};

struct memstore_data *memstore_data_new(void)
{
	struct memstore_data *d = calloc(1, sizeof *d);
	ASSERT(d != NULL);
	pthread_mutex_init(&d->mu, NULL);
	return d;
}

void memstore_data_free(struct memstore_data *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].key);
		free(d->v[i].val);
	}
	free(d->v);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

int memstore_open(struct memstore_data *d, struct store **out)
{
	struct memstore *m = calloc(1, sizeof *m);
	if (m == NULL)
		return -ENOMEM;
	m->base.ops = &mem_ops;
	m->d = d;
	*out = &m->base;
	return 0;
}

size_t memstore_count_prefix(struct memstore_data *d, const void *prefix,
			     size_t len)
{
	pthread_mutex_lock(&d->mu);
	size_t n = 0;
	for (size_t i = lower_bound(d, prefix, len);
	     i < d->n && d->v[i].klen >= len &&
	     memcmp(d->v[i].key, prefix, len) == 0;
	     i++)
		n++;
	pthread_mutex_unlock(&d->mu);
	return n;
}

/* ---- The counting wrapper ---- */

struct counting {
	struct store base;
	struct store *inner;
	pthread_mutex_t mu;
	struct store_counts c;
};

struct cscan {
	struct store_scan base;
	struct counting *c;
	struct store_scan *inner;
};

static const struct store_ops counting_ops;

#define COUNT(cs, field)                                                    \
	do {                                                                \
		pthread_mutex_lock(&(cs)->mu);                              \
		(cs)->c.field++;                                            \
		pthread_mutex_unlock(&(cs)->mu);                            \
	} while (0)

static int c_submit(struct store *s, const struct store_batch *b, size_t *f)
{
	struct counting *c = (struct counting *)s;
	COUNT(c, submits);
	return store_submit(c->inner, b, f);
}

static int c_get(struct store *s, const void *k, size_t kl, void **v,
		 size_t *vl)
{
	struct counting *c = (struct counting *)s;
	COUNT(c, gets);
	return store_get(c->inner, k, kl, v, vl);
}

static int c_value_open(struct store *s, const void *k, size_t kl,
			struct store_value **out)
{
	struct counting *c = (struct counting *)s;
	COUNT(c, value_opens);
	return store_value_open(c->inner, k, kl, out); /* inner's handle */
}

static int c_scan_new(struct store *s, const void *lo, size_t lol,
		      const void *hi, size_t hil, struct store_scan **out)
{
	struct counting *c = (struct counting *)s;
	COUNT(c, scans);
	struct cscan *cs = calloc(1, sizeof *cs);
	ASSERT(cs != NULL);
	int rc = store_scan_new(c->inner, lo, lol, hi, hil, &cs->inner);
	if (rc != 0) {
		free(cs);
		return rc;
	}
	cs->base.ops = &counting_ops;
	cs->c = c;
	*out = &cs->base;
	return 0;
}

static int c_scan_seek(struct store_scan *it, const void *k, size_t kl)
{
	struct cscan *cs = (struct cscan *)it;
	COUNT(cs->c, seeks);
	return store_scan_seek(cs->inner, k, kl);
}

static bool c_scan_valid(const struct store_scan *it)
{
	return store_scan_valid(((const struct cscan *)it)->inner);
}

static int c_scan_next(struct store_scan *it)
{
	struct cscan *cs = (struct cscan *)it;
	COUNT(cs->c, nexts);
	return store_scan_next(cs->inner);
}

static const void *c_scan_key(const struct store_scan *it, size_t *kl)
{
	return store_scan_key(((const struct cscan *)it)->inner, kl);
}

static int c_scan_value(struct store_scan *it, const void **v, size_t *vl)
{
	return store_scan_value(((struct cscan *)it)->inner, v, vl);
}

static void c_scan_free(struct store_scan *it)
{
	struct cscan *cs = (struct cscan *)it;
	store_scan_free(cs->inner);
	free(cs);
}

static void c_close(struct store *s)
{
	struct counting *c = (struct counting *)s;
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static const struct store_ops counting_ops = {
	.submit = c_submit,
	.get = c_get,
	.value_open = c_value_open,
	.scan_new = c_scan_new,
	.scan_seek = c_scan_seek,
	.scan_valid = c_scan_valid,
	.scan_next = c_scan_next,
	.scan_key = c_scan_key,
	.scan_value = c_scan_value,
	.scan_free = c_scan_free,
	.close = c_close,
};

int counting_store_new(struct store *inner, struct store **out)
{
	struct counting *c = calloc(1, sizeof *c);
	if (c == NULL)
		return -ENOMEM;
	c->base.ops = &counting_ops;
	c->inner = inner;
	pthread_mutex_init(&c->mu, NULL);
	*out = &c->base;
	return 0;
}

void counting_store_counts(struct store *s, struct store_counts *out)
{
	struct counting *c = (struct counting *)s;
	pthread_mutex_lock(&c->mu);
	*out = c->c;
	pthread_mutex_unlock(&c->mu);
}

void counting_store_reset(struct store *s)
{
	struct counting *c = (struct counting *)s;
	pthread_mutex_lock(&c->mu);
	memset(&c->c, 0, sizeof c->c);
	pthread_mutex_unlock(&c->mu);
}
