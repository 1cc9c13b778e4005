/*
 * s3_delete_objects.c — DeleteObjects (POST /bucket?delete): up to 1000 keys
 * in one request, each deleted on its own (S3 makes no promise of
 * atomicity across keys), answered with a DeleteResult listing what was
 * deleted (unless Quiet) and every per-key error.
 */
#include "gateway/s3_ops.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/app.h"
#include "gateway/http_util.h"
#include "xml/s3xml.h"

/*
 * S3 requires an integrity header on this request: Content-MD5, or (newer
 * SDKs, S3-CLIENTS #3) an x-amz-checksum-* header or trailer instead.  The
 * body pipeline has verified whichever was sent by the time finish runs.
 */
static bool has_integrity_header(struct gw_request *req)
{
	static const char *const names[] = {"content-md5", "x-amz-checksum-crc32",
					    "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme",
					    "x-amz-checksum-sha1", "x-amz-checksum-sha256",
					    "x-amz-trailer"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (gw_request_header(req, names[i]) != NULL)
			return true;
	return false;
}

static enum s3_error delete_objects_finish(struct gw_request *req)
{
	if (!has_integrity_header(req)) {
		req->error_message = "Missing required header for this request: Content-MD5";
		return S3_INVALID_REQUEST;
	}
	struct obj_bucket_info info;
	enum s3_error e = gw_obj_error(obj_bucket_head(gw_app_of(req)->obj, req->bucket, &info));
	if (e != S3_OK)
		return e;
	struct s3xml_delete *doc = NULL;
	int rc = s3xml_decode_delete(req->small_body, req->small_body_len, 0, &doc);
	if (rc == S3XML_ERR_KEY_TOO_LONG)
		return S3_KEY_TOO_LONG;
	if (rc != 0)
		return S3_MALFORMED_XML;
	size_t n = doc->object_count;
	struct s3xml_deleted *deleted = calloc(n ? n : 1, sizeof *deleted);
	struct s3xml_delete_error *errors = calloc(n ? n : 1, sizeof *errors);
	size_t nd = 0, ne = 0;
	if (deleted == NULL || errors == NULL)
		e = S3_INTERNAL_ERROR;
	for (size_t i = 0; e == S3_OK && i < n; i++) {
		const struct s3xml_delete_object *o = &doc->objects[i];
		if (o->version_id != NULL && strcmp(o->version_id, "null") != 0) {
			errors[ne++] = (struct s3xml_delete_error){o->key, o->version_id,
								   "NoSuchVersion",
								   "The specified version does not exist."};
			continue;
		}
		enum s3_error ke = gw_obj_error(obj_delete(gw_app_of(req)->obj, req->bucket, o->key,
							   strlen(o->key)));
		if (ke == S3_OK)
			deleted[nd++] = (struct s3xml_deleted){o->key, o->version_id};
		else
			errors[ne++] = (struct s3xml_delete_error){o->key, o->version_id,
								   s3_error_code(ke),
								   s3_error_message(ke)};
	}
	if (e == S3_OK) {
		char *body = NULL;
		size_t len = 0;
		rc = s3xml_encode_delete_result(deleted, doc->quiet ? 0 : nd, errors, ne, &body, &len);
		e = gw_reply_xml(req, rc, body, len);
	}
	free(deleted);
	free(errors);
	s3xml_delete_free(doc);
	return e;
}

const struct gw_handler gw_handler_delete_objects = {
	.small_body_max = S3XML_BODY_BYTES_MAX,
	.finish = delete_objects_finish,
};
