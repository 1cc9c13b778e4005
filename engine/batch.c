/*
 * batch.c — kv_batch: puts and deletes encoded straight into the record
 * payload they will be written as (format in batch.h), so kv_write copies
 * nothing; large values may stay in the caller's memory (refs) and are
 * checksummed once.
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
	b->ents_crc = 0;
	b->ref_bytes = 0;
	b->nrefs = 0;
}

/* Room for in_buf more bytes in buf, for an entry of ent payload bytes. */
static int batch_reserve(struct kv_batch *b, uint64_t in_buf, uint64_t ent)
{
	if (b->len - KV_RLOG_HDR + b->ref_bytes + ent > KV_BATCH_BYTES_MAX)
		return KV_ETOOBIG;
	if (b->len + in_buf <= b->cap)
		return 0;
	size_t cap = b->cap;
	while (cap < b->len + in_buf)
		cap *= 2;
	unsigned char *p = realloc(b->buf, cap);
	if (p == NULL)
		return -ENOMEM;
	b->buf = p;
	b->cap = cap;
	return 0;
}

uint32_t kv_ent_encode(unsigned char *p, int op, const void *key, uint16_t klen,
		       const void *val, uint32_t vlen, bool val_inline,
		       uint32_t *ents_crc)
{
	size_t n = (size_t)klen + vlen;
	p[0] = (unsigned char)op;
	p[1] = 0;
	kv_put_u16(p + 2, klen);
	kv_put_u32(p + 4, vlen);
	memcpy(p + KV_ENT_HDR, key, klen);
	if (val_inline && vlen > 0)
		memcpy(p + KV_ENT_HDR + klen, val, vlen);
	uint32_t crc;
	if (val_inline && vlen < KV_BATCH_REF_MIN) {
		/* Small: the bytes are in cache, two short passes are cheaper
		 * than combining CRCs. */
		crc = kv_crc32c_extend(kv_crc32c(p, 8), p + KV_ENT_HDR, n);
		kv_put_u32(p + 8, crc);
		*ents_crc = kv_crc32c_extend(*ents_crc, p, KV_ENT_HDR + n);
		return crc;
	}
	/* Large: one pass over key||value, and both CRCs that cover it are
	 * derived by combination (crc32c.h). */
	uint32_t kv = kv_crc32c_extend(kv_crc32c(key, klen), val, vlen);
	crc = kv_crc32c_combine(kv_crc32c(p, 8), kv, n);
	kv_put_u32(p + 8, crc);
	*ents_crc = kv_crc32c_combine(kv_crc32c_extend(*ents_crc, p, KV_ENT_HDR),
				      kv, n);
	return crc;
}

static int batch_add(struct kv_batch *b, int op, const void *key,
		     size_t key_len, const void *val, size_t val_len, bool ref)
{
	if (key == NULL || key_len == 0 || key_len > KV_KEY_MAX ||
	    val_len > KV_VALUE_MAX || (val == NULL && val_len > 0))
		return KV_EINVAL;
	/* A referenced value stays in the caller's memory (kv.h). */
	bool by_ref = ref && val_len > 0 && b->nrefs < KV_BATCH_REFS_MAX;
	uint64_t sz = kv_ent_size((uint32_t)key_len, (uint32_t)val_len);
	uint64_t in_buf = by_ref ? KV_ENT_HDR + key_len : sz;
	int rc = batch_reserve(b, in_buf, sz);
	if (rc != 0)
		return rc;
	kv_ent_encode(b->buf + b->len, op, key, (uint16_t)key_len, val,
		      (uint32_t)val_len, !by_ref, &b->ents_crc);
	if (by_ref) {
		b->refs[b->nrefs++] = (struct kv_batch_ref){
			.at = b->len + in_buf,
			.val = val,
			.len = (uint32_t)val_len,
		};
		b->ref_bytes += val_len;
	}
	b->len += in_buf;
	b->count++;
	return 0;
}

int kv_batch_put(struct kv_batch *b, const void *key, size_t key_len,
		 const void *val, size_t val_len)
{
	return batch_add(b, KV_ENT_PUT, key, key_len, val, val_len, false);
}

int kv_batch_put_ref(struct kv_batch *b, const void *key, size_t key_len,
		     const void *val, size_t val_len)
{
	return batch_add(b, KV_ENT_PUT, key, key_len, val, val_len, true);
}

int kv_batch_del(struct kv_batch *b, const void *key, size_t key_len)
{
	return batch_add(b, KV_ENT_DEL, key, key_len, NULL, 0, false);
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
	ASSERT(b->nrefs == 0);
	return b->buf + KV_RLOG_HDR;
}

uint32_t kv_batch_seal(const struct kv_batch *b)
{
	unsigned char *h = b->buf + KV_RLOG_HDR;
	kv_put_u32(h, b->count);
	kv_put_u32(h + 4, b->has_applied ? KV_BATCH_F_APPLIED : 0);
	kv_put_u64(h + 8, b->has_applied ? b->applied : 0);
	uint64_t len = b->len - KV_RLOG_HDR + b->ref_bytes;
	ASSERT(len <= KV_BATCH_BYTES_MAX);
	return (uint32_t)len;
}

uint32_t kv_batch_crc(const struct kv_batch *b)
{
	uint64_t ents = b->len - BATCH_START + b->ref_bytes;
	return kv_crc32c_combine(kv_crc32c(b->buf + KV_RLOG_HDR, KV_BATCH_HDR),
				 b->ents_crc, ents);
}

int kv_batch_iov(const struct kv_batch *b, struct iovec *iov)
{
	int n = 0;
	size_t from = 0;
	for (uint32_t i = 0; i < b->nrefs; i++) {
		const struct kv_batch_ref *r = &b->refs[i];
		/* Every ref follows an entry header and key in buf. */
		ASSERT(r->at > from && r->at <= b->len);
		iov[n++] = (struct iovec){b->buf + from, r->at - from};
		iov[n++] = (struct iovec){(void *)r->val, r->len};
		from = r->at;
	}
	if (from < b->len)
		iov[n++] = (struct iovec){b->buf + from, b->len - from};
	ASSERT(n >= 1 && n <= (int)KV_BATCH_IOV_MAX);
	ASSERT(iov[0].iov_len >= KV_RLOG_HDR);
	return n;
}

int kv_batch_walk(const struct kv_batch *b,
		  int (*fn)(void *arg, const struct kv_ent *e), void *arg)
{
	size_t at = BATCH_START;
	uint64_t skew = 0; /* referenced bytes before at */
	uint32_t r = 0;
	for (uint32_t i = 0; i < b->count; i++) {
		ASSERT(at + KV_ENT_HDR <= b->len);
		const unsigned char *p = b->buf + at;
		struct kv_ent e = {
			.op = p[0],
			.klen = kv_get_u16(p + 2),
			.vlen = kv_get_u32(p + 4),
			.pos = (uint32_t)(at - KV_RLOG_HDR + skew),
			.key = p + KV_ENT_HDR,
		};
		size_t vat = at + KV_ENT_HDR + e.klen;
		if (r < b->nrefs && b->refs[r].at == vat) {
			ASSERT(b->refs[r].len == e.vlen);
			e.val = b->refs[r++].val;
			skew += e.vlen;
			at = vat;
		} else {
			e.val = b->buf + vat;
			at = vat + e.vlen;
		}
		ASSERT(at <= b->len);
		int rc = fn(arg, &e);
		if (rc != 0)
			return rc;
	}
	ASSERT(at == b->len && r == b->nrefs && skew == b->ref_bytes);
	return 0;
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
