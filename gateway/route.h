/*
 * route.h — the one table that maps an S3 request's shape to an operation.
 *
 * S3 distinguishes operations by method, by whether the path names the
 * service, a bucket or an object, by "subresource" query parameters
 * (?uploads, ?location, ?list-type=2 ...) and by a few headers
 * (x-amz-copy-source).  The table in route.c lists every operation once;
 * s3_route_resolve() picks the most specific matching row.  Query parameters
 * S3 does not define (x-id=PutObject from the Go SDK, say) are ignored;
 * subresources S3 defines but VeriStore does not implement resolve to
 * S3_OP_NOT_IMPLEMENTED, never to a wrong operation.
 */
#ifndef VS_GATEWAY_ROUTE_H
#define VS_GATEWAY_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/s3_error.h"

enum s3_op {
	S3_OP_NONE = 0,
	S3_OP_NOT_IMPLEMENTED,
	/* service */
	S3_OP_LIST_BUCKETS,
	/* bucket */
	S3_OP_CREATE_BUCKET,
	S3_OP_HEAD_BUCKET,
	S3_OP_DELETE_BUCKET,
	S3_OP_GET_BUCKET_LOCATION,
	S3_OP_GET_BUCKET_VERSIONING,
	S3_OP_LIST_OBJECTS,
	S3_OP_LIST_OBJECTS_V2,
	S3_OP_LIST_OBJECT_VERSIONS,
	S3_OP_LIST_MULTIPART_UPLOADS,
	S3_OP_DELETE_OBJECTS,
	/* object */
	S3_OP_PUT_OBJECT,
	S3_OP_COPY_OBJECT,
	S3_OP_GET_OBJECT,
	S3_OP_HEAD_OBJECT,
	S3_OP_DELETE_OBJECT,
	S3_OP_CREATE_MULTIPART_UPLOAD,
	S3_OP_UPLOAD_PART,
	S3_OP_UPLOAD_PART_COPY,
	S3_OP_COMPLETE_MULTIPART_UPLOAD,
	S3_OP_ABORT_MULTIPART_UPLOAD,
	S3_OP_LIST_PARTS,
	S3_OP_GET_OBJECT_TAGGING,
	S3_OP_PUT_OBJECT_TAGGING,
	S3_OP_DELETE_OBJECT_TAGGING,
	/* VeriStore's own admin API under /_veristore/ (gateway/admin.h) */
	S3_OP_ADMIN,
	S3_OP_COUNT
};

/* The operation's name as in the S3 API Reference ("PutObject"), for logs. */
const char *s3_op_name(enum s3_op op);

/* What the router needs to know of a request. */
struct s3_route_request {
	const char *method;   /* "GET", "PUT", ... */
	bool has_bucket;      /* the path names a bucket */
	bool has_key;         /* ... and an object key (non-empty) */
	bool has_copy_source; /* an x-amz-copy-source header is present */
	/* Query parameter names (decoded), in any order. */
	const char *const *query_names;
	size_t query_count;
	/* The value of list-type, if present (ListObjectsV2 when "2"). */
	const char *list_type;
};

/*
 * Resolves the operation.  Returns S3_OK and *op, or S3_METHOD_NOT_ALLOWED
 * for a method S3 does not serve on that resource; an S3 subresource that
 * is not implemented gives S3_OK with S3_OP_NOT_IMPLEMENTED.
 */
enum s3_error s3_route_resolve(const struct s3_route_request *req, enum s3_op *op);

/*
 * Splits a raw (still percent-encoded) path-style request path into bucket
 * and key, percent-decoding each.  "/", "/b", "/b/" and "/b/k/e/y" are
 * accepted; "/b/" names the bucket (S3-CLIENTS: `/bucket/` is `/bucket`).
 * bucket (bucket_size bytes) and key (key_size bytes) are NUL-terminated;
 * *key_len is the key's decoded length (keys may hold any byte but NUL...
 * and a decoded %00 is rejected).  Returns S3_OK, S3_KEY_TOO_LONG,
 * S3_INVALID_BUCKET_NAME (too long for the buffer) or S3_INVALID_REQUEST
 * (bad escape, no leading slash).
 */
enum s3_error s3_route_split_path(const char *raw_path, size_t raw_len, char *bucket,
				  size_t bucket_size, char *key, size_t key_size,
				  size_t *key_len);

/*
 * Percent-decodes src[0..len) into dst (dst_size bytes, NUL-terminated);
 * '+' is kept as '+' (in a path it is a literal plus).  Returns the decoded
 * length, or -1 on a malformed escape, a decoded NUL, or no room.
 */
long s3_percent_decode(char *dst, size_t dst_size, const char *src, size_t len);

#endif /* VS_GATEWAY_ROUTE_H */
