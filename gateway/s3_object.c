/*
 * s3_object.c — PutObject, GetObject, HeadObject, DeleteObject, CopyObject.
 *
 * PutObject streams: each decoded body piece goes straight into the object
 * layer's writer, which submits a chunk whenever one fills, so a request
 * holds one chunk of memory whatever the object's size.  The object exists
 * only once obj_put_finish commits its metadata, and that happens only after
 * the body pipeline verified every signature and checksum (body.h).
 */
#include "gateway/s3_ops.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/app.h"
#include "gateway/body.h"
#include "gateway/http_util.h"
#include "gateway/object_attrs.h"
#include "gateway/route.h"
#include "xml/s3xml.h"

/* S3's single-PUT limit. */
#define PUT_OBJECT_BYTES_MAX (5ull * 1024 * 1024 * 1024)

static void writer_free(void *w)
{
	obj_writer_free(w);
}

static enum s3_error reject_too_large(struct gw_request *req)
{
	const char *cl = gw_request_header(req, "x-amz-decoded-content-length");
	if (cl == NULL)
		cl = gw_request_header(req, "content-length");
	if (cl != NULL && strtoull(cl, NULL, 10) > PUT_OBJECT_BYTES_MAX)
		return S3_ENTITY_TOO_LARGE;
	return S3_OK;
}

/* ---- PutObject ---- */

static enum s3_error put_begin(struct gw_request *req)
{
	enum s3_error e = reject_too_large(req);
	if (e != S3_OK)
		return e;
	struct obj_writer *w = NULL;
	int rc = obj_writer_new(gw_app_of(req)->obj, req->bucket, req->key, req->key_len, &w);
	if (rc != 0)
		return gw_obj_error(rc);
	req->handler_state = w;
	req->handler_free = writer_free;
	return S3_OK;
}

static enum s3_error put_body(struct gw_request *req, const char *data, size_t len)
{
	if (gw_body_decoded_bytes(req) > PUT_OBJECT_BYTES_MAX)
		return S3_ENTITY_TOO_LARGE;
	return gw_obj_error(obj_writer_write(req->handler_state, data, len));
}

/* The checksum response header S3 echoes on a write. */
static int add_checksum_header(struct gw_request *req)
{
	enum gw_cksum_alg alg;
	char b64[GW_CKSUM_B64_MAX];
	if (!gw_body_checksum(req, &alg, b64))
		return 0;
	return gw_response_add_header(&req->response, gw_cksum_alg_header(alg), b64);
}

static enum s3_error put_finish(struct gw_request *req)
{
	struct gw_attrs_buf ab;
	enum s3_error e = gw_attrs_from_request(req, &ab);
	char md5[33], if_match[OBJ_ETAG_MAX], b64[GW_CKSUM_B64_MAX];
	struct obj_cond cond;
	if (e == S3_OK)
		e = gw_write_conditions(req, &cond, if_match, sizeof if_match);
	if (e == S3_OK)
		e = gw_tagging_from_header(req, &ab.attrs.tagging);
	if (e == S3_OK) {
		gw_body_md5_hex(req, md5);
		ab.attrs.etag = md5;
		enum gw_cksum_alg alg;
		if (gw_body_checksum(req, &alg, b64)) {
			ab.attrs.checksum_algo = gw_cksum_alg_name(alg);
			ab.attrs.checksum_value = b64;
		}
		e = gw_obj_error(obj_put_finish(req->handler_state, &ab.attrs, &cond, NULL));
	}
	free((char *)ab.attrs.tagging);
	gw_attrs_release(&ab);
	if (e != S3_OK)
		return e;
	char etag[OBJ_ETAG_MAX + 4];
	gw_etag_quote(md5, etag, sizeof etag);
	req->response.status = 200;
	if (gw_response_add_header(&req->response, "ETag", etag) != 0 ||
	    add_checksum_header(req) != 0)
		return S3_INTERNAL_ERROR;
	return S3_OK;
}

const struct gw_handler gw_handler_put_object = {
	.streams_body = true,
	.begin = put_begin,
	.body = put_body,
	.finish = put_finish,
};

/* ---- GetObject and HeadObject ---- */

static long reader_read(void *ctx, uint64_t pos, char *buf, size_t len)
{
	(void)pos; /* libmicrohttpd reads sequentially */
	size_t got = 0;
	if (obj_reader_read(ctx, buf, len, &got) != 0)
		return -1;
	return (long)got;
}

static void reader_free(void *ctx)
{
	obj_reader_free(ctx);
}

/* response-content-type and friends (GetObject's response overrides). */
static enum s3_error apply_overrides(struct gw_request *req)
{
	static const char *const pairs[][2] = {
		{"response-content-type", "Content-Type"},
		{"response-content-language", "Content-Language"},
		{"response-expires", "Expires"},
		{"response-cache-control", "Cache-Control"},
		{"response-content-disposition", "Content-Disposition"},
		{"response-content-encoding", "Content-Encoding"},
	};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		if (!gw_request_has_query(req, pairs[i][0]))
			continue;
		char *v = gw_request_query_decoded(req, pairs[i][0]);
		if (v == NULL)
			return S3_INVALID_ARGUMENT;
		int rc = gw_response_set_header(&req->response, pairs[i][1], v);
		free(v);
		if (rc != 0)
			return S3_INTERNAL_ERROR;
	}
	return S3_OK;
}

/* An unsatisfiable range: the preconditions still come first (412/304). */
static enum s3_error range_failed(struct gw_request *req)
{
	struct obj_meta *m = NULL;
	enum s3_error e = gw_obj_error(obj_head(gw_app_of(req)->obj, req->bucket, req->key,
						req->key_len, &m));
	if (e == S3_OK)
		e = gw_conditions_check(req, "", m->attrs.etag, m->mtime_ns);
	if (e == S3_OK) {
		char cr[64];
		snprintf(cr, sizeof cr, "bytes */%" PRIu64, m->size);
		gw_response_add_header(&req->response, "Content-Range", cr);
		e = S3_INVALID_RANGE;
	}
	obj_meta_free(m);
	return e;
}

static enum s3_error get_or_head(struct gw_request *req, bool head)
{
	struct obj_range range;
	enum s3_error e = gw_range_parse(gw_request_header(req, "range"), &range);
	if (e != S3_OK)
		return e;
	if (gw_request_has_query(req, "partNumber"))
		return S3_NOT_IMPLEMENTED;
	struct obj_reader *r = NULL;
	int rc = obj_reader_new(gw_app_of(req)->obj, req->bucket, req->key, req->key_len,
				&range, &r);
	if (rc == OBJ_ERANGE)
		return range_failed(req);
	if (rc != 0)
		return gw_obj_error(rc);
	const struct obj_meta *m = obj_reader_meta(r);
	e = gw_conditions_check(req, "", m->attrs.etag, m->mtime_ns);
	if (e == S3_NOT_MODIFIED) {
		/* 304 still carries the validators. */
		char etag[OBJ_ETAG_MAX + 4];
		gw_etag_quote(m->attrs.etag, etag, sizeof etag);
		gw_response_add_header(&req->response, "ETag", etag);
	}
	if (e != S3_OK) {
		obj_reader_free(r);
		return e;
	}
	uint64_t first, len;
	obj_reader_span(r, &first, &len);
	const char *mode = gw_request_header(req, "x-amz-checksum-mode");
	bool ranged = range.kind != OBJ_RANGE_NONE;
	bool with_checksum = !ranged && mode != NULL && strcasecmp(mode, "ENABLED") == 0;
	if (gw_object_headers(req, m, with_checksum) != 0) {
		obj_reader_free(r);
		return S3_INTERNAL_ERROR;
	}
	if (ranged) {
		char cr[96];
		snprintf(cr, sizeof cr, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first,
			 first + len - 1, m->size);
		gw_response_add_header(&req->response, "Content-Range", cr);
	}
	req->response.status = ranged ? 206 : 200;
	req->response.reader = reader_read;
	req->response.reader_ctx = r;
	req->response.reader_free = reader_free;
	req->response.body_len = len;
	(void)head; /* libmicrohttpd sends headers only for HEAD, Content-Length intact */
	return apply_overrides(req);
}

static enum s3_error get_finish(struct gw_request *req)
{
	return get_or_head(req, false);
}

static enum s3_error head_finish(struct gw_request *req)
{
	return get_or_head(req, true);
}

const struct gw_handler gw_handler_get_object = {.finish = get_finish};
const struct gw_handler gw_handler_head_object = {.finish = head_finish};

/* ---- DeleteObject ---- */

static enum s3_error delete_finish(struct gw_request *req)
{
	enum s3_error e = gw_obj_error(obj_delete(gw_app_of(req)->obj, req->bucket, req->key,
						  req->key_len));
	if (e == S3_OK)
		req->response.status = 204;
	return e;
}

const struct gw_handler gw_handler_delete_object = {.finish = delete_finish};

/* ---- CopyObject ---- */

/*
 * x-amz-copy-source: "bucket/key" or "/bucket/key", URL-encoded, possibly
 * with "?versionId=..." (only "null" exists here).
 */
enum s3_error gw_copy_source_parse(struct gw_request *req, char *bucket, size_t bucket_size,
				   char *key, size_t key_size, size_t *key_len)
{
	const char *src = gw_request_header(req, "x-amz-copy-source");
	if (src == NULL)
		return S3_INVALID_ARGUMENT;
	char path[3 * (GW_KEY_BYTES_MAX + GW_BUCKET_NAME_MAX) + 8];
	size_t n = strcspn(src, "?");
	if (src[n] == '?' && strcmp(src + n, "?versionId=null") != 0)
		return S3_NOT_IMPLEMENTED; /* no versions besides "null" */
	const char *s = src[0] == '/' ? src + 1 : src;
	n -= (size_t)(s - src);
	if (n + 2 > sizeof path)
		return S3_KEY_TOO_LONG;
	path[0] = '/';
	memcpy(path + 1, s, n);
	path[n + 1] = '\0';
	enum s3_error e = s3_route_split_path(path, n + 1, bucket, bucket_size, key, key_size,
					      key_len);
	if (e != S3_OK)
		return e == S3_INVALID_REQUEST ? S3_INVALID_ARGUMENT : e;
	return bucket[0] && *key_len ? S3_OK : S3_INVALID_ARGUMENT;
}

static enum s3_error copy_finish(struct gw_request *req)
{
	struct gw_app *app = gw_app_of(req);
	char sb[GW_BUCKET_NAME_MAX + 2], sk[GW_KEY_BYTES_MAX + 1];
	size_t skl = 0;
	enum s3_error e = gw_copy_source_parse(req, sb, sizeof sb, sk, sizeof sk, &skl);
	if (e != S3_OK)
		return e;
	const char *directive = gw_request_header(req, "x-amz-metadata-directive");
	bool replace = directive != NULL && strcasecmp(directive, "REPLACE") == 0;
	if (directive != NULL && !replace && strcasecmp(directive, "COPY") != 0)
		return S3_INVALID_ARGUMENT;
	/* x-amz-tagging-directive: COPY (the default) keeps the source's tags;
	 * REPLACE takes x-amz-tagging (none if absent). */
	const char *tdir = gw_request_header(req, "x-amz-tagging-directive");
	bool replace_tags = tdir != NULL && strcasecmp(tdir, "REPLACE") == 0;
	if (tdir != NULL && !replace_tags && strcasecmp(tdir, "COPY") != 0)
		return S3_INVALID_ARGUMENT;
	bool self = strcmp(sb, req->bucket) == 0 && skl == req->key_len &&
		    memcmp(sk, req->key, skl) == 0;
	if (self && !replace) {
		req->error_message = "This copy request is illegal because it is trying to copy "
				     "an object to itself without changing the object's metadata, "
				     "storage class, website redirect location or encryption "
				     "attributes.";
		return S3_INVALID_REQUEST;
	}
	struct obj_meta *src = NULL;
	e = gw_obj_error(obj_head(app->obj, sb, sk, skl, &src));
	if (e == S3_OK)
		e = gw_conditions_check(req, "x-amz-copy-source-", src->attrs.etag, src->mtime_ns);
	struct gw_attrs_buf ab;
	memset(&ab, 0, sizeof ab);
	if (e == S3_OK && replace)
		e = gw_attrs_from_request(req, &ab);
	else if (e == S3_OK && replace_tags)
		ab.attrs = src->attrs; /* metadata COPY: the source's, new tags */
	const char *tags = NULL;
	if (e == S3_OK && replace_tags)
		e = gw_tagging_from_header(req, &tags);
	if (e == S3_OK && (replace || replace_tags))
		ab.attrs.tagging = replace_tags ? tags : src->attrs.tagging;
	char if_match[OBJ_ETAG_MAX];
	struct obj_cond cond;
	if (e == S3_OK)
		e = gw_write_conditions(req, &cond, if_match, sizeof if_match);
	struct obj_meta *dst = NULL;
	if (e == S3_OK)
		e = gw_obj_error(obj_copy(app->obj, sb, sk, skl, req->bucket, req->key,
					  req->key_len, replace || replace_tags ? &ab.attrs : NULL,
					  &cond, &dst));
	free((char *)tags);
	if (replace)
		gw_attrs_release(&ab);
	obj_meta_free(src);
	if (e != S3_OK)
		return e;
	char etag[OBJ_ETAG_MAX + 4];
	gw_etag_quote(dst->attrs.etag, etag, sizeof etag);
	char *body = NULL;
	size_t len = 0;
	int rc = s3xml_encode_copy_object(etag, dst->mtime_ns / 1000000, &body, &len);
	obj_meta_free(dst);
	return gw_reply_xml(req, rc, body, len);
}

const struct gw_handler gw_handler_copy_object = {.finish = copy_finish};
