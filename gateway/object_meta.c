/*
 * object_meta.c — the versioned binary encoding of object, upload and part
 * records (struct obj_meta).
 *
 * Layout, version 1 (integers big-endian):
 *   u8  version (1)
 *   u64 size; i64 mtime_ns; u32 chunk_bytes; u32 part_count
 *   9 strings, each u16 length (0xffff = absent) then bytes: etag,
 *     content-type, -encoding, -disposition, -language, cache-control,
 *     expires, checksum algorithm, checksum value
 *     (version 2: 11 strings, adding the tag set and the checksum type;
 *     a record with neither is still written as version 1, so records
 *     written before version 2 existed and after stay byte-identical)
 *   u16 user pair count, then per pair two strings (never absent)
 *   u32 extent count, then per extent 16-byte data id and u64 size
 * Decoding trusts nothing: every length is bounds-checked, strings may not
 * contain NUL, extents must add up to size and their count is bounded, and
 * no byte may follow the last extent.  A record that fails is OBJ_ECORRUPT.
 */
#include "gateway/object_meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "gateway/object_keys.h"

#define META_VERSION_1 1 /* 9 attribute strings */
#define META_VERSION_2 2 /* 11: + tagging, checksum type */
#define ATTR_STRS_MAX 11
#define STR_ABSENT 0xffffu
#define STR_MAX 0xfffeu
#define USER_PAIRS_MAX 1024
#define EXTENTS_MAX OBJ_PART_NUMBER_MAX

/* ---- Encoding ---- */

struct wr {
	uint8_t *p;
	size_t len, cap;
};

static void wr_bytes(struct wr *w, const void *p, size_t n)
{
	ASSERT(w->len + n <= w->cap);
	if (n > 0)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void wr_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	wr_bytes(w, b, 2);
}

static void wr_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4];
	obj_be32_put(b, v);
	wr_bytes(w, b, 4);
}

static void wr_u64(struct wr *w, uint64_t v)
{
	uint8_t b[8];
	obj_be64_put(b, v);
	wr_bytes(w, b, 8);
}

static void wr_str(struct wr *w, const char *s)
{
	if (s == NULL) {
		wr_u16(w, STR_ABSENT);
		return;
	}
	size_t n = strlen(s);
	wr_u16(w, (uint16_t)n);
	wr_bytes(w, s, n);
}

static const char **attr_strs(struct obj_attrs *a, const char **v[ATTR_STRS_MAX])
{
	v[0] = &a->etag;
	v[1] = &a->content_type;
	v[2] = &a->content_encoding;
	v[3] = &a->content_disposition;
	v[4] = &a->content_language;
	v[5] = &a->cache_control;
	v[6] = &a->expires;
	v[7] = &a->checksum_algo;
	v[8] = &a->checksum_value;
	v[9] = &a->tagging;
	v[10] = &a->checksum_type;
	return v[0];
}

size_t obj_attrs_user_bytes(const struct obj_attrs *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->user_count; i++)
		n += strlen(a->user[i].name) + strlen(a->user[i].value);
	return n;
}

int obj_meta_encode(const struct obj_meta *m, void **out, size_t *out_len)
{
	struct obj_attrs a = m->attrs;
	const char **s[ATTR_STRS_MAX];
	attr_strs(&a, s);
	bool v2 = a.tagging != NULL || a.checksum_type != NULL;
	int nstr = v2 ? 11 : 9;
	size_t cap = 1 + 8 + 8 + 4 + 4 + 2 + 4;
	for (int i = 0; i < nstr; i++) {
		if (*s[i] != NULL && strlen(*s[i]) > STR_MAX)
			return OBJ_EMETATOOLARGE;
		cap += 2 + (*s[i] ? strlen(*s[i]) : 0);
	}
	if (a.user_count > USER_PAIRS_MAX || m->extent_count > EXTENTS_MAX)
		return OBJ_EMETATOOLARGE;
	for (size_t i = 0; i < a.user_count; i++) {
		size_t nl = strlen(a.user[i].name), vl = strlen(a.user[i].value);
		if (nl > STR_MAX || vl > STR_MAX)
			return OBJ_EMETATOOLARGE;
		cap += 4 + nl + vl;
	}
	cap += (size_t)m->extent_count * (OBJ_DATA_ID_BYTES + 8);
	struct wr w = {.p = malloc(cap), .cap = cap};
	if (w.p == NULL)
		return -ENOMEM;
	uint8_t ver = v2 ? META_VERSION_2 : META_VERSION_1;
	wr_bytes(&w, &ver, 1);
	wr_u64(&w, m->size);
	wr_u64(&w, (uint64_t)m->mtime_ns);
	wr_u32(&w, m->chunk_bytes);
	wr_u32(&w, m->part_count);
	for (int i = 0; i < nstr; i++)
		wr_str(&w, *s[i]);
	wr_u16(&w, (uint16_t)a.user_count);
	for (size_t i = 0; i < a.user_count; i++) {
		wr_str(&w, a.user[i].name);
		wr_str(&w, a.user[i].value);
	}
	wr_u32(&w, m->extent_count);
	for (uint32_t i = 0; i < m->extent_count; i++) {
		wr_bytes(&w, m->extents[i].id, OBJ_DATA_ID_BYTES);
		wr_u64(&w, m->extents[i].size);
	}
	ASSERT(w.len == cap);
	*out = w.p;
	*out_len = w.len;
	return 0;
}

/* ---- Decoding: pass 1 validates and counts, pass 2 fills ---- */

struct rd {
	const uint8_t *p;
	size_t left;
	bool ok;
	char *arena; /* pass 2: where strings are copied */
};

static const uint8_t *rd_take(struct rd *r, size_t n)
{
	if (!r->ok || r->left < n) {
		r->ok = false;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static uint64_t rd_uint(struct rd *r, size_t n)
{
	const uint8_t *p = rd_take(r, n);
	uint64_t v = 0;
	for (size_t i = 0; p != NULL && i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static const char *rd_str(struct rd *r, bool allow_absent)
{
	uint64_t n = rd_uint(r, 2);
	if (!r->ok)
		return NULL;
	if (n == STR_ABSENT) {
		if (!allow_absent)
			r->ok = false;
		return NULL;
	}
	const uint8_t *p = rd_take(r, n);
	if (p == NULL)
		return NULL;
	if (memchr(p, 0, n) != NULL) {
		r->ok = false;
		return NULL;
	}
	if (r->arena == NULL)
		return "";
	char *s = r->arena;
	memcpy(s, p, n);
	s[n] = '\0';
	r->arena += n + 1;
	return s;
}

/* Fills m (pass 2) or only validates (m's arrays NULL, pass 1). */
static bool meta_parse(struct rd *r, struct obj_meta *m,
		       struct obj_pair *pairs, struct obj_extent *ext)
{
	uint64_t ver = rd_uint(r, 1);
	if (ver != META_VERSION_1 && ver != META_VERSION_2)
		return false;
	int nstr = ver == META_VERSION_2 ? 11 : 9;
	m->size = rd_uint(r, 8);
	m->mtime_ns = (int64_t)rd_uint(r, 8);
	m->chunk_bytes = (uint32_t)rd_uint(r, 4);
	m->part_count = (uint32_t)rd_uint(r, 4);
	const char **s[ATTR_STRS_MAX];
	attr_strs(&m->attrs, s);
	for (int i = 0; i < nstr; i++)
		*s[i] = rd_str(r, true);
	m->attrs.user_count = rd_uint(r, 2);
	if (m->attrs.user_count > USER_PAIRS_MAX)
		return false;
	for (size_t i = 0; r->ok && i < m->attrs.user_count; i++) {
		const char *n = rd_str(r, false), *v = rd_str(r, false);
		if (pairs != NULL) {
			pairs[i].name = n;
			pairs[i].value = v;
		}
	}
	m->extent_count = (uint32_t)rd_uint(r, 4);
	if (!r->ok || m->extent_count > EXTENTS_MAX ||
	    m->part_count > OBJ_PART_NUMBER_MAX || m->chunk_bytes == 0)
		return false;
	uint64_t total = 0;
	for (uint32_t i = 0; r->ok && i < m->extent_count; i++) {
		const uint8_t *id = rd_take(r, OBJ_DATA_ID_BYTES);
		uint64_t sz = rd_uint(r, 8);
		if (!r->ok || sz > OBJ_OBJECT_BYTES_MAX)
			return false;
		total += sz;
		if (ext != NULL) {
			memcpy(ext[i].id, id, OBJ_DATA_ID_BYTES);
			ext[i].size = sz;
		}
	}
	return r->ok && r->left == 0 && total == m->size;
}

int obj_meta_decode(const void *buf, size_t len, struct obj_meta **out)
{
	struct obj_meta tmp = {0};
	struct rd r = {.p = buf, .left = len, .ok = true};
	if (!meta_parse(&r, &tmp, NULL, NULL))
		return OBJ_ECORRUPT;
	/* Strings need at most len bytes plus one NUL each. */
	size_t nstr = ATTR_STRS_MAX + 2 * tmp.attrs.user_count;
	size_t sz = sizeof(struct obj_meta) +
		    tmp.extent_count * sizeof(struct obj_extent) +
		    tmp.attrs.user_count * sizeof(struct obj_pair) + len + nstr;
	struct obj_meta *m = calloc(1, sz);
	if (m == NULL)
		return -ENOMEM;
	struct obj_extent *ext = (struct obj_extent *)(m + 1);
	struct obj_pair *pairs = (struct obj_pair *)(ext + tmp.extent_count);
	r = (struct rd){.p = buf, .left = len, .ok = true,
			.arena = (char *)(pairs + tmp.attrs.user_count)};
	bool ok = meta_parse(&r, m, pairs, ext);
	ASSERT(ok); /* pass 1 accepted the same bytes */
	ASSERT(r.arena <= (char *)m + sz);
	m->extents = ext;
	m->attrs.user = pairs;
	*out = m;
	return 0;
}

void obj_meta_free(struct obj_meta *m)
{
	free(m);
}
