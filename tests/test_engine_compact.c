/*
 * test_engine_compact.c — compaction reclaims dead bytes, keeps every live
 * value, survives reopen (with and without a checkpoint), never brings a
 * deleted key back, and loses no write that races with it.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NK 200

static void val_of(char *v, size_t cap, int i, int ver)
{
	snprintf(v, cap, "v%d-%d-%080d", i, ver, i);
}

static void check_model(struct kv *kv, const int *ver)
{
	char k[16], v[128];
	for (int i = 0; i < NK; i++) {
		snprintf(k, sizeof k, "k%04d", i);
		if (ver[i] < 0) {
			test_kv_expect(kv, k, NULL);
		} else {
			val_of(v, sizeof v, i, ver[i]);
			test_kv_expect(kv, k, v);
		}
	}
}

static void rm_checkpoints(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -f %s/ckpt-*.ckpt", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_compact_reclaims_and_keeps)
{
	char *dir = test_tmpdir_new("compact");
	struct kv_options o;
	test_engine_opts(&o, 8192);
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	struct test_rng r;
	test_rng_init(&r, test_seed() + 5);
	int ver[NK];
	char k[16], v[128];
	for (int i = 0; i < NK; i++)
		ver[i] = -1;
	for (int step = 0; step < 1500; step++) {
		int i = (int)test_rng_below(&r, NK);
		snprintf(k, sizeof k, "k%04d", i);
		if (test_rng_below(&r, 5) == 0) {
			ck_assert_int_eq(kv_del(kv, k, strlen(k)), 0);
			ver[i] = -1;
		} else {
			ver[i] = step;
			val_of(v, sizeof v, i, step);
			test_kv_put(kv, k, v);
		}
	}
	struct kv_stats a, b;
	kv_stats(kv, &a);
	ck_assert_uint_gt(a.dead_bytes, a.live_bytes);
	ck_assert_int_eq(kv_compact(kv, 0.5), 0);
	kv_stats(kv, &b);
	ck_assert_uint_gt(b.compactions, 0);
	ck_assert_uint_gt(b.compacted_bytes, 0);
	ck_assert_uint_lt(b.dead_bytes, a.dead_bytes / 2);
	ck_assert_uint_lt(b.segments, a.segments);
	ck_assert_uint_eq(b.keys, a.keys);
	ck_assert_uint_eq(b.live_bytes, a.live_bytes);
	check_model(kv, ver);
	ck_assert_int_eq(kv_close(kv), 0);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	check_model(kv, ver);
	ck_assert_int_eq(kv_compact(kv, 0), 0);
	ck_assert_int_eq(kv_close(kv), 0);
	/* Without checkpoints the log alone must give the same state. */
	rm_checkpoints(dir);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	check_model(kv, ver);
	kv_stats(kv, &b);
	ck_assert_uint_eq(b.live_bytes, a.live_bytes);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_compact_no_resurrection)
{
	char *dir = test_tmpdir_new("resurrect");
	struct kv_options o;
	test_engine_opts(&o, 4096);
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	char pad[200];
	memset(pad, 'p', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	test_kv_put(kv, "ghost", "boo");          /* in segment 1 */
	for (int i = 0; i < 30; i++)
		test_kv_put(kv, "filler", pad);    /* dead filler */
	ck_assert_int_eq(kv_del(kv, "ghost", 5), 0); /* tombstone later */
	for (int i = 0; i < 30; i++)
		test_kv_put(kv, "filler", pad);
	/* Compact the tombstone's segment first, then everything. */
	ck_assert_int_eq(kv_compact(kv, 0.9), 0);
	ck_assert_int_eq(kv_compact(kv, 0), 0);
	test_kv_expect(kv, "ghost", NULL);
	ck_assert_int_eq(kv_close(kv), 0);
	rm_checkpoints(dir);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	test_kv_expect(kv, "ghost", NULL);
	test_kv_expect(kv, "filler", pad);
	/* And again after a second round on the reopened engine. */
	for (int i = 0; i < 30; i++)
		test_kv_put(kv, "filler", pad);
	ck_assert_int_eq(kv_compact(kv, 0), 0);
	ck_assert_int_eq(kv_close(kv), 0);
	rm_checkpoints(dir);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	test_kv_expect(kv, "ghost", NULL);
	struct kv_stats st;
	kv_stats(kv, &st);
	ck_assert_uint_eq(st.keys, 1);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

struct racer {
	struct kv *kv;
	int ver[NK];
};

static void *racer_main(void *arg)
{
	struct racer *rc = arg;
	char k[16], v[128];
	for (int round = 0; round < 15; round++)
		for (int i = 0; i < NK; i++) {
			snprintf(k, sizeof k, "k%04d", i);
			if ((i + round) % 7 == 0) {
				ck_assert_int_eq(kv_del(rc->kv, k, strlen(k)), 0);
				rc->ver[i] = -1;
				continue;
			}
			val_of(v, sizeof v, i, round);
			ck_assert_int_eq(kv_put(rc->kv, k, strlen(k), v,
						strlen(v)), 0);
			rc->ver[i] = round;
		}
	return NULL;
}

START_TEST(test_compact_races_writers)
{
	char *dir = test_tmpdir_new("race");
	struct kv_options o;
	test_engine_opts(&o, 8192);
	o.sync_mode = KV_SYNC_NONE;
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	static struct racer rc;
	rc.kv = kv;
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, racer_main, &rc), 0);
	for (int i = 0; i < 20; i++) {
		int r = kv_compact(kv, 0);
		ck_assert_int_eq(r, 0);
	}
	pthread_join(th, NULL);
	ck_assert_int_eq(kv_compact(kv, 0), 0);
	check_model(kv, rc.ver);
	ck_assert_int_eq(kv_close(kv), 0);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	check_model(kv, rc.ver);
	ck_assert_int_eq(kv_close(kv), 0);
	rm_checkpoints(dir);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	check_model(kv, rc.ver);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_compact_background)
{
	char *dir = test_tmpdir_new("bgcompact");
	struct kv_options o;
	test_engine_opts(&o, 4096);
	o.background_compaction = true;
	o.compact_bytes_per_sec = 0;
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	char v[128];
	for (int i = 0; i < 300; i++) {
		val_of(v, sizeof v, 1, i);
		test_kv_put(kv, "same", v);
	}
	/* The thread runs on its own schedule; closing must be clean either way. */
	ck_assert_int_eq(kv_close(kv), 0);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	test_kv_expect(kv, "same", v);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

Suite *test_engine_compact_suite(void)
{
	Suite *s = suite_create("engine_compact");
	TCase *tc = tcase_create("compact");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_compact_reclaims_and_keeps);
	tcase_add_test(tc, test_compact_no_resurrection);
	tcase_add_test(tc, test_compact_races_writers);
	tcase_add_test(tc, test_compact_background);
	suite_add_tcase(s, tc);
	return s;
}
