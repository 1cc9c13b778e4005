/*
 * s3_ops.h — the handlers of every implemented S3 operation, one family per
 * file (s3_bucket.c, s3_object.c, s3_list.c, s3_multipart.c,
 * s3_delete_objects.c, s3_tagging.c), registered in handlers.c.
 */
#ifndef VS_GATEWAY_S3_OPS_H
#define VS_GATEWAY_S3_OPS_H

#include "gateway/handler.h"

/* s3_bucket.c */
extern const struct gw_handler gw_handler_list_buckets;
extern const struct gw_handler gw_handler_create_bucket;
extern const struct gw_handler gw_handler_head_bucket;
extern const struct gw_handler gw_handler_delete_bucket;
extern const struct gw_handler gw_handler_get_bucket_location;
extern const struct gw_handler gw_handler_get_bucket_versioning;

/* s3_object.c */
extern const struct gw_handler gw_handler_put_object;
extern const struct gw_handler gw_handler_get_object;
extern const struct gw_handler gw_handler_head_object;
extern const struct gw_handler gw_handler_delete_object;
extern const struct gw_handler gw_handler_copy_object;

/* s3_list.c */
extern const struct gw_handler gw_handler_list_objects;
extern const struct gw_handler gw_handler_list_objects_v2;
extern const struct gw_handler gw_handler_list_object_versions;

/* s3_multipart.c */
extern const struct gw_handler gw_handler_create_multipart_upload;
extern const struct gw_handler gw_handler_upload_part;
extern const struct gw_handler gw_handler_upload_part_copy;
extern const struct gw_handler gw_handler_complete_multipart_upload;
extern const struct gw_handler gw_handler_abort_multipart_upload;
extern const struct gw_handler gw_handler_list_parts;
extern const struct gw_handler gw_handler_list_multipart_uploads;

/* s3_tagging.c */
extern const struct gw_handler gw_handler_get_object_tagging;
extern const struct gw_handler gw_handler_put_object_tagging;
extern const struct gw_handler gw_handler_delete_object_tagging;

/* s3_delete_objects.c */
extern const struct gw_handler gw_handler_delete_objects;

/*
 * Parses x-amz-copy-source ("bucket/key" or "/bucket/key", URL-encoded;
 * "?versionId=null" allowed) into bucket and key (shared with
 * UploadPartCopy).
 */
enum s3_error gw_copy_source_parse(struct gw_request *req, char *bucket, size_t bucket_size,
				   char *key, size_t key_size, size_t *key_len);

#endif /* VS_GATEWAY_S3_OPS_H */
