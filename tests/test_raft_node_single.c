/*
 * test_raft_node_single.c — the node driver as a cluster of one: elects
 * itself, proposes and applies with results, read barriers, restart that
 * replays exactly what was not applied, snapshots with log compaction,
 * concurrent proposals, and a fatal app error.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raft/node_int.h"
#include "tests/fault_io.h"
#include "tests/raft_node_test_net.h"
#include "tests/testutil.h"

START_TEST(test_single_propose_read)
{
	struct tcluster c;
	tc_init(&c, 1, "node-single");
	ck_assert_int_eq(tc_start(&c, 1, false), 0);
	for (uint32_t i = 0; i < 50; i++) {
		int res = -1;
		uint64_t aux = 0;
		uint32_t v = 1000 + i;
		ck_assert_int_eq(raft_node_propose(c.node[1], &v, 4, &res, &aux),
				 0);
		/* The app's result for this command reaches the proposer. */
		ck_assert_int_eq(res, (int)((i + 1) * 256 + (v & 0xff)));
		ck_assert_uint_eq(aux, c.app[1].cmd_index[i]);
		ck_assert_int_eq(raft_node_read_barrier(c.node[1]), 0);
		/* After the barrier the write is visible locally. */
		ck_assert_uint_eq(tapp_n_cmds(&c.app[1]), i + 1);
	}
	struct raft_node_status st;
	raft_node_status(c.node[1], &st);
	ck_assert_int_eq(st.role, RAFT_LEADER);
	ck_assert_uint_eq(st.leader, 1);
	ck_assert_uint_eq(st.commit, st.applied);
	ck_assert_uint_eq(st.n_members, 1);
	ck_assert_uint_eq(st.members[0].id, 1);
	ck_assert_str_eq(st.members[0].addr, "mem:1");
	ck_assert_uint_eq(st.applied, tapp_applied(&c.app[1]));
	ck_assert(tc_logged(&c, 1, "elected leader"));
	tc_free(&c);
}
END_TEST

/* Restart replays from app->applied_index()+1 exactly: count apply calls. */
START_TEST(test_single_restart_replay)
{
	struct tcluster c;
	tc_init(&c, 1, "node-restart");
	ck_assert_int_eq(tc_start(&c, 1, false), 0);
	int res;
	for (uint32_t i = 0; i < 10; i++)
		ck_assert_int_eq(tc_propose(&c, 1, i, &res), 0);
	tc_stop(&c, 1); /* clean stop: app synced */
	uint64_t a1 = tapp_applied(&c.app[1]);

	c.app[1].apply_calls = 0;
	ck_assert_int_eq(tc_start(&c, 1, false), 0);
	ck_assert_int_eq(raft_node_read_barrier(c.node[1]), 0);
	/* Nothing replayed: only the new term's no-op. */
	ck_assert_uint_eq(c.app[1].apply_calls, 1);
	ck_assert_uint_eq(tapp_applied(&c.app[1]), a1 + 1);

	/* Now lose the app's unsynced work, as a crash would. */
	c.app[1].sync_off = true;
	for (uint32_t i = 10; i < 30; i++)
		ck_assert_int_eq(tc_propose(&c, 1, i, &res), 0);
	uint64_t a2 = tapp_applied(&c.app[1]);
	tc_stop(&c, 1);
	tapp_crash(&c.app[1]);
	uint64_t kept = tapp_applied(&c.app[1]);
	ck_assert_uint_eq(kept, a1);
	c.app[1].sync_off = false;
	c.app[1].apply_calls = 0;
	ck_assert_int_eq(tc_start(&c, 1, false), 0);
	ck_assert_int_eq(raft_node_read_barrier(c.node[1]), 0);
	/* Exactly the lost entries again, plus one no-op of the new term. */
	ck_assert_uint_eq(c.app[1].apply_calls, a2 - kept + 1);
	ck_assert_uint_eq(tapp_n_cmds(&c.app[1]), 30);
	for (uint32_t i = 0; i < 30; i++)
		ck_assert_uint_eq(c.app[1].cmd[i], i);
	tc_free(&c);
}
END_TEST

START_TEST(test_single_snapshot)
{
	struct tcluster c;
	tc_init(&c, 1, "node-snap");
	c.snapshot_entries = 40;
	ck_assert_int_eq(tc_start(&c, 1, false), 0);
	int res;
	for (uint32_t i = 0; i < 200; i++)
		ck_assert_int_eq(tc_propose(&c, 1, i, &res), 0);
	struct raft_node_status st;
	raft_node_status(c.node[1], &st);
	ck_assert_uint_ge(c.app[1].creates, 4);
	ck_assert_uint_gt(st.snapshot_index, 150);
	ck_assert_uint_eq(st.first_index, st.snapshot_index + 1);
	ck_assert(tc_logged(&c, 1, "snapshot taken at index"));
	/* Crash (unsynced app work lost) and restart over the compacted log. */
	c.app[1].sync_off = true;
	for (uint32_t i = 200; i < 220; i++)
		ck_assert_int_eq(tc_propose(&c, 1, i, &res), 0);
	tc_stop(&c, 1);
	tapp_crash(&c.app[1]);
	c.app[1].sync_off = false;
	ck_assert_int_eq(tc_start(&c, 1, false), 0);
	ck_assert_int_eq(tc_propose(&c, 1, 220, &res), 0);
	ck_assert_uint_eq(tapp_n_cmds(&c.app[1]), 221);
	for (uint32_t i = 0; i < 221; i++)
		ck_assert_uint_eq(c.app[1].cmd[i], i);
	tc_free(&c);
}
END_TEST

struct conc_arg {
	struct tcluster *c;
	uint32_t base;
	int fails;
	int results[50];
};

static void *conc_main(void *p)
{
	struct conc_arg *a = p;
	for (int i = 0; i < 50; i++) {
		if (tc_propose(a->c, 1, a->base + (uint32_t)i,
			       &a->results[i]) != 0)
			a->fails++;
	}
	return NULL;
}

/* Concurrent proposers: all applied once, results tell their positions. */
START_TEST(test_single_concurrent)
{
	struct tcluster c;
	tc_init(&c, 1, "node-conc");
	ck_assert_int_eq(tc_start(&c, 1, false), 0);
	ck_assert_int_eq(raft_node_read_barrier(c.node[1]), 0);
	struct raft_log_store_stats s0, s1, s2;
	raft_log_store_stats(c.node[1]->ls, &s0);
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int res;
	for (uint32_t i = 0; i < 20; i++)
		ck_assert_int_eq(tc_propose(&c, 1, 500000 + i, &res), 0);
	raft_log_store_stats(c.node[1]->ls, &s1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* One fsync per proposal alone: the commit-only ready is not synced. */
	ck_assert_uint_le(s1.fsyncs - s0.fsyncs, 20);
	pthread_t th[8];
	struct conc_arg args[8];
	for (int t = 0; t < 8; t++) {
		args[t] = (struct conc_arg){.c = &c, .base = (uint32_t)t * 1000};
		ck_assert_int_eq(pthread_create(&th[t], NULL, conc_main,
						&args[t]), 0);
	}
	for (int t = 0; t < 8; t++)
		pthread_join(th[t], NULL);
	raft_log_store_stats(c.node[1]->ls, &s2);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	/* Printed, never asserted (machines are noisy). */
	if (test_env_u64("VERBOSE", 0))
		fprintf(stderr, "fsyncs: 20 sequential %llu in %.1f ms, 400 by "
			"8 threads %llu in %.1f ms\n",
			(unsigned long long)(s1.fsyncs - s0.fsyncs),
			(double)(t1.tv_sec - t0.tv_sec) * 1e3 +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
			(unsigned long long)(s2.fsyncs - s1.fsyncs),
			(double)(t2.tv_sec - t1.tv_sec) * 1e3 +
				(double)(t2.tv_nsec - t1.tv_nsec) / 1e6);
	/* Group commit: concurrent proposals share syncs. */
	ck_assert_uint_lt(s2.fsyncs - s1.fsyncs, 400);
	ck_assert_uint_eq(tapp_n_cmds(&c.app[1]), 420);
	bool seen[420] = {false};
	for (int t = 0; t < 8; t++) {
		ck_assert_int_eq(args[t].fails, 0);
		for (int i = 0; i < 50; i++) {
			int pos = args[t].results[i] / 256 - 1;
			ck_assert(pos >= 20 && pos < 420 && !seen[pos]);
			seen[pos] = true;
			/* The command at that position is this one. */
			ck_assert_uint_eq(c.app[1].cmd[pos],
					  (uint32_t)(t * 1000 + i));
		}
	}
	tc_free(&c);
}
END_TEST

/* An app that cannot go on stops the node; nothing reports success. */
START_TEST(test_single_app_failure)
{
	struct tcluster c;
	tc_init(&c, 1, "node-fail");
	ck_assert_int_eq(tc_start(&c, 1, false), 0);
	int res;
	ck_assert_int_eq(tc_propose(&c, 1, 1, &res), 0);
	c.app[1].fail_next = true;
	int rc = tc_propose(&c, 1, 2, &res);
	ck_assert_int_eq(rc, RAFT_NODE_EINDETERMINATE);
	ck_assert_int_eq(tc_propose(&c, 1, 3, &res), RAFT_NODE_EFAILED);
	ck_assert_int_eq(raft_node_read_barrier(c.node[1]), RAFT_NODE_EFAILED);
	struct raft_node_status st;
	raft_node_status(c.node[1], &st);
	ck_assert_int_ne(st.error, 0);
	tc_free(&c);
}
END_TEST

/* The app's durable state after a crash: any prefix of what it applied
 * (the engine flushes on its own), at least what it synced. */
static void app_crash_keep(struct tapp *a, uint64_t keep)
{
	pthread_mutex_lock(&a->mu);
	uint64_t n = 0;
	while (n < a->n_cmds && a->cmd_index[n] <= keep)
		n++;
	a->applied = a->synced_applied = keep;
	a->n_cmds = a->synced_n_cmds = n;
	pthread_mutex_unlock(&a->mu);
}

/*
 * Crash the log's disk at every mutating call in turn (fault_io keeps only
 * what was synced, or a random torn part of the rest) and the app at a
 * random applied prefix; after restart every acknowledged command is
 * there, at the position reported, and the node goes on.
 */
START_TEST(test_single_crash_points)
{
	struct test_rng rng;
	test_rng_init(&rng, test_seed());
	unsigned points = (unsigned)test_env_u64("NODE_CRASH_POINTS", 40);
	for (unsigned nth = 1; nth <= points; nth++) {
		struct tcluster c;
		tc_init(&c, 1, "node-crash");
		struct fault_io *f = fault_io_new(test_rng_next(&rng));
		char dir[4200];
		snprintf(dir, sizeof dir, "%s/n1", c.root);
		ck_assert_int_eq(fault_io_mkdirs(f, dir), 0);
		fault_io_sync_all(f);
		c.io[1] = fault_io_table(f);
		c.timeout_ms = 1000;
		c.app[1].sync_off = true;
		ck_assert_int_eq(tc_start(&c, 1, false), 0);
		fault_io_crash_at(f, FAULT_MUTATING, nth,
				  nth % 2 ? FAULT_CRASH_DROP
					  : FAULT_CRASH_RANDOM);
		int res[30], rc[30];
		for (uint32_t i = 0; i < 30; i++)
			rc[i] = tc_propose(&c, 1, 100 + i, &res[i]);
		tc_stop(&c, 1);
		uint64_t lo = c.app[1].synced_applied, hi = c.app[1].applied;
		/* Half the time all of it: the engine flushed everything,
		 * beyond the log's last synced commit index. */
		app_crash_keep(&c.app[1], nth % 4 < 2 ? hi
				: lo + test_rng_below(&rng, hi - lo + 1));
		fault_io_restart(f);
		c.app[1].sync_off = false;
		ck_assert_int_eq(tc_start(&c, 1, false), 0);
		int r2;
		ck_assert_int_eq(tc_propose(&c, 1, 999, &r2), 0);
		for (uint32_t i = 0; i < 30; i++) {
			ck_assert(rc[i] == 0 || rc[i] == RAFT_NODE_EFAILED ||
				  rc[i] == RAFT_NODE_EINDETERMINATE);
			if (rc[i] == 0)
				ck_assert_uint_eq(c.app[1].cmd[res[i] / 256 - 1],
						  100 + i);
		}
		tc_stop(&c, 1);
		tc_free(&c);
		fault_io_free(f);
	}
}
END_TEST

Suite *raft_node_single_suite(void)
{
	Suite *s = suite_create("raft_node_single");
	TCase *tc = tcase_create("single");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_single_propose_read);
	tcase_add_test(tc, test_single_restart_replay);
	tcase_add_test(tc, test_single_snapshot);
	tcase_add_test(tc, test_single_concurrent);
	tcase_add_test(tc, test_single_app_failure);
	tcase_add_test(tc, test_single_crash_points);
	suite_add_tcase(s, tc);
	return s;
}
