/*
 * handlers.c — the table from S3 operation to its handler.
 *
 * An operation with no row is answered NotImplemented (501) by the server,
 * as S3 XML: DESIGN.md's rule that anything not implemented says so,
 * never hangs or crashes.  Rows are added as operations are implemented.
 */
#include "gateway/handler.h"

#include "engine/assert.h"
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
};

const struct gw_handler *gw_handler_for(enum s3_op op)
{
	ASSERT((unsigned)op < S3_OP_COUNT);
	return handlers[op];
}
