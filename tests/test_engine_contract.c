/*
 * test_engine_contract.c — promises of engine/kv.h not covered by the model,
 * crash and fault suites: limits and argument errors, zero-length values,
 * create_if_missing, checkpoint copies into an existing directory, value
 * refs pinned across overwrite and compaction, the iterator's cursor
 * guarantees under a concurrent writer, group commit under concurrent
 * writers and a crash, and background compaction under writes.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "tests/engine_proof.h"
#include "tests/kv_model.h"
#include "tests/testutil.h"

static struct kv *open_on(struct fault_io *f, struct kv_options *o, struct proof_log *log,
			  enum kv_sync_mode mode)
{
	proof_options(o, f, log, mode);
	struct kv *kv = NULL;
	int rc = kv_open(PROOF_DIR, o, &kv);
	ck_assert_msg(rc == 0, "kv_open: %s", kv_strerror(rc));
	return kv;
}

START_TEST(test_limits_and_arguments)
{
	struct fault_io *f = proof_disk_new(test_seed());
	struct kv_options o;
	struct proof_log log = { 0 };
	struct kv *kv = open_on(f, &o, &log, KV_SYNC_GROUP);
	/* A zero-length value reads back as a non-NULL buffer of length 0. */
	ck_assert_int_eq(kv_put(kv, "empty", 5, "", 0), 0);
	void *v = NULL;
	size_t vl = 99;
	ck_assert_int_eq(kv_get(kv, "empty", 5, &v, &vl), 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(vl, 0);
	free(v);
	/* Oversized value: KV_EINVAL, at the batch or at the write. */
	size_t big = KV_VALUE_MAX + 1;
	char *huge = calloc(1, big);
	ck_assert_ptr_nonnull(huge);
	ck_assert_int_eq(kv_put(kv, "huge", 4, huge, big), KV_EINVAL);
	/* Over KV_BATCH_BYTES_MAX in one batch: KV_ETOOBIG, nothing applied. */
	struct kv_batch *b = NULL;
	ck_assert_int_eq(kv_batch_new(&b), 0);
	int rc = 0;
	for (int i = 0; i < 3 && rc == 0; i++) {
		char k[16];
		snprintf(k, sizeof k, "tb%d", i);
		rc = kv_batch_put(b, k, strlen(k), huge, KV_VALUE_MAX);
	}
	if (rc == 0)
		rc = kv_write(kv, b);
	ck_assert_msg(rc == KV_ETOOBIG, "a 96 MiB batch: %s, want KV_ETOOBIG", kv_strerror(rc));
	ck_assert_int_eq(kv_get(kv, "tb0", 3, &v, &vl), KV_ENOTFOUND);
	/* A cleared batch is reusable. */
	kv_batch_clear(b);
	ck_assert_uint_eq(kv_batch_count(b), 0);
	ck_assert_int_eq(kv_batch_put(b, "r", 1, "1", 1), 0);
	ck_assert_int_eq(kv_batch_del(b, "empty", 5), 0);
	ck_assert_int_eq(kv_write(kv, b), 0);
	ck_assert_int_eq(kv_get(kv, "empty", 5, &v, &vl), KV_ENOTFOUND);
	kv_batch_free(b);
	kv_batch_free(NULL); /* free functions accept NULL */
	kv_iter_free(NULL);
	kv_ref_free(NULL);
	free(huge);
	/* Deleting an absent key is not an error. */
	ck_assert_int_eq(kv_del(kv, "absent", 6), 0);
	/* A checkpoint copy into an existing directory is refused. */
	ck_assert_int_eq(fault_io_mkdirs(f, "/exists"), 0);
	ck_assert_int_lt(kv_checkpoint_to(kv, "/exists", NULL), 0);
	ck_assert_int_eq(kv_put(kv, "still", 5, "ok", 2), 0);
	ck_assert_int_eq(kv_close(kv), 0);
	/* create_if_missing = false on a missing directory fails. */
	o.create_if_missing = false;
	kv = NULL;
	ck_assert_int_lt(kv_open("/missing", &o, &kv), 0);
	ck_assert_ptr_null(kv);
	ck_assert_str_ne(kv_strerror(KV_ECORRUPT), "");
	fault_io_free(f);
}
END_TEST

/* A ref reads its pinned value across an overwrite and a compaction. */
START_TEST(test_ref_pinned_across_compaction)
{
	struct fault_io *f = proof_disk_new(test_seed());
	struct kv_options o;
	struct proof_log log = { 0 };
	struct kv *kv = open_on(f, &o, &log, KV_SYNC_GROUP);
	char val[1000], k[16];
	memset(val, 'A', sizeof val);
	ck_assert_int_eq(kv_put(kv, "pinned", 6, val, sizeof val), 0);
	struct kv_ref *ref = NULL;
	ck_assert_int_eq(kv_get_ref(kv, "pinned", 6, &ref), 0);
	/* Kill the segment: overwrite everything in it, roll several segments. */
	memset(val, 'B', sizeof val);
	ck_assert_int_eq(kv_put(kv, "pinned", 6, val, sizeof val), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(k, sizeof k, "fill%02d", i % 5);
		ck_assert_int_eq(kv_put(kv, k, strlen(k), val, sizeof val), 0);
	}
	ck_assert_int_eq(kv_compact(kv, 0.0), 0);
	struct kv_stats st;
	ck_assert_int_eq(kv_stats(kv, &st), 0);
	ck_assert_uint_gt(st.compactions, 0);
	char buf[1000];
	ck_assert_int_eq(kv_ref_read(ref, 0, buf, sizeof buf), 0);
	for (size_t i = 0; i < sizeof buf; i++)
		ck_assert_int_eq(buf[i], 'A');
	ck_assert_int_eq(kv_ref_verify(ref), 0);
	kv_ref_free(ref);
	void *v = NULL;
	size_t vl = 0;
	ck_assert_int_eq(kv_get(kv, "pinned", 6, &v, &vl), 0);
	ck_assert(vl == sizeof val && ((char *)v)[0] == 'B');
	free(v);
	ck_assert_int_eq(kv_close(kv), 0);
	fault_io_free(f);
}
END_TEST

/*
 * The iterator is a cursor (kv.h): under a concurrent writer that
 * overwrites "s*" keys and inserts/deletes "t*" keys, every scan returns
 * keys in strictly increasing order, never a key twice, every "s*" key
 * (they exist throughout), and only whole values (each value names its
 * key and repeats one byte).
 */
#define STABLE 40

struct churn {
	struct kv *kv;
	atomic_bool stop;
	uint64_t seed;
};

static size_t churn_val(char *buf, const char *key, unsigned ver)
{
	int n = snprintf(buf, 64, "%s:", key);
	size_t len = (size_t)n + 20 + ver % 300;
	memset(buf + n, 'a' + (int)(ver % 26), len - (size_t)n);
	return len;
}

static bool val_ok(const char *key, size_t kl, const char *v, size_t vl)
{
	if (vl < kl + 1 || memcmp(v, key, kl) != 0 || v[kl] != ':')
		return false;
	for (size_t i = kl + 2; i < vl; i++)
		if (v[i] != v[kl + 1])
			return false;
	return true;
}

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	struct test_rng r;
	test_rng_init(&r, c->seed);
	char k[16], v[512];
	for (unsigned ver = 0; ver < 200000 && !atomic_load(&c->stop); ver++) {
		unsigned i = (unsigned)test_rng_below(&r, STABLE);
		if (test_rng_below(&r, 2)) {
			snprintf(k, sizeof k, "s%03u", i);
			ASSERT(kv_put(c->kv, k, strlen(k), v, churn_val(v, k, ver)) == 0);
		} else {
			snprintf(k, sizeof k, "t%03u", i);
			if (test_rng_below(&r, 2))
				ASSERT(kv_put(c->kv, k, strlen(k), v, churn_val(v, k, ver)) == 0);
			else
				ASSERT(kv_del(c->kv, k, strlen(k)) == 0);
		}
		if (ver % 500 == 499)
			ASSERT(kv_compact(c->kv, 0.3) == 0);
	}
	return NULL;
}

START_TEST(test_iter_cursor_under_writes)
{
	struct fault_io *f = proof_disk_new(test_seed());
	struct kv_options o;
	struct proof_log log = { 0 };
	struct kv *kv = open_on(f, &o, &log, KV_SYNC_NONE);
	char k[16], v[512];
	for (unsigned i = 0; i < STABLE; i++) {
		snprintf(k, sizeof k, "s%03u", i);
		ck_assert_int_eq(kv_put(kv, k, strlen(k), v, churn_val(v, k, 0)), 0);
	}
	struct churn c = { .kv = kv, .seed = test_seed() };
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, churn_main, &c), 0);
	for (int scan = 0; scan < 300; scan++) {
		struct kv_iter *it = NULL;
		ck_assert_int_eq(kv_iter_new(kv, NULL, &it), 0);
		ck_assert_int_eq(kv_iter_first(it), 0);
		char prev[16] = "";
		size_t prevl = 0;
		unsigned stable = 0;
		for (unsigned steps = 0; kv_iter_valid(it); steps++) {
			ck_assert_uint_lt(steps, 2 * STABLE + 1);
			size_t kl = 0, vl = 0;
			const char *key = kv_iter_key(it, &kl);
			ck_assert_uint_lt(kl, sizeof prev);
			ck_assert_msg(prevl == 0 || kv_model_keycmp(prev, prevl, key, kl) < 0,
				      "scan %d: keys out of order or repeated", scan);
			const void *val = NULL;
			ck_assert_int_eq(kv_iter_value(it, &val, &vl), 0);
			ck_assert_msg(val_ok(key, kl, val, vl), "scan %d: torn value for %.*s",
				      scan, (int)kl, key);
			if (key[0] == 's')
				stable++;
			memcpy(prev, key, kl);
			prevl = kl;
			ck_assert_int_eq(kv_iter_next(it), 0);
		}
		ck_assert_msg(stable == STABLE, "scan %d saw %u of %d keys that always exist",
			      scan, stable, STABLE);
		kv_iter_free(it);
	}
	atomic_store(&c.stop, true);
	pthread_join(th, NULL);
	ck_assert_int_eq(kv_close(kv), 0);
	fault_io_free(f);
}
END_TEST

/*
 * Group commit under a crash: writer threads put two-key batches durably
 * and record each acknowledged one; the disk crashes at a random point.
 * After reopen every acknowledged batch is present, and no batch is half
 * there.
 */
#define GC_THREADS 8
#define GC_PER 60

struct gcw {
	struct kv *kv;
	unsigned id;
	unsigned acked; /* batches 0..acked-1 acknowledged */
};

static void *gc_main(void *arg)
{
	struct gcw *w = arg;
	char k[32], v[64];
	for (unsigned n = 0; n < GC_PER; n++) {
		struct kv_batch *b = NULL;
		ASSERT(kv_batch_new(&b) == 0);
		int vl = snprintf(v, sizeof v, "w%u-%u", w->id, n);
		for (int half = 0; half < 2; half++) {
			snprintf(k, sizeof k, "%c/%u/%03u", 'a' + half, w->id, n);
			ASSERT(kv_batch_put(b, k, strlen(k), v, (size_t)vl) == 0);
		}
		int rc = kv_write(w->kv, b);
		kv_batch_free(b);
		if (rc != 0)
			break;
		w->acked = n + 1;
	}
	return NULL;
}

START_TEST(test_group_commit_crash)
{
	struct test_rng r;
	test_rng_init(&r, test_seed());
	unsigned mid = 0; /* rounds that crashed with some but not all acknowledged */
	for (int round = 0; round < 20; round++) {
		struct fault_io *f = proof_disk_new(test_seed() + (uint64_t)round);
		struct kv_options o;
		struct proof_log log = { 0 };
		struct kv *kv = open_on(f, &o, &log, KV_SYNC_GROUP);
		fault_io_crash_at(f, FAULT_MUTATING, 1 + test_rng_below(&r, 400),
				  round % 2 ? FAULT_CRASH_RANDOM : FAULT_CRASH_DROP);
		pthread_t th[GC_THREADS];
		struct gcw w[GC_THREADS];
		for (unsigned i = 0; i < GC_THREADS; i++) {
			w[i] = (struct gcw){ .kv = kv, .id = i };
			ck_assert_int_eq(pthread_create(&th[i], NULL, gc_main, &w[i]), 0);
		}
		for (unsigned i = 0; i < GC_THREADS; i++)
			pthread_join(th[i], NULL);
		struct kv_stats st;
		ck_assert_int_eq(kv_stats(kv, &st), 0);
		ck_assert_uint_le(st.group_max, GC_THREADS);
		unsigned acked = 0;
		for (unsigned i = 0; i < GC_THREADS; i++)
			acked += w[i].acked;
		if (fault_io_crashed(f) && acked > 0 && acked < GC_THREADS * GC_PER)
			mid++;
		kv_close(kv);
		fault_io_restart(f);
		ck_assert_int_eq(kv_open(PROOF_DIR, &o, &kv), 0);
		char k[32];
		for (unsigned i = 0; i < GC_THREADS; i++) {
			for (unsigned n = 0; n < GC_PER; n++) {
				int found[2];
				for (int half = 0; half < 2; half++) {
					void *v = NULL;
					size_t vl = 0;
					snprintf(k, sizeof k, "%c/%u/%03u", 'a' + half, i, n);
					found[half] = kv_get(kv, k, strlen(k), &v, &vl) == 0;
					free(v);
				}
				ck_assert_msg(found[0] == found[1],
					      "round %d: batch %u/%u half applied", round, i, n);
				ck_assert_msg(n >= w[i].acked || found[0],
					      "round %d: acknowledged batch %u/%u lost", round, i, n);
			}
		}
		ck_assert_int_eq(kv_close(kv), 0);
		fault_io_free(f);
	}
	ck_assert_uint_gt(mid, 5);
}
END_TEST

/* Background compaction on, writers overwriting: content stays right. */
START_TEST(test_background_compaction)
{
	struct fault_io *f = proof_disk_new(test_seed());
	struct kv_options o;
	struct proof_log log = { 0 };
	proof_options(&o, f, &log, KV_SYNC_NONE);
	o.background_compaction = true;
	o.compact_dead_ratio = 0.2;
	o.compact_bytes_per_sec = 0;
	struct kv *kv = NULL;
	ck_assert_int_eq(kv_open(PROOF_DIR, &o, &kv), 0);
	struct kv_model *m = kv_model_new();
	struct test_rng r;
	test_rng_init(&r, test_seed());
	char k[16], v[600];
	for (unsigned i = 0; i < 3000; i++) {
		snprintf(k, sizeof k, "k%02u", (unsigned)test_rng_below(&r, 30));
		size_t vl = (size_t)test_rng_below(&r, sizeof v);
		test_rng_bytes(&r, v, vl);
		ck_assert_int_eq(kv_put(kv, k, strlen(k), v, vl), 0);
		kv_model_put(m, k, strlen(k), v, vl);
	}
	ck_assert_int_eq(kv_close(kv), 0);
	ck_assert_int_eq(kv_open(PROOF_DIR, &o, &kv), 0);
	struct kv_model *got = NULL;
	ck_assert_int_eq(kv_model_from_engine(kv, &got), 0);
	got->applied_index = m->applied_index;
	char diff[256] = "";
	if (!kv_model_equal(m, got))
		kv_model_diff(m, got, diff, sizeof diff);
	ck_assert_msg(diff[0] == '\0', "after background compaction: %s", diff);
	kv_model_free(got);
	kv_model_free(m);
	ck_assert_int_eq(kv_close(kv), 0);
	fault_io_free(f);
}
END_TEST

Suite *engine_contract_suite(void)
{
	Suite *s = suite_create("engine_contract");
	TCase *tc = tcase_create("contract");
	tcase_set_timeout(tc, 300); /* hang guard only */
	tcase_add_test(tc, test_limits_and_arguments);
	tcase_add_test(tc, test_ref_pinned_across_compaction);
	tcase_add_test(tc, test_iter_cursor_under_writes);
	tcase_add_test(tc, test_group_commit_crash);
	tcase_add_test(tc, test_background_compaction);
	suite_add_tcase(s, tc);
	return s;
}
