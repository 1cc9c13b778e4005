/*
 * object_attrs.h — reading an object's stored attributes (content headers,
 * user metadata) from a PUT, CopyObject or CreateMultipartUpload request.
 */
#ifndef VS_GATEWAY_OBJECT_ATTRS_H
#define VS_GATEWAY_OBJECT_ATTRS_H

#include "gateway/object.h"
#include "gateway/request.h"

/* At most this many x-amz-meta-* headers (their 2 KiB limit binds first). */
#define GW_USER_META_MAX 128

struct gw_attrs_buf {
	struct obj_attrs attrs;
	struct obj_pair pairs[GW_USER_META_MAX];
	char *owned[GW_USER_META_MAX + 2]; /* lowercased names, content-encoding */
	size_t owned_count;
	size_t meta_bytes;
};

/*
 * Fills b->attrs from req's headers: Content-Type, Content-Encoding (with
 * the aws-chunked transfer coding removed: it describes the upload, not the
 * object), Content-Disposition, Content-Language, Cache-Control, Expires,
 * and x-amz-meta-* (names lowercased, as S3 stores them).  Strings are
 * borrowed from the request or owned by b: free with gw_attrs_release.
 * Returns S3_OK or S3_METADATA_TOO_LARGE.
 */
enum s3_error gw_attrs_from_request(struct gw_request *req, struct gw_attrs_buf *b);
void gw_attrs_release(struct gw_attrs_buf *b);

/*
 * The x-amz-tagging header of a PutObject, CopyObject (REPLACE) or
 * CreateMultipartUpload, as the canonical string an object stores
 * (tagging.h): *out is malloc'd (free()), or NULL when the header is
 * absent.  S3_INVALID_TAG (with its message) for a tag set S3 refuses.
 */
enum s3_error gw_tagging_from_header(struct gw_request *req, const char **out);

#endif /* VS_GATEWAY_OBJECT_ATTRS_H */
