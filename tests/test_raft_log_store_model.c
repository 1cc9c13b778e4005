/*
 * test_raft_log_store_model.c — the raft log store against a reference
 * model (tests/check_raft_log_store.c), under random workloads shaped like
 * a Raft driver's: appends (mostly at the end, sometimes replacing a
 * conflicting suffix under a newer term), hard-state changes, snapshots
 * that keep the suffix or replace the log, compactions, syncs, reopenings.
 *
 *   - model: after every operation everything readable equals the model;
 *   - crash at every step (SQLite's crash test): a dry run counts the
 *     workload's state-changing I/O calls (M); for each N in 1..M the
 *     workload runs again on a fresh fault_io disk that crashes instead of
 *     the Nth one, in one of four modes (drop unsynced writes, random torn
 *     prefix, tear the last, page-reordered writeback).  The store must
 *     reopen and equal the model at some point between the last completed
 *     sync and the operation in flight: everything synced is there, the log
 *     is a prefix of the writes (no entry from before a truncation point
 *     reappears after it), the hard state never goes back past a synced
 *     value.  Every third point crashes again inside the reopening.  Then
 *     one more entry must survive a clean reopen (a torn tail was cut);
 *   - error at every step: an EIO instead of the Nth state-changing call;
 *     from then on every write fails (sticky, read-only), reads still equal
 *     the model as of the last successful write, and a reopen lands in the
 *     window as above.
 *
 * VERISTORE_LS_CRASH_SEEDS (default 12) sets how many workloads the crash
 * and error tests run; seeds start at test_seed() (VERISTORE_SEED).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "tests/raft_log_store_test.h"

#define WL_OPS 40
#define WL_ENTS_MAX 4
#define WL_DATA_MAX 5000
#define HIST_MAX (2 * WL_OPS + 2)

enum op_kind { OP_APPEND, OP_HARD, OP_SNAP, OP_COMPACT, OP_SYNC, OP_REOPEN };

struct op {
	enum op_kind kind;
	size_t n;
	struct raft_entry e[WL_ENTS_MAX];
	struct raft_hard_state hs;
	struct raft_snapshot_meta meta;
};

struct run {
	uint64_t seed;
	struct test_rng g;
	struct fault_io *f;
	struct lst_log log;
	struct raft_log_store_options o;
	struct raft_log_store *ls;
	struct lsm *cur;
	struct lsm *hist[HIST_MAX]; /* acceptable states after a crash */
	size_t nhist;
	uint64_t term;
	uint64_t deleted; /* segments compaction deleted */
	uint64_t reopens; /* clean reopenings */
	uint8_t data[WL_ENTS_MAX * WL_DATA_MAX];
	struct test_rng check_g;
};

static void hist_clear(struct run *r)
{
	for (size_t i = 0; i < r->nhist; i++)
		lsm_free(r->hist[i]);
	r->nhist = 0;
}

static void hist_reset(struct run *r)
{
	hist_clear(r);
	r->hist[r->nhist++] = lsm_copy(r->cur);
}

static void hist_push(struct run *r, const struct lsm *m)
{
	ASSERT(r->nhist < HIST_MAX);
	r->hist[r->nhist++] = lsm_copy(m);
}

static void run_init(struct run *r, uint64_t seed)
{
	memset(r, 0, sizeof *r);
	r->seed = seed;
	test_rng_init(&r->g, seed);
	test_rng_init(&r->check_g, seed ^ 0x5eed);
	r->f = fault_io_new(seed);
	ASSERT(fault_io_mkdirs(r->f, LS_DIR) == 0);
	lst_options(&r->o, r->f, &r->log);
	r->cur = lsm_new();
	r->term = 1;
	hist_reset(r);
}

static void run_fini(struct run *r)
{
	raft_log_store_close(r->ls);
	hist_clear(r);
	lsm_free(r->cur);
	fault_io_free(r->f);
}

/* ---- drawing operations ---------------------------------------------- */

static void draw_append(struct run *r, struct op *op)
{
	const struct lsm *m = r->cur;
	uint64_t base = m->snap.index, last = lsm_last(m);
	if (test_rng_below(&r->g, 10) == 0)
		r->term++;
	uint64_t i = last + 1;
	if (last > base && test_rng_below(&r->g, 4) == 0) {
		/* A newer leader overwrites a conflicting suffix. */
		i = base + 1 + test_rng_below(&r->g, last - base + 1);
		r->term++;
	}
	op->n = 1 + (size_t)test_rng_below(&r->g, WL_ENTS_MAX);
	for (size_t k = 0; k < op->n; k++) {
		uint32_t len = test_rng_below(&r->g, 8) == 0
				       ? 2000 + (uint32_t)test_rng_below(&r->g, 3000)
				       : (uint32_t)test_rng_below(&r->g, 200);
		uint8_t *d = r->data + k * WL_DATA_MAX;
		test_rng_bytes(&r->g, d, len);
		op->e[k] = (struct raft_entry){
			.term = r->term,
			.index = i + k,
			.type = (uint8_t)test_rng_below(&r->g, 2),
			.len = len,
			.data = len ? d : NULL,
		};
	}
}

static void draw_snap(struct run *r, struct op *op)
{
	const struct lsm *m = r->cur;
	uint64_t base = m->snap.index, last = lsm_last(m);
	struct raft_snapshot_meta *s = &op->meta;
	memset(s, 0, sizeof *s);
	uint64_t w = test_rng_below(&r->g, 3);
	if (last > base && w != 0) {
		/* A local snapshot at an index we hold: the suffix stays. */
		s->index = base + 1 + test_rng_below(&r->g, last - base);
		s->term = lsm_term(m, s->index);
		if (w == 2 && test_rng_below(&r->g, 2) == 0)
			s->term++; /* a leader's, disagreeing: log replaced */
	} else {
		s->index = last + 1 + test_rng_below(&r->g, 5);
		s->term = r->term;
	}
	s->conf.n_voters = 1 + (uint32_t)test_rng_below(&r->g, 5);
	for (uint32_t k = 0; k < s->conf.n_voters; k++)
		s->conf.voters[k] = k + 1;
	s->conf.n_learners = (uint32_t)test_rng_below(&r->g, 3);
	for (uint32_t k = 0; k < s->conf.n_learners; k++)
		s->conf.learners[k] = 10 + k;
}

static void op_draw(struct run *r, struct op *op)
{
	memset(op, 0, sizeof *op);
	uint64_t u = test_rng_below(&r->g, 100);
	if (u < 50) {
		op->kind = OP_APPEND;
		draw_append(r, op);
	} else if (u < 68) {
		op->kind = OP_HARD;
		uint64_t last = lsm_last(r->cur), c = r->cur->hs.commit;
		c += test_rng_below(&r->g, 5);
		op->hs = (struct raft_hard_state){
			.term = r->term,
			.vote = test_rng_below(&r->g, 4),
			.commit = c < last ? c : last,
		};
	} else if (u < 78) {
		op->kind = OP_SNAP;
		draw_snap(r, op);
	} else if (u < 86) {
		op->kind = OP_COMPACT;
	} else if (u < 96) {
		op->kind = OP_SYNC;
	} else {
		op->kind = OP_REOPEN;
	}
}

/* ---- doing them -------------------------------------------------------- */

static void op_model(struct lsm *m, const struct op *op)
{
	switch (op->kind) {
	case OP_APPEND:
		lsm_append(m, op->e, op->n);
		break;
	case OP_HARD:
		m->hs = op->hs;
		break;
	case OP_SNAP:
		lsm_set_snapshot(m, &op->meta);
		break;
	default:
		break;
	}
}

static int op_do(struct run *r, const struct op *op)
{
	unsigned deleted;
	int rc;
	switch (op->kind) {
	case OP_APPEND:
		return raft_log_store_append(r->ls, op->e, op->n, NULL);
	case OP_HARD:
		return raft_log_store_set_hard_state(r->ls, &op->hs, NULL);
	case OP_SNAP:
		return raft_log_store_set_snapshot(r->ls, &op->meta, NULL);
	case OP_COMPACT:
		rc = raft_log_store_compact(r->ls, &deleted);
		r->deleted += deleted;
		return rc;
	case OP_SYNC:
		return raft_log_store_sync(r->ls, 0);
	case OP_REOPEN:
		rc = raft_log_store_close(r->ls);
		r->ls = NULL;
		if (rc == 0)
			rc = raft_log_store_open(LS_DIR, &r->o, &r->ls);
		r->reopens += rc == 0;
		return rc;
	}
	return -EINVAL;
}

static bool op_writes(const struct op *op)
{
	return op->kind == OP_APPEND || op->kind == OP_HARD ||
	       op->kind == OP_SNAP;
}

/*
 * Runs the workload until an operation fails; returns its rc (0: all
 * done).  check: compare with the model after every operation.
 */
static int run_workload(struct run *r, bool check)
{
	int rc = raft_log_store_open(LS_DIR, &r->o, &r->ls);
	if (rc != 0)
		return rc;
	for (int i = 0; i < WL_OPS; i++) {
		struct op op;
		op_draw(r, &op);
		struct lsm *next = lsm_copy(r->cur);
		op_model(next, &op);
		if (op_writes(&op))
			hist_push(r, next); /* the write in flight may stay */
		rc = op_do(r, &op);
		if (test_env_u64("LS_TRACE", 0))
			fprintf(stderr, "op %d kind %d idx %" PRIu64 " n %zu "
				"snap %" PRIu64 "/%" PRIu64 " -> last %" PRIu64
				" rc %d\n", i, op.kind, op.e[0].index, op.n,
				op.meta.index, op.meta.term, lsm_last(next), rc);
		if (rc != 0) {
			lsm_free(next);
			return rc;
		}
		lsm_free(r->cur);
		r->cur = next;
		/* A compaction without a snapshot syncs nothing. */
		if (op.kind == OP_SYNC || op.kind == OP_REOPEN)
			hist_reset(r);
		char why[256];
		if (check)
			ck_assert_msg(lsm_matches(r->ls, r->cur, &r->check_g, why,
						  sizeof why),
				      "seed %" PRIu64 " op %d (kind %d): %s",
				      r->seed, i, op.kind, why);
	}
	return 0;
}

START_TEST(test_model)
{
	uint64_t seeds = test_env_u64("LS_MODEL_SEEDS", 20);
	uint64_t deleted = 0, reopens = 0;
	for (uint64_t s = 0; s < seeds; s++) {
		struct run r;
		run_init(&r, test_seed() + s);
		int rc = run_workload(&r, true);
		ck_assert_msg(rc == 0, "seed %" PRIu64 ": %s", r.seed,
			      raft_log_store_strerror(rc));
		/* A clean reopen rebuilds the same state from the records. */
		ck_assert_int_eq(raft_log_store_close(r.ls), 0);
		r.ls = NULL;
		fault_io_restart(r.f);
		ck_assert_int_eq(raft_log_store_open(LS_DIR, &r.o, &r.ls), 0);
		char why[256];
		ck_assert_msg(lsm_matches(r.ls, r.cur, &r.check_g, why,
					  sizeof why),
			      "seed %" PRIu64 " after reopen: %s", r.seed, why);
		deleted += r.deleted;
		reopens += r.reopens;
		run_fini(&r);
	}
	printf("raft log store model: %" PRIu64 " workloads, %" PRIu64
	       " segments compacted away, %" PRIu64 " reopenings\n", seeds,
	       deleted, reopens);
	/* The workloads must reach what they are meant to test. */
	ck_assert(seeds < 10 || (deleted > 0 && reopens > 0));
}
END_TEST

/* ---- after a crash or an error ----------------------------------------- */

/* Index of the acceptable state the store equals, or -1. */
static int match_hist(struct run *r, char *why, size_t len)
{
	for (size_t i = r->nhist; i-- > 0;)
		if (lsm_matches(r->ls, r->hist[i], &r->check_g, why, len))
			return (int)i;
	return -1;
}

/* Opens after a reboot; crashes inside the open first when asked. */
static void reopen_after_crash(struct run *r, bool crash_in_open,
			       enum fault_crash_mode mode, const char *where)
{
	raft_log_store_close(r->ls); /* its calls fail harmlessly */
	r->ls = NULL;
	fault_io_restart(r->f);
	if (crash_in_open) {
		fault_io_crash_at(r->f, FAULT_MUTATING,
				  1 + test_rng_below(&r->check_g, 3), mode);
		if (raft_log_store_open(LS_DIR, &r->o, &r->ls) == 0)
			raft_log_store_close(r->ls);
		r->ls = NULL;
		fault_io_restart(r->f);
	}
	int rc = raft_log_store_open(LS_DIR, &r->o, &r->ls);
	char lg[2048];
	lst_log_dump(&r->log, lg, sizeof lg);
	ck_assert_msg(rc == 0, "%s: reopen: %s (log: %s)", where,
		      raft_log_store_strerror(rc), lg);
}

/* The store equals an acceptable state; then one more write survives. */
static void check_recovered(struct run *r, const char *where)
{
	char why[256];
	int k = match_hist(r, why, sizeof why);
	ck_assert_msg(k >= 0, "%s: matches none of %zu acceptable states "
		      "(newest: %s)", where, r->nhist, why);
	struct lsm *m = lsm_copy(r->hist[k]);
	uint64_t t = m->hs.term > m->snap.term ? m->hs.term : m->snap.term;
	if (lsm_last(m) > m->snap.index && lsm_term(m, lsm_last(m)) > t)
		t = lsm_term(m, lsm_last(m));
	struct raft_entry e = {.term = t, .index = lsm_last(m) + 1,
			       .len = 3, .data = (uint8_t *)"one"};
	int rc = raft_log_store_append(r->ls, &e, 1, NULL);
	if (rc == 0)
		rc = raft_log_store_close(r->ls);
	r->ls = NULL;
	ck_assert_msg(rc == 0, "%s: write after recovery: %s", where,
		      raft_log_store_strerror(rc));
	lsm_append(m, &e, 1);
	fault_io_restart(r->f);
	ck_assert_int_eq(raft_log_store_open(LS_DIR, &r->o, &r->ls), 0);
	ck_assert_msg(lsm_matches(r->ls, m, &r->check_g, why, sizeof why),
		      "%s: after the write after recovery: %s", where, why);
	lsm_free(m);
}

static const char *mode_name[] = {"drop", "random", "tear-last", "reorder"};

START_TEST(test_crash_every_step)
{
	uint64_t seeds = test_env_u64("LS_CRASH_SEEDS", 12);
	uint64_t points = 0;
	for (uint64_t s = 0; s < seeds; s++) {
		uint64_t seed = test_seed() + 1000 + s;
		struct run dry;
		run_init(&dry, seed);
		ck_assert_int_eq(run_workload(&dry, false), 0);
		uint64_t m = fault_io_calls(dry.f, FAULT_MUTATING);
		run_fini(&dry);
		uint64_t only = test_env_u64("LS_CRASH_POINT", 0);
		for (uint64_t n = 1; n <= m; n++) {
			if (only != 0 && n != only)
				continue; /* replaying one point */
			struct run r;
			run_init(&r, seed);
			enum fault_crash_mode mode = (enum fault_crash_mode)(n % 4);
			fault_io_crash_at(r.f, FAULT_MUTATING, n, mode);
			int rc = run_workload(&r, false);
			char where[160];
			snprintf(where, sizeof where,
				 "seed %" PRIu64 " crash at %" PRIu64 "/%" PRIu64
				 " (%s)", seed, n, m, mode_name[mode]);
			ck_assert_msg(rc != 0 && fault_io_crashed(r.f),
				      "%s: rc %d without a crash", where, rc);
			reopen_after_crash(&r, n % 3 == 0, mode, where);
			check_recovered(&r, where);
			run_fini(&r);
			points++;
		}
	}
	printf("raft log store: %" PRIu64 " crash points over %" PRIu64
	       " workloads\n", points, seeds);
}
END_TEST

START_TEST(test_error_every_step)
{
	uint64_t seeds = test_env_u64("LS_CRASH_SEEDS", 12);
	for (uint64_t s = 0; s < seeds; s++) {
		uint64_t seed = test_seed() + 2000 + s;
		struct run dry;
		run_init(&dry, seed);
		ck_assert_int_eq(run_workload(&dry, false), 0);
		uint64_t m = fault_io_calls(dry.f, FAULT_MUTATING);
		run_fini(&dry);
		for (uint64_t n = 1; n <= m; n++) {
			struct run r;
			run_init(&r, seed);
			fault_io_fail(r.f, FAULT_MUTATING, n, EIO, 1, n % 2);
			int rc = run_workload(&r, false);
			char where[160];
			snprintf(where, sizeof where, "seed %" PRIu64
				 " EIO at %" PRIu64 "/%" PRIu64, seed, n, m);
			ck_assert_msg(rc != 0, "%s: no error surfaced", where);
			char why[256];
			if (r.ls != NULL) {
				/* Read-only from now on; reads still work. */
				ck_assert_int_ne(raft_log_store_error(r.ls), 0);
				struct raft_hard_state hs = {.term = 99};
				ck_assert_int_ne(raft_log_store_set_hard_state(
							 r.ls, &hs, NULL), 0);
				ck_assert_int_ne(raft_log_store_sync(r.ls, 0), 0);
				ck_assert_msg(lsm_matches(r.ls, r.cur, &r.check_g,
							  why, sizeof why),
					      "%s: reads after the error: %s",
					      where, why);
			}
			fault_io_fail_clear(r.f);
			reopen_after_crash(&r, false, FAULT_CRASH_DROP, where);
			check_recovered(&r, where);
			run_fini(&r);
		}
	}
}
END_TEST

Suite *raft_log_store_model_suite(void)
{
	Suite *s = suite_create("raft_log_store_model");
	TCase *tc = tcase_create("model");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_model);
	tcase_add_test(tc, test_crash_every_step);
	tcase_add_test(tc, test_error_every_step);
	suite_add_tcase(s, tc);
	return s;
}
