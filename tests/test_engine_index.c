/*
 * test_engine_index.c — the ordered index against a sorted array: random
 * inserts, replacements, deletes and seeks, order, counts, and memory per
 * key.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/index.h"

#define NKEYS 3000

struct model {
	char keys[NKEYS][16];
	bool present[NKEYS];
	uint64_t off[NKEYS];
};

/* Keys sort as their numbers do: fixed width. */
static void key_of(int i, char *k)
{
	snprintf(k, 16, "k%06d", i * 3);
}

START_TEST(test_index_random_vs_model)
{
	struct test_rng r;
	test_rng_init(&r, test_seed() + 2);
	struct kv_index *ix;
	ck_assert_int_eq(kv_index_new(&ix), 0);
	static struct model m;
	memset(&m, 0, sizeof m);
	for (int i = 0; i < NKEYS; i++)
		key_of(i, m.keys[i]);
	uint64_t count = 0;
	for (int step = 0; step < 60000; step++) {
		int i = (int)test_rng_below(&r, NKEYS);
		const char *k = m.keys[i];
		uint64_t op = test_rng_below(&r, 10);
		if (op < 6) {
			struct kv_iloc old;
			int rc = kv_index_put(ix, k, strlen(k), 1, (uint64_t)step,
					      (uint32_t)i, &old);
			ck_assert_int_eq(rc, m.present[i] ? 1 : 0);
			if (m.present[i])
				ck_assert_uint_eq(old.off, m.off[i]);
			else
				count++;
			m.present[i] = true;
			m.off[i] = (uint64_t)step;
		} else if (op < 9) {
			int rc = kv_index_del(ix, k, strlen(k), NULL);
			ck_assert_int_eq(rc, m.present[i] ? 1 : 0);
			count -= m.present[i];
			m.present[i] = false;
		} else {
			/* Seek to a key between model keys (or on one). */
			char probe[16];
			int delta = (int)test_rng_below(&r, 3);
			snprintf(probe, sizeof probe, "k%06d", i * 3 + delta);
			bool after = test_rng_below(&r, 2);
			const struct kv_ient *e =
				kv_index_seek(ix, probe, strlen(probe), after);
			int j = i + (delta > 0 || after);
			while (j < NKEYS && !m.present[j])
				j++;
			if (j == NKEYS) {
				ck_assert_ptr_null(e);
			} else {
				ck_assert_ptr_nonnull(e);
				ck_assert(e->klen == strlen(m.keys[j]) &&
					  memcmp(e->key, m.keys[j], e->klen) == 0);
			}
		}
		ck_assert_uint_eq(kv_index_count(ix), count);
		if (step % 5000 == 0)
			kv_index_check(ix);
	}
	kv_index_check(ix);
	for (int i = 0; i < NKEYS; i++) {
		struct kv_ient *e = kv_index_get(ix, m.keys[i], strlen(m.keys[i]));
		ck_assert(m.present[i] == (e != NULL));
		if (e != NULL)
			ck_assert_uint_eq(e->off, m.off[i]);
	}
	kv_index_free(ix);
}
END_TEST

START_TEST(test_index_key_order)
{
	struct kv_index *ix;
	ck_assert_int_eq(kv_index_new(&ix), 0);
	/* Byte order, shorter first on a tie; binary keys with NULs. */
	const char *keys[] = {"b", "a\0", "a", "ab", "\xff", "a\0\0"};
	size_t lens[] = {1, 2, 1, 2, 1, 3};
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(kv_index_put(ix, keys[i], lens[i], 1, 0, 0, NULL), 0);
	const char *want[] = {"a", "a\0", "a\0\0", "ab", "b", "\xff"};
	size_t wlen[] = {1, 2, 3, 2, 1, 1};
	const struct kv_ient *e = kv_index_seek(ix, NULL, 0, false);
	for (int i = 0; i < 6; i++) {
		ck_assert_ptr_nonnull(e);
		ck_assert(e->klen == wlen[i] && memcmp(e->key, want[i], wlen[i]) == 0);
		e = kv_index_seek(ix, e->key, e->klen, true);
	}
	ck_assert_ptr_null(e);
	kv_index_free(ix);
}
END_TEST

START_TEST(test_index_memory_per_key)
{
	struct kv_index *ix;
	ck_assert_int_eq(kv_index_new(&ix), 0);
	struct test_rng r;
	test_rng_init(&r, test_seed() + 3);
	const int n = 200000;
	char k[17];
	for (int i = 0; i < n; i++) {
		/* 16-byte random keys, inserted in random order. */
		for (int j = 0; j < 16; j++)
			k[j] = (char)('a' + test_rng_below(&r, 26));
		kv_index_put(ix, k, 16, 1, (uint64_t)i, 100, NULL);
	}
	uint64_t per_key = kv_index_bytes(ix) / kv_index_count(ix);
	/* Target: under 64 bytes plus the key itself. */
	ck_assert_msg(per_key < 64 + 16, "index bytes per key %llu",
		      (unsigned long long)per_key);
	kv_index_check(ix);
	kv_index_free(ix);
}
END_TEST

Suite *test_engine_index_suite(void)
{
	Suite *s = suite_create("engine_index");
	TCase *tc = tcase_create("index");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_index_random_vs_model);
	tcase_add_test(tc, test_index_key_order);
	tcase_add_test(tc, test_index_memory_per_key);
	suite_add_tcase(s, tc);
	return s;
}
