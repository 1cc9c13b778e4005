/*
 * store_batch.c — the batch of preconditions and mutations that
 * store_submit() commits atomically (see store.h).
 *
 * All bytes live in one growing arena; items record offsets into it, so a
 * batch of ten thousand part deletions is three allocations, not thirty
 * thousand.
 */
#include "gateway/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

struct item_rec {
	int kind;
	size_t key_off, key_len, val_off, val_len;
};

struct item_vec {
	struct item_rec *v;
	size_t n, cap;
};

struct store_batch {
	uint8_t *arena;
	size_t used, cap;
	struct item_vec ops, conds;
	bool lazy;
};

int store_batch_new(struct store_batch **out)
{
	struct store_batch *b = calloc(1, sizeof *b);
	if (b == NULL)
		return -ENOMEM;
	*out = b;
	return 0;
}

void store_batch_free(struct store_batch *b)
{
	if (b == NULL)
		return;
	free(b->arena);
	free(b->ops.v);
	free(b->conds.v);
	free(b);
}

void store_batch_clear(struct store_batch *b)
{
	b->used = 0;
	b->ops.n = 0;
	b->conds.n = 0;
	b->lazy = false;
}

static int arena_add(struct store_batch *b, const void *p, size_t len,
		     size_t *off)
{
	if (len > STORE_BATCH_BYTES_MAX || b->used + len > STORE_BATCH_BYTES_MAX)
		return STORE_ETOOBIG;
	if (b->used + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->used + len)
			cap *= 2;
		uint8_t *a = realloc(b->arena, cap);
		if (a == NULL)
			return -ENOMEM;
		b->arena = a;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->arena + b->used, p, len);
	*off = b->used;
	b->used += len;
	return 0;
}

static int vec_add(struct item_vec *v, const struct item_rec *r)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct item_rec *n = realloc(v->v, cap * sizeof *n);
		if (n == NULL)
			return -ENOMEM;
		v->v = n;
		v->cap = cap;
	}
	v->v[v->n++] = *r;
	return 0;
}

static int batch_add(struct store_batch *b, struct item_vec *v, int kind,
		     const void *key, size_t key_len, const void *val,
		     size_t val_len)
{
	if (key_len == 0 || key_len > STORE_KEY_MAX ||
	    val_len > STORE_VALUE_MAX)
		return STORE_EINVAL;
	struct item_rec r = {.kind = kind, .key_len = key_len,
			     .val_len = val_len};
	size_t used = b->used;
	int rc = arena_add(b, key, key_len, &r.key_off);
	if (rc == 0)
		rc = arena_add(b, val, val_len, &r.val_off);
	if (rc == 0)
		rc = vec_add(v, &r);
	if (rc != 0)
		b->used = used; /* the batch is unchanged on failure */
	return rc;
}

int store_batch_put(struct store_batch *b, const void *key, size_t key_len,
		    const void *val, size_t val_len)
{
	return batch_add(b, &b->ops, STORE_OP_PUT, key, key_len, val, val_len);
}

int store_batch_del(struct store_batch *b, const void *key, size_t key_len)
{
	return batch_add(b, &b->ops, STORE_OP_DEL, key, key_len, NULL, 0);
}

int store_batch_cond(struct store_batch *b, enum store_cond_kind kind,
		     const void *key, size_t key_len, const void *val,
		     size_t val_len)
{
	ASSERT(kind == STORE_COND_EQUALS || val_len == 0);
	return batch_add(b, &b->conds, kind, key, key_len, val, val_len);
}

void store_batch_set_lazy(struct store_batch *b, bool lazy)
{
	b->lazy = lazy;
}

bool store_batch_lazy(const struct store_batch *b)
{
	return b->lazy;
}

size_t store_batch_op_count(const struct store_batch *b)
{
	return b->ops.n;
}

size_t store_batch_cond_count(const struct store_batch *b)
{
	return b->conds.n;
}

size_t store_batch_bytes(const struct store_batch *b)
{
	return b->used;
}

static void item_get(const struct store_batch *b, const struct item_vec *v,
		     size_t i, struct store_item *out)
{
	ASSERT(i < v->n);
	const struct item_rec *r = &v->v[i];
	out->kind = r->kind;
	out->key = b->arena + r->key_off;
	out->key_len = r->key_len;
	out->val = r->val_len ? b->arena + r->val_off : NULL;
	out->val_len = r->val_len;
}

void store_batch_op(const struct store_batch *b, size_t i,
		    struct store_item *out)
{
	item_get(b, &b->ops, i, out);
}

void store_batch_cond_get(const struct store_batch *b, size_t i,
			  struct store_item *out)
{
	item_get(b, &b->conds, i, out);
}

const char *store_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case STORE_ECOND:
		return "precondition failed";
	case STORE_ENOTFOUND:
		return "not found";
	case STORE_EINDETERMINATE:
		return "outcome indeterminate";
	case STORE_EINVAL:
		return "invalid argument";
	case STORE_ETOOBIG:
		return "batch too big";
	case STORE_EIO:
		return "store I/O failure";
	case STORE_ECLOSED:
		return "store closed";
	default:
		return err < 0 && err > -4096 ? strerror(-err) : "unknown error";
	}
}
