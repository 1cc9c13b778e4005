/*
 * object_multipart.c — multipart uploads: create, upload part (the writer
 * is in object_put.c; its commit is here), complete, abort, list parts,
 * list uploads.
 *
 * An upload is a record 'U' bucket 0 key 0 id holding the object's future
 * attributes; each part is a record 'P' bucket 0 key 0 id part holding its
 * size, ETag (MD5 hex), checksum and its one data extent.  Complete commits
 * object metadata whose extents are the listed parts' extents in order — no
 * byte is copied — and deletes the upload and every part record in the
 * same batch; the extents of parts not listed become garbage.  Until then
 * the upload is invisible to GET and listing (different key family).
 *
 * Races: an UploadPart commit requires the upload record to exist; complete
 * and abort require the upload record and each listed part to be exactly
 * as read.  A part committed between abort's (or complete's) scan of the
 * parts and its commit is left as an orphan part record whose upload is
 * gone; the collector's sweep deletes such orphans.
 */
#include "gateway/object_meta.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

int obj_upload_new(struct obj *o, const char *bucket, const char *key,
		   size_t key_len, const struct obj_attrs *attrs,
		   char upload_id[OBJ_UPLOAD_ID_LEN_BUF])
{
	int rc = obj_check_names(bucket, key, key_len);
	if (rc != 0)
		return rc == OBJ_EBUCKETNAME ? OBJ_ENOBUCKET : rc;
	struct obj_attrs a = attrs ? *attrs : (struct obj_attrs){0};
	a.etag = NULL;
	a.checksum_value = NULL;
	if (obj_attrs_user_bytes(&a) > OBJ_USER_META_BYTES_MAX)
		return OBJ_EMETATOOLARGE;
	char id[OBJ_UPLOAD_ID_LEN_BUF];
	obj_upload_id_new(id);
	struct obj_meta m = {.mtime_ns = (int64_t)obj_now_ns(o),
			     .chunk_bytes = o->opts.chunk_bytes,
			     .attrs = a};
	void *enc = NULL;
	size_t enc_len = 0;
	rc = obj_meta_encode(&m, &enc, &enc_len);
	if (rc != 0)
		return rc;
	struct obj_key k;
	obj_key_upload(&k, bucket, key, key_len, id);
	struct store_batch *b = NULL;
	rc = store_batch_new(&b);
	if (rc == 0)
		rc = obj_batch_require_bucket(b, bucket);
	if (rc == 0)
		rc = store_batch_cond(b, STORE_COND_ABSENT, k.buf, k.len, NULL, 0);
	if (rc == 0)
		rc = store_batch_put(b, k.buf, k.len, enc, enc_len);
	size_t failed = 0;
	if (rc == 0)
		rc = store_submit(o->store, b, &failed);
	store_batch_free(b);
	free(enc);
	if (rc == STORE_ECOND)
		return failed == 0 ? OBJ_ENOBUCKET : OBJ_ECONFLICT;
	if (rc != 0)
		return obj_err_from_store(rc);
	memcpy(upload_id, id, OBJ_UPLOAD_ID_LEN_BUF);
	return 0;
}

static int upload_rec_get(struct obj *o, const char *bucket, const char *key,
			  size_t key_len, const char *upload_id,
			  struct obj_rec *out)
{
	int rc = obj_check_names(bucket, key, key_len);
	if (rc != 0)
		return rc == OBJ_EBUCKETNAME ? OBJ_ENOBUCKET : rc;
	if (!obj_upload_id_valid(upload_id))
		return OBJ_ENOUPLOAD;
	struct obj_key k;
	obj_key_upload(&k, bucket, key, key_len, upload_id);
	rc = obj_rec_get(o, &k, out);
	if (rc == STORE_ENOTFOUND) {
		rc = obj_bucket_require(o, bucket);
		return rc == 0 ? OBJ_ENOUPLOAD : rc;
	}
	return rc;
}

int obj_upload_head(struct obj *o, const char *bucket, const char *key,
		    size_t key_len, const char *upload_id,
		    struct obj_meta **out)
{
	struct obj_rec r = {0};
	int rc = upload_rec_get(o, bucket, key, key_len, upload_id, &r);
	if (rc != 0)
		return rc;
	*out = r.meta;
	r.meta = NULL;
	obj_rec_clear(&r);
	return 0;
}

int obj_commit_part(struct obj *o, const char *bucket, const char *key,
		    size_t key_len, const char *upload_id, uint32_t part,
		    const struct obj_meta *m, const uint8_t *data_id,
		    struct store_batch *b)
{
	void *enc = NULL;
	size_t enc_len = 0;
	int rc = obj_meta_encode(m, &enc, &enc_len);
	if (rc != 0)
		return rc;
	struct obj_key ku, kp, ki;
	obj_key_upload(&ku, bucket, key, key_len, upload_id);
	obj_key_part(&kp, bucket, key, key_len, upload_id, part);
	obj_key_inflight(&ki, data_id);
	rc = OBJ_ECONFLICT;
	for (int t = 0; t < OBJ_COMMIT_TRIES; t++) {
		struct obj_rec old = {0};
		rc = obj_rec_get(o, &kp, &old);
		if (rc != 0 && rc != STORE_ENOTFOUND)
			break;
		store_batch_clear(b);
		rc = store_batch_cond(b, STORE_COND_EXISTS, ku.buf, ku.len, NULL,
				      0);
		if (rc == 0)
			rc = old.raw ? store_batch_cond(b, STORE_COND_EQUALS,
							kp.buf, kp.len, old.raw,
							old.raw_len)
				     : store_batch_cond(b, STORE_COND_ABSENT,
							kp.buf, kp.len, NULL, 0);
		/* Condition 2: not expired by the collector (see gc.c). */
		if (rc == 0)
			rc = store_batch_cond(b, STORE_COND_EXISTS, ki.buf,
					      ki.len, NULL, 0);
		if (rc == 0)
			rc = store_batch_put(b, kp.buf, kp.len, enc, enc_len);
		if (rc == 0)
			rc = store_batch_del(b, ki.buf, ki.len);
		if (rc == 0 && old.meta != NULL) /* a re-uploaded part */
			rc = obj_batch_garbage_meta(o, b, old.meta);
		size_t failed = 0;
		if (rc == 0)
			rc = store_submit(o->store, b, &failed);
		obj_rec_clear(&old);
		if (rc != STORE_ECOND) {
			rc = obj_err_from_store(rc);
			break;
		}
		rc = failed == 0 ? OBJ_ENOUPLOAD : OBJ_ECONFLICT;
		if (failed != 1)
			break;
		obj_stat_add(o, &o->stats.commit_retries, 1);
	}
	free(enc);
	return rc;
}

/*
 * Adds to b: delete every part record of the upload, recording as garbage
 * the extents of those not in keep (sorted part numbers).  Bounded by the
 * number of parts (<= 10000, plus orphans).
 */
static int batch_drop_parts(struct obj *o, struct store_batch *b,
			    const struct obj_key *prefix, const uint32_t *keep,
			    size_t keep_count)
{
	struct obj_key hi = *prefix;
	bool bounded = obj_key_successor(&hi);
	ASSERT(bounded);
	struct store_scan *it = NULL;
	int rc = store_scan_new(o->store, prefix->buf, prefix->len, hi.buf,
				hi.len, &it);
	if (rc != 0)
		return obj_err_from_store(rc);
	rc = store_scan_seek(it, prefix->buf, prefix->len);
	size_t ki = 0;
	while (rc == 0 && store_scan_valid(it)) {
		size_t kl = 0;
		const uint8_t *k = store_scan_key(it, &kl);
		if (kl != prefix->len + 4) {
			rc = OBJ_ECORRUPT;
			break;
		}
		uint32_t part = obj_be32_get(k + prefix->len);
		rc = store_batch_del(b, k, kl);
		while (ki < keep_count && keep[ki] < part)
			ki++;
		bool kept = ki < keep_count && keep[ki] == part;
		if (rc == 0 && !kept) {
			const void *v = NULL;
			size_t vl = 0;
			struct obj_meta *m = NULL;
			rc = obj_err_from_store(store_scan_value(it, &v, &vl));
			if (rc == 0)
				rc = obj_meta_decode(v, vl, &m);
			if (rc == 0)
				rc = obj_batch_garbage_meta(o, b, m);
			obj_meta_free(m);
		}
		if (rc == 0)
			rc = obj_err_from_store(store_scan_next(it));
	}
	store_scan_free(it);
	return rc;
}

int obj_upload_abort(struct obj *o, const char *bucket, const char *key,
		     size_t key_len, const char *upload_id)
{
	struct store_batch *b = NULL;
	int rc = store_batch_new(&b);
	if (rc != 0)
		return rc;
	struct obj_key ku, kp;
	rc = OBJ_ECONFLICT;
	for (int t = 0; t < OBJ_COMMIT_TRIES; t++) {
		struct obj_rec up = {0};
		rc = upload_rec_get(o, bucket, key, key_len, upload_id, &up);
		if (rc != 0)
			break;
		obj_key_upload(&ku, bucket, key, key_len, upload_id);
		obj_key_part_prefix(&kp, bucket, key, key_len, upload_id);
		store_batch_clear(b);
		rc = store_batch_cond(b, STORE_COND_EQUALS, ku.buf, ku.len,
				      up.raw, up.raw_len);
		if (rc == 0)
			rc = store_batch_del(b, ku.buf, ku.len);
		if (rc == 0)
			rc = batch_drop_parts(o, b, &kp, NULL, 0);
		if (rc == 0)
			rc = store_submit(o->store, b, NULL);
		obj_rec_clear(&up);
		if (rc != STORE_ECOND) {
			rc = obj_err_from_store(rc);
			break;
		}
		rc = OBJ_ECONFLICT;
	}
	store_batch_free(b);
	return rc;
}

/* ---- Complete ---- */

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The multipart ETag: MD5 of the concatenated binary part MD5s, "-N". */
static int multipart_etag(struct obj_meta *const *parts, size_t n,
			  char out[OBJ_ETAG_MAX])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *h = parts[i]->attrs.etag;
		uint8_t bin[16];
		if (h == NULL || strlen(h) != 32) {
			rc = OBJ_ECORRUPT;
			break;
		}
		for (int j = 0; j < 16; j++) {
			int hi = hex_val(h[2 * j]), lo = hex_val(h[2 * j + 1]);
			if (hi < 0 || lo < 0)
				rc = OBJ_ECORRUPT;
			bin[j] = (uint8_t)(hi << 4 | (lo & 15));
		}
		if (rc == 0 && EVP_DigestUpdate(ctx, bin, 16) != 1)
			rc = -ENOMEM;
	}
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdl = 0;
	if (rc == 0 && EVP_DigestFinal_ex(ctx, md, &mdl) != 1)
		rc = -ENOMEM;
	EVP_MD_CTX_free(ctx);
	if (rc != 0)
		return rc;
	ASSERT(mdl == 16);
	for (int j = 0; j < 16; j++)
		snprintf(out + 2 * j, 3, "%02x", md[j]);
	snprintf(out + 32, OBJ_ETAG_MAX - 32, "-%zu", n);
	return 0;
}

struct complete_ctx {
	struct obj *o;
	const char *bucket, *key, *upload_id;
	size_t key_len;
	struct obj_rec up;
	struct obj_rec *parts; /* as listed */
	uint32_t *numbers;
	size_t n;
};

/* Reads and validates the listed parts (S3 CompleteMultipartUpload rules). */
static int complete_load(struct complete_ctx *c, const struct obj_part_ref *refs)
{
	for (size_t i = 0; i < c->n; i++) {
		if (refs[i].part < 1 || refs[i].part > OBJ_PART_NUMBER_MAX)
			return OBJ_EINVALIDPART;
		if (i > 0 && refs[i].part <= refs[i - 1].part)
			return OBJ_EPARTORDER;
		c->numbers[i] = refs[i].part;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct obj_key k;
		obj_key_part(&k, c->bucket, c->key, c->key_len, c->upload_id,
			     refs[i].part);
		int rc = obj_rec_get(c->o, &k, &c->parts[i]);
		if (rc == STORE_ENOTFOUND)
			return OBJ_EINVALIDPART;
		if (rc != 0)
			return rc;
		const struct obj_meta *m = c->parts[i].meta;
		if (refs[i].etag == NULL || m->attrs.etag == NULL ||
		    !obj_etag_equal(refs[i].etag, m->attrs.etag))
			return OBJ_EINVALIDPART;
		if (i + 1 < c->n && m->size < OBJ_PART_BYTES_MIN)
			return OBJ_ETOOSMALL;
		if (m->extent_count != 1 ||
		    m->chunk_bytes != c->parts[0].meta->chunk_bytes)
			return OBJ_EINVALIDPART; /* chunk size changed mid-upload */
	}
	return 0;
}

/* extra_fn of obj_commit_object: the upload's own records. */
static int complete_extra(void *arg, struct store_batch *b,
			  const struct obj_rec *old)
{
	(void)old;
	struct complete_ctx *c = arg;
	struct obj_key ku, kp;
	obj_key_upload(&ku, c->bucket, c->key, c->key_len, c->upload_id);
	void *v = NULL;
	size_t vl = 0;
	int rc = store_get(c->o->store, ku.buf, ku.len, &v, &vl);
	free(v);
	if (rc == STORE_ENOTFOUND)
		return OBJ_ENOUPLOAD; /* aborted or completed meanwhile */
	if (rc != 0)
		return obj_err_from_store(rc);
	rc = store_batch_cond(b, STORE_COND_EQUALS, ku.buf, ku.len, c->up.raw,
			      c->up.raw_len);
	for (size_t i = 0; rc == 0 && i < c->n; i++) {
		obj_key_part(&kp, c->bucket, c->key, c->key_len, c->upload_id,
			     c->numbers[i]);
		rc = store_batch_cond(b, STORE_COND_EQUALS, kp.buf, kp.len,
				      c->parts[i].raw, c->parts[i].raw_len);
	}
	if (rc == 0)
		rc = store_batch_del(b, ku.buf, ku.len);
	obj_key_part_prefix(&kp, c->bucket, c->key, c->key_len, c->upload_id);
	if (rc == 0)
		rc = batch_drop_parts(c->o, b, &kp, c->numbers, c->n);
	return rc;
}

static int complete_commit(struct complete_ctx *c,
			   const struct obj_checksum_fn *checksum,
			   const struct obj_cond *cond, struct obj_meta **out)
{
	struct obj_meta **pm = malloc(c->n * sizeof *pm);
	struct obj_extent *ext = malloc(c->n * sizeof *ext);
	struct store_batch *b = NULL;
	int rc = pm && ext ? store_batch_new(&b) : -ENOMEM;
	struct obj_meta m = {.mtime_ns = (int64_t)obj_now_ns(c->o),
			     .part_count = (uint32_t)c->n,
			     .extents = ext,
			     .extent_count = (uint32_t)c->n};
	char etag[OBJ_ETAG_MAX], ck[OBJ_CHECKSUM_VALUE_MAX] = "";
	for (size_t i = 0; rc == 0 && i < c->n; i++) {
		pm[i] = c->parts[i].meta;
		ext[i] = pm[i]->extents[0];
		m.size += ext[i].size;
	}
	if (rc == 0)
		rc = multipart_etag(pm, c->n, etag);
	if (rc == 0 && checksum != NULL)
		rc = checksum->fn(checksum->arg, c->up.meta,
				  (const struct obj_meta *const *)pm, c->n, ck);
	if (rc == 0) {
		ASSERT(memchr(ck, '\0', sizeof ck) != NULL);
		m.chunk_bytes = pm[0]->chunk_bytes;
		m.attrs = c->up.meta->attrs;
		m.attrs.etag = etag;
		m.attrs.checksum_value = ck[0] ? ck : NULL;
		if (m.attrs.checksum_value == NULL) {
			/* No value: claim no algorithm either. */
			m.attrs.checksum_algo = NULL;
			m.attrs.checksum_type = NULL;
		}
		rc = obj_commit_object(c->o, c->bucket, c->key, c->key_len, &m,
				       cond, complete_extra, c, b);
	}
	if (rc == 0 && out != NULL) {
		void *enc = NULL;
		size_t len = 0;
		rc = obj_meta_encode(&m, &enc, &len);
		if (rc == 0)
			rc = obj_meta_decode(enc, len, out);
		free(enc);
	}
	store_batch_free(b);
	free(pm);
	free(ext);
	return rc;
}

int obj_upload_complete(struct obj *o, const char *bucket, const char *key,
			size_t key_len, const char *upload_id,
			const struct obj_part_ref *parts, size_t part_count,
			const struct obj_checksum_fn *checksum,
			const struct obj_cond *cond, struct obj_meta **out)
{
	if (part_count == 0 || part_count > OBJ_PART_NUMBER_MAX)
		return OBJ_EARGUMENT; /* MalformedXML for the handler */
	struct complete_ctx c = {.o = o, .bucket = bucket, .key = key,
				 .key_len = key_len, .upload_id = upload_id,
				 .n = part_count};
	int rc = upload_rec_get(o, bucket, key, key_len, upload_id, &c.up);
	if (rc != 0)
		return rc;
	c.parts = calloc(part_count, sizeof *c.parts);
	c.numbers = calloc(part_count, sizeof *c.numbers);
	if (c.parts == NULL || c.numbers == NULL)
		rc = -ENOMEM;
	if (rc == 0)
		rc = complete_load(&c, parts);
	if (rc == 0)
		rc = complete_commit(&c, checksum, cond, out);
	for (size_t i = 0; c.parts != NULL && i < part_count; i++)
		obj_rec_clear(&c.parts[i]);
	free(c.parts);
	free(c.numbers);
	obj_rec_clear(&c.up);
	return rc;
}
