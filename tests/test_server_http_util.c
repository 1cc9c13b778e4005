/* Tests of gateway/http_util.c: dates, ETag lists, ranges. */
#include <check.h>
#include <string.h>

#include "gateway/http_util.h"
#include "tests/check_server.h"

START_TEST(util_http_date_round_trip)
{
	char buf[GW_HTTP_DATE_BYTES];
	gw_http_date_format(0, buf);
	ck_assert_str_eq(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	gw_http_date_format(1795535636, buf);
	int64_t t = 0;
	ck_assert_int_eq(gw_http_date_parse(buf, &t), 0);
	ck_assert_int_eq(t, 1795535636);
	/* The two obsolete forms RFC 7231 says a recipient must accept. */
	ck_assert_int_eq(gw_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
	ck_assert_int_eq(t, 784111777);
	ck_assert_int_eq(gw_http_date_parse("Sun Nov  6 08:49:37 1994", &t), 0);
	ck_assert_int_eq(t, 784111777);
	ck_assert_int_eq(gw_http_date_parse("yesterday", &t), -1);
	ck_assert_int_eq(gw_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT trailing", &t), -1);
}
END_TEST

START_TEST(util_etag_lists)
{
	const char *e = "9b2cf535f27731c974343645a3985328";
	ck_assert(gw_etag_list_matches("\"9b2cf535f27731c974343645a3985328\"", e));
	ck_assert(gw_etag_list_matches("9b2cf535f27731c974343645a3985328", e));
	ck_assert(gw_etag_list_matches("*", e));
	ck_assert(gw_etag_list_matches("\"x\", W/\"9b2cf535f27731c974343645a3985328\"", e));
	ck_assert(!gw_etag_list_matches("\"9b2cf535f27731c974343645a398532\"", e));
	ck_assert(!gw_etag_list_matches("\"x\",\"y\"", e));
	ck_assert(!gw_etag_list_matches("", e));
	ck_assert(gw_etag_list_matches("\"abc-2\"", "abc-2"));
}
END_TEST

static struct obj_range range(const char *h, enum s3_error *e)
{
	struct obj_range r;
	*e = gw_range_parse(h, &r);
	return r;
}

START_TEST(util_ranges)
{
	enum s3_error e;
	struct obj_range r = range("bytes=0-99", &e);
	ck_assert_int_eq(r.kind, OBJ_RANGE_FROM_TO);
	ck_assert_uint_eq(r.a, 0);
	ck_assert_uint_eq(r.b, 99);
	r = range("bytes=100-", &e);
	ck_assert_int_eq(r.kind, OBJ_RANGE_FROM);
	ck_assert_uint_eq(r.a, 100);
	r = range("bytes=-5", &e);
	ck_assert_int_eq(r.kind, OBJ_RANGE_SUFFIX);
	ck_assert_uint_eq(r.a, 5);
	/* Not a single byte range: ignored, the whole object is served (RFC 7233). */
	ck_assert_int_eq(range("bytes=0-1,5-6", &e).kind, OBJ_RANGE_NONE);
	ck_assert_int_eq(range("items=0-1", &e).kind, OBJ_RANGE_NONE);
	ck_assert_int_eq(range("bytes=5-1", &e).kind, OBJ_RANGE_NONE);
	ck_assert_int_eq(range("bytes=a-b", &e).kind, OBJ_RANGE_NONE);
	ck_assert_int_eq(range("bytes=-", &e).kind, OBJ_RANGE_NONE);
	ck_assert_int_eq(range(NULL, &e).kind, OBJ_RANGE_NONE);
	ck_assert_int_eq(e, S3_OK);
}
END_TEST

START_TEST(util_obj_errors_map_to_s3)
{
	ck_assert_int_eq(gw_obj_error(0), S3_OK);
	ck_assert_int_eq(gw_obj_error(OBJ_ENOKEY), S3_NO_SUCH_KEY);
	ck_assert_int_eq(gw_obj_error(OBJ_ENOBUCKET), S3_NO_SUCH_BUCKET);
	ck_assert_int_eq(gw_obj_error(OBJ_ENOTEMPTY), S3_BUCKET_NOT_EMPTY);
	ck_assert_int_eq(gw_obj_error(OBJ_EUNAVAILABLE), S3_SERVICE_UNAVAILABLE);
	ck_assert_int_eq(gw_obj_error(OBJ_ETOOSMALL), S3_ENTITY_TOO_SMALL);
	ck_assert_int_eq(gw_obj_error(-5), S3_INTERNAL_ERROR);
}
END_TEST

Suite *server_http_util_suite(void)
{
	Suite *s = suite_create("server_http_util");
	TCase *tc = tcase_create("util");
	tcase_add_test(tc, util_http_date_round_trip);
	tcase_add_test(tc, util_etag_lists);
	tcase_add_test(tc, util_ranges);
	tcase_add_test(tc, util_obj_errors_map_to_s3);
	suite_add_tcase(s, tc);
	return s;
}
