/*
 * batch.c — kv_batch: puts and deletes encoded straight into the record
 * payload they will be written as (format in batch.h), so kv_write copies
 * nothing.
 */
#include "engine/batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/crc32c.h"
#include "engine/record.h"
#include "engine/record_log.h"

#define BATCH_START (KV_RLOG_HDR + KV_BATCH_HDR)

int kv_batch_new(struct kv_batch **out)
{
	struct kv_batch *b = calloc(1, sizeof *b);
	if (b == NULL)
		return -ENOMEM;
	b->cap = 256;
	b->buf = calloc(1, b->cap);
	if (b->buf == NULL) {
		free(b);
		return -ENOMEM;
	}
	b->len = BATCH_START;
	*out = b;
	return 0;
}

void kv_batch_free(struct kv_batch *b)
{
	if (b == NULL)
		return;
	free(b->buf);
	free(b);
}

void kv_batch_clear(struct kv_batch *b)
{
	b->len = BATCH_START;
	b->count = 0;
	b->has_applied = false;
	b->applied = 0;
}

static int batch_reserve(struct kv_batch *b, uint64_t more)
{
	if (b->len - KV_RLOG_HDR + more > KV_BATCH_BYTES_MAX)
		return KV_ETOOBIG;
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap;
	while (cap < b->len + more)
		cap *= 2;
	unsigned char *p = realloc(b->buf, cap);
	if (p == NULL)
		return -ENOMEM;
	b->buf = p;
	b->cap = cap;
	return 0;
}

void kv_ent_encode(unsigned char *p, int op, const void *key, uint16_t klen,
		   const void *val, uint32_t vlen)
{
	p[0] = (unsigned char)op;
	p[1] = 0;
	kv_put_u16(p + 2, klen);
	kv_put_u32(p + 4, vlen);
	memcpy(p + KV_ENT_HDR, key, klen);
	if (vlen > 0)
		memcpy(p + KV_ENT_HDR + klen, val, vlen);
	uint32_t crc = kv_crc32c(p, 8);
	crc = kv_crc32c_extend(crc, p + KV_ENT_HDR, (size_t)klen + vlen);
	kv_put_u32(p + 8, crc);
}

static int batch_add(struct kv_batch *b, int op, const void *key,
		     size_t key_len, const void *val, size_t val_len)
{
	if (key == NULL || key_len == 0 || key_len > KV_KEY_MAX ||
	    val_len > KV_VALUE_MAX || (val == NULL && val_len > 0))
		return KV_EINVAL;
	uint64_t sz = kv_ent_size((uint32_t)key_len, (uint32_t)val_len);
	int rc = batch_reserve(b, sz);
	if (rc != 0)
		return rc;
	kv_ent_encode(b->buf + b->len, op, key, (uint16_t)key_len, val,
		      (uint32_t)val_len);
	b->len += sz;
	b->count++;
	return 0;
}

int kv_batch_put(struct kv_batch *b, const void *key, size_t key_len,
		 const void *val, size_t val_len)
{
	return batch_add(b, KV_ENT_PUT, key, key_len, val, val_len);
}

int kv_batch_del(struct kv_batch *b, const void *key, size_t key_len)
{
	return batch_add(b, KV_ENT_DEL, key, key_len, NULL, 0);
}

void kv_batch_set_applied_index(struct kv_batch *b, uint64_t index)
{
	b->has_applied = true;
	b->applied = index;
}

size_t kv_batch_count(const struct kv_batch *b)
{
	return b->count;
}

unsigned char *kv_batch_payload(const struct kv_batch *b)
{
	return b->buf + KV_RLOG_HDR;
}

uint32_t kv_batch_seal(const struct kv_batch *b)
{
	unsigned char *h = kv_batch_payload(b);
	kv_put_u32(h, b->count);
	kv_put_u32(h + 4, b->has_applied ? KV_BATCH_F_APPLIED : 0);
	kv_put_u64(h + 8, b->has_applied ? b->applied : 0);
	return (uint32_t)(b->len - KV_RLOG_HDR);
}

bool kv_ent_verify(const unsigned char *p, size_t len, const void *key,
		   size_t klen, uint32_t vlen)
{
	if (len != kv_ent_size((uint32_t)klen, vlen) || p[0] != KV_ENT_PUT ||
	    kv_get_u16(p + 2) != klen || kv_get_u32(p + 4) != vlen ||
	    memcmp(p + KV_ENT_HDR, key, klen) != 0)
		return false;
	uint32_t crc = kv_crc32c(p, 8);
	crc = kv_crc32c_extend(crc, p + KV_ENT_HDR, klen + (size_t)vlen);
	return crc == kv_get_u32(p + 8);
}

int kv_batch_decode(const unsigned char *payload, uint32_t len,
		    int (*fn)(void *arg, const struct kv_ent *e), void *arg,
		    uint64_t *applied, bool *has_applied)
{
	if (len < KV_BATCH_HDR)
		return KV_ECORRUPT;
	uint32_t count = kv_get_u32(payload);
	uint32_t flags = kv_get_u32(payload + 4);
	if (flags & ~KV_BATCH_F_APPLIED)
		return KV_ECORRUPT;
	*has_applied = flags & KV_BATCH_F_APPLIED;
	*applied = kv_get_u64(payload + 8);
	uint64_t pos = KV_BATCH_HDR;
	/* Bounded by count, and each entry consumes >= KV_ENT_HDR bytes. */
	for (uint32_t i = 0; i < count; i++) {
		if (pos + KV_ENT_HDR > len)
			return KV_ECORRUPT;
		const unsigned char *p = payload + pos;
		struct kv_ent e = {
			.op = p[0],
			.klen = kv_get_u16(p + 2),
			.vlen = kv_get_u32(p + 4),
			.pos = (uint32_t)pos,
		};
		uint64_t sz = kv_ent_size(e.klen, e.vlen);
		if ((e.op != KV_ENT_PUT && e.op != KV_ENT_DEL) || e.klen == 0 ||
		    e.klen > KV_KEY_MAX || pos + sz > len ||
		    (e.op == KV_ENT_DEL && e.vlen != 0))
			return KV_ECORRUPT;
		e.key = p + KV_ENT_HDR;
		e.val = e.key + e.klen;
		int rc = fn ? fn(arg, &e) : 0;
		if (rc != 0)
			return rc;
		pos += sz;
	}
	return pos == len ? 0 : KV_ECORRUPT;
}
