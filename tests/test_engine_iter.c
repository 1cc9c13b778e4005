/*
 * test_engine_iter.c — iterators: bounds, prefix and seek; cursor
 * semantics under interleaved and concurrent writes; values pinned against
 * overwrite and compaction.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct kv *open_fresh(char **dir, uint64_t seg)
{
	*dir = test_tmpdir_new("iter");
	struct kv_options o;
	test_engine_opts(&o, seg);
	struct kv *kv;
	ck_assert_int_eq(kv_open(*dir, &o, &kv), 0);
	return kv;
}

/* Collects the keys an iterator yields, joined by ','. */
static void scan(struct kv *kv, const struct kv_iter_options *io,
		 const char *seek, char *out, size_t cap)
{
	struct kv_iter *it;
	ck_assert_int_eq(kv_iter_new(kv, io, &it), 0);
	if (seek)
		ck_assert_int_eq(kv_iter_seek(it, seek, strlen(seek)), 0);
	else
		ck_assert_int_eq(kv_iter_first(it), 0);
	out[0] = '\0';
	for (int n = 0; kv_iter_valid(it) && n < 100; n++) {
		size_t kl;
		const char *k = kv_iter_key(it, &kl);
		strncat(out, k, kl);
		strncat(out, ",", cap - strlen(out) - 1);
		ck_assert_int_eq(kv_iter_next(it), 0);
	}
	kv_iter_free(it);
}

START_TEST(test_iter_bounds_prefix_seek)
{
	char *dir;
	struct kv *kv = open_fresh(&dir, 1 << 16);
	const char *keys[] = {"apple", "apricot", "banana", "band", "bandana",
			      "cherry", "ba"};
	for (int i = 0; i < 7; i++)
		test_kv_put(kv, keys[i], "v");
	char out[256];
	scan(kv, NULL, NULL, out, sizeof out);
	ck_assert_str_eq(out, "apple,apricot,ba,banana,band,bandana,cherry,");
	struct kv_iter_options o = {.prefix = "ban", .prefix_len = 3};
	scan(kv, &o, NULL, out, sizeof out);
	ck_assert_str_eq(out, "banana,band,bandana,");
	scan(kv, &o, "band", out, sizeof out);
	ck_assert_str_eq(out, "band,bandana,");
	scan(kv, &o, "a", out, sizeof out); /* before the prefix: clamped */
	ck_assert_str_eq(out, "banana,band,bandana,");
	scan(kv, &o, "bz", out, sizeof out);
	ck_assert_str_eq(out, "");
	struct kv_iter_options r = {.lower = "apricot", .lower_len = 7,
				    .upper = "band", .upper_len = 4};
	scan(kv, &r, NULL, out, sizeof out);
	ck_assert_str_eq(out, "apricot,ba,banana,");
	scan(kv, &r, "b", out, sizeof out);
	ck_assert_str_eq(out, "ba,banana,");
	struct kv_iter_options both = {.prefix = "b", .prefix_len = 1,
				       .upper = "band", .upper_len = 4};
	scan(kv, &both, NULL, out, sizeof out);
	ck_assert_str_eq(out, "ba,banana,");
	/* Value loading and lengths. */
	struct kv_iter *it;
	ck_assert_int_eq(kv_iter_new(kv, NULL, &it), 0);
	ck_assert_int_eq(kv_iter_first(it), 0);
	ck_assert_uint_eq(kv_iter_value_len(it), 1);
	const void *v;
	size_t vl;
	ck_assert_int_eq(kv_iter_value(it, &v, &vl), 0);
	ck_assert(vl == 1 && memcmp(v, "v", 1) == 0);
	kv_iter_free(it);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_iter_cursor_interleaved)
{
	char *dir;
	struct kv *kv = open_fresh(&dir, 1 << 16);
	test_kv_put(kv, "b", "old-b");
	test_kv_put(kv, "d", "d");
	test_kv_put(kv, "f", "f");
	struct kv_iter *it;
	ck_assert_int_eq(kv_iter_new(kv, NULL, &it), 0);
	ck_assert_int_eq(kv_iter_first(it), 0);
	/* On "b": overwrite it, insert behind the cursor, delete ahead. */
	test_kv_put(kv, "b", "new-b");
	test_kv_put(kv, "a", "a");
	ck_assert_int_eq(kv_del(kv, "d", 1), 0);
	test_kv_put(kv, "e", "e");
	const void *v;
	size_t vl;
	ck_assert_int_eq(kv_iter_value(it, &v, &vl), 0);
	ck_assert(vl == 5 && memcmp(v, "old-b", 5) == 0); /* pinned */
	ck_assert_int_eq(kv_iter_next(it), 0);
	size_t kl;
	const char *k = kv_iter_key(it, &kl);
	ck_assert(kl == 1 && k[0] == 'e'); /* d gone, e inserted ahead */
	ck_assert_int_eq(kv_iter_next(it), 0);
	k = kv_iter_key(it, &kl);
	ck_assert(kl == 1 && k[0] == 'f');
	ck_assert_int_eq(kv_iter_next(it), 0);
	ck_assert(!kv_iter_valid(it)); /* "a" behind was not seen */
	kv_iter_free(it);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_iter_pins_against_compaction)
{
	char *dir;
	struct kv *kv = open_fresh(&dir, 4096);
	char val[600];
	memset(val, 'x', sizeof val - 1);
	val[sizeof val - 1] = '\0';
	test_kv_put(kv, "pinned", val);
	struct kv_iter *it;
	ck_assert_int_eq(kv_iter_new(kv, NULL, &it), 0);
	ck_assert_int_eq(kv_iter_first(it), 0);
	struct kv_ref *ref;
	ck_assert_int_eq(kv_get_ref(kv, "pinned", 6, &ref), 0);
	/* Make its segment dead and compact it away. */
	char filler[300];
	memset(filler, 'f', sizeof filler - 1);
	filler[sizeof filler - 1] = '\0';
	for (int i = 0; i < 30; i++)
		test_kv_put(kv, "pinned", filler);
	test_kv_put(kv, "pinned", "short");
	ck_assert_int_eq(kv_compact(kv, 0), 0);
	struct kv_stats st;
	kv_stats(kv, &st);
	ck_assert_uint_gt(st.compactions, 0);
	const void *v;
	size_t vl;
	ck_assert_int_eq(kv_iter_value(it, &v, &vl), 0);
	ck_assert(vl == sizeof val - 1 && memcmp(v, val, vl) == 0);
	ck_assert_int_eq(kv_ref_verify(ref), 0);
	ck_assert_uint_eq(kv_ref_len(ref), sizeof val - 1);
	char part[10];
	ck_assert_int_eq(kv_ref_read(ref, 590, part, 9), 0);
	ck_assert(memcmp(part, val + 590, 9) == 0);
	ck_assert_int_eq(kv_ref_read(ref, 595, part, 9), KV_EINVAL);
	kv_ref_free(ref);
	kv_iter_free(it);
	test_kv_expect(kv, "pinned", "short");
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

struct churn {
	struct kv *kv;
	atomic_bool stop;
	int rounds;
};

/* Writes and deletes odd keys until told to stop (bounded). */
static void *churn_main(void *arg)
{
	struct churn *c = arg;
	char k[16];
	for (int i = 0; i < 200000 && !atomic_load(&c->stop); i++) {
		snprintf(k, sizeof k, "t%05d", (i * 7919) % 2000 | 1);
		if (i % 3 == 0)
			ck_assert_int_eq(kv_del(c->kv, k, strlen(k)), 0);
		else
			ck_assert_int_eq(kv_put(c->kv, k, strlen(k), "odd", 3), 0);
		c->rounds++;
	}
	return NULL;
}

START_TEST(test_iter_concurrent_writer)
{
	char *dir = test_tmpdir_new("iterc");
	struct kv_options o;
	test_engine_opts(&o, 1 << 16);
	o.sync_mode = KV_SYNC_NONE;
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	char k[16];
	for (int i = 0; i < 2000; i += 2) {
		snprintf(k, sizeof k, "t%05d", i);
		test_kv_put(kv, k, "even");
	}
	struct churn c = {.kv = kv};
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, churn_main, &c), 0);
	for (int scan_no = 0; scan_no < 20; scan_no++) {
		struct kv_iter *it;
		ck_assert_int_eq(kv_iter_new(kv, NULL, &it), 0);
		ck_assert_int_eq(kv_iter_first(it), 0);
		int next_even = 0;
		char prev[16] = "";
		for (int n = 0; kv_iter_valid(it) && n < 5000; n++) {
			size_t kl;
			const char *key = kv_iter_key(it, &kl);
			char cur[16];
			memcpy(cur, key, kl);
			cur[kl] = '\0';
			ck_assert(strcmp(prev, cur) < 0); /* never twice, ordered */
			int num = atoi(cur + 1);
			if (num % 2 == 0) {
				/* every key present throughout is seen */
				ck_assert_int_eq(num, next_even);
				next_even += 2;
			}
			const void *v;
			size_t vl;
			ck_assert_int_eq(kv_iter_value(it, &v, &vl), 0);
			ck_assert(vl == (num % 2 ? 3u : 4u));
			strcpy(prev, cur);
			ck_assert_int_eq(kv_iter_next(it), 0);
		}
		ck_assert_int_eq(next_even, 2000);
		kv_iter_free(it);
	}
	atomic_store(&c.stop, true);
	pthread_join(th, NULL);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

Suite *test_engine_iter_suite(void)
{
	Suite *s = suite_create("engine_iter");
	TCase *tc = tcase_create("iter");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_iter_bounds_prefix_seek);
	tcase_add_test(tc, test_iter_cursor_interleaved);
	tcase_add_test(tc, test_iter_pins_against_compaction);
	tcase_add_test(tc, test_iter_concurrent_writer);
	suite_add_tcase(s, tc);
	return s;
}
