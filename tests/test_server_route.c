/* Tests of the route table and path splitting. */
#include <check.h>
#include <string.h>

#include "gateway/route.h"
#include "tests/check_server.h"

static enum s3_op resolve(const char *method, const char *bucket, const char *key,
			  const char *q1, const char *q2, bool copy)
{
	const char *names[2];
	size_t n = 0;
	const char *list_type = NULL;
	if (q1) {
		names[n++] = q1;
		if (strcmp(q1, "list-type") == 0)
			list_type = "2";
	}
	if (q2)
		names[n++] = q2;
	struct s3_route_request req = {
		.method = method, .has_bucket = bucket != NULL, .has_key = key != NULL,
		.has_copy_source = copy, .query_names = names, .query_count = n,
		.list_type = list_type,
	};
	enum s3_op op = S3_OP_NONE;
	enum s3_error e = s3_route_resolve(&req, &op);
	return e == S3_OK ? op : S3_OP_NONE;
}

/* Every operation is reachable by the request shape S3 defines for it. */
START_TEST(route_every_operation)
{
	ck_assert_int_eq(resolve("GET", NULL, NULL, NULL, NULL, false), S3_OP_LIST_BUCKETS);
	ck_assert_int_eq(resolve("PUT", "b", NULL, NULL, NULL, false), S3_OP_CREATE_BUCKET);
	ck_assert_int_eq(resolve("HEAD", "b", NULL, NULL, NULL, false), S3_OP_HEAD_BUCKET);
	ck_assert_int_eq(resolve("DELETE", "b", NULL, NULL, NULL, false), S3_OP_DELETE_BUCKET);
	ck_assert_int_eq(resolve("GET", "b", NULL, "location", NULL, false), S3_OP_GET_BUCKET_LOCATION);
	ck_assert_int_eq(resolve("GET", "b", NULL, "versioning", NULL, false), S3_OP_GET_BUCKET_VERSIONING);
	ck_assert_int_eq(resolve("GET", "b", NULL, NULL, NULL, false), S3_OP_LIST_OBJECTS);
	ck_assert_int_eq(resolve("GET", "b", NULL, "list-type", NULL, false), S3_OP_LIST_OBJECTS_V2);
	ck_assert_int_eq(resolve("GET", "b", NULL, "versions", NULL, false), S3_OP_LIST_OBJECT_VERSIONS);
	ck_assert_int_eq(resolve("GET", "b", NULL, "uploads", NULL, false), S3_OP_LIST_MULTIPART_UPLOADS);
	ck_assert_int_eq(resolve("POST", "b", NULL, "delete", NULL, false), S3_OP_DELETE_OBJECTS);
	ck_assert_int_eq(resolve("PUT", "b", "k", NULL, NULL, false), S3_OP_PUT_OBJECT);
	ck_assert_int_eq(resolve("PUT", "b", "k", NULL, NULL, true), S3_OP_COPY_OBJECT);
	ck_assert_int_eq(resolve("GET", "b", "k", NULL, NULL, false), S3_OP_GET_OBJECT);
	ck_assert_int_eq(resolve("HEAD", "b", "k", NULL, NULL, false), S3_OP_HEAD_OBJECT);
	ck_assert_int_eq(resolve("DELETE", "b", "k", NULL, NULL, false), S3_OP_DELETE_OBJECT);
	ck_assert_int_eq(resolve("POST", "b", "k", "uploads", NULL, false), S3_OP_CREATE_MULTIPART_UPLOAD);
	ck_assert_int_eq(resolve("PUT", "b", "k", "partNumber", "uploadId", false), S3_OP_UPLOAD_PART);
	ck_assert_int_eq(resolve("PUT", "b", "k", "uploadId", "partNumber", true), S3_OP_UPLOAD_PART_COPY);
	ck_assert_int_eq(resolve("POST", "b", "k", "uploadId", NULL, false), S3_OP_COMPLETE_MULTIPART_UPLOAD);
	ck_assert_int_eq(resolve("DELETE", "b", "k", "uploadId", NULL, false), S3_OP_ABORT_MULTIPART_UPLOAD);
	ck_assert_int_eq(resolve("GET", "b", "k", "uploadId", NULL, false), S3_OP_LIST_PARTS);
}
END_TEST

/* Unknown query parameters are ignored; known-but-unimplemented ones say so. */
START_TEST(route_unknown_and_unimplemented)
{
	ck_assert_int_eq(resolve("PUT", "b", "k", "x-id", NULL, false), S3_OP_PUT_OBJECT);
	ck_assert_int_eq(resolve("GET", "b", "k", "x-amz-checksum-mode", NULL, false), S3_OP_GET_OBJECT);
	ck_assert_int_eq(resolve("GET", "b", "k", "acl", NULL, false), S3_OP_NOT_IMPLEMENTED);
	ck_assert_int_eq(resolve("PUT", "b", NULL, "tagging", NULL, false), S3_OP_NOT_IMPLEMENTED);
	ck_assert_int_eq(resolve("GET", "b", NULL, "tagging", NULL, false), S3_OP_NOT_IMPLEMENTED);
	/* Object tagging is implemented, and wins over PutObject / GetObject. */
	ck_assert_int_eq(resolve("PUT", "b", "k", "tagging", NULL, false), S3_OP_PUT_OBJECT_TAGGING);
	ck_assert_int_eq(resolve("PUT", "b", "k", "tagging", NULL, true), S3_OP_PUT_OBJECT_TAGGING);
	ck_assert_int_eq(resolve("GET", "b", "k", "tagging", NULL, false), S3_OP_GET_OBJECT_TAGGING);
	ck_assert_int_eq(resolve("DELETE", "b", "k", "tagging", NULL, false),
			 S3_OP_DELETE_OBJECT_TAGGING);
	ck_assert_int_eq(resolve("GET", "b", NULL, "policy", NULL, false), S3_OP_NOT_IMPLEMENTED);
	ck_assert_int_eq(resolve("PUT", "b", NULL, "versioning", NULL, false), S3_OP_NOT_IMPLEMENTED);
	ck_assert_int_eq(resolve("POST", "b", NULL, NULL, NULL, false), S3_OP_NOT_IMPLEMENTED);
	/* A part number without an upload id is not UploadPart. */
	ck_assert_int_eq(resolve("PUT", "b", "k", "partNumber", NULL, false), S3_OP_PUT_OBJECT);
}
END_TEST

START_TEST(route_method_not_allowed)
{
	const char *names[1];
	struct s3_route_request req = {.method = "PATCH", .has_bucket = true,
				       .has_key = true, .query_names = names};
	enum s3_op op;
	ck_assert_int_eq(s3_route_resolve(&req, &op), S3_METHOD_NOT_ALLOWED);
	req.method = "POST";
	ck_assert_int_eq(s3_route_resolve(&req, &op), S3_METHOD_NOT_ALLOWED);
	req.method = "DELETE";
	req.has_bucket = false;
	ck_assert_int_eq(s3_route_resolve(&req, &op), S3_METHOD_NOT_ALLOWED);
}
END_TEST

static enum s3_error split(const char *path, char *bucket, char *key, size_t *key_len)
{
	return s3_route_split_path(path, strlen(path), bucket, 64, key, 1025, key_len);
}

START_TEST(route_split_path)
{
	char b[64], k[1025];
	size_t kl;
	ck_assert_int_eq(split("/", b, k, &kl), S3_OK);
	ck_assert_str_eq(b, "");
	ck_assert_int_eq(split("/bucket", b, k, &kl), S3_OK);
	ck_assert_str_eq(b, "bucket");
	ck_assert_uint_eq(kl, 0);
	ck_assert_int_eq(split("/bucket/", b, k, &kl), S3_OK);
	ck_assert_str_eq(b, "bucket");
	ck_assert_uint_eq(kl, 0);
	ck_assert_int_eq(split("/bucket/a/b%20c/%E2%82%AC+d", b, k, &kl), S3_OK);
	ck_assert_str_eq(k, "a/b c/\xe2\x82\xac+d");
	ck_assert_uint_eq(kl, strlen(k));
	ck_assert_int_eq(split("/bucket//double", b, k, &kl), S3_OK);
	ck_assert_str_eq(k, "/double");
	ck_assert_int_eq(split("/b/bad%zz", b, k, &kl), S3_INVALID_REQUEST);
	ck_assert_int_eq(split("/b/trunc%4", b, k, &kl), S3_INVALID_REQUEST);
	ck_assert_int_eq(split("/b/nul%00x", b, k, &kl), S3_INVALID_REQUEST);
	ck_assert_int_eq(split("noslash", b, k, &kl), S3_INVALID_REQUEST);
	char longkey[1100 + 4] = "/b/";
	memset(longkey + 3, 'k', 1100);
	longkey[1103] = '\0';
	ck_assert_int_eq(split(longkey, b, k, &kl), S3_KEY_TOO_LONG);
	char longbucket[100] = "/";
	memset(longbucket + 1, 'b', 90);
	longbucket[91] = '\0';
	ck_assert_int_eq(split(longbucket, b, k, &kl), S3_INVALID_BUCKET_NAME);
}
END_TEST

Suite *server_route_suite(void)
{
	Suite *s = suite_create("server_route");
	TCase *tc = tcase_create("route");
	tcase_add_test(tc, route_every_operation);
	tcase_add_test(tc, route_unknown_and_unimplemented);
	tcase_add_test(tc, route_method_not_allowed);
	tcase_add_test(tc, route_split_path);
	suite_add_tcase(s, tc);
	return s;
}
