/*
 * test_engine_crash.c — crash at every I/O step of a workload (SQLite's
 * crash test, issue 2 §4).
 *
 * For each seed a workload is drawn (batches, deletes, marker-only
 * batches, checkpoints, compactions, clean reopenings, and kv_sync in
 * KV_SYNC_NONE mode).  A dry run counts its state-changing I/O calls (M);
 * then for each crash point N in 1..M the workload runs again on a fresh
 * fault_io disk that crashes instead of the Nth such call (dropping every
 * unsynced write, or keeping a random torn prefix of them).  Calls that
 * change nothing on disk (reads, sizes, listings) are not crash points:
 * a crash before one of them leaves the same disk as a crash before the
 * next state-changing call.
 *
 * After the crash the engine must reopen, and its whole content and
 * applied-index marker must equal the model at one point of the window of
 * acceptable states:
 *   - KV_SYNC_GROUP (one writer): after the last acknowledged batch, or
 *     after the batch in flight at the crash;
 *   - KV_SYNC_NONE: after any batch written since the last successful
 *     kv_sync/kv_close (a suffix may be lost, never a subset).
 * Each batch carries its sequence number as the applied-index marker, so a
 * match names exactly one point, and a half-applied batch can match none.
 * Then one more write must survive a clean reopen (a torn tail was cut so
 * new records land after valid data).
 *
 * VERISTORE_CRASH_SEEDS sets the number of seeds (default 200); the seed
 * base is test_seed() (VERISTORE_SEED).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "tests/engine_proof.h"
#include "tests/kv_model.h"
#include "tests/testutil.h"

#define WL_OPS_MAX 48
#define WL_KEYS 24
#define HIST_MAX (WL_OPS_MAX + 2)
#define COPIES_MAX 4

enum wl_kind { WL_BATCH, WL_DEL, WL_MARKER, WL_CHECKPOINT, WL_COMPACT,
	       WL_REOPEN, WL_SYNC };

struct crash_ctx {
	uint64_t seed;
	enum kv_sync_mode mode;
	struct fault_io *f;
	struct proof_log log;
	struct kv_options o;
	struct kv *kv;
	struct kv_model *cur;
	struct kv_model *hist[HIST_MAX]; /* acceptable states, oldest first */
	size_t nhist;
	uint64_t seq;
	char where[160]; /* for failure messages */
	/* Checkpoint copies that kv_checkpoint_to acknowledged, and their
	 * content; each must open and match after the crash. */
	struct kv_model *copy[COPIES_MAX];
	unsigned ncopies;
};

static void hist_reset(struct crash_ctx *c)
{
	for (size_t i = 0; i < c->nhist; i++)
		kv_model_free(c->hist[i]);
	c->nhist = 0;
	c->hist[c->nhist++] = kv_model_copy(c->cur);
}

static void hist_push(struct crash_ctx *c)
{
	ASSERT(c->nhist < HIST_MAX);
	c->hist[c->nhist++] = kv_model_copy(c->cur);
}

/* What the crash points reached, so a workload that stopped reaching
 * checkpoints or compaction fails instead of silently testing less. */
static struct {
	uint64_t crash_in_checkpoint, crash_in_compaction, compactions, copies_checked;
	uint64_t crash_in_recovery;
} cover;

/* A key of the workload's small key space (so overwrites and deletes hit). */
static size_t wl_key(struct test_rng *r, char *buf)
{
	unsigned k = (unsigned)test_rng_below(r, WL_KEYS);
	if (test_rng_below(r, 6) == 0)
		return (size_t)sprintf(buf, "k%02u/%u", k, (unsigned)test_rng_below(r, 3));
	return (size_t)sprintf(buf, "k%02u", k);
}

static size_t wl_val(struct test_rng *r, uint8_t *buf)
{
	size_t n = (size_t)test_rng_below(r, 120);
	if (test_rng_below(r, 10) == 0)
		n = 1500 + (size_t)test_rng_below(r, 3000); /* rolls 4 KiB segments */
	test_rng_bytes(r, buf, n);
	return n;
}

/* An engine call failed: fine only if the disk has crashed. */
static bool failed(struct crash_ctx *c, int rc, const char *what)
{
	if (rc == 0)
		return false;
	if (fault_io_crashed(c->f))
		return true;
	char lg[1024];
	proof_log_dump(&c->log, lg, sizeof lg);
	ck_abort_msg("%s: %s failed without a crash: %s (log: %s)", c->where, what,
		     kv_strerror(rc), lg);
	return true;
}

/* Writes a batch drawn from r (or a marker-only one); false once crashed. */
static bool wl_write(struct crash_ctx *c, struct test_rng *r, enum wl_kind kind)
{
	/* One buffer per put: a referenced value must outlive kv_write. */
	static uint8_t val[4][8192];
	char key[32];
	struct kv_batch *b = NULL;
	ck_assert_int_eq(kv_batch_new(&b), 0);
	unsigned n = kind == WL_BATCH ? 1 + (unsigned)test_rng_below(r, 4) :
		     kind == WL_DEL ? 1 : 0;
	for (unsigned i = 0; i < n; i++) {
		size_t kl = wl_key(r, key);
		if (kind == WL_DEL || test_rng_below(r, 5) == 0) {
			ck_assert_int_eq(kv_batch_del(b, key, kl), 0);
			kv_model_del(c->cur, key, kl);
		} else {
			size_t vl = wl_val(r, val[i]);
			/* Every other put is referenced, so records are also
			 * written in pieces (pwritev) and torn across them; the
			 * choice draws nothing from r. */
			if ((c->seq + i) % 2)
				ck_assert_int_eq(kv_batch_put_ref(b, key, kl, val[i], vl), 0);
			else
				ck_assert_int_eq(kv_batch_put(b, key, kl, val[i], vl), 0);
			kv_model_put(c->cur, key, kl, val[i], vl);
		}
	}
	kv_batch_set_applied_index(b, ++c->seq);
	c->cur->applied_index = c->seq;
	hist_push(c); /* the batch in flight may survive */
	int rc = kv_write(c->kv, b);
	kv_batch_free(b);
	if (failed(c, rc, "kv_write"))
		return false;
	if (c->mode == KV_SYNC_GROUP) {
		hist_reset(c); /* acknowledged as durable */
	}
	return !fault_io_crashed(c->f);
}

static bool wl_reopen(struct crash_ctx *c)
{
	int rc = kv_close(c->kv);
	c->kv = NULL;
	if (failed(c, rc, "kv_close"))
		return false;
	hist_reset(c); /* a clean close makes everything durable */
	rc = kv_open(PROOF_DIR, &c->o, &c->kv);
	if (failed(c, rc, "kv_open"))
		return false;
	return !fault_io_crashed(c->f);
}

/* Runs step i of the workload; false once the disk has crashed. */
static bool wl_step(struct crash_ctx *c, struct test_rng *r, unsigned i)
{
	unsigned p = (unsigned)test_rng_below(r, 100);
	snprintf(c->where, sizeof c->where, "seed %" PRIu64 " step %u", c->seed, i);
	int rc;
	if (p < 50)
		return wl_write(c, r, WL_BATCH);
	if (p < 62)
		return wl_write(c, r, WL_DEL);
	if (p < 66)
		return wl_write(c, r, WL_MARKER);
	if (p < 74) {
		rc = kv_checkpoint(c->kv);
		if (fault_io_crashed(c->f))
			cover.crash_in_checkpoint++;
		return !failed(c, rc, "kv_checkpoint") && !fault_io_crashed(c->f);
	}
	if (p < 82) {
		rc = kv_compact(c->kv, test_rng_below(r, 2) ? 0.0 : 0.5);
		struct kv_stats st;
		if (fault_io_crashed(c->f))
			cover.crash_in_compaction++;
		else if (rc == 0 && kv_stats(c->kv, &st) == 0 && st.compactions > 0)
			cover.compactions++;
		return !failed(c, rc, "kv_compact") && !fault_io_crashed(c->f);
	}
	if (p < 86)
		return wl_reopen(c);
	if (p < 89 && c->ncopies < COPIES_MAX) {
		char dir[32];
		uint64_t ai = 0;
		snprintf(dir, sizeof dir, "/copy%u", c->ncopies);
		rc = kv_checkpoint_to(c->kv, dir, &ai);
		if (failed(c, rc, "kv_checkpoint_to"))
			return false;
		ck_assert_uint_eq(ai, c->cur->applied_index);
		c->copy[c->ncopies++] = kv_model_copy(c->cur);
		return !fault_io_crashed(c->f);
	}
	rc = kv_sync(c->kv);
	if (failed(c, rc, "kv_sync"))
		return false;
	hist_reset(c);
	return !fault_io_crashed(c->f);
}

static void ctx_init(struct crash_ctx *c, uint64_t seed, enum kv_sync_mode mode,
		     uint64_t segment_bytes)
{
	memset(c, 0, sizeof *c);
	c->seed = seed;
	c->mode = mode;
	c->f = proof_disk_new(seed);
	proof_options(&c->o, c->f, &c->log, mode);
	if (segment_bytes != 0)
		c->o.segment_bytes = segment_bytes;
	c->cur = kv_model_new();
	hist_reset(c);
}

static void ctx_fini(struct crash_ctx *c)
{
	if (c->kv != NULL)
		kv_close(c->kv);
	for (size_t i = 0; i < c->nhist; i++)
		kv_model_free(c->hist[i]);
	kv_model_free(c->cur);
	for (unsigned i = 0; i < c->ncopies; i++)
		kv_model_free(c->copy[i]);
	fault_io_free(c->f);
}

/* Every acknowledged checkpoint copy opens with its content (Raft's
 * snapshots are made this way, so they must survive a crash whole). */
static void copies_verify(struct crash_ctx *c)
{
	for (unsigned i = 0; i < c->ncopies; i++) {
		char dir[32], diff[256] = "";
		snprintf(dir, sizeof dir, "/copy%u", i);
		struct kv *kv = NULL;
		int rc = kv_open(dir, &c->o, &kv);
		ck_assert_msg(rc == 0, "%s: open of acknowledged copy %s: %s", c->where, dir,
			      kv_strerror(rc));
		struct kv_model *got = NULL;
		ck_assert_int_eq(kv_model_from_engine(kv, &got), 0);
		if (!kv_model_equal(c->copy[i], got))
			kv_model_diff(c->copy[i], got, diff, sizeof diff);
		ck_assert_msg(diff[0] == '\0', "%s: copy %s: %s", c->where, dir, diff);
		kv_model_free(got);
		ck_assert_int_eq(kv_close(kv), 0);
		cover.copies_checked++;
	}
}

/* Runs the whole workload; returns true if it finished without a crash. */
static bool wl_run(struct crash_ctx *c)
{
	struct test_rng r;
	test_rng_init(&r, c->seed);
	unsigned ops = 12 + (unsigned)test_rng_below(&r, WL_OPS_MAX - 12);
	snprintf(c->where, sizeof c->where, "seed %" PRIu64 " open", c->seed);
	int rc = kv_open(PROOF_DIR, &c->o, &c->kv);
	if (failed(c, rc, "kv_open"))
		return false;
	for (unsigned i = 0; i < ops; i++)
		if (!wl_step(c, &r, i))
			return false;
	snprintf(c->where, sizeof c->where, "seed %" PRIu64 " final close", c->seed);
	rc = kv_close(c->kv);
	c->kv = NULL;
	if (failed(c, rc, "kv_close"))
		return false;
	hist_reset(c);
	return !fault_io_crashed(c->f);
}

/* Reopens after the crash and checks the state against the window. */
static void crash_verify(struct crash_ctx *c, unsigned recovery_crash)
{
	char lg[1024], diff[256] = "";
	if (c->kv != NULL)
		kv_close(c->kv); /* its calls fail: the disk is gone */
	c->kv = NULL;
	fault_io_restart(c->f);
	if (recovery_crash > 0) {
		/* Power fails again during recovery (its truncation, re-zeroing
		 * or cleanup); the next recovery must still find the window. */
		fault_io_crash_at(c->f, FAULT_MUTATING, recovery_crash, FAULT_CRASH_RANDOM);
		if (kv_open(PROOF_DIR, &c->o, &c->kv) == 0)
			kv_close(c->kv);
		c->kv = NULL;
		if (fault_io_crashed(c->f))
			cover.crash_in_recovery++;
		fault_io_restart(c->f);
	}
	int rc = kv_open(PROOF_DIR, &c->o, &c->kv);
	proof_log_dump(&c->log, lg, sizeof lg);
	ck_assert_msg(rc == 0, "%s: reopen after crash failed: %s (log: %s)", c->where,
		      kv_strerror(rc), lg);
	struct kv_model *got = NULL;
	rc = kv_model_from_engine(c->kv, &got);
	ck_assert_msg(rc == 0, "%s: reading back failed: %s", c->where, kv_strerror(rc));
	size_t match = SIZE_MAX;
	for (size_t i = c->nhist; i-- > 0 && match == SIZE_MAX;)
		if (kv_model_equal(c->hist[i], got))
			match = i;
	if (match == SIZE_MAX)
		kv_model_diff(c->hist[c->nhist - 1], got, diff, sizeof diff);
	ck_assert_msg(match != SIZE_MAX,
		      "%s: state after crash matches none of the %zu acceptable states "
		      "(markers %" PRIu64 "..%" PRIu64 ", got %" PRIu64 "); vs newest: %s",
		      c->where, c->nhist, c->hist[0]->applied_index,
		      c->hist[c->nhist - 1]->applied_index, got->applied_index, diff);
	copies_verify(c);
	/*
	 * More durable writes must survive a clean reopen: a torn tail was cut
	 * so new records land after valid data, and stale bytes of the crashed
	 * tail beyond it can not come back or look like mid-log corruption.
	 * Several writes of a few hundred bytes, so they run over the old tail.
	 */
	static uint8_t big[1200];
	for (unsigned i = 0; i < 6; i++) {
		char k[16];
		size_t vl = 100 + 173 * i % 1100;
		memset(big, 'A' + (int)i, vl);
		snprintf(k, sizeof k, "after%u", i);
		struct kv_batch *b = NULL;
		ck_assert_int_eq(kv_batch_new(&b), 0);
		ck_assert_int_eq(kv_batch_put(b, k, strlen(k), big, vl), 0);
		kv_batch_set_applied_index(b, got->applied_index + 1000);
		rc = kv_write(c->kv, b);
		kv_batch_free(b);
		ck_assert_msg(rc == 0, "%s: write after recovery: %s", c->where, kv_strerror(rc));
		kv_model_put(got, k, strlen(k), big, vl);
		got->applied_index += 1000;
	}
	ck_assert_int_eq(kv_close(c->kv), 0);
	c->kv = NULL;
	rc = kv_open(PROOF_DIR, &c->o, &c->kv);
	proof_log_dump(&c->log, lg, sizeof lg);
	ck_assert_msg(rc == 0, "%s: second reopen (after recovery, six writes, clean close) "
		      "failed: %s (log: %s)", c->where, kv_strerror(rc), lg);
	struct kv_model *again = NULL;
	ck_assert_int_eq(kv_model_from_engine(c->kv, &again), 0);
	if (!kv_model_equal(got, again))
		kv_model_diff(got, again, diff, sizeof diff);
	ck_assert_msg(kv_model_equal(got, again),
		      "%s: write after recovery lost or state changed on reopen: %s (log: %s)",
		      c->where, diff, lg);
	kv_model_free(got);
	kv_model_free(again);
}

static const char *mode_name(enum fault_crash_mode cm)
{
	return cm == FAULT_CRASH_DROP ? "drop" : cm == FAULT_CRASH_RANDOM ? "random torn" :
	       cm == FAULT_CRASH_REORDER ? "reordered writeback" : "tear last";
}

static void crash_seed(uint64_t seed, uint64_t *points, bool reorder)
{
	enum kv_sync_mode mode = seed % 4 == 3 ? KV_SYNC_NONE : KV_SYNC_GROUP;
	struct crash_ctx c;
	/* Reordered writeback needs segments of several pages to lose one in
	 * the middle; 4 KiB segments are one page.  VERISTORE_PROOF_SEGMENT_BYTES
	 * overrides both. */
	uint64_t seg = test_env_u64("PROOF_SEGMENT_BYTES", reorder ? 16384 : 4096);
	ctx_init(&c, seed, mode, seg);
	ck_assert_msg(wl_run(&c), "seed %" PRIu64 ": dry run crashed", seed);
	uint64_t m = fault_io_calls(c.f, FAULT_MUTATING);
	crash_verify(&c, 0); /* the clean end is a state too */
	ctx_fini(&c);
	for (uint64_t n = 1; n <= m; n++) {
		enum fault_crash_mode cm = reorder ? FAULT_CRASH_REORDER :
					   (n + seed) % 2 ? FAULT_CRASH_RANDOM : FAULT_CRASH_DROP;
		ctx_init(&c, seed, mode, seg);
		fault_io_crash_at(c.f, FAULT_MUTATING, n, cm);
		if (wl_run(&c))
			fault_io_crash_now(c.f, cm); /* ran short: crash at the end */
		snprintf(c.where, sizeof c.where,
			 "seed %" PRIu64 " crash point %" PRIu64 "/%" PRIu64 " (%s, %s)",
			 seed, n, m, mode_name(cm),
			 mode == KV_SYNC_NONE ? "sync none" : "sync group");
		/* Every third point also crashes again inside recovery. */
		crash_verify(&c, n % 3 == 0 ? 1 + (unsigned)((n / 3 + seed) % 4) : 0);
		ctx_fini(&c);
		(*points)++;
	}
}

START_TEST(test_crash_every_step)
{
	uint64_t base = test_seed();
	uint64_t seeds = test_env_u64("CRASH_SEEDS", 200);
	uint64_t points = 0;
	fprintf(stderr, "crash: seeds %" PRIu64 "..%" PRIu64 " (VERISTORE_CRASH_SEEDS=%" PRIu64
		")\n", base, base + seeds - 1, seeds);
	for (uint64_t i = 0; i < seeds; i++)
		crash_seed(base + i, &points, false);
	fprintf(stderr, "crash: %" PRIu64 " crash points verified; %" PRIu64
		" inside checkpoints, %" PRIu64 " inside compactions; %" PRIu64
		" compact calls with stats.compactions > 0; %" PRIu64 " copies reopened; %"
		PRIu64 " crashes inside recovery\n",
		points, cover.crash_in_checkpoint, cover.crash_in_compaction, cover.compactions,
		cover.copies_checked, cover.crash_in_recovery);
	ck_assert_uint_gt(points, seeds);
	if (seeds >= 50) {
		ck_assert_uint_gt(cover.crash_in_checkpoint, 0);
		ck_assert_uint_gt(cover.crash_in_compaction, 0);
		ck_assert_uint_gt(cover.compactions, 0);
		ck_assert_uint_gt(cover.copies_checked, 0);
		ck_assert_uint_gt(cover.crash_in_recovery, 0);
	}
}
END_TEST

/*
 * The same with writeback in any order (FAULT_CRASH_REORDER): unsynced
 * writes of the newest segment may survive out of order, so a torn record
 * may sit in front of a whole one that was never acknowledged.  After such
 * a power loss the engine must still open with an acceptable state.
 * VERISTORE_CRASH_REORDER_SEEDS seeds (default 50).
 */
START_TEST(test_crash_reordered_writeback)
{
	uint64_t base = test_seed() + 1000000;
	uint64_t seeds = test_env_u64("CRASH_REORDER_SEEDS", 50);
	uint64_t points = 0;
	fprintf(stderr, "crash (reordered writeback): seeds %" PRIu64 "..%" PRIu64 "\n", base,
		base + seeds - 1);
	for (uint64_t i = 0; i < seeds; i++)
		crash_seed(base + i, &points, true);
	fprintf(stderr, "crash (reordered writeback): %" PRIu64 " crash points verified\n",
		points);
}
END_TEST

Suite *engine_crash_suite(void)
{
	Suite *s = suite_create("engine_crash");
	TCase *tc = tcase_create("crash");
	/* A guard against hangs, not a timed assertion. */
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, test_crash_every_step);
	tcase_add_test(tc, test_crash_reordered_writeback);
	suite_add_tcase(s, tc);
	return s;
}
