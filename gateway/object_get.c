/*
 * object_get.c — HeadObject and streaming GetObject with byte ranges.
 *
 * A reader decodes the metadata once, resolves the range (RFC 9110 §14.1.2:
 * a-b, a-, -n), then reads chunk by chunk straight into the caller's
 * buffer through a pinned store value (one chunk open at a time), so memory
 * is the caller's buffer whatever the object's size.
 *
 * What a slow reader can see: the metadata it decoded stays its view of
 * the object.  If the object is overwritten or deleted meanwhile, the old
 * chunks are recorded as garbage and deleted by the collector only after
 * its grace period; a chunk already opened stays readable (it is pinned).
 * A reader that takes longer than the grace period to reach a chunk finds
 * it gone and gets OBJ_ECORRUPT mid-stream: the handler then aborts the
 * connection, so the client sees a short body (never wrong bytes) and
 * retries.  The grace period is therefore the longest GET we promise.
 */
#include "gateway/object_meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

struct obj_reader {
	struct obj *o;
	struct obj_meta *meta;
	uint64_t first, len; /* resolved range */
	uint64_t pos;        /* bytes of the range delivered */
	/* The open chunk. */
	struct store_value *val;
	uint32_t val_extent, val_chunk;
};

int obj_head(struct obj *o, const char *bucket, const char *key,
	     size_t key_len, struct obj_meta **out)
{
	int rc = obj_check_names(bucket, key, key_len);
	if (rc == OBJ_EBUCKETNAME)
		return OBJ_ENOBUCKET;
	if (rc != 0)
		return rc;
	struct obj_key k;
	obj_key_object(&k, bucket, key, key_len);
	struct obj_rec r = {0};
	rc = obj_rec_get(o, &k, &r);
	if (rc == STORE_ENOTFOUND) {
		rc = obj_bucket_require(o, bucket);
		return rc == 0 ? OBJ_ENOKEY : rc;
	}
	if (rc != 0)
		return rc;
	*out = r.meta;
	r.meta = NULL;
	obj_rec_clear(&r);
	return 0;
}

/* Resolves a range against size; OBJ_ERANGE when unsatisfiable. */
static int range_resolve(const struct obj_range *r, uint64_t size,
			 uint64_t *first, uint64_t *len)
{
	if (r == NULL || r->kind == OBJ_RANGE_NONE) {
		*first = 0;
		*len = size;
		return 0;
	}
	switch (r->kind) {
	case OBJ_RANGE_FROM_TO:
		if (r->a > r->b || r->a >= size)
			return OBJ_ERANGE;
		*first = r->a;
		*len = (r->b >= size ? size - 1 : r->b) - r->a + 1;
		return 0;
	case OBJ_RANGE_FROM:
		if (r->a >= size)
			return OBJ_ERANGE;
		*first = r->a;
		*len = size - r->a;
		return 0;
	case OBJ_RANGE_SUFFIX:
		if (r->a == 0 || size == 0)
			return OBJ_ERANGE;
		*len = r->a > size ? size : r->a;
		*first = size - *len;
		return 0;
	default:
		return OBJ_EARGUMENT;
	}
}

int obj_reader_new(struct obj *o, const char *bucket, const char *key,
		   size_t key_len, const struct obj_range *range,
		   struct obj_reader **out)
{
	struct obj_meta *m = NULL;
	int rc = obj_head(o, bucket, key, key_len, &m);
	if (rc != 0)
		return rc;
	uint64_t first = 0, len = 0;
	rc = range_resolve(range, m->size, &first, &len);
	struct obj_reader *r = NULL;
	if (rc == 0 && (r = calloc(1, sizeof *r)) == NULL)
		rc = -ENOMEM;
	if (rc != 0) {
		obj_meta_free(m);
		return rc;
	}
	r->o = o;
	r->meta = m;
	r->first = first;
	r->len = len;
	*out = r;
	return 0;
}

const struct obj_meta *obj_reader_meta(const struct obj_reader *r)
{
	return r->meta;
}

void obj_reader_span(const struct obj_reader *r, uint64_t *first,
		     uint64_t *len)
{
	*first = r->first;
	*len = r->len;
}

/* Opens chunk (ext, idx) unless it is the open one. */
static int reader_open_chunk(struct obj_reader *r, uint32_t ext, uint32_t idx)
{
	if (r->val != NULL && r->val_extent == ext && r->val_chunk == idx)
		return 0;
	store_value_close(r->val);
	r->val = NULL;
	struct obj_key k;
	obj_key_chunk(&k, r->meta->extents[ext].id, idx);
	int rc = store_value_open(r->o->store, k.buf, k.len, &r->val);
	if (rc == STORE_ENOTFOUND)
		return OBJ_ECORRUPT; /* collected under a too-slow reader */
	if (rc != 0)
		return obj_err_from_store(rc);
	r->val_extent = ext;
	r->val_chunk = idx;
	return 0;
}

int obj_reader_read(struct obj_reader *r, void *buf, size_t cap, size_t *got)
{
	const struct obj_meta *m = r->meta;
	uint64_t want = r->len - r->pos;
	if (want > cap)
		want = cap;
	if (want == 0) {
		*got = 0;
		return 0;
	}
	/* Find the extent holding offset (linear: at most 10000 parts). */
	uint64_t off = r->first + r->pos, base = 0;
	uint32_t e = 0;
	while (e < m->extent_count && off >= base + m->extents[e].size)
		base += m->extents[e++].size;
	ASSERT(e < m->extent_count);
	uint64_t in_ext = off - base;
	uint32_t idx = (uint32_t)(in_ext / m->chunk_bytes);
	uint64_t in_chunk = in_ext % m->chunk_bytes;
	uint64_t chunk_len = m->extents[e].size - (uint64_t)idx * m->chunk_bytes;
	if (chunk_len > m->chunk_bytes)
		chunk_len = m->chunk_bytes;
	if (want > chunk_len - in_chunk)
		want = chunk_len - in_chunk;
	int rc = reader_open_chunk(r, e, idx);
	if (rc != 0)
		return rc;
	if (store_value_len(r->val) != chunk_len)
		return OBJ_ECORRUPT;
	rc = store_value_read(r->val, in_chunk, buf, (size_t)want);
	if (rc != 0)
		return obj_err_from_store(rc);
	r->pos += want;
	*got = (size_t)want;
	return 0;
}

void obj_reader_free(struct obj_reader *r)
{
	if (r == NULL)
		return;
	store_value_close(r->val);
	obj_meta_free(r->meta);
	free(r);
}
