/*
 * test_engine_basic.c — open, put, get, delete, reopen: the engine's
 * smallest contract, including values across segment boundaries.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_put_get_reopen)
{
	char *dir = test_tmpdir_new("basic");
	struct kv_options o;
	test_engine_opts(&o, 4096);
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	char k[32], v[256];
	for (int i = 0; i < 200; i++) {
		snprintf(k, sizeof k, "key%04d", i);
		memset(v, 'a' + i % 26, sizeof v);
		ck_assert_int_eq(kv_put(kv, k, strlen(k), v, (size_t)(i % 200)), 0);
	}
	ck_assert_int_eq(kv_del(kv, "key0007", 7), 0);
	ck_assert_int_eq(kv_close(kv), 0);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(k, sizeof k, "key%04d", i);
		void *val;
		size_t len;
		int rc = kv_get(kv, k, strlen(k), &val, &len);
		if (i == 7) {
			ck_assert_int_eq(rc, KV_ENOTFOUND);
			continue;
		}
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(len, (size_t)(i % 200));
		for (size_t j = 0; j < len; j++)
			ck_assert_int_eq(((char *)val)[j], 'a' + i % 26);
		free(val);
	}
	struct kv_stats st;
	kv_stats(kv, &st);
	ck_assert_uint_eq(st.keys, 199);
	ck_assert_uint_gt(st.segments, 1);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

Suite *test_engine_basic_suite(void)
{
	Suite *s = suite_create("engine_basic");
	TCase *tc = tcase_create("basic");
	tcase_add_test(tc, test_put_get_reopen);
	suite_add_tcase(s, tc);
	return s;
}
