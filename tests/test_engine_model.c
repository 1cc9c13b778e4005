/*
 * test_engine_model.c — model-based test of the engine (issue 2 §4): random
 * sequences of puts, deletes, batches (with repeated keys inside one batch),
 * gets, value refs, scans with prefixes, bounds and seeks, checkpoints,
 * checkpoint copies, compactions, syncs and reopenings, each checked against
 * the naive reference map in kv_model.c.  Keys are drawn from a tiny binary
 * alphabet (0x00, 'a', 'b', 0xff) so that keys are often prefixes of each
 * other and the byte order (shorter first on a tie) is exercised.
 *
 * VERISTORE_MODEL_SEEDS seeds (default 40) of VERISTORE_MODEL_OPS steps
 * (default 400) each, from test_seed().  Runs on fault_io without faults.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "tests/engine_proof.h"
#include "tests/kv_model.h"
#include "tests/testutil.h"

struct model_ctx {
	uint64_t seed;
	unsigned step;
	struct test_rng r;
	struct fault_io *f;
	struct proof_log log;
	struct kv_options o;
	struct kv *kv;
	struct kv_model *m;
	unsigned snaps;
};

static const uint8_t alphabet[4] = { 0x00, 'a', 'b', 0xff };

static size_t rand_key(struct test_rng *r, uint8_t *buf)
{
	size_t n = 1 + (size_t)test_rng_below(r, 5);
	for (size_t i = 0; i < n; i++)
		buf[i] = alphabet[test_rng_below(r, 4)];
	return n;
}

static size_t rand_val(struct test_rng *r, uint8_t *buf)
{
	size_t n = (size_t)test_rng_below(r, 200);
	if (test_rng_below(r, 12) == 0)
		n = (size_t)test_rng_below(r, 6000);
	test_rng_bytes(r, buf, n);
	return n;
}

#define WHERE_FMT "seed %" PRIu64 " step %u"
#define WHERE(c) (c)->seed, (c)->step

static void check_full(struct model_ctx *c, struct kv *kv, const char *what)
{
	struct kv_model *got = NULL;
	int rc = kv_model_from_engine(kv, &got);
	ck_assert_msg(rc == 0, WHERE_FMT ": %s: full read: %s", WHERE(c), what,
		      kv_strerror(rc));
	got->applied_index = c->m->applied_index; /* not under test here */
	char diff[256] = "";
	if (!kv_model_equal(c->m, got))
		kv_model_diff(c->m, got, diff, sizeof diff);
	ck_assert_msg(diff[0] == '\0', WHERE_FMT ": %s: %s", WHERE(c), what, diff);
	kv_model_free(got);
	struct kv_stats st;
	ck_assert_int_eq(kv_stats(kv, &st), 0);
	ck_assert_msg(st.keys == c->m->n, WHERE_FMT ": %s: stats.keys %" PRIu64
		      " but %zu keys", WHERE(c), what, st.keys, c->m->n);
}

static void op_get(struct model_ctx *c)
{
	uint8_t k[8];
	size_t kl = rand_key(&c->r, k);
	const struct kv_model_entry *e = kv_model_get(c->m, k, kl);
	void *v = NULL;
	size_t vl = 0;
	int rc = kv_get(c->kv, k, kl, &v, &vl);
	if (e == NULL) {
		ck_assert_msg(rc == KV_ENOTFOUND, WHERE_FMT ": get of absent key: %s",
			      WHERE(c), kv_strerror(rc));
		return;
	}
	ck_assert_msg(rc == 0, WHERE_FMT ": get: %s", WHERE(c), kv_strerror(rc));
	ck_assert_ptr_nonnull(v);
	ck_assert_msg(vl == e->val_len && memcmp(v, e->val, vl) == 0,
		      WHERE_FMT ": get returned a wrong value", WHERE(c));
	free(v);
}

/* A ref reads the value it pinned, even after the key is overwritten. */
static void op_ref(struct model_ctx *c)
{
	if (c->m->n == 0)
		return;
	const struct kv_model_entry *e = &c->m->e[test_rng_below(&c->r, c->m->n)];
	static uint8_t key[KV_KEY_MAX];
	uint8_t *old = malloc(e->val_len + 1);
	memcpy(old, e->val, e->val_len);
	size_t ol = e->val_len, kl = e->key_len;
	memcpy(key, e->key, kl);
	struct kv_ref *ref = NULL;
	int rc = kv_get_ref(c->kv, key, kl, &ref);
	ck_assert_msg(rc == 0, WHERE_FMT ": get_ref: %s", WHERE(c), kv_strerror(rc));
	ck_assert_uint_eq(kv_ref_len(ref), ol);
	ck_assert_int_ge(kv_ref_fd(ref), 0);
	ck_assert_int_eq(kv_ref_verify(ref), 0);
	if (test_rng_below(&c->r, 2)) { /* overwrite, then read the ref */
		ck_assert_int_eq(kv_put(c->kv, key, kl, "new", 3), 0);
		kv_model_put(c->m, key, kl, "new", 3);
	}
	uint8_t *buf = malloc(ol + 1);
	uint64_t off = ol ? test_rng_below(&c->r, ol) : 0;
	rc = kv_ref_read(ref, off, buf, (size_t)(ol - off));
	ck_assert_msg(rc == 0, WHERE_FMT ": ref_read: %s", WHERE(c), kv_strerror(rc));
	ck_assert_msg(memcmp(buf, old + off, (size_t)(ol - off)) == 0,
		      WHERE_FMT ": ref read different bytes", WHERE(c));
	ck_assert_int_eq(kv_ref_verify(ref), 0);
	kv_ref_free(ref);
	free(buf);
	free(old);
}

static void op_batch(struct model_ctx *c)
{
	/* One buffer per put: a referenced value must outlive kv_write. */
	static uint8_t val[6][8192];
	uint8_t k[8], first[8];
	size_t fl = 0;
	struct kv_batch *b = NULL;
	ck_assert_int_eq(kv_batch_new(&b), 0);
	unsigned n = 1 + (unsigned)test_rng_below(&c->r, 6);
	for (unsigned i = 0; i < n; i++) {
		size_t kl = rand_key(&c->r, k);
		if (i > 0 && test_rng_below(&c->r, 4) == 0) { /* same key again */
			memcpy(k, first, fl);
			kl = fl;
		}
		if (i == 0) {
			memcpy(first, k, kl);
			fl = kl;
		}
		if (test_rng_below(&c->r, 4) == 0) {
			ck_assert_int_eq(kv_batch_del(b, k, kl), 0);
			kv_model_del(c->m, k, kl);
		} else {
			size_t vl = rand_val(&c->r, val[i]);
			/* Copied or referenced (kv_batch_put_ref), alternately. */
			if (i % 2)
				ck_assert_int_eq(kv_batch_put_ref(b, k, kl, val[i], vl), 0);
			else
				ck_assert_int_eq(kv_batch_put(b, k, kl, val[i], vl), 0);
			kv_model_put(c->m, k, kl, val[i], vl);
		}
	}
	ck_assert_uint_eq(kv_batch_count(b), n);
	int rc = kv_write(c->kv, b);
	ck_assert_msg(rc == 0, WHERE_FMT ": write: %s", WHERE(c), kv_strerror(rc));
	kv_batch_free(b);
}

static void op_single(struct model_ctx *c)
{
	static uint8_t val[8192];
	uint8_t k[8];
	size_t kl = rand_key(&c->r, k);
	int rc;
	if (test_rng_below(&c->r, 3) == 0) {
		rc = kv_del(c->kv, k, kl);
		kv_model_del(c->m, k, kl);
	} else {
		size_t vl = rand_val(&c->r, val);
		rc = kv_put(c->kv, k, kl, val, vl);
		kv_model_put(c->m, k, kl, val, vl);
	}
	ck_assert_msg(rc == 0, WHERE_FMT ": put/del: %s", WHERE(c), kv_strerror(rc));
}

static bool in_range(const struct kv_iter_options *io, const uint8_t *k, size_t kl)
{
	if (io->prefix && (kl < io->prefix_len || memcmp(k, io->prefix, io->prefix_len)))
		return false;
	if (io->lower && kv_model_keycmp(k, kl, io->lower, io->lower_len) < 0)
		return false;
	if (io->upper && kv_model_keycmp(k, kl, io->upper, io->upper_len) >= 0)
		return false;
	return true;
}

static void op_scan(struct model_ctx *c)
{
	uint8_t p[8], lo[8], hi[8], sk[8];
	struct kv_iter_options io = { 0 };
	if (test_rng_below(&c->r, 2)) {
		io.prefix_len = rand_key(&c->r, p) - 1; /* may be empty */
		io.prefix = p;
	}
	if (test_rng_below(&c->r, 3) == 0) {
		io.lower_len = rand_key(&c->r, lo);
		io.lower = lo;
	}
	if (test_rng_below(&c->r, 3) == 0) {
		io.upper_len = rand_key(&c->r, hi);
		io.upper = hi;
	}
	bool seek = test_rng_below(&c->r, 3) == 0;
	size_t skl = seek ? rand_key(&c->r, sk) : 0;
	bool values = test_rng_below(&c->r, 2);
	struct kv_iter *it = NULL;
	ck_assert_int_eq(kv_iter_new(c->kv, &io, &it), 0);
	int rc = seek ? kv_iter_seek(it, sk, skl) : kv_iter_first(it);
	ck_assert_msg(rc == 0, WHERE_FMT ": iter position: %s", WHERE(c), kv_strerror(rc));
	size_t i = seek ? kv_model_lower_bound(c->m, sk, skl) : 0;
	for (size_t steps = 0;; steps++) {
		ck_assert(steps <= c->m->n);
		while (i < c->m->n && !in_range(&io, c->m->e[i].key, c->m->e[i].key_len))
			i++;
		if (i == c->m->n) {
			ck_assert_msg(!kv_iter_valid(it), WHERE_FMT ": scan returned a key "
				      "beyond the model's range", WHERE(c));
			break;
		}
		const struct kv_model_entry *e = &c->m->e[i];
		ck_assert_msg(kv_iter_valid(it), WHERE_FMT ": scan ended early (%zu of model)",
			      WHERE(c), i);
		size_t kl = 0;
		const void *k = kv_iter_key(it, &kl);
		ck_assert_msg(kv_model_keycmp(k, kl, e->key, e->key_len) == 0,
			      WHERE_FMT ": scan key %zu differs", WHERE(c), steps);
		ck_assert_uint_eq(kv_iter_value_len(it), e->val_len);
		if (values) {
			const void *v = NULL;
			size_t vl = 0;
			ck_assert_int_eq(kv_iter_value(it, &v, &vl), 0);
			ck_assert_msg(vl == e->val_len && (!vl || !memcmp(v, e->val, vl)),
				      WHERE_FMT ": scan value differs", WHERE(c));
		}
		ck_assert_int_eq(kv_iter_next(it), 0);
		i++;
	}
	kv_iter_free(it);
}

static void reopen(struct model_ctx *c)
{
	ck_assert_int_eq(kv_close(c->kv), 0);
	c->kv = NULL;
	int rc = kv_open(PROOF_DIR, &c->o, &c->kv);
	ck_assert_msg(rc == 0, WHERE_FMT ": reopen: %s", WHERE(c), kv_strerror(rc));
	check_full(c, c->kv, "after reopen");
}

/* A checkpoint copy opens as its own engine with the same content. */
static void op_checkpoint_to(struct model_ctx *c)
{
	char dir[64];
	snprintf(dir, sizeof dir, "/snap%u", c->snaps++);
	uint64_t ai = 0;
	int rc = kv_checkpoint_to(c->kv, dir, &ai);
	ck_assert_msg(rc == 0, WHERE_FMT ": checkpoint_to: %s", WHERE(c), kv_strerror(rc));
	struct kv *copy = NULL;
	rc = kv_open(dir, &c->o, &copy);
	ck_assert_msg(rc == 0, WHERE_FMT ": open copy: %s", WHERE(c), kv_strerror(rc));
	check_full(c, copy, "checkpoint copy");
	ck_assert_uint_eq(kv_applied_index(copy), ai);
	ck_assert_int_eq(kv_close(copy), 0);
}

static void op_invalid(struct model_ctx *c)
{
	static uint8_t big[KV_KEY_MAX + 1];
	void *v = NULL;
	size_t vl = 0;
	ck_assert_int_eq(kv_put(c->kv, "", 0, "x", 1), KV_EINVAL);
	ck_assert_int_eq(kv_put(c->kv, big, sizeof big, "x", 1), KV_EINVAL);
	ck_assert_int_eq(kv_get(c->kv, "", 0, &v, &vl), KV_EINVAL);
	ck_assert_ptr_null(v); /* out-parameters untouched on failure */
	ck_assert_int_eq(kv_put(c->kv, big, KV_KEY_MAX, "max", 3), 0);
	kv_model_put(c->m, big, KV_KEY_MAX, "max", 3);
}

static void model_step(struct model_ctx *c)
{
	unsigned p = (unsigned)test_rng_below(&c->r, 1000);
	int rc = 0;
	if (p < 250)
		op_single(c);
	else if (p < 450)
		op_batch(c);
	else if (p < 650)
		op_get(c);
	else if (p < 800)
		op_scan(c);
	else if (p < 850)
		op_ref(c);
	else if (p < 880)
		rc = kv_checkpoint(c->kv);
	else if (p < 910)
		rc = kv_compact(c->kv, (double)test_rng_below(&c->r, 3) / 4);
	else if (p < 930)
		reopen(c);
	else if (p < 940)
		op_checkpoint_to(c);
	else if (p < 960)
		rc = kv_sync(c->kv);
	else if (p < 965)
		op_invalid(c);
	else
		check_full(c, c->kv, "periodic check");
	ck_assert_msg(rc == 0, WHERE_FMT ": op %u: %s", WHERE(c), p, kv_strerror(rc));
}

START_TEST(test_model_random)
{
	uint64_t base = test_seed();
	uint64_t seeds = test_env_u64("MODEL_SEEDS", 40);
	uint64_t ops = test_env_u64("MODEL_OPS", 400);
	for (uint64_t s = 0; s < seeds; s++) {
		struct model_ctx c = { .seed = base + s };
		test_rng_init(&c.r, c.seed);
		c.f = proof_disk_new(c.seed);
		enum kv_sync_mode mode = (enum kv_sync_mode)(c.seed % 3);
		proof_options(&c.o, c.f, &c.log, mode);
		c.m = kv_model_new();
		ck_assert_int_eq(kv_open(PROOF_DIR, &c.o, &c.kv), 0);
		for (c.step = 0; c.step < ops; c.step++)
			model_step(&c);
		check_full(&c, c.kv, "end");
		reopen(&c);
		ck_assert_int_eq(kv_close(c.kv), 0);
		kv_model_free(c.m);
		fault_io_free(c.f);
	}
}
END_TEST

/* The same on the real file system, once: kv_io_posix() under test too. */
START_TEST(test_model_posix)
{
	struct model_ctx c = { .seed = test_seed() };
	test_rng_init(&c.r, c.seed);
	char *dir = test_tmpdir_new("model");
	char path[512];
	snprintf(path, sizeof path, "%s/db", dir);
	kv_options_init(&c.o);
	c.o.segment_bytes = 64 * 1024;
	c.o.background_compaction = false;
	c.o.log_fn = proof_log_fn;
	c.o.log_ctx = &c.log;
	c.m = kv_model_new();
	ck_assert_int_eq(kv_open(path, &c.o, &c.kv), 0);
	for (c.step = 0; c.step < 300; c.step++) {
		unsigned p = (unsigned)test_rng_below(&c.r, 10);
		if (p < 4)
			op_batch(&c);
		else if (p < 6)
			op_get(&c);
		else if (p < 8)
			op_scan(&c);
		else if (p < 9)
			ck_assert_int_eq(kv_checkpoint(c.kv), 0);
		else
			ck_assert_int_eq(kv_compact(c.kv, 0.0), 0);
	}
	ck_assert_int_eq(kv_close(c.kv), 0);
	ck_assert_int_eq(kv_open(path, &c.o, &c.kv), 0);
	check_full(&c, c.kv, "posix reopen");
	/* A second open of a locked directory is refused. */
	struct kv *other = NULL;
	ck_assert_int_eq(kv_open(path, &c.o, &other), KV_ELOCKED);
	ck_assert_int_eq(kv_close(c.kv), 0);
	kv_model_free(c.m);
	test_tmpdir_free(dir);
}
END_TEST

Suite *engine_model_suite(void)
{
	Suite *s = suite_create("engine_model");
	TCase *tc = tcase_create("model");
	tcase_set_timeout(tc, 600); /* hang guard only */
	tcase_add_test(tc, test_model_random);
	tcase_add_test(tc, test_model_posix);
	suite_add_tcase(s, tc);
	return s;
}
