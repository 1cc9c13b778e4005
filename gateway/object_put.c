/*
 * object_put.c — streaming writers for PutObject and UploadPart.
 *
 * A writer owns one chunk buffer (obj_options.chunk_bytes): memory per
 * request is that buffer whatever the body's size.  Each full chunk is
 * submitted as its own lazy batch under a fresh data id; the body is
 * visible to nobody until the finishing batch commits the metadata (PUT)
 * or the part record (UploadPart).  That batch is the commit point, and the
 * only non-lazy one, so its durability covers every chunk before it.
 *
 * While a body streams, an 'I' record (data id -> creation time) marks the
 * extent as in flight so the collector's sweep leaves it alone; the commit
 * deletes it in the same batch.  An abandoned writer records its chunks as
 * eager garbage; if even that fails (or the process dies), the sweep
 * collects them once the in-flight record has expired.
 */
#include "gateway/object_meta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

struct obj_writer {
	struct obj *o;
	char bucket[OBJ_BUCKET_NAME_MAX + 1];
	char *key;
	size_t key_len;
	char upload_id[OBJ_UPLOAD_ID_LEN_BUF];
	uint32_t part; /* 0 for a PUT */
	uint8_t id[OBJ_DATA_ID_BYTES];
	uint8_t *buf; /* chunk_bytes, accounted in obj_stats */
	size_t fill;
	uint32_t chunks; /* chunks submitted */
	uint64_t size;   /* body bytes received */
	bool done;       /* committed: nothing to clean up */
	struct store_batch *batch;
};

static int writer_alloc(struct obj *o, const char *bucket, const char *key,
			size_t key_len, struct obj_writer **out)
{
	int rc = obj_check_names(bucket, key, key_len);
	if (rc != 0)
		return rc;
	struct obj_writer *w = calloc(1, sizeof *w);
	if (w == NULL)
		return -ENOMEM;
	w->o = o;
	snprintf(w->bucket, sizeof w->bucket, "%s", bucket);
	w->key = malloc(key_len);
	w->buf = malloc(o->opts.chunk_bytes);
	rc = store_batch_new(&w->batch);
	if (w->key == NULL || w->buf == NULL || rc != 0) {
		free(w->key);
		free(w->buf);
		store_batch_free(w->batch);
		free(w);
		return rc != 0 ? rc : -ENOMEM;
	}
	obj_buffer_account(o, o->opts.chunk_bytes);
	memcpy(w->key, key, key_len);
	w->key_len = key_len;
	obj_data_id_new(o, w->id);
	*out = w;
	return 0;
}

/* Writes the in-flight record (lazy: it only has to precede the chunks). */
static int writer_mark_inflight(struct obj_writer *w)
{
	struct obj_key k;
	obj_key_inflight(&k, w->id);
	uint8_t v[8];
	obj_be64_put(v, obj_now_ns(w->o));
	store_batch_clear(w->batch);
	store_batch_set_lazy(w->batch, true);
	int rc = store_batch_put(w->batch, k.buf, k.len, v, sizeof v);
	if (rc == 0)
		rc = store_submit(w->o->store, w->batch, NULL);
	return obj_err_from_store(rc);
}

int obj_writer_new(struct obj *o, const char *bucket, const char *key,
		   size_t key_len, struct obj_writer **out)
{
	int rc = obj_check_names(bucket, key, key_len);
	if (rc == 0)
		rc = obj_bucket_require(o, bucket); /* fail before the body */
	struct obj_writer *w = NULL;
	if (rc == 0)
		rc = writer_alloc(o, bucket, key, key_len, &w);
	if (rc == 0)
		rc = writer_mark_inflight(w);
	if (rc != 0) {
		obj_writer_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int obj_part_writer_new(struct obj *o, const char *bucket, const char *key,
			size_t key_len, const char *upload_id, uint32_t part,
			struct obj_writer **out)
{
	if (part < 1 || part > OBJ_PART_NUMBER_MAX)
		return OBJ_EARGUMENT;
	int rc = obj_check_names(bucket, key, key_len);
	if (rc != 0)
		return rc;
	if (!obj_upload_id_valid(upload_id))
		return OBJ_ENOUPLOAD;
	struct obj_meta *up = NULL;
	rc = obj_upload_head(o, bucket, key, key_len, upload_id, &up);
	obj_meta_free(up);
	struct obj_writer *w = NULL;
	if (rc == 0)
		rc = writer_alloc(o, bucket, key, key_len, &w);
	if (rc == 0) {
		memcpy(w->upload_id, upload_id, OBJ_UPLOAD_ID_LEN_BUF);
		w->part = part;
		rc = writer_mark_inflight(w);
	}
	if (rc != 0) {
		obj_writer_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

static int writer_flush(struct obj_writer *w)
{
	if (w->fill == 0)
		return 0;
	struct obj_key k;
	obj_key_chunk(&k, w->id, w->chunks);
	store_batch_clear(w->batch);
	store_batch_set_lazy(w->batch, true);
	int rc = store_batch_put(w->batch, k.buf, k.len, w->buf, w->fill);
	if (rc == 0)
		rc = store_submit(w->o->store, w->batch, NULL);
	store_batch_clear(w->batch); /* drop the copy of the chunk now */
	if (rc != 0)
		return obj_err_from_store(rc);
	w->chunks++;
	w->fill = 0;
	obj_stat_add(w->o, &w->o->stats.chunks_written, 1);
	return 0;
}

int obj_writer_write(struct obj_writer *w, const void *buf, size_t len)
{
	ASSERT(!w->done);
	const uint8_t *p = buf;
	uint32_t cb = w->o->opts.chunk_bytes;
	if (w->size + len > OBJ_OBJECT_BYTES_MAX)
		return OBJ_ETOOLARGE;
	while (len > 0) { /* bounded: each round consumes >= 1 byte */
		size_t n = cb - w->fill;
		if (n > len)
			n = len;
		memcpy(w->buf + w->fill, p, n);
		w->fill += n;
		w->size += n;
		p += n;
		len -= n;
		if (w->fill == cb) {
			int rc = writer_flush(w);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* The extent written so far (after the last flush). */
static struct obj_extent writer_extent(const struct obj_writer *w)
{
	struct obj_extent e;
	memcpy(e.id, w->id, OBJ_DATA_ID_BYTES);
	e.size = w->size;
	return e;
}

static int attrs_check(const struct obj_attrs *a)
{
	if (obj_attrs_user_bytes(a) > OBJ_USER_META_BYTES_MAX)
		return OBJ_EMETATOOLARGE;
	return 0;
}

/* Evaluates If-None-Match / If-Match against the record read. */
int obj_cond_check(const struct obj_cond *cond, const struct obj_rec *old)
{
	if (cond == NULL)
		return 0;
	if (cond->if_none_match_any && old->meta != NULL)
		return OBJ_EPRECONDITION;
	if (cond->if_match != NULL &&
	    (old->meta == NULL ||
	     !obj_etag_equal(cond->if_match, old->meta->attrs.etag)))
		return OBJ_EPRECONDITION;
	return 0;
}

/*
 * Commits meta m as bucket/key: reads the current record, checks the
 * conditions, and submits with "current record unchanged" as precondition;
 * retried when another commit won the race.  extra_fn adds operation
 * specific mutations (the in-flight record, an upload's records).
 */
int obj_commit_object(struct obj *o, const char *bucket, const char *key,
		      size_t key_len, const struct obj_meta *m,
		      const struct obj_cond *cond,
		      int (*extra_fn)(void *arg, struct store_batch *b,
				      const struct obj_rec *old),
		      void *arg, struct store_batch *b)
{
	void *enc = NULL;
	size_t enc_len = 0;
	int rc = obj_meta_encode(m, &enc, &enc_len);
	if (rc != 0)
		return rc;
	struct obj_key ko;
	obj_key_object(&ko, bucket, key, key_len);
	rc = OBJ_ECONFLICT;
	for (int t = 0; t < OBJ_COMMIT_TRIES; t++) {
		struct obj_rec old = {0};
		int grc = obj_rec_get(o, &ko, &old);
		if (grc != 0 && grc != STORE_ENOTFOUND) {
			rc = grc;
			break;
		}
		rc = obj_cond_check(cond, &old);
		store_batch_clear(b);
		if (rc == 0)
			rc = obj_batch_require_bucket(b, bucket);
		if (rc == 0)
			rc = old.raw ? store_batch_cond(b, STORE_COND_EQUALS,
							ko.buf, ko.len, old.raw,
							old.raw_len)
				     : store_batch_cond(b, STORE_COND_ABSENT,
							ko.buf, ko.len, NULL, 0);
		if (rc == 0)
			rc = store_batch_put(b, ko.buf, ko.len, enc, enc_len);
		if (rc == 0 && old.meta != NULL)
			rc = obj_batch_garbage_meta(o, b, old.meta);
		if (rc == 0 && extra_fn != NULL)
			rc = extra_fn(arg, b, &old);
		size_t failed = 0;
		if (rc == 0)
			rc = store_submit(o->store, b, &failed);
		obj_rec_clear(&old);
		if (rc != STORE_ECOND) {
			rc = obj_err_from_store(rc);
			break;
		}
		if (failed == 0) {
			rc = OBJ_ENOBUCKET;
			break;
		}
		rc = OBJ_ECONFLICT;
		obj_stat_add(o, &o->stats.commit_retries, 1);
	}
	free(enc);
	return rc;
}

static int put_extra(void *arg, struct store_batch *b,
		     const struct obj_rec *old)
{
	(void)old;
	struct obj_writer *w = arg;
	struct obj_key ki;
	obj_key_inflight(&ki, w->id);
	/* The collector expires in-flight records of PUTs it believes dead
	 * and then deletes their chunks; such a PUT must not commit. */
	void *v = NULL;
	size_t vl = 0;
	int rc = store_get(w->o->store, ki.buf, ki.len, &v, &vl);
	free(v);
	if (rc == STORE_ENOTFOUND)
		return OBJ_ECONFLICT;
	if (rc != 0)
		return obj_err_from_store(rc);
	rc = store_batch_cond(b, STORE_COND_EXISTS, ki.buf, ki.len, NULL, 0);
	if (rc == 0)
		rc = store_batch_del(b, ki.buf, ki.len);
	return rc;
}

int obj_put_finish(struct obj_writer *w, const struct obj_attrs *attrs,
		   const struct obj_cond *cond, struct obj_meta **out)
{
	ASSERT(!w->done && w->part == 0);
	ASSERT(attrs != NULL && attrs->etag != NULL);
	int rc = attrs_check(attrs);
	if (rc == 0)
		rc = writer_flush(w);
	if (rc != 0)
		return rc;
	struct obj_extent e = writer_extent(w);
	struct obj_meta m = {
		.size = w->size,
		.mtime_ns = (int64_t)obj_now_ns(w->o),
		.chunk_bytes = w->o->opts.chunk_bytes,
		.attrs = *attrs,
		.extents = &e,
		.extent_count = 1,
	};
	rc = obj_commit_object(w->o, w->bucket, w->key, w->key_len, &m, cond,
			       put_extra, w, w->batch);
	if (rc != 0)
		return rc;
	w->done = true;
	if (out != NULL) {
		void *enc = NULL;
		size_t len = 0;
		rc = obj_meta_encode(&m, &enc, &len);
		if (rc == 0)
			rc = obj_meta_decode(enc, len, out);
		free(enc);
	}
	return rc;
}

int obj_part_finish(struct obj_writer *w, const char *md5_hex,
		    const char *checksum_value)
{
	ASSERT(!w->done && w->part != 0 && md5_hex != NULL);
	int rc = writer_flush(w);
	if (rc != 0)
		return rc;
	struct obj_extent e = writer_extent(w);
	struct obj_meta m = {
		.size = w->size,
		.mtime_ns = (int64_t)obj_now_ns(w->o),
		.chunk_bytes = w->o->opts.chunk_bytes,
		.attrs = {.etag = md5_hex, .checksum_value = checksum_value},
		.extents = &e,
		.extent_count = 1,
	};
	rc = obj_commit_part(w->o, w->bucket, w->key, w->key_len,
			     w->upload_id, w->part, &m, w->id, w->batch);
	if (rc == 0)
		w->done = true;
	return rc;
}

void obj_writer_free(struct obj_writer *w)
{
	if (w == NULL)
		return;
	if (!w->done) {
		/* Best effort: on failure the sweep collects the chunks after
		 * the in-flight record expires. */
		struct obj_extent e = writer_extent(w);
		e.size = (uint64_t)w->chunks * w->o->opts.chunk_bytes;
		struct obj_key ki;
		obj_key_inflight(&ki, w->id);
		store_batch_clear(w->batch);
		store_batch_set_lazy(w->batch, true);
		int rc = store_batch_del(w->batch, ki.buf, ki.len);
		if (rc == 0)
			rc = obj_batch_garbage(w->o, w->batch, &e,
					       w->o->opts.chunk_bytes);
		if (rc == 0)
			(void)store_submit(w->o->store, w->batch, NULL);
	}
	obj_buffer_account(w->o, -(int64_t)w->o->opts.chunk_bytes);
	free(w->buf);
	free(w->key);
	store_batch_free(w->batch);
	free(w);
}
