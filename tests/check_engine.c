/*
 * check_engine.c — runs the engine's unit suites (one per concept) and
 * holds the helpers they share.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void test_engine_opts(struct kv_options *o, uint64_t segment_bytes)
{
	kv_options_init(o);
	o->segment_bytes = segment_bytes;
	o->background_compaction = false;
	o->compact_bytes_per_sec = 0;
}

void test_kv_put(struct kv *kv, const char *key, const char *val)
{
	ck_assert_int_eq(kv_put(kv, key, strlen(key), val, strlen(val)), 0);
}

void test_kv_expect(struct kv *kv, const char *key, const char *val)
{
	void *v = NULL;
	size_t len = 0;
	int rc = kv_get(kv, key, strlen(key), &v, &len);
	if (val == NULL) {
		ck_assert_msg(rc == KV_ENOTFOUND, "key %s: rc %d, want absent",
			      key, rc);
		return;
	}
	ck_assert_msg(rc == 0, "key %s: %s", key, kv_strerror(rc));
	ck_assert_msg(len == strlen(val) && memcmp(v, val, len) == 0,
		      "key %s: wrong value", key);
	free(v);
}

void test_kv_equal(struct kv *a, struct kv *b)
{
	struct kv_iter *ia, *ib;
	ck_assert_int_eq(kv_iter_new(a, NULL, &ia), 0);
	ck_assert_int_eq(kv_iter_new(b, NULL, &ib), 0);
	ck_assert_int_eq(kv_iter_first(ia), 0);
	ck_assert_int_eq(kv_iter_first(ib), 0);
	size_t n = 0;
	while (kv_iter_valid(ia)) {
		ck_assert(kv_iter_valid(ib));
		size_t ka, kb, va, vb;
		const void *pa = kv_iter_key(ia, &ka), *pb = kv_iter_key(ib, &kb);
		ck_assert(ka == kb && memcmp(pa, pb, ka) == 0);
		const void *xa, *xb;
		ck_assert_int_eq(kv_iter_value(ia, &xa, &va), 0);
		ck_assert_int_eq(kv_iter_value(ib, &xb, &vb), 0);
		ck_assert(va == vb && memcmp(xa, xb, va) == 0);
		ck_assert_int_eq(kv_iter_next(ia), 0);
		ck_assert_int_eq(kv_iter_next(ib), 0);
		n++;
	}
	ck_assert(!kv_iter_valid(ib));
	kv_iter_free(ia);
	kv_iter_free(ib);
}

void test_log_fn(void *ctx, enum kv_log_level lv, const char *msg)
{
	struct test_log *l = ctx;
	if (lv == KV_LOG_ERROR) {
		snprintf(l->last_error, sizeof l->last_error, "%s", msg);
		l->errors++;
	} else if (lv == KV_LOG_WARN) {
		snprintf(l->last_warn, sizeof l->last_warn, "%s", msg);
		l->warns++;
	}
}

int main(void)
{
	Suite *suites[] = {
		test_engine_crc32c_suite(),
		test_engine_record_suite(),
		test_engine_index_suite(),
		test_engine_basic_suite(),
		test_engine_iter_suite(),
		test_engine_group_suite(),
		test_engine_checkpoint_suite(),
		test_engine_compact_suite(),
		test_engine_recovery_suite(),
	};
	return test_run_suites(suites, (int)(sizeof suites / sizeof suites[0]));
}
