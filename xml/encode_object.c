/*
 * encode_object.c — object operation responses: CopyObjectResult,
 * CopyPartResult, DeleteResult and Tagging (S3 API reference: CopyObject,
 * UploadPartCopy, DeleteObjects, GetObjectTagging).
 */
#include "engine/assert.h"
#include "xml/s3xml.h"
#include "xml/writer.h"

static int copy_result(const char *root, const char *etag, int64_t ms,
                       char **body, size_t *body_len)
{
	ASSERT(etag != NULL);
	struct xw w;
	xw_init(&w, 384);
	xw_open_root(&w, root, true);
	xw_elem_time(&w, "LastModified", ms);
	xw_elem(&w, "ETag", etag);
	xw_close(&w, root);
	return xw_finish(&w, body, body_len);
}

int s3xml_encode_copy_object(const char *etag, int64_t last_modified_ms,
                             char **body, size_t *body_len)
{
	return copy_result("CopyObjectResult", etag, last_modified_ms, body,
	                   body_len);
}

int s3xml_encode_copy_part(const char *etag, int64_t last_modified_ms,
                           char **body, size_t *body_len)
{
	return copy_result("CopyPartResult", etag, last_modified_ms, body,
	                   body_len);
}

int s3xml_encode_delete_result(const struct s3xml_deleted *deleted,
                               size_t deleted_count,
                               const struct s3xml_delete_error *errors,
                               size_t error_count, char **body,
                               size_t *body_len)
{
	ASSERT(deleted_count == 0 || deleted != NULL);
	ASSERT(error_count == 0 || errors != NULL);
	struct xw w;
	xw_init(&w, 256 + deleted_count * 96 + error_count * 192);
	xw_open_root(&w, "DeleteResult", true);
	for (size_t i = 0; i < deleted_count; i++) {
		xw_open(&w, "Deleted");
		xw_elem(&w, "Key", deleted[i].key);
		xw_elem_opt(&w, "VersionId", deleted[i].version_id);
		xw_close(&w, "Deleted");
	}
	for (size_t i = 0; i < error_count; i++) {
		const struct s3xml_delete_error *e = &errors[i];
		xw_open(&w, "Error");
		xw_elem(&w, "Key", e->key);
		xw_elem_opt(&w, "VersionId", e->version_id);
		xw_elem(&w, "Code", e->code);
		xw_elem(&w, "Message", e->message);
		xw_close(&w, "Error");
	}
	xw_close(&w, "DeleteResult");
	return xw_finish(&w, body, body_len);
}

int s3xml_encode_tagging(const char *const *keys, const char *const *values,
                         size_t count, char **body, size_t *body_len)
{
	ASSERT(count == 0 || (keys != NULL && values != NULL));
	struct xw w;
	xw_init(&w, 256 + count * 128);
	xw_open_root(&w, "Tagging", true);
	xw_open(&w, "TagSet");
	for (size_t i = 0; i < count; i++) {
		xw_open(&w, "Tag");
		xw_elem(&w, "Key", keys[i]);
		xw_elem(&w, "Value", values[i]);
		xw_close(&w, "Tag");
	}
	xw_close(&w, "TagSet");
	xw_close(&w, "Tagging");
	return xw_finish(&w, body, body_len);
}
