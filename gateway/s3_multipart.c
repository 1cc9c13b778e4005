/*
 * s3_multipart.c — CreateMultipartUpload, UploadPart, UploadPartCopy,
 * CompleteMultipartUpload, AbortMultipartUpload, ListParts and
 * ListMultipartUploads.
 *
 * Parts stream into chunks exactly like PutObject; completing an upload
 * commits one metadata record that references the parts' chunks without
 * copying them (object.h).  The part rules (1..10000, 5 MiB minimum except
 * the last, ETags and order checked) are enforced by the object layer.
 */
#include "gateway/s3_ops.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/app.h"
#include "gateway/base64.h"
#include "gateway/body.h"
#include "gateway/http_util.h"
#include "gateway/object_attrs.h"
#include "gateway/tagging.h"
#include "xml/s3xml.h"

#define PART_BYTES_MAX (5ull * 1024 * 1024 * 1024)
#define COPY_BUFFER_BYTES (1u << 20)

static const struct s3xml_owner owner = {GW_OWNER_ID, GW_OWNER_NAME};

/* uploadId: exactly the 32 hex characters obj_upload_new makes. */
static enum s3_error upload_id_of(struct gw_request *req, char id[OBJ_UPLOAD_ID_LEN_BUF])
{
	const char *v = gw_request_query_raw(req, "uploadId");
	if (v == NULL || strlen(v) != OBJ_UPLOAD_ID_LEN_BUF - 1 ||
	    strspn(v, "0123456789abcdef") != OBJ_UPLOAD_ID_LEN_BUF - 1)
		return S3_NO_SUCH_UPLOAD;
	memcpy(id, v, OBJ_UPLOAD_ID_LEN_BUF);
	return S3_OK;
}

static enum s3_error part_number_of(struct gw_request *req, uint32_t *part)
{
	const char *v = gw_request_query_raw(req, "partNumber");
	char *end = NULL;
	errno = 0;
	long n = v ? strtol(v, &end, 10) : 0;
	if (v == NULL || errno != 0 || end == v || *end != '\0' || n < 1 ||
	    n > OBJ_PART_NUMBER_MAX) {
		req->error_message = "Part number must be an integer between 1 and 10000, inclusive";
		return S3_INVALID_ARGUMENT;
	}
	*part = (uint32_t)n;
	return S3_OK;
}

/* ---- CreateMultipartUpload ---- */

/*
 * x-amz-checksum-type with the upload's algorithm (S3 "Checking object
 * integrity"): COMPOSITE (the default; SHA-1, SHA-256, CRC32, CRC32C) or
 * FULL_OBJECT (the default and only type for CRC64NVME; CRC32, CRC32C).
 */
static enum s3_error checksum_type_of(struct gw_request *req, const enum gw_cksum_alg *alg,
				      const char **type)
{
	const char *t = gw_request_header(req, "x-amz-checksum-type");
	*type = NULL;
	if (alg == NULL)
		return t == NULL ? S3_OK : S3_INVALID_REQUEST;
	bool crc = *alg == GW_CKSUM_CRC32 || *alg == GW_CKSUM_CRC32C;
	if (t == NULL)
		*type = *alg == GW_CKSUM_CRC64NVME ? "FULL_OBJECT" : "COMPOSITE";
	else if (strcasecmp(t, "COMPOSITE") == 0 && *alg != GW_CKSUM_CRC64NVME)
		*type = "COMPOSITE";
	else if (strcasecmp(t, "FULL_OBJECT") == 0 && (crc || *alg == GW_CKSUM_CRC64NVME))
		*type = "FULL_OBJECT";
	if (*type != NULL)
		return S3_OK;
	req->error_message = "The checksum type is not valid for this checksum algorithm.";
	return S3_INVALID_REQUEST;
}

static enum s3_error create_finish(struct gw_request *req)
{
	struct gw_attrs_buf ab;
	enum s3_error e = gw_attrs_from_request(req, &ab);
	const char *algo = gw_request_header(req, "x-amz-checksum-algorithm");
	enum gw_cksum_alg alg;
	if (e == S3_OK && algo != NULL) {
		if (gw_cksum_alg_parse(algo, strlen(algo), &alg) != 0 || alg == GW_CKSUM_MD5)
			e = S3_INVALID_REQUEST;
		else
			ab.attrs.checksum_algo = gw_cksum_alg_name(alg);
	}
	if (e == S3_OK)
		e = checksum_type_of(req, algo ? &alg : NULL, &ab.attrs.checksum_type);
	if (e == S3_OK)
		e = gw_tagging_from_header(req, &ab.attrs.tagging);
	char id[OBJ_UPLOAD_ID_LEN_BUF];
	if (e == S3_OK)
		e = gw_obj_error(obj_upload_new(gw_app_of(req)->obj, req->bucket, req->key,
						req->key_len, &ab.attrs, id));
	const char *type = ab.attrs.checksum_type;
	free((char *)ab.attrs.tagging);
	gw_attrs_release(&ab);
	if (e != S3_OK)
		return e;
	if (algo != NULL &&
	    (gw_response_add_header(&req->response, "x-amz-checksum-algorithm",
				    gw_cksum_alg_name(alg)) != 0 ||
	     gw_response_add_header(&req->response, "x-amz-checksum-type", type) != 0))
		return S3_INTERNAL_ERROR;
	char *body = NULL;
	size_t len = 0;
	int rc = s3xml_encode_initiate_upload(req->bucket, req->key, id, &body, &len);
	return gw_reply_xml(req, rc, body, len);
}

const struct gw_handler gw_handler_create_multipart_upload = {.finish = create_finish};

/* ---- UploadPart ---- */

static void writer_free(void *w)
{
	obj_writer_free(w);
}

/*
 * The checksum algorithm the upload was created with: every part carries
 * one (computed here if the client sent none), so that Complete can derive
 * the object's.  S3_NO_SUCH_KEY stands for "none".
 */
static enum s3_error upload_checksum_alg(struct gw_request *req, const char *id,
					 enum gw_cksum_alg *alg)
{
	struct obj_meta *m = NULL;
	enum s3_error e = gw_obj_error(obj_upload_head(gw_app_of(req)->obj, req->bucket,
						       req->key, req->key_len, id, &m));
	if (e != S3_OK)
		return e;
	const char *a = m->attrs.checksum_algo;
	if (a == NULL || gw_cksum_alg_parse(a, strlen(a), alg) != 0 || *alg == GW_CKSUM_MD5)
		e = S3_NO_SUCH_KEY;
	obj_meta_free(m);
	return e;
}

static enum s3_error part_begin(struct gw_request *req)
{
	char id[OBJ_UPLOAD_ID_LEN_BUF];
	uint32_t part;
	enum s3_error e = part_number_of(req, &part);
	if (e == S3_OK)
		e = upload_id_of(req, id);
	if (e != S3_OK)
		return e;
	struct obj_writer *w = NULL;
	e = gw_obj_error(obj_part_writer_new(gw_app_of(req)->obj, req->bucket, req->key,
					     req->key_len, id, part, &w));
	if (e != S3_OK)
		return e;
	req->handler_state = w;
	req->handler_free = writer_free;
	enum gw_cksum_alg alg;
	e = upload_checksum_alg(req, id, &alg);
	if (e == S3_OK)
		e = gw_body_require_checksum(req, alg);
	return e == S3_NO_SUCH_KEY ? S3_OK : e;
}

static enum s3_error part_body(struct gw_request *req, const char *data, size_t len)
{
	if (gw_body_decoded_bytes(req) > PART_BYTES_MAX)
		return S3_ENTITY_TOO_LARGE;
	return gw_obj_error(obj_writer_write(req->handler_state, data, len));
}

static enum s3_error part_finish(struct gw_request *req)
{
	char md5[33], b64[GW_CKSUM_B64_MAX];
	gw_body_md5_hex(req, md5);
	enum gw_cksum_alg alg;
	bool has = gw_body_checksum(req, &alg, b64);
	enum s3_error e = gw_obj_error(obj_part_finish(req->handler_state, md5, has ? b64 : NULL));
	if (e != S3_OK)
		return e;
	char etag[OBJ_ETAG_MAX + 4];
	gw_etag_quote(md5, etag, sizeof etag);
	req->response.status = 200;
	if (gw_response_add_header(&req->response, "ETag", etag) != 0 ||
	    (has && gw_response_add_header(&req->response, gw_cksum_alg_header(alg), b64) != 0))
		return S3_INTERNAL_ERROR;
	return S3_OK;
}

const struct gw_handler gw_handler_upload_part = {
	.streams_body = true,
	.begin = part_begin,
	.body = part_body,
	.finish = part_finish,
};

/* ---- UploadPartCopy ---- */

/* x-amz-copy-source-range: "bytes=a-b", both required, within the source. */
static enum s3_error copy_range(struct gw_request *req, struct obj_range *r)
{
	const char *v = gw_request_header(req, "x-amz-copy-source-range");
	r->kind = OBJ_RANGE_NONE;
	if (v == NULL)
		return S3_OK;
	unsigned long long a, b;
	int used = 0;
	if (sscanf(v, "bytes=%llu-%llu%n", &a, &b, &used) != 2 || v[used] != '\0' || a > b) {
		req->error_message = "The x-amz-copy-source-range value must be of the form "
				     "bytes=first-last where first and last are the zero-based "
				     "offsets of the first and last bytes to copy";
		return S3_INVALID_ARGUMENT;
	}
	r->kind = OBJ_RANGE_FROM_TO;
	r->a = a;
	r->b = b;
	return S3_OK;
}

static void hex_of(const uint8_t *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * Streams the source range into the part writer, computing MD5 (the ETag)
 * and, when the upload has one, its checksum algorithm (ck_alg, else MD5:
 * none), written in base64 to ck_b64.
 */
static enum s3_error copy_stream(struct obj_reader *r, struct obj_writer *w,
				 enum gw_cksum_alg ck_alg, char md5_hex[33],
				 char ck_b64[GW_CKSUM_B64_MAX])
{
	struct gw_cksum_set sums;
	unsigned mask = ck_alg == GW_CKSUM_MD5 ? 0 : GW_CKSUM_BIT(ck_alg);
	if (gw_cksum_set_init(&sums, mask) != 0)
		return S3_INTERNAL_ERROR;
	char *buf = malloc(COPY_BUFFER_BYTES);
	enum s3_error e = buf ? S3_OK : S3_INTERNAL_ERROR;
	for (uint64_t rounds = 0; e == S3_OK; rounds++) {
		size_t got = 0;
		e = gw_obj_error(obj_reader_read(r, buf, COPY_BUFFER_BYTES, &got));
		if (e != S3_OK || got == 0)
			break;
		if (gw_cksum_set_update(&sums, buf, got) != 0)
			e = S3_INTERNAL_ERROR;
		else
			e = gw_obj_error(obj_writer_write(w, buf, got));
	}
	if (e == S3_OK && gw_cksum_set_finish(&sums) != 0)
		e = S3_INTERNAL_ERROR;
	if (e == S3_OK) {
		hex_of(gw_cksum_set_digest(&sums, GW_CKSUM_MD5), 16, md5_hex);
		ck_b64[0] = '\0';
		if (ck_alg != GW_CKSUM_MD5)
			gw_cksum_set_base64(&sums, ck_alg, ck_b64);
	}
	gw_cksum_set_cleanup(&sums);
	free(buf);
	return e;
}

static enum s3_error part_copy_finish(struct gw_request *req)
{
	struct gw_app *app = gw_app_of(req);
	char id[OBJ_UPLOAD_ID_LEN_BUF], sb[GW_BUCKET_NAME_MAX + 2], sk[GW_KEY_BYTES_MAX + 1];
	uint32_t part;
	size_t skl = 0;
	struct obj_range range;
	enum gw_cksum_alg alg = GW_CKSUM_MD5;
	enum s3_error e = part_number_of(req, &part);
	if (e == S3_OK)
		e = upload_id_of(req, id);
	if (e == S3_OK)
		e = gw_copy_source_parse(req, sb, sizeof sb, sk, sizeof sk, &skl);
	if (e == S3_OK)
		e = copy_range(req, &range);
	if (e == S3_OK)
		e = upload_checksum_alg(req, id, &alg);
	if (e == S3_NO_SUCH_KEY) {
		alg = GW_CKSUM_MD5; /* the upload has no checksum algorithm */
		e = S3_OK;
	}
	if (e != S3_OK)
		return e;
	struct obj_reader *r = NULL;
	struct obj_writer *w = NULL;
	e = gw_obj_error(obj_reader_new(app->obj, sb, sk, skl, &range, &r));
	if (e == S3_OK) {
		const struct obj_meta *m = obj_reader_meta(r);
		e = gw_conditions_check(req, "x-amz-copy-source-", m->attrs.etag, m->mtime_ns);
	}
	if (e == S3_OK)
		e = gw_obj_error(obj_part_writer_new(app->obj, req->bucket, req->key, req->key_len,
						     id, part, &w));
	char md5[33], ck[GW_CKSUM_B64_MAX];
	if (e == S3_OK)
		e = copy_stream(r, w, alg, md5, ck);
	if (e == S3_OK)
		e = gw_obj_error(obj_part_finish(w, md5, ck[0] ? ck : NULL));
	obj_writer_free(w);
	obj_reader_free(r);
	if (e != S3_OK)
		return e;
	if (ck[0] && gw_response_add_header(&req->response, gw_cksum_alg_header(alg), ck) != 0)
		return S3_INTERNAL_ERROR;
	char etag[OBJ_ETAG_MAX + 4];
	gw_etag_quote(md5, etag, sizeof etag);
	char *body = NULL;
	size_t len = 0;
	int rc = s3xml_encode_copy_part(etag, (int64_t)(obj_now_ns(app->obj) / 1000000), &body,
					&len);
	return gw_reply_xml(req, rc, body, len);
}

const struct gw_handler gw_handler_upload_part_copy = {.finish = part_copy_finish};

/* ---- CompleteMultipartUpload ---- */

static int xml_checksum_index(enum gw_cksum_alg alg)
{
	switch (alg) {
	case GW_CKSUM_CRC32: return S3XML_CHECKSUM_CRC32;
	case GW_CKSUM_CRC32C: return S3XML_CHECKSUM_CRC32C;
	case GW_CKSUM_CRC64NVME: return S3XML_CHECKSUM_CRC64NVME;
	case GW_CKSUM_SHA1: return S3XML_CHECKSUM_SHA1;
	case GW_CKSUM_SHA256: return S3XML_CHECKSUM_SHA256;
	default: return -1;
	}
}

/*
 * obj_checksum_fn of Complete: the object's checksum from the parts' stored
 * ones, in the upload's algorithm and type.  A part checksum the client
 * lists in the body must match the stored one (InvalidPart), as S3 checks.
 * No algorithm, or a part without a checksum (impossible since UploadPart
 * computes one for such uploads, but then the object claims none): "".
 */
static int complete_checksum(void *arg, const struct obj_meta *up,
			     const struct obj_meta *const *parts, size_t n,
			     char out[OBJ_CHECKSUM_VALUE_MAX])
{
	const struct s3xml_complete *doc = arg;
	const char *a = up->attrs.checksum_algo;
	enum gw_cksum_alg alg;
	out[0] = '\0';
	if (a == NULL || gw_cksum_alg_parse(a, strlen(a), &alg) != 0 || alg == GW_CKSUM_MD5)
		return 0;
	int k = xml_checksum_index(alg);
	const char **vals = calloc(n, sizeof *vals);
	uint64_t *sizes = calloc(n, sizeof *sizes);
	int rc = vals && sizes ? 0 : -ENOMEM;
	bool all = true;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		vals[i] = parts[i]->attrs.checksum_value;
		sizes[i] = parts[i]->size;
		const char *listed = k >= 0 ? doc->parts[i].checksum[k] : NULL;
		if (listed != NULL && (vals[i] == NULL || strcmp(listed, vals[i]) != 0))
			rc = OBJ_EINVALIDPART;
		all = all && vals[i] != NULL;
	}
	if (rc == 0 && all) {
		bool full = up->attrs.checksum_type != NULL &&
			    strcmp(up->attrs.checksum_type, "FULL_OBJECT") == 0;
		rc = gw_cksum_multipart(alg, full, vals, sizes, n, out, OBJ_CHECKSUM_VALUE_MAX);
		if (rc == -EINVAL)
			rc = OBJ_ECORRUPT; /* a stored part value that is no digest */
	}
	free(vals);
	free(sizes);
	return rc;
}

static enum s3_error complete_finish(struct gw_request *req)
{
	char id[OBJ_UPLOAD_ID_LEN_BUF], if_match[OBJ_ETAG_MAX];
	enum s3_error e = upload_id_of(req, id);
	if (e != S3_OK)
		return e;
	struct s3xml_complete *doc = NULL;
	int rc = s3xml_decode_complete(req->small_body, req->small_body_len, 0, &doc);
	if (rc == S3XML_ERR_PART_NUMBER)
		return S3_INVALID_ARGUMENT;
	if (rc != 0)
		return S3_MALFORMED_XML;
	struct obj_part_ref *refs = calloc(doc->part_count, sizeof *refs);
	struct obj_cond cond;
	e = refs ? gw_write_conditions(req, &cond, if_match, sizeof if_match) : S3_INTERNAL_ERROR;
	struct obj_meta *m = NULL;
	if (e == S3_OK) {
		for (size_t i = 0; i < doc->part_count; i++)
			refs[i] = (struct obj_part_ref){doc->parts[i].part_number, doc->parts[i].etag};
		struct obj_checksum_fn ck = {complete_checksum, doc};
		e = gw_obj_error(obj_upload_complete(gw_app_of(req)->obj, req->bucket, req->key,
						     req->key_len, id, refs, doc->part_count, &ck,
						     &cond, &m));
	}
	free(refs);
	s3xml_complete_free(doc);
	if (e != S3_OK)
		return e;
	enum gw_cksum_alg alg;
	const char *algo = m->attrs.checksum_algo;
	int k = -1;
	if (algo != NULL && m->attrs.checksum_value != NULL &&
	    gw_cksum_alg_parse(algo, strlen(algo), &alg) == 0)
		k = xml_checksum_index(alg);
	char etag[OBJ_ETAG_MAX + 4], location[GW_BUCKET_NAME_MAX + GW_KEY_BYTES_MAX + 4];
	gw_etag_quote(m->attrs.etag, etag, sizeof etag);
	snprintf(location, sizeof location, "/%s/%s", req->bucket, req->key);
	struct s3xml_complete_result res = {
		.location = location, .bucket = req->bucket, .key = req->key, .etag = etag,
	};
	if (k >= 0) {
		res.checksum[k] = m->attrs.checksum_value;
		if (gw_response_add_header(&req->response, "x-amz-checksum-type",
					   m->attrs.checksum_type ? m->attrs.checksum_type
								  : "COMPOSITE") != 0) {
			obj_meta_free(m);
			return S3_INTERNAL_ERROR;
		}
	}
	char *body = NULL;
	size_t len = 0;
	rc = s3xml_encode_complete_upload(&res, &body, &len);
	obj_meta_free(m);
	return gw_reply_xml(req, rc, body, len);
}

const struct gw_handler gw_handler_complete_multipart_upload = {
	/* 10000 parts with ETags and checksums fit comfortably. */
	.small_body_max = S3XML_BODY_BYTES_MAX,
	.finish = complete_finish,
};

/* ---- AbortMultipartUpload ---- */

static enum s3_error abort_finish(struct gw_request *req)
{
	char id[OBJ_UPLOAD_ID_LEN_BUF];
	enum s3_error e = upload_id_of(req, id);
	if (e == S3_OK)
		e = gw_obj_error(obj_upload_abort(gw_app_of(req)->obj, req->bucket, req->key,
						  req->key_len, id));
	if (e == S3_OK)
		req->response.status = 204;
	return e;
}

const struct gw_handler gw_handler_abort_multipart_upload = {.finish = abort_finish};

/* ---- ListParts ---- */

struct parts_collect {
	struct s3xml_part_info *parts;
	char (*etags)[OBJ_ETAG_MAX + 4];
	size_t count;
};

static int collect_part(void *arg, const struct obj_part_info *p)
{
	struct parts_collect *c = arg;
	gw_etag_quote(p->meta->attrs.etag, c->etags[c->count], sizeof c->etags[0]);
	c->parts[c->count] = (struct s3xml_part_info){
		.part_number = p->part,
		.last_modified_ms = p->meta->mtime_ns / 1000000,
		.etag = c->etags[c->count],
		.size = p->meta->size,
	};
	c->count++;
	return 0;
}

static enum s3_error u32_query(struct gw_request *req, const char *name, uint32_t dflt,
			       uint32_t max, uint32_t *out)
{
	*out = dflt;
	const char *v = gw_request_query_raw(req, name);
	if (v == NULL)
		return S3_OK;
	char *end = NULL;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 0)
		return S3_INVALID_ARGUMENT;
	*out = (uint64_t)n > max ? max : (uint32_t)n;
	return S3_OK;
}

static enum s3_error list_parts_finish(struct gw_request *req)
{
	char id[OBJ_UPLOAD_ID_LEN_BUF];
	uint32_t marker = 0, max = 0, next = 0;
	enum s3_error e = upload_id_of(req, id);
	if (e == S3_OK)
		e = u32_query(req, "part-number-marker", 0, OBJ_PART_NUMBER_MAX, &marker);
	if (e == S3_OK)
		e = u32_query(req, "max-parts", 1000, 1000, &max);
	if (e != S3_OK)
		return e;
	struct parts_collect c = {calloc(max ? max : 1, sizeof *c.parts),
				  calloc(max ? max : 1, sizeof *c.etags), 0};
	bool truncated = false;
	if (c.parts == NULL || c.etags == NULL)
		e = S3_INTERNAL_ERROR;
	else
		e = gw_obj_error(obj_upload_list_parts(gw_app_of(req)->obj, req->bucket, req->key,
						       req->key_len, id, marker, max, collect_part,
						       &c, &truncated, &next));
	if (e == S3_OK) {
		struct s3xml_list_parts l = {
			.bucket = req->bucket, .key = req->key, .upload_id = id, .owner = &owner,
			.part_number_marker = marker, .next_part_number_marker = next,
			.max_parts = max, .is_truncated = truncated, .parts = c.parts,
			.part_count = c.count,
		};
		char *body = NULL;
		size_t len = 0;
		int rc = s3xml_encode_list_parts(&l, &body, &len);
		e = gw_reply_xml(req, rc, body, len);
	}
	free(c.parts);
	free(c.etags);
	return e;
}

const struct gw_handler gw_handler_list_parts = {.finish = list_parts_finish};

/* ---- ListMultipartUploads ---- */

struct uploads_collect {
	struct s3xml_upload *uploads;
	char **prefixes;
	size_t upload_count, prefix_count, cap;
	char **owned;
	size_t owned_count;
};

static int collect_upload(void *arg, const struct obj_upload_entry *e)
{
	struct uploads_collect *c = arg;
	if (c->upload_count + c->prefix_count >= c->cap)
		return -ENOSPC;
	char *key = strndup(e->key, e->key_len);
	char *id = e->upload_id ? strdup(e->upload_id) : NULL;
	if (key == NULL || (e->upload_id && id == NULL)) {
		free(key);
		free(id);
		return -ENOMEM;
	}
	c->owned[c->owned_count++] = key;
	if (id)
		c->owned[c->owned_count++] = id;
	if (e->is_prefix)
		c->prefixes[c->prefix_count++] = key;
	else
		c->uploads[c->upload_count++] = (struct s3xml_upload){
			.key = key, .upload_id = id, .initiated_ms = e->initiated_ns / 1000000};
	return 0;
}

static enum s3_error list_uploads_finish(struct gw_request *req)
{
	uint32_t max = 0;
	enum s3_error e = u32_query(req, "max-uploads", 1000, 1000, &max);
	const char *enc = gw_request_query_raw(req, "encoding-type");
	if (e == S3_OK && enc != NULL && strcasecmp(enc, "url") != 0)
		e = S3_INVALID_ARGUMENT;
	if (e != S3_OK)
		return e;
	char *prefix = gw_request_query_decoded(req, "prefix");
	char *delim = gw_request_query_decoded(req, "delimiter");
	char *key_marker = gw_request_query_decoded(req, "key-marker");
	char *id_marker = gw_request_query_decoded(req, "upload-id-marker");
	size_t cap = (size_t)max + 1;
	struct uploads_collect c = {calloc(cap, sizeof *c.uploads), calloc(cap, sizeof(char *)),
				    0, 0, cap, calloc(2 * cap, sizeof(char *)), 0};
	struct obj_upload_list_result res = {0};
	if (c.uploads == NULL || c.prefixes == NULL || c.owned == NULL) {
		e = S3_INTERNAL_ERROR;
	} else {
		struct obj_upload_list_params p = {
			.prefix = prefix, .prefix_len = prefix ? strlen(prefix) : 0,
			.delimiter = delim, .delimiter_len = delim ? strlen(delim) : 0,
			.key_marker = key_marker, .key_marker_len = key_marker ? strlen(key_marker) : 0,
			.upload_id_marker = id_marker, .max_uploads = max,
		};
		e = gw_obj_error(obj_upload_list(gw_app_of(req)->obj, req->bucket, &p,
						 collect_upload, &c, &res));
	}
	if (e == S3_OK) {
		struct s3xml_list_uploads l = {
			.bucket = req->bucket, .key_marker = key_marker, .upload_id_marker = id_marker,
			.next_key_marker = res.truncated ? res.next_key : NULL,
			.next_upload_id_marker = res.truncated ? res.next_upload_id : NULL,
			.prefix = prefix, .delimiter = delim, .max_uploads = max,
			.is_truncated = res.truncated, .encoding_url = enc != NULL, .owner = &owner,
			.uploads = c.uploads, .upload_count = c.upload_count,
			.common_prefixes = (const char *const *)c.prefixes,
			.common_prefix_count = c.prefix_count,
		};
		char *body = NULL;
		size_t len = 0;
		int rc = s3xml_encode_list_uploads(&l, &body, &len);
		e = gw_reply_xml(req, rc, body, len);
	}
	for (size_t i = 0; i < c.owned_count; i++)
		free(c.owned[i]);
	free(c.owned);
	free(c.uploads);
	free(c.prefixes);
	free(res.next_key);
	free(prefix);
	free(delim);
	free(key_marker);
	free(id_marker);
	return e;
}

const struct gw_handler gw_handler_list_multipart_uploads = {.finish = list_uploads_finish};
