/*
 * test_gateway_tagging.c — object tag sets: the x-amz-tagging query form
 * (escapes, '+', empty values), S3's limits (10 tags, key 1..128 and value
 * 0..256 characters counted in UTF-8 characters, unique keys, no "aws:"),
 * and the canonical form (sorted, RFC 3986 escapes, stable round trip).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/tagging.h"
#include "tests/test_gateway.h"
#include "tests/testutil.h"

static int canon_of(const char *q, char **out)
{
	struct gw_tag_set s;
	int rc = gw_tag_set_parse_query(q, strlen(q), &s);
	if (rc == 0)
		rc = gw_tag_set_canonical(&s, out);
	gw_tag_set_clear(&s);
	return rc;
}

START_TEST(test_tagging_parse_and_canonical)
{
	char *c = NULL;
	ck_assert_int_eq(canon_of("b=two+words&a=1&empty=&bare", &c), 0);
	ck_assert_str_eq(c, "a=1&b=two%20words&bare=&empty=");
	ck_assert_uint_eq(gw_tagging_count(c), 4);
	/* The canonical form parses back to itself. */
	char *c2 = NULL;
	ck_assert_int_eq(canon_of(c, &c2), 0);
	ck_assert_str_eq(c2, c);
	free(c);
	free(c2);
	ck_assert_int_eq(canon_of("k%2Bx=%C3%A9%26%3D", &c), 0);
	ck_assert_str_eq(c, "k%2Bx=%C3%A9%26%3D");
	struct gw_tag_set s;
	ck_assert_int_eq(gw_tag_set_parse_query(c, strlen(c), &s), 0);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_str_eq(s.keys[0], "k+x");
	ck_assert_str_eq(s.values[0], "\xc3\xa9&=");
	gw_tag_set_clear(&s);
	free(c);
	ck_assert_int_eq(canon_of("", &c), 0);
	ck_assert_str_eq(c, "");
	ck_assert_uint_eq(gw_tagging_count(c), 0);
	ck_assert_uint_eq(gw_tagging_count(NULL), 0);
	free(c);
}
END_TEST

START_TEST(test_tagging_limits)
{
	char q[2048], *c = NULL;
	/* 10 tags are fine, 11 are not. */
	q[0] = '\0';
	for (int i = 0; i < 10; i++)
		snprintf(q + strlen(q), sizeof(q) - strlen(q), "%sk%d=v", i ? "&" : "", i);
	ck_assert_int_eq(canon_of(q, &c), 0);
	ck_assert_uint_eq(gw_tagging_count(c), 10);
	free(c);
	strcat(q, "&k10=v");
	ck_assert_int_eq(canon_of(q, &c), GW_TAG_ERR_INVALID);
	/* Key 128 characters (multi-byte ones count once), 129 not. */
	char key[800] = "";
	for (int i = 0; i < 128; i++)
		strcat(key, "%C3%A9");
	snprintf(q, sizeof(q), "%s=v", key);
	ck_assert_int_eq(canon_of(q, &c), 0);
	free(c);
	snprintf(q, sizeof(q), "x%s=v", key);
	ck_assert_int_eq(canon_of(q, &c), GW_TAG_ERR_INVALID);
	/* Value 256 characters, 257 not. */
	char val[300];
	memset(val, 'v', 256);
	val[256] = '\0';
	snprintf(q, sizeof(q), "k=%s", val);
	ck_assert_int_eq(canon_of(q, &c), 0);
	free(c);
	snprintf(q, sizeof(q), "k=%sv", val);
	ck_assert_int_eq(canon_of(q, &c), GW_TAG_ERR_INVALID);
	/* Empty key, duplicate key, reserved prefix, bad escape, bad UTF-8,
	 * control character, escaped NUL. */
	static const char *const bad[] = {"=v", "a=1&a=2", "aws:k=v", "k=%zz", "k=%C3",
	                                  "k=%0A", "k=%00", "k%=v"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(canon_of(bad[i], &c) == GW_TAG_ERR_INVALID, "%s", bad[i]);
	/* Pairs added one by one (the XML body's path). */
	struct gw_tag_set s = {0};
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(gw_tag_set_add(&s, "k", "v"), 0);
	ck_assert_int_eq(gw_tag_set_add(&s, "k", "v"), GW_TAG_ERR_INVALID);
	ck_assert_int_eq(gw_tag_set_check(&s), GW_TAG_ERR_INVALID); /* duplicates */
	ck_assert_ptr_nonnull(s.why);
	gw_tag_set_clear(&s);
	ck_assert_uint_eq(s.count, 0);
}
END_TEST

Suite *test_gateway_tagging_suite(void)
{
	Suite *s = suite_create("gateway_tagging");
	TCase *tc = tcase_create("tagging");
	tcase_add_test(tc, test_tagging_parse_and_canonical);
	tcase_add_test(tc, test_tagging_limits);
	suite_add_tcase(s, tc);
	return s;
}
