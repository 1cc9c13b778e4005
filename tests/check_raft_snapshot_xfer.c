/*
 * check_raft_snapshot_xfer.c — the snapshot transfer's Check program: the
 * streaming suite, the install suite, and the engine fixture they share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/kv.h"
#include "tests/raft_snapshot_xfer_test.h"
#include "tests/testutil.h"

/* The value of key i: pseudo-random bytes of 1..300, overwritten (gen 2)
 * for every 7th key. */
static size_t value_of(const struct sxt_fixture *fx, int i, int gen,
                       uint8_t *buf)
{
	struct test_rng rng;
	test_rng_init(&rng,
	              fx->seed * 1000003u + (uint64_t)i * 31u + (uint64_t)gen);
	size_t n = 1 + test_rng_below(&rng, 300);
	test_rng_bytes(&rng, buf, n);
	return n;
}

static int final_gen(int i)
{
	return i % 7 == 0 ? 2 : 1;
}

static void put_keys(struct kv *kv, const struct sxt_fixture *fx, int gen)
{
	struct kv_batch *b;
	ck_assert_int_eq(kv_batch_new(&b), 0);
	uint8_t val[512];
	char key[32];
	for (int i = 0; i < fx->n_keys; i++) {
		if (gen == 2 && final_gen(i) != 2)
			continue;
		snprintf(key, sizeof key, "key%06d", i);
		size_t n = value_of(fx, i, gen, val);
		ck_assert_int_eq(kv_batch_put(b, key, strlen(key), val, n), 0);
		if (kv_batch_count(b) == 64) {
			ck_assert_int_eq(kv_write(kv, b), 0);
			kv_batch_clear(b);
		}
	}
	if (kv_batch_count(b) > 0)
		ck_assert_int_eq(kv_write(kv, b), 0);
	kv_batch_free(b);
}

static void big_value(const struct sxt_fixture *fx, uint8_t *buf)
{
	struct test_rng rng;
	test_rng_init(&rng, fx->seed ^ 0xb16b00b5u);
	test_rng_bytes(&rng, buf, fx->big_bytes);
}

void sxt_fixture_make(struct sxt_fixture *fx, const char *tag, int n_keys,
                      size_t big_bytes, uint64_t seed)
{
	memset(fx, 0, sizeof *fx);
	fx->tmp = test_tmpdir_new(tag);
	fx->n_keys = n_keys;
	fx->big_bytes = big_bytes;
	fx->seed = seed;
	snprintf(fx->kv, sizeof fx->kv, "%s/kv", fx->tmp);
	snprintf(fx->snap, sizeof fx->snap, "%s/snap", fx->tmp);
	snprintf(fx->staging, sizeof fx->staging, "%s/staging", fx->tmp);
	snprintf(fx->target, sizeof fx->target, "%s/target", fx->tmp);
	struct kv_options o;
	kv_options_init(&o);
	o.segment_bytes = 64u << 10; /* many files in the checkpoint */
	o.background_compaction = false;
	struct kv *kv;
	ck_assert_int_eq(kv_open(fx->kv, &o, &kv), 0);
	put_keys(kv, fx, 1);
	put_keys(kv, fx, 2);
	if (big_bytes > 0) {
		uint8_t *buf = malloc(big_bytes);
		ck_assert_ptr_nonnull(buf);
		big_value(fx, buf);
		ck_assert_int_eq(kv_put(kv, "big", 3, buf, big_bytes), 0);
		free(buf);
	}
	fx->applied = 1000 + seed % 1000;
	struct kv_batch *b;
	ck_assert_int_eq(kv_batch_new(&b), 0);
	kv_batch_set_applied_index(b, fx->applied);
	ck_assert_int_eq(kv_write(kv, b), 0);
	kv_batch_free(b);
	uint64_t idx = 0;
	ck_assert_int_eq(kv_checkpoint_to(kv, fx->snap, &idx), 0);
	ck_assert_uint_eq(idx, fx->applied);
	/* Writes after the checkpoint must not show in the snapshot. */
	ck_assert_int_eq(kv_put(kv, "after", 5, "x", 1), 0);
	ck_assert_int_eq(kv_close(kv), 0);
	fx->meta.index = fx->applied;
	fx->meta.term = 3;
	fx->meta.conf.n_voters = 3;
	fx->meta.conf.voters[0] = 1;
	fx->meta.conf.voters[1] = 2;
	fx->meta.conf.voters[2] = 5;
	fx->meta.conf.n_learners = 1;
	fx->meta.conf.learners[0] = 9;
}

void sxt_fixture_free(struct sxt_fixture *fx)
{
	test_tmpdir_free(fx->tmp);
	fx->tmp = NULL;
}

void sxt_verify_engine(const struct sxt_fixture *fx, const char *dir)
{
	struct kv_options o;
	kv_options_init(&o);
	o.create_if_missing = false;
	o.background_compaction = false;
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	ck_assert_uint_eq(kv_applied_index(kv), fx->applied);
	uint8_t want[512];
	char key[32];
	for (int i = 0; i < fx->n_keys; i++) {
		snprintf(key, sizeof key, "key%06d", i);
		size_t n = value_of(fx, i, final_gen(i), want);
		void *v;
		size_t vn;
		ck_assert_int_eq(kv_get(kv, key, strlen(key), &v, &vn), 0);
		ck_assert_uint_eq(vn, n);
		ck_assert(memcmp(v, want, n) == 0);
		free(v);
	}
	void *v;
	size_t vn;
	ck_assert_int_eq(kv_get(kv, "after", 5, &v, &vn), KV_ENOTFOUND);
	if (fx->big_bytes > 0) {
		ck_assert_int_eq(kv_get(kv, "big", 3, &v, &vn), 0);
		uint8_t *buf = malloc(fx->big_bytes);
		ck_assert_ptr_nonnull(buf);
		big_value(fx, buf);
		ck_assert_uint_eq(vn, fx->big_bytes);
		ck_assert(memcmp(v, buf, vn) == 0);
		free(buf);
		free(v);
	}
	struct kv_iter *it;
	ck_assert_int_eq(kv_iter_new(kv, NULL, &it), 0);
	int count = 0;
	for (int rc = kv_iter_first(it); kv_iter_valid(it) && count < 1000000;
	     rc = kv_iter_next(it)) {
		ck_assert_int_eq(rc, 0);
		count++;
	}
	kv_iter_free(it);
	ck_assert_int_eq(count, fx->n_keys + (fx->big_bytes > 0 ? 1 : 0));
	ck_assert_int_eq(kv_close(kv), 0);
}

int sxt_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int main(void)
{
	Suite *suites[] = {sxt_stream_suite(), sxt_install_suite(),
	                   sxt_crash_suite()};
	return test_run_suites(suites, 3);
}
