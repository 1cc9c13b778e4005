/*
 * test_object_store.c — the store contract (store.h) on the test backend:
 * preconditions are all-or-nothing and report which one failed; scans are
 * ordered and bounded; values are pinned.  With the engine linked, also
 * that concurrent durable submits share fsyncs (group commit).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_object.h"
#include "tests/testutil.h"

static void put1(struct store *s, const char *k, const char *v)
{
	struct store_batch *b = NULL;
	ck_assert_int_eq(store_batch_new(&b), 0);
	ck_assert_int_eq(store_batch_put(b, k, strlen(k), v, strlen(v)), 0);
	ck_assert_int_eq(store_submit(s, b, NULL), 0);
	store_batch_free(b);
}

static int get_str(struct store *s, const char *k, char *out, size_t cap)
{
	void *v = NULL;
	size_t n = 0;
	int rc = store_get(s, k, strlen(k), &v, &n);
	if (rc == 0) {
		ck_assert_uint_lt(n, cap);
		memcpy(out, v, n);
		out[n] = '\0';
		free(v);
	}
	return rc;
}

void store_contract_conditions(struct store *s)
{
	put1(s, "a/1", "one");
	put1(s, "b", "bee");
	struct store_batch *b = NULL;
	ck_assert_int_eq(store_batch_new(&b), 0);
	/* Second condition fails: nothing is written, index 1 reported. */
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_EXISTS, "b", 1, NULL, 0), 0);
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_ABSENT, "a/1", 3, NULL, 0), 0);
	ck_assert_int_eq(store_batch_put(b, "c", 1, "x", 1), 0);
	size_t failed = 99;
	ck_assert_int_eq(store_submit(s, b, &failed), STORE_ECOND);
	ck_assert_uint_eq(failed, 1);
	char buf[64];
	ck_assert_int_eq(get_str(s, "c", buf, sizeof buf), STORE_ENOTFOUND);
	/* EQUALS compares the exact bytes. */
	store_batch_clear(b);
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_EQUALS, "b", 1, "be", 2), 0);
	ck_assert_int_eq(store_submit(s, b, &failed), STORE_ECOND);
	ck_assert_uint_eq(failed, 0);
	store_batch_clear(b);
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_EQUALS, "b", 1, "bee", 3), 0);
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_PREFIX_EMPTY, "a/2", 3, NULL, 0), 0);
	ck_assert_int_eq(store_batch_put(b, "c", 1, "x", 1), 0);
	ck_assert_int_eq(store_batch_del(b, "b", 1), 0);
	ck_assert_int_eq(store_submit(s, b, &failed), 0);
	ck_assert_int_eq(get_str(s, "c", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "x");
	ck_assert_int_eq(get_str(s, "b", buf, sizeof buf), STORE_ENOTFOUND);
	/* PREFIX_EMPTY sees "a/1". */
	store_batch_clear(b);
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_PREFIX_EMPTY, "a/", 2, NULL, 0), 0);
	ck_assert_int_eq(store_submit(s, b, &failed), STORE_ECOND);
	/* Empty keys are refused at the batch. */
	ck_assert_int_eq(store_batch_put(b, "", 0, "x", 1), STORE_EINVAL);
	store_batch_free(b);
}

void store_contract_scan(struct store *s)
{
	const char *keys[] = {"k", "k\x01", "ka", "kb", "kb\xff", "l"};
	for (int i = 5; i >= 0; i--)
		put1(s, keys[i], "v");
	struct store_scan *it = NULL;
	ck_assert_int_eq(store_scan_new(s, "k", 1, "l", 1, &it), 0);
	ck_assert_int_eq(store_scan_seek(it, "k", 1), 0);
	int i = 0;
	while (store_scan_valid(it)) {
		size_t kl = 0;
		const char *k = store_scan_key(it, &kl);
		ck_assert_int_lt(i, 5);
		ck_assert_uint_eq(kl, strlen(keys[i]));
		ck_assert_mem_eq(k, keys[i], kl);
		i++;
		ck_assert_int_eq(store_scan_next(it), 0);
	}
	ck_assert_int_eq(i, 5);
	ck_assert_int_eq(store_scan_seek(it, "kb", 2), 0);
	ck_assert(store_scan_valid(it));
	size_t kl = 0;
	ck_assert_mem_eq(store_scan_key(it, &kl), "kb", 2);
	store_scan_free(it);
	/* A pinned value survives an overwrite. */
	struct store_value *v = NULL;
	put1(s, "pin", "before");
	ck_assert_int_eq(store_value_open(s, "pin", 3, &v), 0);
	put1(s, "pin", "after!!");
	char buf[8] = {0};
	ck_assert_uint_eq(store_value_len(v), 6);
	ck_assert_int_eq(store_value_read(v, 0, buf, 6), 0);
	ck_assert_str_eq(buf, "before");
	store_value_close(v);
}

/* The contract on the test backend (the engine) and on the memory store:
 * two implementations, one behaviour. */
START_TEST(store_contract_backend)
{
	struct test_backend *be = test_backend_new("store-cond");
	struct store *s = test_backend_open(be);
	store_contract_conditions(s);
	store_contract_scan(s);
	test_backend_free(be);
}
END_TEST

START_TEST(store_contract_memory)
{
	struct memstore_data *d = memstore_data_new();
	struct store *s = NULL;
	ck_assert_int_eq(memstore_open(d, &s), 0);
	store_contract_conditions(s);
	store_contract_scan(s);
	store_close(s);
	memstore_data_free(d);
}
END_TEST

static void items_equal(const struct store_item *a, const struct store_item *b)
{
	ck_assert_int_eq(a->kind, b->kind);
	ck_assert_uint_eq(a->key_len, b->key_len);
	ck_assert_mem_eq(a->key, b->key, a->key_len);
	ck_assert_uint_eq(a->val_len, b->val_len);
	if (a->val_len > 0)
		ck_assert_mem_eq(a->val, b->val, a->val_len);
}

START_TEST(batch_codec)
{
	struct store_batch *b = NULL;
	ck_assert_int_eq(store_batch_new(&b), 0);
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_ABSENT, "a", 1, NULL, 0), 0);
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_EQUALS, "bb", 2, "v", 1), 0);
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_EQUALS, "e", 1, "", 0), 0);
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_PREFIX_EMPTY, "p/", 2, NULL, 0), 0);
	ck_assert_int_eq(store_batch_put(b, "k1", 2, "value", 5), 0);
	ck_assert_int_eq(store_batch_put(b, "k2", 2, "", 0), 0);
	ck_assert_int_eq(store_batch_del(b, "k3", 2), 0);
	store_batch_set_lazy(b, true);
	void *enc = NULL;
	size_t len = 0;
	ck_assert_int_eq(store_batch_encode(b, &enc, &len), 0);
	struct store_batch *d = NULL;
	ck_assert_int_eq(store_batch_decode(enc, len, &d), 0);
	ck_assert(store_batch_lazy(d));
	ck_assert_uint_eq(store_batch_cond_count(d), 4);
	ck_assert_uint_eq(store_batch_op_count(d), 3);
	for (size_t i = 0; i < 4; i++) {
		struct store_item x, y;
		store_batch_cond_get(b, i, &x);
		store_batch_cond_get(d, i, &y);
		items_equal(&x, &y);
	}
	for (size_t i = 0; i < 3; i++) {
		struct store_item x, y;
		store_batch_op(b, i, &x);
		store_batch_op(d, i, &y);
		items_equal(&x, &y);
	}
	/* Every truncation, and a trailing byte, is refused. */
	for (size_t n = 0; n < len; n++) {
		struct store_batch *t = NULL;
		ck_assert_int_eq(store_batch_decode(enc, n, &t), STORE_EINVAL);
	}
	uint8_t *longer = malloc(len + 1);
	memcpy(longer, enc, len);
	longer[len] = 0;
	struct store_batch *t = NULL;
	ck_assert_int_eq(store_batch_decode(longer, len + 1, &t), STORE_EINVAL);
	/* Random corruption: refused or decoded, never a crash. */
	struct test_rng r;
	test_rng_init(&r, test_seed());
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(longer, enc, len);
		longer[test_rng_below(&r, len)] ^= (uint8_t)(1 + test_rng_below(&r, 255));
		int rc = store_batch_decode(longer, len, &t);
		ck_assert(rc == 0 || rc == STORE_EINVAL);
		if (rc == 0)
			store_batch_free(t);
	}
	free(longer);
	free(enc);
	store_batch_free(d);
	store_batch_free(b);
}
END_TEST

#ifdef TEST_OBJECT_ENGINE
struct gc_arg {
	struct store *s;
	int id, n;
};

static void *commit_thread(void *p)
{
	struct gc_arg *a = p;
	struct store_batch *b = NULL;
	ck_assert_int_eq(store_batch_new(&b), 0);
	for (int i = 0; i < a->n; i++) {
		char k[32];
		snprintf(k, sizeof k, "t%d-%d", a->id, i);
		store_batch_clear(b);
		ck_assert_int_eq(store_batch_put(b, k, strlen(k), k, 4), 0);
		ck_assert_int_eq(store_submit(a->s, b, NULL), 0);
	}
	store_batch_free(b);
	return NULL;
}

/* Measures, not times: 16 threads x 50 durable submits; the syncs made
 * are printed and must be fewer than the submits (shared fsyncs). */
START_TEST(store_group_commit)
{
	/* The local adapter itself, whatever VERISTORE_TEST_STORE says. */
	char *dir = test_tmpdir_new("store-group");
	struct store *s = NULL;
	ck_assert_int_eq(store_local_open(dir, &s), 0);
	enum { T = 16, N = 50 };
	pthread_t th[T];
	struct gc_arg args[T];
	for (int i = 0; i < T; i++) {
		args[i] = (struct gc_arg){s, i, N};
		pthread_create(&th[i], NULL, commit_thread, &args[i]);
	}
	for (int i = 0; i < T; i++)
		pthread_join(th[i], NULL);
	struct store_local_stats st;
	store_local_stats(s, &st);
	fprintf(stderr, "group commit: %llu durable submits, %llu syncs\n",
		(unsigned long long)st.submits, (unsigned long long)st.syncs);
	ck_assert_uint_eq(st.submits, T * N);
	ck_assert_uint_lt(st.syncs, st.submits);
	store_close(s);
	test_tmpdir_free(dir);
}
END_TEST
#endif

Suite *suite_object_store(void)
{
	Suite *s = suite_create("object_store");
	TCase *tc = tcase_create("contract");
	tcase_add_test(tc, store_contract_backend);
	tcase_add_test(tc, store_contract_memory);
	tcase_add_test(tc, batch_codec);
#ifdef TEST_OBJECT_ENGINE
	tcase_add_test(tc, store_group_commit);
#endif
	suite_add_tcase(s, tc);
	return s;
}
