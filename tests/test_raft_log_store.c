/*
 * test_raft_log_store.c — raft/log_store.h by example: append, read, term,
 * truncation of a conflicting suffix, snapshots that keep or replace the
 * log, compaction by whole segments, reopening; the named faults (torn
 * tail, corruption in a sealed segment, a missing segment, bit rot found
 * on read, EIO and failed fdatasync turning the store read-only, the
 * directory lock); the real file system; and a Raft node of one running
 * on the store across a restart.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "tests/raft_log_store_test.h"

struct fx {
	struct fault_io *f;
	struct lst_log log;
	struct raft_log_store_options o;
	struct raft_log_store *ls;
	struct lsm *m;
	struct test_rng g;
	uint8_t buf[8192];
};

static void fx_open(struct fx *x)
{
	int rc = raft_log_store_open(LS_DIR, &x->o, &x->ls);
	char lg[2048];
	lst_log_dump(&x->log, lg, sizeof lg);
	ck_assert_msg(rc == 0, "open: %s (log: %s)",
		      raft_log_store_strerror(rc), lg);
}

static void fx_init(struct fx *x)
{
	memset(x, 0, sizeof *x);
	test_rng_init(&x->g, test_seed());
	x->f = fault_io_new(test_seed());
	ck_assert_int_eq(fault_io_mkdirs(x->f, LS_DIR), 0);
	lst_options(&x->o, x->f, &x->log);
	x->m = lsm_new();
	fx_open(x);
}

static void fx_reopen(struct fx *x)
{
	ck_assert_int_eq(raft_log_store_close(x->ls), 0);
	x->ls = NULL;
	fault_io_restart(x->f);
	fx_open(x);
}

static void fx_fini(struct fx *x)
{
	raft_log_store_close(x->ls);
	lsm_free(x->m);
	fault_io_free(x->f);
}

static void fx_check(struct fx *x)
{
	char why[256];
	ck_assert_msg(lsm_matches(x->ls, x->m, &x->g, why, sizeof why), "%s",
		      why);
}

/* Appends n entries from index of term (data len bytes each, random). */
static uint64_t fx_append(struct fx *x, uint64_t index, uint64_t term,
			  size_t n, uint32_t len)
{
	struct raft_entry e[16];
	ck_assert(n <= 16 && (size_t)len * n <= sizeof x->buf);
	test_rng_bytes(&x->g, x->buf, len * n);
	for (size_t k = 0; k < n; k++)
		e[k] = (struct raft_entry){.term = term,
					   .index = index + k,
					   .type = (uint8_t)(k % 2),
					   .len = len,
					   .data = len ? x->buf + len * k : NULL};
	uint64_t lsn = 0;
	int rc = raft_log_store_append(x->ls, e, n, &lsn);
	ck_assert_msg(rc == 0, "append: %s", raft_log_store_strerror(rc));
	ck_assert_uint_gt(lsn, 0);
	lsm_append(x->m, e, n);
	return lsn;
}

static void fx_snap(struct fx *x, uint64_t index, uint64_t term)
{
	struct raft_snapshot_meta meta = {.index = index, .term = term};
	meta.conf.n_voters = 2;
	meta.conf.voters[0] = 1;
	meta.conf.voters[1] = 2;
	meta.conf.n_learners = 1;
	meta.conf.learners[0] = 7;
	int rc = raft_log_store_set_snapshot(x->ls, &meta, NULL);
	ck_assert_msg(rc == 0, "snapshot: %s", raft_log_store_strerror(rc));
	lsm_set_snapshot(x->m, &meta);
}

START_TEST(test_append_read_reopen)
{
	struct fx x;
	fx_init(&x);
	uint64_t t;
	ck_assert_uint_eq(raft_log_store_first_index(x.ls), 1);
	ck_assert_uint_eq(raft_log_store_last_index(x.ls), 0);
	ck_assert_int_eq(raft_log_store_term(x.ls, 0, &t), 0);
	ck_assert_uint_eq(t, 0);
	fx_append(&x, 1, 1, 3, 100);
	fx_append(&x, 4, 1, 1, 0);
	uint64_t lsn = fx_append(&x, 5, 2, 10, 300);
	ck_assert_int_eq(raft_log_store_sync(x.ls, lsn), 0);
	fx_check(&x);
	/* max_bytes bounds a read, but one entry always comes back. */
	struct raft_entry out[16];
	size_t n = 0;
	ck_assert_int_eq(raft_log_store_entries(x.ls, 5, 15, 1, out, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(raft_log_store_entries(x.ls, 5, 15, 650, out, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(raft_log_store_entries(x.ls, 1, 15, UINT64_MAX, out,
						&n), 0);
	ck_assert_uint_eq(n, 14);
	ck_assert_int_eq(raft_log_store_entries(x.ls, 1, 16, 10, out, &n),
			 RAFT_ERR_UNAVAILABLE);
	ck_assert_int_eq(raft_log_store_term(x.ls, 15, &t),
			 RAFT_ERR_UNAVAILABLE);
	/* Appends that do not follow the log are refused, nothing written. */
	struct raft_entry gap = {.term = 2, .index = 16};
	ck_assert_int_eq(raft_log_store_append(x.ls, &gap, 1, NULL),
			 RAFT_ERR_INVALID);
	struct raft_entry zero = {.term = 2, .index = 0};
	ck_assert_int_eq(raft_log_store_append(x.ls, &zero, 1, NULL),
			 RAFT_ERR_INVALID);
	struct raft_hard_state hs = {.term = 2, .vote = 3, .commit = 9};
	ck_assert_int_eq(raft_log_store_set_hard_state(x.ls, &hs, NULL), 0);
	x.m->hs = hs;
	fx_reopen(&x);
	fx_check(&x);
	fx_fini(&x);
}
END_TEST

START_TEST(test_truncate_conflicting_suffix)
{
	struct fx x;
	fx_init(&x);
	fx_append(&x, 1, 1, 10, 50);
	/* A new leader's entry at 6 replaces 6..10 (Raft §5.3). */
	fx_append(&x, 6, 3, 2, 70);
	ck_assert_uint_eq(raft_log_store_last_index(x.ls), 7);
	fx_check(&x);
	/* And again, at the very first index. */
	fx_append(&x, 1, 4, 1, 10);
	fx_append(&x, 2, 4, 3, 10);
	fx_check(&x);
	/* Replay rebuilds the same log from the records, in order. */
	raft_log_store_sync(x.ls, 0);
	fx_reopen(&x);
	fx_check(&x);
	uint64_t t;
	ck_assert_int_eq(raft_log_store_term(x.ls, 1, &t), 0);
	ck_assert_uint_eq(t, 4);
	fx_fini(&x);
}
END_TEST

static uint64_t fx_segments(struct fx *x)
{
	struct raft_log_store_stats st;
	raft_log_store_stats(x->ls, &st);
	return st.segments;
}

START_TEST(test_snapshot_and_compaction)
{
	struct fx x;
	fx_init(&x);
	/* The hard state's only record lands in the first segment. */
	struct raft_hard_state hs = {.term = 1, .vote = 1, .commit = 2};
	ck_assert_int_eq(raft_log_store_set_hard_state(x.ls, &hs, NULL), 0);
	x.m->hs = hs;
	for (uint64_t i = 1; i <= 200; i += 4)
		fx_append(&x, i, 1 + i / 50, 4, 200);
	uint64_t before = fx_segments(&x);
	ck_assert_uint_gt(before, 8);
	/* Nothing to compact without a snapshot. */
	unsigned deleted = 99;
	ck_assert_int_eq(raft_log_store_compact(x.ls, &deleted), 0);
	ck_assert_uint_eq(deleted, 0);
	uint64_t t150;
	ck_assert_int_eq(raft_log_store_term(x.ls, 150, &t150), 0);
	fx_snap(&x, 150, t150);
	fx_check(&x);
	ck_assert_int_eq(raft_log_store_compact(x.ls, &deleted), 0);
	ck_assert_uint_gt(deleted, 4);
	/* Fresh copies of the hard state and snapshot may open one more. */
	ck_assert_uint_le(fx_segments(&x), before - deleted + 1);
	fx_check(&x);
	struct raft_entry out[4];
	size_t n;
	ck_assert_int_eq(raft_log_store_entries(x.ls, 150, 152, 10, out, &n),
			 RAFT_ERR_COMPACTED);
	uint64_t t;
	ck_assert_int_eq(raft_log_store_term(x.ls, 149, &t), RAFT_ERR_COMPACTED);
	ck_assert_int_eq(raft_log_store_term(x.ls, 150, &t), 0);
	ck_assert_uint_eq(t, t150);
	/* Replay starts behind the deleted segments and rebuilds it all. */
	fx_reopen(&x);
	fx_check(&x);
	/* A second round, then once more across a reopen. */
	fx_append(&x, 201, 9, 16, 100);
	fx_snap(&x, 210, 9);
	ck_assert_int_eq(raft_log_store_compact(x.ls, &deleted), 0);
	ck_assert_uint_gt(deleted, 0);
	fx_reopen(&x);
	fx_check(&x);
	fx_fini(&x);
}
END_TEST

START_TEST(test_snapshot_replaces_log)
{
	struct fx x;
	fx_init(&x);
	fx_append(&x, 1, 1, 10, 30);
	/* A leader's snapshot beyond our log: the log is replaced. */
	fx_snap(&x, 40, 5);
	ck_assert_uint_eq(raft_log_store_first_index(x.ls), 41);
	ck_assert_uint_eq(raft_log_store_last_index(x.ls), 40);
	fx_append(&x, 41, 5, 2, 30);
	/* At an index we hold with another term: replaced too. */
	fx_snap(&x, 42, 6);
	ck_assert_uint_eq(raft_log_store_last_index(x.ls), 42);
	fx_check(&x);
	/* Older snapshots and conflicting re-snapshots are refused. */
	struct raft_snapshot_meta old = {.index = 41, .term = 5};
	ck_assert_int_eq(raft_log_store_set_snapshot(x.ls, &old, NULL),
			 RAFT_ERR_INVALID);
	struct raft_snapshot_meta same = {.index = 42, .term = 7};
	ck_assert_int_eq(raft_log_store_set_snapshot(x.ls, &same, NULL),
			 RAFT_ERR_INVALID);
	struct raft_entry e = {.term = 6, .index = 42};
	ck_assert_int_eq(raft_log_store_append(x.ls, &e, 1, NULL),
			 RAFT_ERR_INVALID);
	unsigned deleted;
	ck_assert_int_eq(raft_log_store_compact(x.ls, &deleted), 0);
	fx_reopen(&x);
	fx_check(&x);
	fx_fini(&x);
}
END_TEST

START_TEST(test_large_entries)
{
	struct fx x;
	fx_init(&x);
	/* Entries larger than a segment get segments of their own. */
	fx_append(&x, 1, 1, 1, 6000);
	fx_append(&x, 2, 1, 1, 10);
	fx_append(&x, 3, 1, 1, 5000);
	fx_check(&x);
	fx_reopen(&x);
	fx_check(&x);
	fx_fini(&x);
}
END_TEST

START_TEST(test_storage_interface)
{
	struct fx x;
	fx_init(&x);
	struct raft_storage st = raft_log_store_storage(x.ls);
	struct raft_hard_state hs;
	struct raft_conf_state cs;
	ck_assert_int_eq(st.initial_state(st.ctx, &hs, &cs), 0);
	ck_assert_uint_eq(cs.n_voters, 1); /* boot_conf, no snapshot yet */
	fx_append(&x, 1, 1, 5, 20);
	fx_snap(&x, 3, 1);
	ck_assert_int_eq(st.initial_state(st.ctx, &hs, &cs), 0);
	ck_assert_uint_eq(cs.n_voters, 2);
	ck_assert_uint_eq(cs.learners[0], 7);
	ck_assert_uint_eq(st.first_index(st.ctx), 4);
	ck_assert_uint_eq(st.last_index(st.ctx), 5);
	struct raft_snapshot s;
	ck_assert_int_eq(st.snapshot(st.ctx, &s), 0);
	ck_assert_uint_eq(s.meta.index, 3);
	ck_assert_uint_eq(s.len, 0);
	struct raft_entry out[2];
	size_t n;
	ck_assert_int_eq(st.entries(st.ctx, 4, 6, 0, out, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].index, 4);
	fx_fini(&x);
}
END_TEST

/*
 * Group commit: writers append under their own lock (indexes in order) and
 * wait for their own lsn from several threads at once; after a power loss
 * every entry whose sync returned is there.
 */
struct gc_shared {
	struct raft_log_store *ls;
	pthread_mutex_t mu;
	uint64_t next;
	uint64_t acked_max; /* highest index whose sync returned 0 */
	int errors;
};

static void *gc_writer(void *arg)
{
	struct gc_shared *g = arg;
	for (int k = 0; k < 50; k++) {
		pthread_mutex_lock(&g->mu);
		uint64_t i = g->next++;
		struct raft_entry e = {.term = 1, .index = i, .len = 8,
				       .data = (uint8_t *)&i};
		uint64_t lsn = 0;
		int rc = raft_log_store_append(g->ls, &e, 1, &lsn);
		pthread_mutex_unlock(&g->mu);
		if (rc == 0)
			rc = raft_log_store_sync(g->ls, lsn);
		pthread_mutex_lock(&g->mu);
		if (rc != 0)
			g->errors++;
		else if (i > g->acked_max)
			g->acked_max = i;
		pthread_mutex_unlock(&g->mu);
	}
	return NULL;
}

START_TEST(test_group_commit_threads)
{
	struct fx x;
	fx_init(&x);
	struct gc_shared g = {.ls = x.ls, .next = 1};
	pthread_mutex_init(&g.mu, NULL);
	pthread_t t[4];
	for (int k = 0; k < 4; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, gc_writer, &g), 0);
	for (int k = 0; k < 4; k++)
		pthread_join(t[k], NULL);
	pthread_mutex_destroy(&g.mu);
	ck_assert_int_eq(g.errors, 0);
	ck_assert_uint_eq(g.acked_max, 200);
	struct raft_log_store_stats st;
	raft_log_store_stats(x.ls, &st);
	ck_assert_uint_le(st.fsyncs, 200 + st.segments);
	/* Power loss: nothing acknowledged may go. */
	fault_io_crash_now(x.f, FAULT_CRASH_DROP);
	raft_log_store_close(x.ls);
	x.ls = NULL;
	fault_io_restart(x.f);
	fx_open(&x);
	ck_assert_uint_eq(raft_log_store_last_index(x.ls), 200);
	struct raft_entry out[200];
	size_t n;
	ck_assert_int_eq(raft_log_store_entries(x.ls, 1, 201, UINT64_MAX, out,
						&n), 0);
	ck_assert_uint_eq(n, 200);
	for (size_t k = 0; k < n; k++) {
		uint64_t v;
		memcpy(&v, out[k].data, 8);
		ck_assert_uint_eq(v, k + 1);
	}
	fx_fini(&x);
}
END_TEST

/* The store on the real file system (kv_io_posix). */
START_TEST(test_posix_disk)
{
	char *dir = test_tmpdir_new("raft_log_store");
	char path[4096];
	snprintf(path, sizeof path, "%s/log", dir);
	struct lst_log log = {0};
	struct raft_log_store_options o;
	lst_options(&o, NULL, &log);
	struct raft_log_store *ls;
	ck_assert_int_eq(raft_log_store_open(path, &o, &ls), 0);
	struct lsm *m = lsm_new();
	struct test_rng g;
	test_rng_init(&g, test_seed());
	uint8_t data[500];
	for (uint64_t i = 1; i <= 100; i++) {
		test_rng_bytes(&g, data, sizeof data);
		struct raft_entry e = {.term = 1 + i / 30, .index = i,
				       .len = (uint32_t)(i * 5), .data = data};
		ck_assert_int_eq(raft_log_store_append(ls, &e, 1, NULL), 0);
		lsm_append(m, &e, 1);
	}
	ck_assert_int_eq(raft_log_store_sync(ls, 0), 0);
	struct raft_snapshot_meta meta = {.index = 60, .term = lsm_term(m, 60)};
	ck_assert_int_eq(raft_log_store_set_snapshot(ls, &meta, NULL), 0);
	lsm_set_snapshot(m, &meta);
	unsigned deleted;
	ck_assert_int_eq(raft_log_store_compact(ls, &deleted), 0);
	ck_assert_uint_gt(deleted, 0);
	/* A second opener is locked out. */
	struct raft_log_store *other;
	ck_assert_int_eq(raft_log_store_open(path, &o, &other), KV_ELOCKED);
	ck_assert_int_eq(raft_log_store_close(ls), 0);
	ck_assert_int_eq(raft_log_store_open(path, &o, &ls), 0);
	char why[256];
	ck_assert_msg(lsm_matches(ls, m, &g, why, sizeof why), "%s", why);
	raft_log_store_close(ls);
	lsm_free(m);
	test_tmpdir_free(dir);
}
END_TEST

/*
 * A Raft node of one on the store: it elects itself, commits proposals,
 * and after a restart from the store alone it has the same term, log and
 * commit (the ready contract of raft.h, steps 3-5).
 */
static void ready_loop(struct raft *r, struct raft_log_store *ls,
		       uint64_t *applied)
{
	for (int guard = 0; guard < 100 && raft_has_ready(r); guard++) {
		struct raft_ready rd;
		raft_ready(r, &rd);
		uint64_t lsn = 0;
		if (rd.n_entries > 0)
			ck_assert_int_eq(raft_log_store_append(ls, rd.entries,
							       rd.n_entries,
							       &lsn), 0);
		if (rd.has_hard_state)
			ck_assert_int_eq(raft_log_store_set_hard_state(
						 ls, &rd.hs, &lsn), 0);
		ck_assert_int_eq(raft_log_store_sync(ls, lsn), 0);
		for (size_t i = 0; i < rd.n_committed; i++) {
			ck_assert_uint_eq(rd.committed[i].index, *applied + 1);
			*applied = rd.committed[i].index;
		}
		raft_advance(r, &rd);
	}
}

START_TEST(test_raft_node_on_store)
{
	struct fx x;
	fx_init(&x);
	struct raft_config cfg;
	raft_config_default(&cfg);
	cfg.id = 1;
	cfg.seed = test_seed();
	struct raft_storage st = raft_log_store_storage(x.ls);
	struct raft *r;
	ck_assert_int_eq(raft_new(&cfg, &st, &r), 0);
	uint64_t applied = 0;
	raft_campaign(r);
	ready_loop(r, x.ls, &applied);
	struct raft_status s;
	raft_status(r, &s);
	ck_assert_int_eq(s.role, RAFT_LEADER);
	for (int i = 0; i < 20; i++) {
		char cmd[32];
		int len = snprintf(cmd, sizeof cmd, "put k%d", i);
		ck_assert_int_eq(raft_propose(r, cmd, (size_t)len, NULL), 0);
		ready_loop(r, x.ls, &applied);
	}
	raft_status(r, &s);
	ck_assert_uint_eq(s.hs.commit, s.last_index);
	ck_assert_uint_eq(applied, s.last_index);
	raft_free(r);
	fx_reopen(&x);
	st = raft_log_store_storage(x.ls);
	cfg.applied = 0;
	ck_assert_int_eq(raft_new(&cfg, &st, &r), 0);
	struct raft_status s2;
	raft_status(r, &s2);
	ck_assert_uint_eq(s2.hs.term, s.hs.term);
	ck_assert_uint_eq(s2.hs.vote, 1);
	ck_assert_uint_eq(s2.hs.commit, s.hs.commit);
	ck_assert_uint_eq(s2.last_index, s.last_index);
	/* The committed entries come out again, in order, from disk. */
	applied = 0;
	raft_campaign(r);
	ready_loop(r, x.ls, &applied);
	ck_assert_uint_ge(applied, s.last_index);
	struct raft_entry out[1];
	size_t n;
	ck_assert_int_eq(raft_log_store_entries(x.ls, 21, 22, 0, out, &n), 0);
	ck_assert_int_eq(memcmp(out[0].data, "put k19", 7), 0);
	raft_free(r);
	fx_fini(&x);
}
END_TEST

static void propose_cc(struct raft *r, struct raft_log_store *ls, uint8_t type,
		       uint64_t node, uint64_t *applied, uint64_t *index)
{
	struct raft_conf_change cc = {.type = type, .node = node};
	ck_assert_int_eq(raft_propose_conf_change(r, &cc, index), 0);
	ready_loop(r, ls, applied);
	ck_assert_uint_ge(*applied, *index);
}

/*
 * A restart with applied beyond the snapshot: initial_state replays the
 * committed conf changes up to applied over the snapshot's configuration,
 * and gives what the core had.
 */
START_TEST(test_conf_as_of_applied)
{
	struct fx x;
	fx_init(&x);
	struct raft_config cfg;
	raft_config_default(&cfg);
	cfg.id = 1;
	cfg.seed = test_seed();
	struct raft_storage st = raft_log_store_storage(x.ls);
	struct raft *r;
	ck_assert_int_eq(raft_new(&cfg, &st, &r), 0);
	uint64_t applied = 0, i2, i3, i3r, i4;
	raft_campaign(r);
	ready_loop(r, x.ls, &applied);
	propose_cc(r, x.ls, RAFT_CC_ADD_LEARNER, 2, &applied, &i2);
	propose_cc(r, x.ls, RAFT_CC_ADD_LEARNER, 3, &applied, &i3);
	/* A snapshot here: later changes replay over its configuration. */
	struct raft_snapshot_meta meta = {.index = i3};
	ck_assert_int_eq(raft_log_store_term(x.ls, i3, &meta.term), 0);
	raft_conf_state(r, &meta.conf);
	ck_assert_int_eq(raft_log_store_set_snapshot(x.ls, &meta, NULL), 0);
	ck_assert_int_eq(raft_compact(r, i3), 0);
	propose_cc(r, x.ls, RAFT_CC_REMOVE, 3, &applied, &i3r);
	propose_cc(r, x.ls, RAFT_CC_ADD_LEARNER, 4, &applied, &i4);
	struct raft_conf_state want;
	raft_conf_state(r, &want);
	ck_assert_uint_eq(want.n_learners, 2);
	raft_free(r);
	ck_assert_int_eq(raft_log_store_close(x.ls), 0);
	fault_io_restart(x.f);
	fx_open(&x);
	ck_assert_int_eq(raft_log_store_set_applied(x.ls, i2), RAFT_ERR_INVALID);
	/* As of each applied index from the snapshot on. */
	uint64_t at[3] = {i3, i3r, applied};
	uint32_t learners[3] = {2, 1, 2};
	for (int k = 0; k < 3; k++) {
		ck_assert_int_eq(raft_log_store_set_applied(x.ls, at[k]), 0);
		cfg.applied = at[k];
		st = raft_log_store_storage(x.ls);
		ck_assert_int_eq(raft_new(&cfg, &st, &r), 0);
		struct raft_conf_state cs;
		raft_conf_state(r, &cs);
		ck_assert_uint_eq(cs.n_voters, 1);
		ck_assert_uint_eq(cs.n_learners, learners[k]);
		if (k == 2)
			ck_assert_int_eq(memcmp(&cs, &want, sizeof cs), 0);
		raft_free(r);
	}
	fx_fini(&x);
}
END_TEST

Suite *raft_log_store_suite(void)
{
	Suite *s = suite_create("raft_log_store");
	TCase *tc = tcase_create("basic");
	tcase_add_test(tc, test_append_read_reopen);
	tcase_add_test(tc, test_truncate_conflicting_suffix);
	tcase_add_test(tc, test_snapshot_and_compaction);
	tcase_add_test(tc, test_snapshot_replaces_log);
	tcase_add_test(tc, test_large_entries);
	tcase_add_test(tc, test_storage_interface);
	tcase_add_test(tc, test_group_commit_threads);
	tcase_add_test(tc, test_posix_disk);
	tcase_add_test(tc, test_raft_node_on_store);
	tcase_add_test(tc, test_conf_as_of_applied);
	suite_add_tcase(s, tc);
	return s;
}
