/*
 * route.c — the route table.  Rows are matched top to bottom; the first
 * whose method, resource level, required query parameter and copy-source
 * condition all hold wins, so more specific rows come first.
 */
#include "gateway/route.h"

#include <string.h>

#include "engine/assert.h"

enum level { L_SERVICE, L_BUCKET, L_OBJECT };
enum copy_cond { C_ANY, C_NO, C_YES };

struct route {
	const char *method;
	enum level level;
	const char *query;  /* a subresource that must be present, or NULL */
	const char *query2; /* a second one (uploadId with partNumber) */
	enum copy_cond copy;
	enum s3_op op;
};

static const struct route routes[] = {
	{"GET", L_SERVICE, NULL, NULL, C_ANY, S3_OP_LIST_BUCKETS},

	/* Object tagging only: bucket tagging is not implemented. */
	{"GET", L_BUCKET, "tagging", NULL, C_ANY, S3_OP_NOT_IMPLEMENTED},
	{"PUT", L_BUCKET, "tagging", NULL, C_ANY, S3_OP_NOT_IMPLEMENTED},
	{"DELETE", L_BUCKET, "tagging", NULL, C_ANY, S3_OP_NOT_IMPLEMENTED},
	{"GET", L_BUCKET, "location", NULL, C_ANY, S3_OP_GET_BUCKET_LOCATION},
	{"GET", L_BUCKET, "versioning", NULL, C_ANY, S3_OP_GET_BUCKET_VERSIONING},
	{"GET", L_BUCKET, "uploads", NULL, C_ANY, S3_OP_LIST_MULTIPART_UPLOADS},
	{"GET", L_BUCKET, "versions", NULL, C_ANY, S3_OP_LIST_OBJECT_VERSIONS},
	{"GET", L_BUCKET, NULL, NULL, C_ANY, S3_OP_LIST_OBJECTS}, /* v2: list-type */
	{"HEAD", L_BUCKET, NULL, NULL, C_ANY, S3_OP_HEAD_BUCKET},
	{"PUT", L_BUCKET, "versioning", NULL, C_ANY, S3_OP_NOT_IMPLEMENTED},
	{"PUT", L_BUCKET, NULL, NULL, C_ANY, S3_OP_CREATE_BUCKET},
	{"DELETE", L_BUCKET, NULL, NULL, C_ANY, S3_OP_DELETE_BUCKET},
	{"POST", L_BUCKET, "delete", NULL, C_ANY, S3_OP_DELETE_OBJECTS},
	/* POST Object, the browser form upload. */
	{"POST", L_BUCKET, NULL, NULL, C_ANY, S3_OP_NOT_IMPLEMENTED},

	{"GET", L_OBJECT, "tagging", NULL, C_ANY, S3_OP_GET_OBJECT_TAGGING},
	{"PUT", L_OBJECT, "tagging", NULL, C_ANY, S3_OP_PUT_OBJECT_TAGGING},
	{"DELETE", L_OBJECT, "tagging", NULL, C_ANY, S3_OP_DELETE_OBJECT_TAGGING},

	{"PUT", L_OBJECT, "partNumber", "uploadId", C_YES, S3_OP_UPLOAD_PART_COPY},
	{"PUT", L_OBJECT, "partNumber", "uploadId", C_NO, S3_OP_UPLOAD_PART},
	{"PUT", L_OBJECT, NULL, NULL, C_YES, S3_OP_COPY_OBJECT},
	{"PUT", L_OBJECT, NULL, NULL, C_NO, S3_OP_PUT_OBJECT},
	{"GET", L_OBJECT, "uploadId", NULL, C_ANY, S3_OP_LIST_PARTS},
	{"GET", L_OBJECT, NULL, NULL, C_ANY, S3_OP_GET_OBJECT},
	{"HEAD", L_OBJECT, NULL, NULL, C_ANY, S3_OP_HEAD_OBJECT},
	{"DELETE", L_OBJECT, "uploadId", NULL, C_ANY, S3_OP_ABORT_MULTIPART_UPLOAD},
	{"DELETE", L_OBJECT, NULL, NULL, C_ANY, S3_OP_DELETE_OBJECT},
	{"POST", L_OBJECT, "uploads", NULL, C_ANY, S3_OP_CREATE_MULTIPART_UPLOAD},
	{"POST", L_OBJECT, "uploadId", NULL, C_ANY, S3_OP_COMPLETE_MULTIPART_UPLOAD},
};

/*
 * Subresources S3 defines that VeriStore does not implement: a request
 * naming one is answered NotImplemented rather than served as, say, a plain
 * GetObject that would silently mean something else.  (S3 API Reference,
 * the operations' URI request parameters.)
 */
static const char *const unimplemented[] = {
	"accelerate", "acl", "analytics", "attributes", "cors", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging",
	"metrics", "notification", "object-lock", "ownershipControls", "policy",
	"policyStatus", "publicAccessBlock", "replication", "requestPayment",
	"restore", "retention", "select", "torrent", "website",
	"renameObject", "session",
};

static const char *const op_names[S3_OP_COUNT] = {
	[S3_OP_NONE] = "None",
	[S3_OP_NOT_IMPLEMENTED] = "NotImplemented",
	[S3_OP_LIST_BUCKETS] = "ListBuckets",
	[S3_OP_CREATE_BUCKET] = "CreateBucket",
	[S3_OP_HEAD_BUCKET] = "HeadBucket",
	[S3_OP_DELETE_BUCKET] = "DeleteBucket",
	[S3_OP_GET_BUCKET_LOCATION] = "GetBucketLocation",
	[S3_OP_GET_BUCKET_VERSIONING] = "GetBucketVersioning",
	[S3_OP_LIST_OBJECTS] = "ListObjects",
	[S3_OP_LIST_OBJECTS_V2] = "ListObjectsV2",
	[S3_OP_LIST_OBJECT_VERSIONS] = "ListObjectVersions",
	[S3_OP_LIST_MULTIPART_UPLOADS] = "ListMultipartUploads",
	[S3_OP_DELETE_OBJECTS] = "DeleteObjects",
	[S3_OP_PUT_OBJECT] = "PutObject",
	[S3_OP_COPY_OBJECT] = "CopyObject",
	[S3_OP_GET_OBJECT] = "GetObject",
	[S3_OP_HEAD_OBJECT] = "HeadObject",
	[S3_OP_DELETE_OBJECT] = "DeleteObject",
	[S3_OP_CREATE_MULTIPART_UPLOAD] = "CreateMultipartUpload",
	[S3_OP_UPLOAD_PART] = "UploadPart",
	[S3_OP_UPLOAD_PART_COPY] = "UploadPartCopy",
	[S3_OP_COMPLETE_MULTIPART_UPLOAD] = "CompleteMultipartUpload",
	[S3_OP_ABORT_MULTIPART_UPLOAD] = "AbortMultipartUpload",
	[S3_OP_LIST_PARTS] = "ListParts",
	[S3_OP_GET_OBJECT_TAGGING] = "GetObjectTagging",
	[S3_OP_PUT_OBJECT_TAGGING] = "PutObjectTagging",
	[S3_OP_DELETE_OBJECT_TAGGING] = "DeleteObjectTagging",
	[S3_OP_ADMIN] = "VeriStoreAdmin",
};

const char *s3_op_name(enum s3_op op)
{
	ASSERT((unsigned)op < S3_OP_COUNT);
	return op_names[op];
}

static bool has_query(const struct s3_route_request *req, const char *name)
{
	for (size_t i = 0; i < req->query_count; i++)
		if (strcmp(req->query_names[i], name) == 0)
			return true;
	return false;
}

static bool row_matches(const struct route *r, const struct s3_route_request *req,
			enum level level)
{
	if (r->level != level || strcmp(r->method, req->method) != 0)
		return false;
	if (r->query && !has_query(req, r->query))
		return false;
	if (r->query2 && !has_query(req, r->query2))
		return false;
	if (r->copy == C_YES && !req->has_copy_source)
		return false;
	if (r->copy == C_NO && req->has_copy_source)
		return false;
	return true;
}

enum s3_error s3_route_resolve(const struct s3_route_request *req, enum s3_op *op)
{
	enum level level = !req->has_bucket ? L_SERVICE : !req->has_key ? L_BUCKET : L_OBJECT;
	for (size_t i = 0; i < sizeof unimplemented / sizeof unimplemented[0]; i++) {
		if (has_query(req, unimplemented[i])) {
			*op = S3_OP_NOT_IMPLEMENTED;
			return S3_OK;
		}
	}
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (!row_matches(&routes[i], req, level))
			continue;
		enum s3_op found = routes[i].op;
		if (found == S3_OP_LIST_OBJECTS && req->list_type != NULL &&
		    strcmp(req->list_type, "2") == 0)
			found = S3_OP_LIST_OBJECTS_V2;
		*op = found;
		return S3_OK;
	}
	return S3_METHOD_NOT_ALLOWED;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* True if every escape is %HH and none decodes to NUL. */
static bool percent_wellformed(const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (src[i] == '\0')
			return false;
		if (src[i] != '%')
			continue;
		if (i + 2 >= len || hexval(src[i + 1]) < 0 || hexval(src[i + 2]) < 0 ||
		    (src[i + 1] == '0' && src[i + 2] == '0'))
			return false;
		i += 2;
	}
	return true;
}

long s3_percent_decode(char *dst, size_t dst_size, const char *src, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = src[i];
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || o + 1 >= dst_size)
			return -1;
		dst[o++] = c;
	}
	if (o >= dst_size)
		return -1;
	dst[o] = '\0';
	return (long)o;
}

enum s3_error s3_route_split_path(const char *raw_path, size_t raw_len, char *bucket,
				  size_t bucket_size, char *key, size_t key_size,
				  size_t *key_len)
{
	if (raw_len == 0 || raw_path[0] != '/')
		return S3_INVALID_REQUEST;
	const char *p = raw_path + 1, *end = raw_path + raw_len;
	const char *slash = memchr(p, '/', (size_t)(end - p));
	const char *bucket_end = slash ? slash : end;
	if (s3_percent_decode(bucket, bucket_size, p, (size_t)(bucket_end - p)) < 0)
		return (size_t)(bucket_end - p) >= bucket_size ? S3_INVALID_BUCKET_NAME
							       : S3_INVALID_REQUEST;
	key[0] = '\0';
	*key_len = 0;
	if (slash == NULL || slash + 1 == end)
		return S3_OK;
	size_t raw_key_len = (size_t)(end - slash - 1);
	long n = s3_percent_decode(key, key_size, slash + 1, raw_key_len);
	if (n < 0) {
		/* Well-formed but too long for the buffer, or malformed? */
		return percent_wellformed(slash + 1, raw_key_len) ? S3_KEY_TOO_LONG
								  : S3_INVALID_REQUEST;
	}
	*key_len = (size_t)n;
	return S3_OK;
}
