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
	case STORE_EUNAVAILABLE:
		return "no leader or quorum (retry)";
	default:
		return err < 0 && err > -4096 ? strerror(-err) : "unknown error";
	}
}

/* ---- Encoding for a replicated log ---- */

#define BATCH_CODEC_VERSION 1
#define BATCH_FLAG_LAZY 1u

static bool item_has_value(bool is_cond, int kind)
{
	return is_cond ? kind == STORE_COND_EQUALS : kind == STORE_OP_PUT;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *encode_items(const struct store_batch *b,
			     const struct item_vec *v, bool is_cond,
			     uint8_t *p)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct item_rec *r = &v->v[i];
		*p++ = (uint8_t)r->kind;
		p = put_u32(p, (uint32_t)r->key_len);
		memcpy(p, b->arena + r->key_off, r->key_len);
		p += r->key_len;
		if (item_has_value(is_cond, r->kind)) {
			p = put_u32(p, (uint32_t)r->val_len);
			if (r->val_len > 0)
				memcpy(p, b->arena + r->val_off, r->val_len);
			p += r->val_len;
		}
	}
	return p;
}

int store_batch_encode(const struct store_batch *b, void **out,
		       size_t *out_len)
{
	size_t len = 1 + 1 + 4 + 4 + b->used;
	len += (b->ops.n + b->conds.n) * (1 + 4 + 4);
	uint8_t *buf = malloc(len);
	if (buf == NULL)
		return -ENOMEM;
	uint8_t *p = buf;
	*p++ = BATCH_CODEC_VERSION;
	*p++ = b->lazy ? BATCH_FLAG_LAZY : 0;
	p = put_u32(p, (uint32_t)b->conds.n);
	p = put_u32(p, (uint32_t)b->ops.n);
	p = encode_items(b, &b->conds, true, p);
	p = encode_items(b, &b->ops, false, p);
	ASSERT((size_t)(p - buf) <= len);
	*out = buf;
	*out_len = (size_t)(p - buf);
	return 0;
}

struct dec {
	const uint8_t *p;
	size_t left;
};

static bool dec_take(struct dec *d, size_t n, const uint8_t **out)
{
	if (d->left < n)
		return false;
	*out = d->p;
	d->p += n;
	d->left -= n;
	return true;
}

static bool dec_u32(struct dec *d, uint32_t *v)
{
	const uint8_t *p;
	if (!dec_take(d, 4, &p))
		return false;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	     (uint32_t)p[2] << 8 | p[3];
	return true;
}

/* Decodes one item into b; STORE_EINVAL when malformed. */
static int decode_item(struct dec *d, struct store_batch *b, bool is_cond)
{
	const uint8_t *kp, *key, *val = NULL;
	uint32_t klen, vlen = 0;
	if (!dec_take(d, 1, &kp) || !dec_u32(d, &klen) ||
	    klen > STORE_KEY_MAX || !dec_take(d, klen, &key))
		return STORE_EINVAL;
	int kind = *kp;
	if (is_cond ? kind > STORE_COND_PREFIX_EMPTY : kind > STORE_OP_DEL)
		return STORE_EINVAL;
	if (item_has_value(is_cond, kind) &&
	    (!dec_u32(d, &vlen) || vlen > STORE_VALUE_MAX ||
	     !dec_take(d, vlen, &val)))
		return STORE_EINVAL;
	if (is_cond)
		return store_batch_cond(b, (enum store_cond_kind)kind, key, klen,
					val, vlen);
	return kind == STORE_OP_PUT ? store_batch_put(b, key, klen, val, vlen)
				    : store_batch_del(b, key, klen);
}

int store_batch_decode(const void *buf, size_t len, struct store_batch **out)
{
	struct dec d = {.p = buf, .left = len};
	const uint8_t *hdr;
	uint32_t nconds, nops;
	if (!dec_take(&d, 2, &hdr) || hdr[0] != BATCH_CODEC_VERSION ||
	    (hdr[1] & ~BATCH_FLAG_LAZY) != 0 || !dec_u32(&d, &nconds) ||
	    !dec_u32(&d, &nops))
		return STORE_EINVAL;
	/* Each item takes at least 6 bytes: bounds the loops by len. */
	if ((uint64_t)nconds + nops > len / 6)
		return STORE_EINVAL;
	struct store_batch *b = NULL;
	int rc = store_batch_new(&b);
	if (rc != 0)
		return rc;
	store_batch_set_lazy(b, hdr[1] & BATCH_FLAG_LAZY);
	for (uint32_t i = 0; rc == 0 && i < nconds; i++)
		rc = decode_item(&d, b, true);
	for (uint32_t i = 0; rc == 0 && i < nops; i++)
		rc = decode_item(&d, b, false);
	if (rc == 0 && d.left != 0)
		rc = STORE_EINVAL;
	if (rc != 0) {
		store_batch_free(b);
		return rc == -ENOMEM ? rc : STORE_EINVAL;
	}
	*out = b;
	return 0;
}
