/*
 * object_copy.c — DeleteObject and CopyObject.
 *
 * Delete removes the metadata and records the extents as garbage in one
 * batch guarded by "the record is still the one read".
 *
 * Copy copies chunks (streamed through one buffer) rather than sharing
 * them: with no chunk shared between objects, an extent becomes garbage
 * exactly when its one owner is replaced, and the collector needs no
 * reference counts.  The exception is a copy onto itself (rclone's mtime
 * update: REPLACE metadata), which rewrites the metadata around the same
 * extents, guarded by "the record is still the one read", so nothing is
 * copied and nothing becomes garbage.
 */
#include "gateway/object_meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

int obj_delete(struct obj *o, const char *bucket, const char *key,
	       size_t key_len)
{
	int rc = obj_check_names(bucket, key, key_len);
	if (rc != 0)
		return rc == OBJ_EBUCKETNAME ? OBJ_ENOBUCKET : rc;
	struct obj_key k;
	obj_key_object(&k, bucket, key, key_len);
	struct store_batch *b = NULL;
	rc = store_batch_new(&b);
	if (rc != 0)
		return rc;
	rc = OBJ_ECONFLICT;
	for (int t = 0; t < OBJ_COMMIT_TRIES; t++) {
		struct obj_rec old = {0};
		rc = obj_rec_get(o, &k, &old);
		if (rc == STORE_ENOTFOUND) { /* idempotent */
			rc = obj_bucket_require(o, bucket);
			break;
		}
		if (rc != 0)
			break;
		store_batch_clear(b);
		rc = obj_batch_require_bucket(b, bucket);
		if (rc == 0)
			rc = store_batch_cond(b, STORE_COND_EQUALS, k.buf, k.len,
					      old.raw, old.raw_len);
		if (rc == 0)
			rc = store_batch_del(b, k.buf, k.len);
		if (rc == 0)
			rc = obj_batch_garbage_meta(o, b, old.meta);
		size_t failed = 0;
		if (rc == 0)
			rc = store_submit(o->store, b, &failed);
		obj_rec_clear(&old);
		if (rc != STORE_ECOND) {
			rc = obj_err_from_store(rc);
			break;
		}
		rc = failed == 0 ? OBJ_ENOBUCKET : OBJ_ECONFLICT;
		if (failed == 0)
			break;
		obj_stat_add(o, &o->stats.commit_retries, 1);
	}
	store_batch_free(b);
	return rc;
}

/* The attributes of the copy: the source's, or replace's with the source's
 * ETag and checksum (the bytes are the source's). */
static struct obj_attrs copy_attrs(const struct obj_meta *src,
				   const struct obj_attrs *replace)
{
	if (replace == NULL)
		return src->attrs;
	struct obj_attrs a = *replace;
	a.etag = src->attrs.etag;
	a.checksum_algo = src->attrs.checksum_algo;
	a.checksum_value = src->attrs.checksum_value;
	a.checksum_type = src->attrs.checksum_type;
	return a;
}

/* Copy onto itself: new metadata, same extents, nothing copied. */
static int copy_in_place(struct obj *o, const char *bucket, const char *key,
			 size_t key_len, const struct obj_attrs *replace,
			 const struct obj_cond *cond, struct obj_meta **out)
{
	struct obj_key k;
	obj_key_object(&k, bucket, key, key_len);
	struct store_batch *b = NULL;
	int rc = store_batch_new(&b);
	if (rc != 0)
		return rc;
	rc = OBJ_ECONFLICT;
	for (int t = 0; t < OBJ_COMMIT_TRIES; t++) {
		struct obj_rec cur = {0};
		rc = obj_rec_get(o, &k, &cur);
		if (rc == STORE_ENOTFOUND) {
			rc = obj_bucket_require(o, bucket);
			rc = rc == 0 ? OBJ_ENOKEY : rc;
			break;
		}
		if (rc != 0)
			break;
		struct obj_meta m = *cur.meta;
		m.attrs = copy_attrs(cur.meta, replace);
		m.mtime_ns = (int64_t)obj_now_ns(o);
		void *enc = NULL;
		size_t enc_len = 0;
		rc = obj_cond_check(cond, &cur);
		if (rc == 0 && obj_attrs_user_bytes(&m.attrs) >
				       OBJ_USER_META_BYTES_MAX)
			rc = OBJ_EMETATOOLARGE;
		if (rc == 0)
			rc = obj_meta_encode(&m, &enc, &enc_len);
		store_batch_clear(b);
		if (rc == 0)
			rc = obj_batch_require_bucket(b, bucket);
		if (rc == 0)
			rc = store_batch_cond(b, STORE_COND_EQUALS, k.buf, k.len,
					      cur.raw, cur.raw_len);
		if (rc == 0)
			rc = store_batch_put(b, k.buf, k.len, enc, enc_len);
		size_t failed = 0;
		if (rc == 0)
			rc = store_submit(o->store, b, &failed);
		if (rc == 0 && out != NULL)
			rc = obj_meta_decode(enc, enc_len, out);
		free(enc);
		obj_rec_clear(&cur);
		if (rc != STORE_ECOND) {
			rc = obj_err_from_store(rc);
			break;
		}
		rc = failed == 0 ? OBJ_ENOBUCKET : OBJ_ECONFLICT;
		if (failed == 0)
			break;
	}
	store_batch_free(b);
	return rc;
}

/* Streams the source's bytes into w through one accounted buffer. */
static int copy_stream(struct obj *o, struct obj_reader *r,
		       struct obj_writer *w)
{
	size_t cap = o->opts.chunk_bytes;
	uint8_t *buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	obj_buffer_account(o, (int64_t)cap);
	int rc = 0;
	for (;;) { /* bounded: each round reads >= 1 byte or ends */
		size_t got = 0;
		rc = obj_reader_read(r, buf, cap, &got);
		if (rc != 0 || got == 0)
			break;
		rc = obj_writer_write(w, buf, got);
		if (rc != 0)
			break;
	}
	obj_buffer_account(o, -(int64_t)cap);
	free(buf);
	return rc;
}

int obj_copy(struct obj *o, const char *src_bucket, const char *src_key,
	     size_t src_key_len, const char *dst_bucket, const char *dst_key,
	     size_t dst_key_len, const struct obj_attrs *replace,
	     const struct obj_cond *cond, struct obj_meta **out)
{
	int rc = obj_check_names(dst_bucket, dst_key, dst_key_len);
	if (rc != 0)
		return rc;
	bool same = strcmp(src_bucket, dst_bucket) == 0 &&
		    src_key_len == dst_key_len &&
		    memcmp(src_key, dst_key, src_key_len) == 0;
	if (same) {
		if (replace == NULL)
			return OBJ_EARGUMENT; /* S3: InvalidRequest */
		if (obj_check_names(src_bucket, src_key, src_key_len) != 0)
			return OBJ_ENOBUCKET;
		return copy_in_place(o, dst_bucket, dst_key, dst_key_len,
				     replace, cond, out);
	}
	struct obj_reader *r = NULL;
	rc = obj_reader_new(o, src_bucket, src_key, src_key_len, NULL, &r);
	if (rc != 0)
		return rc;
	struct obj_writer *w = NULL;
	rc = obj_writer_new(o, dst_bucket, dst_key, dst_key_len, &w);
	if (rc == 0)
		rc = copy_stream(o, r, w);
	if (rc == 0) {
		struct obj_attrs a = copy_attrs(obj_reader_meta(r), replace);
		rc = obj_put_finish(w, &a, cond, out);
	}
	obj_writer_free(w);
	obj_reader_free(r);
	return rc;
}
