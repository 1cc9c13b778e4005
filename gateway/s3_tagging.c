/*
 * s3_tagging.c — GetObjectTagging, PutObjectTagging, DeleteObjectTagging.
 *
 * An object's tag set is stored in its record (obj_attrs.tagging, the
 * canonical form of tagging.h), set at PutObject / CopyObject /
 * CreateMultipartUpload from x-amz-tagging and replaced here in place:
 * ETag and Last-Modified do not change, as in S3.  Only the "null" version
 * exists; a versionId other than "null" is NoSuchVersion in S3, answered
 * here as NotImplemented like every other version request.
 */
#include "gateway/s3_ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/app.h"
#include "gateway/http_util.h"
#include "gateway/tagging.h"
#include "xml/s3xml.h"

/* Tagging bodies are small: 10 tags of 128 + 256 characters. */
#define TAGGING_BODY_BYTES_MAX (64u * 1024)

static enum s3_error version_check(struct gw_request *req)
{
	const char *v = gw_request_query_raw(req, "versionId");
	return v == NULL || strcmp(v, "null") == 0 ? S3_OK : S3_NOT_IMPLEMENTED;
}

static enum s3_error reply_version(struct gw_request *req, unsigned status)
{
	req->response.status = status;
	return gw_response_add_header(&req->response, "x-amz-version-id", "null") == 0
		       ? S3_OK
		       : S3_INTERNAL_ERROR;
}

/* ---- GetObjectTagging ---- */

static enum s3_error get_finish(struct gw_request *req)
{
	enum s3_error e = version_check(req);
	struct obj_meta *m = NULL;
	if (e == S3_OK)
		e = gw_obj_error(obj_head(gw_app_of(req)->obj, req->bucket, req->key,
					  req->key_len, &m));
	if (e != S3_OK)
		return e;
	struct gw_tag_set set = {0};
	const char *t = m->attrs.tagging ? m->attrs.tagging : "";
	int rc = gw_tag_set_parse_query(t, strlen(t), &set);
	obj_meta_free(m);
	if (rc != 0)
		return S3_INTERNAL_ERROR; /* a stored set is always valid */
	char *body = NULL;
	size_t len = 0;
	rc = s3xml_encode_tagging((const char *const *)set.keys,
				  (const char *const *)set.values, set.count, &body, &len);
	gw_tag_set_clear(&set);
	e = gw_reply_xml(req, rc, body, len);
	return e == S3_OK ? reply_version(req, 200) : e;
}

const struct gw_handler gw_handler_get_object_tagging = {.finish = get_finish};

/* ---- PutObjectTagging ---- */

/* The body's tags as a canonical string (*out malloc'd). */
static enum s3_error tags_from_body(struct gw_request *req, char **out)
{
	struct s3xml_tagging *doc = NULL;
	int rc = s3xml_decode_tagging(req->small_body, req->small_body_len,
				      TAGGING_BODY_BYTES_MAX, &doc);
	if (rc == S3XML_ERR_TOO_LARGE)
		return S3_MAX_MESSAGE_LENGTH_EXCEEDED;
	if (rc == S3XML_ERR_TOO_MANY) {
		req->error_message = "Object tags cannot be greater than 10";
		return S3_INVALID_TAG;
	}
	if (rc != 0)
		return rc == -ENOMEM ? S3_INTERNAL_ERROR : S3_MALFORMED_XML;
	struct gw_tag_set set = {0};
	for (size_t i = 0; rc == 0 && i < doc->tag_count; i++)
		rc = gw_tag_set_add(&set, doc->tags[i].key, doc->tags[i].value);
	s3xml_tagging_free(doc);
	if (rc == 0)
		rc = gw_tag_set_check(&set);
	if (rc == 0)
		rc = gw_tag_set_canonical(&set, out);
	if (rc == GW_TAG_ERR_INVALID)
		req->error_message = set.why;
	gw_tag_set_clear(&set);
	if (rc != 0)
		return rc == GW_TAG_ERR_INVALID ? S3_INVALID_TAG : S3_INTERNAL_ERROR;
	return S3_OK;
}

static enum s3_error put_finish(struct gw_request *req)
{
	enum s3_error e = version_check(req);
	if (e == S3_OK && req->small_body_len == 0)
		e = S3_MISSING_REQUEST_BODY;
	char *canon = NULL;
	if (e == S3_OK)
		e = tags_from_body(req, &canon);
	if (e == S3_OK)
		e = gw_obj_error(obj_tagging_set(gw_app_of(req)->obj, req->bucket, req->key,
						 req->key_len, canon, NULL));
	free(canon);
	return e == S3_OK ? reply_version(req, 200) : e;
}

const struct gw_handler gw_handler_put_object_tagging = {
	.small_body_max = TAGGING_BODY_BYTES_MAX,
	.finish = put_finish,
};

/* ---- DeleteObjectTagging ---- */

static enum s3_error delete_finish(struct gw_request *req)
{
	enum s3_error e = version_check(req);
	if (e == S3_OK)
		e = gw_obj_error(obj_tagging_set(gw_app_of(req)->obj, req->bucket, req->key,
						 req->key_len, NULL, NULL));
	return e == S3_OK ? reply_version(req, 204) : e;
}

const struct gw_handler gw_handler_delete_object_tagging = {.finish = delete_finish};
