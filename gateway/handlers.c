/*
 * handlers.c — the table from S3 operation to its handler.
 *
 * An operation with no row is answered NotImplemented (501) by the server,
 * as S3 XML: DESIGN.md's rule that anything not implemented says so,
 * never hangs or crashes.  Rows are added as operations are implemented.
 */
#include "gateway/handler.h"

#include "engine/assert.h"
#include "gateway/admin.h"
#include "gateway/app.h"
#include "gateway/s3_ops.h"

static const struct gw_handler *const handlers[S3_OP_COUNT] = {
	[S3_OP_LIST_BUCKETS] = &gw_handler_list_buckets,
	[S3_OP_CREATE_BUCKET] = &gw_handler_create_bucket,
	[S3_OP_HEAD_BUCKET] = &gw_handler_head_bucket,
	[S3_OP_DELETE_BUCKET] = &gw_handler_delete_bucket,
	[S3_OP_GET_BUCKET_LOCATION] = &gw_handler_get_bucket_location,
	[S3_OP_GET_BUCKET_VERSIONING] = &gw_handler_get_bucket_versioning,
	[S3_OP_PUT_OBJECT] = &gw_handler_put_object,
	[S3_OP_GET_OBJECT] = &gw_handler_get_object,
	[S3_OP_HEAD_OBJECT] = &gw_handler_head_object,
	[S3_OP_DELETE_OBJECT] = &gw_handler_delete_object,
	[S3_OP_COPY_OBJECT] = &gw_handler_copy_object,
	[S3_OP_LIST_OBJECTS] = &gw_handler_list_objects,
	[S3_OP_LIST_OBJECTS_V2] = &gw_handler_list_objects_v2,
	[S3_OP_LIST_OBJECT_VERSIONS] = &gw_handler_list_object_versions,
	[S3_OP_DELETE_OBJECTS] = &gw_handler_delete_objects,
	[S3_OP_CREATE_MULTIPART_UPLOAD] = &gw_handler_create_multipart_upload,
	[S3_OP_UPLOAD_PART] = &gw_handler_upload_part,
	[S3_OP_UPLOAD_PART_COPY] = &gw_handler_upload_part_copy,
	[S3_OP_COMPLETE_MULTIPART_UPLOAD] = &gw_handler_complete_multipart_upload,
	[S3_OP_ABORT_MULTIPART_UPLOAD] = &gw_handler_abort_multipart_upload,
	[S3_OP_LIST_PARTS] = &gw_handler_list_parts,
	[S3_OP_LIST_MULTIPART_UPLOADS] = &gw_handler_list_multipart_uploads,
	[S3_OP_GET_OBJECT_TAGGING] = &gw_handler_get_object_tagging,
	[S3_OP_PUT_OBJECT_TAGGING] = &gw_handler_put_object_tagging,
	[S3_OP_DELETE_OBJECT_TAGGING] = &gw_handler_delete_object_tagging,
	[S3_OP_ADMIN] = &gw_handler_admin,
};

const struct gw_handler *gw_handler_for(enum s3_op op)
{
	ASSERT((unsigned)op < S3_OP_COUNT);
	return handlers[op];
}

void gw_handler_request_begin(struct gw_request *req)
{
	store_read_session(gw_app_of(req)->store);
}
