/*
 * test_raft_node_cluster.c — three (and more) nodes over the in-memory net:
 * election, proposals from every node (forwarded by followers) applied on
 * all in one order with the proposer's result, leader loss and partitions
 * (never a false success, never a stale read), restart from disk,
 * membership and leadership transfer.
 *
 * Waits are bounded polls of status (tc_wait_*), never sleeps standing in
 * for a condition.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/raft_node_test_net.h"
#include "tests/testutil.h"

static void start_all(struct tcluster *c)
{
	for (uint64_t i = 1; i <= (uint64_t)c->n; i++)
		ck_assert_int_eq(tc_start(c, i, false), 0);
}

/* Every running node has applied the same commands, in the same order, as
 * node `ref`; returns how many. */
static uint64_t check_same(struct tcluster *c, uint64_t ref)
{
	uint64_t applied = 0;
	for (uint64_t i = 1; i < TNET_NODES; i++)
		if (c->node[i] && tapp_applied(&c->app[i]) > applied)
			applied = tapp_applied(&c->app[i]);
	for (uint64_t i = 1; i < TNET_NODES; i++)
		if (c->node[i])
			ck_assert(tc_wait_applied(c, i, applied));
	uint64_t n = tapp_n_cmds(&c->app[ref]);
	for (uint64_t i = 1; i < TNET_NODES; i++) {
		if (!c->node[i] || i == ref)
			continue;
		struct tapp *a = &c->app[i], *r = &c->app[ref];
		pthread_mutex_lock(&a->mu);
		uint64_t m = a->n_cmds < n ? a->n_cmds : n;
		for (uint64_t k = 0; k < m; k++) {
			ck_assert_uint_eq(a->cmd[k], r->cmd[k]);
			ck_assert_uint_eq(a->cmd_index[k], r->cmd_index[k]);
		}
		pthread_mutex_unlock(&a->mu);
	}
	return n;
}

/* A command acknowledged with result res really is at its position. */
static void check_ack(struct tcluster *c, uint64_t ref, uint32_t v, int res)
{
	uint64_t pos = (uint64_t)res / 256;
	ck_assert_uint_ge(pos, 1);
	ck_assert_uint_le(pos, tapp_n_cmds(&c->app[ref]));
	ck_assert_uint_eq(c->app[ref].cmd[pos - 1], v);
	ck_assert_uint_eq((uint32_t)res & 0xff, v & 0xff);
}

START_TEST(test_cluster_replicate_forward)
{
	struct tcluster c;
	tc_init(&c, 3, "node-c3");
	start_all(&c);
	uint64_t leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	ck_assert(tc_logged(&c, leader, "elected leader"));
	int res[90];
	for (uint32_t i = 0; i < 90; i++) {
		uint64_t on = 1 + i % 3; /* two of three are followers */
		ck_assert_int_eq(tc_propose(&c, on, 5000 + i, &res[i]), 0);
		/* Applied on the proposer itself before the call returned. */
		ck_assert_uint_ge(tapp_n_cmds(&c.app[on]),
				  (uint64_t)res[i] / 256);
		/* Read barrier on any node then sees it. */
		uint64_t rd = 1 + (i + 1) % 3;
		ck_assert_int_eq(raft_node_read_barrier(c.node[rd]), 0);
		ck_assert_uint_ge(tapp_n_cmds(&c.app[rd]),
				  (uint64_t)res[i] / 256);
	}
	ck_assert_uint_eq(check_same(&c, leader), 90);
	for (uint32_t i = 0; i < 90; i++) {
		ck_assert_int_eq(res[i] / 256, (int)i + 1); /* sequential */
		check_ack(&c, leader, 5000 + i, res[i]);
	}
	struct raft_node_status st;
	raft_node_status(c.node[leader], &st);
	ck_assert_uint_eq(st.n_members, 3);
	for (size_t k = 0; k < 3; k++) {
		ck_assert(!st.members[k].learner);
		ck_assert(st.members[k].connected);
		ck_assert(st.members[k].healthy);
	}
	tc_free(&c);
}
END_TEST

struct load {
	struct tcluster *c;
	uint64_t on;
	uint32_t base;
	int n;
	int rc[200];
	int res[200];
};

static void *load_main(void *p)
{
	struct load *l = p;
	for (int i = 0; i < l->n; i++) {
		if (!l->c->node[l->on]) {
			l->rc[i] = RAFT_NODE_ESTOPPED;
			continue;
		}
		l->rc[i] = tc_propose(l->c, l->on, l->base + (uint32_t)i,
				      &l->res[i]);
	}
	return NULL;
}

/* Only the allowed outcomes, and every success is in the final log. */
static int check_loads(struct tcluster *c, uint64_t ref, struct load *l,
		       int nl)
{
	int ok = 0;
	for (int t = 0; t < nl; t++) {
		for (int i = 0; i < l[t].n; i++) {
			int rc = l[t].rc[i];
			ck_assert_msg(rc == 0 || rc == RAFT_NODE_EINDETERMINATE ||
					      rc == RAFT_NODE_EUNAVAILABLE ||
					      rc == RAFT_NODE_ESTOPPED,
				      "unexpected rc %d", rc);
			if (rc == 0) {
				check_ack(c, ref, l[t].base + (uint32_t)i,
					  l[t].res[i]);
				ok++;
			}
		}
	}
	return ok;
}

/* The leader is stopped under load: a new one is elected, waiters on the
 * old one get INDETERMINATE/UNAVAILABLE/STOPPED, never a false success. */
START_TEST(test_cluster_leader_stopped)
{
	struct tcluster c;
	tc_init(&c, 3, "node-kill");
	c.timeout_ms = 2000;
	start_all(&c);
	uint64_t leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	static struct load l[3];
	pthread_t th[3];
	for (int t = 0; t < 3; t++) {
		l[t] = (struct load){.c = &c, .on = (uint64_t)t + 1,
				     .base = (uint32_t)(t + 1) * 10000,
				     .n = 60};
	}
	/* Threads on the two survivors only: the stopped node's pointer
	 * goes away under them otherwise. */
	int nt = 0;
	for (int t = 0; t < 3; t++)
		if ((uint64_t)t + 1 != leader)
			ck_assert_int_eq(pthread_create(&th[nt++], NULL,
							load_main, &l[t]), 0);
	ck_assert(tc_wait_applied(&c, leader, 20));
	tc_stop(&c, leader);
	for (int t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	uint64_t nl = tc_wait_leader(&c, leader);
	ck_assert_uint_ne(nl, 0);
	ck_assert_uint_ne(nl, leader);
	int res;
	uint64_t other = 6 - leader - nl;
	ck_assert_int_eq(tc_propose(&c, other, 99, &res), 0);
	check_same(&c, nl);
	struct load done[2];
	int k = 0;
	for (int t = 0; t < 3; t++)
		if ((uint64_t)t + 1 != leader)
			done[k++] = l[t];
	int ok = check_loads(&c, nl, done, 2);
	ck_assert_int_gt(ok, 0);
	/* The old leader rejoins from disk and converges. */
	ck_assert_int_eq(tc_start(&c, leader, false), 0);
	ck_assert_int_eq(raft_node_read_barrier(c.node[leader]), 0);
	ck_assert_uint_eq(check_same(&c, nl), tapp_n_cmds(&c.app[nl]));
	tc_free(&c);
}
END_TEST

/* Isolate the leader: it commits nothing and, once the majority has a new
 * leader, serves no read; the majority goes on; after healing everyone
 * converges.  _i = 1: leaders serve reads from their lease, which must
 * have run out by the time another leader can commit. */
START_TEST(test_cluster_partition_leader)
{
	struct tcluster c;
	tc_init(&c, 3, "node-part");
	c.timeout_ms = 1500;
	c.lease_reads = _i;
	start_all(&c);
	uint64_t old = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(old, 0);
	int res;
	ck_assert_int_eq(tc_propose(&c, old, 1, &res), 0);
	check_same(&c, old);
	uint64_t before = tapp_n_cmds(&c.app[old]);
	/* Reads right up to the cut: with leases, one is fresh now. */
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(raft_node_read_barrier(c.node[old]), 0);
	tnet_isolate(c.net, old, true);
	/* Majority elects another leader and commits. */
	uint64_t nl = tc_wait_leader(&c, old);
	ck_assert_uint_ne(nl, 0);
	ck_assert_uint_ne(nl, old);
	ck_assert_int_eq(tc_propose(&c, nl, 3, &res), 0);
	check_ack(&c, nl, 3, res);
	/* The isolated node must not pass a barrier (it would read stale),
	 * asked as soon as the new leader has committed: its lease, if any,
	 * must be over. */
	ck_assert_int_eq(raft_node_read_barrier(c.node[old]),
			 RAFT_NODE_EUNAVAILABLE);
	ck_assert_uint_eq(tapp_n_cmds(&c.app[old]), before);
	/* Minority: a write may end in its log but never commits. */
	int rc = tc_propose(&c, old, 2, &res);
	ck_assert_msg(rc == RAFT_NODE_EINDETERMINATE ||
			      rc == RAFT_NODE_EUNAVAILABLE,
		      "minority propose returned %d", rc);
	ck_assert_int_eq(tc_propose(&c, old, 4, &res), RAFT_NODE_EUNAVAILABLE);
	/* Heal. */
	tnet_isolate(c.net, old, false);
	ck_assert_int_eq(raft_node_read_barrier(c.node[old]), 0);
	ck_assert_uint_ge(tapp_n_cmds(&c.app[old]), before + 1);
	uint64_t leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	uint64_t n = check_same(&c, leader);
	/* Value 2 was never acknowledged; if it is there, it is after 1 and
	 * committed by the new term's leader only if its entry survived. */
	for (uint64_t k = 0; k < n; k++)
		ck_assert(c.app[leader].cmd[k] != 4);
	tc_free(&c);
}
END_TEST

/*
 * Lease reads: after one round the leader serves barriers from its lease
 * (no round each), each one seeing every write acknowledged before it,
 * from any node; a leadership transfer gives the lease up at once.
 */
START_TEST(test_cluster_lease_reads)
{
	struct tcluster c;
	tc_init(&c, 3, "node-lease");
	c.lease_reads = true;
	start_all(&c);
	uint64_t leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	int res;
	for (uint32_t i = 0; i < 200; i++) {
		uint64_t on = 1 + i % 3;
		ck_assert_int_eq(tc_propose(&c, on, 100 + i, &res), 0);
		ck_assert_int_eq(raft_node_read_barrier(c.node[leader]), 0);
		ck_assert_uint_ge(tapp_n_cmds(&c.app[leader]),
				  (uint64_t)res / 256);
	}
	struct raft_node_status st;
	raft_node_status(c.node[leader], &st);
	/* Leadership may have moved under a slow machine; if it did not,
	 * most of the 200 reads came from the lease. */
	if (st.role == RAFT_LEADER) {
		ck_assert_uint_gt(st.reads_by_lease, 100);
		ck_assert_uint_lt(st.read_rounds, st.reads_by_lease);
	}
	leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	ck_assert_int_eq(raft_node_read_barrier(c.node[leader]), 0);
	ck_assert_int_eq(raft_node_read_barrier(c.node[leader]), 0);
	uint64_t to = leader == 1 ? 2 : 1;
	ck_assert_int_eq(raft_node_transfer_leader(c.node[leader], to), 0);
	raft_node_status(c.node[leader], &st);
	ck_assert_uint_eq(st.lease_ms_left, 0);
	ck_assert_uint_eq(tc_wait_leader(&c, 0), to);
	ck_assert_int_eq(tc_propose(&c, to, 999, &res), 0);
	ck_assert_int_eq(raft_node_read_barrier(c.node[leader]), 0);
	ck_assert_uint_ge(tapp_n_cmds(&c.app[leader]), (uint64_t)res / 256);
	tc_free(&c);
}
END_TEST

/*
 * A node cut off from the majority refuses requests once it has known no
 * leader for three election timeouts and they have waited one: not after
 * the propose timeout (20 s here: the counter tells which path answered).
 * Healed, it serves again.
 */
START_TEST(test_cluster_minority_refuses)
{
	struct tcluster c;
	tc_init(&c, 3, "node-minority");
	c.timeout_ms = 20000;
	start_all(&c);
	uint64_t leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	uint64_t f = leader == 1 ? 2 : 1;
	int res;
	ck_assert_int_eq(tc_propose(&c, f, 1, &res), 0);
	tnet_isolate(c.net, f, true);
	ck_assert(tc_wait_leaderless(&c, f));
	ck_assert_int_eq(tc_propose(&c, f, 2, &res), RAFT_NODE_EUNAVAILABLE);
	ck_assert_int_eq(raft_node_read_barrier(c.node[f]),
			 RAFT_NODE_EUNAVAILABLE);
	struct raft_node_status st;
	raft_node_status(c.node[f], &st);
	ck_assert_uint_eq(st.failed_leaderless, 2);
	/* Never proposed: the majority has only value 1 of these. */
	tnet_isolate(c.net, f, false);
	ck_assert_int_eq(raft_node_read_barrier(c.node[f]), 0);
	ck_assert_int_eq(tc_propose(&c, f, 3, &res), 0);
	uint64_t n = check_same(&c, tc_wait_leader(&c, 0));
	for (uint64_t k = 0; k < n; k++)
		ck_assert(c.app[f].cmd[k] != 2);
	tc_free(&c);
}
END_TEST

/* A follower stopped while the others go on catches up after restart. */
START_TEST(test_cluster_follower_restart)
{
	struct tcluster c;
	tc_init(&c, 3, "node-frestart");
	start_all(&c);
	uint64_t leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	uint64_t f = leader == 1 ? 2 : 1;
	int res;
	for (uint32_t i = 0; i < 20; i++)
		ck_assert_int_eq(tc_propose(&c, leader, i, &res), 0);
	tc_stop(&c, f);
	for (uint32_t i = 20; i < 60; i++)
		ck_assert_int_eq(tc_propose(&c, leader, i, &res), 0);
	c.app[f].apply_calls = 0;
	uint64_t had = tapp_applied(&c.app[f]);
	ck_assert_int_eq(tc_start(&c, f, false), 0);
	ck_assert(tc_wait_applied(&c, f, tapp_applied(&c.app[leader])));
	ck_assert_uint_eq(check_same(&c, leader), 60);
	/* It applied only what it lacked. */
	ck_assert_uint_eq(c.app[f].apply_calls, tapp_applied(&c.app[f]) - had);
	tc_free(&c);
}
END_TEST

/* A follower behind a compacted log catches up by snapshot, and then by
 * log again; the snapshot carries the state and the configuration. */
START_TEST(test_cluster_snapshot_catch_up)
{
	struct tcluster c;
	tc_init(&c, 3, "node-snapcu");
	c.snapshot_entries = 30;
	/* Several chunks (1 MiB each, window 4), one in three lost. */
	for (int i = 1; i <= 3; i++)
		c.app[i].pad_bytes = 5u * 1024 * 1024 + 12345;
	tnet_drop_chunks(c.net, 3);
	start_all(&c);
	uint64_t leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	uint64_t f = leader == 3 ? 2 : 3;
	int res;
	for (uint32_t i = 0; i < 10; i++)
		ck_assert_int_eq(tc_propose(&c, leader, i, &res), 0);
	tc_stop(&c, f);
	for (uint32_t i = 10; i < 150; i++)
		ck_assert_int_eq(tc_propose(&c, leader, i, &res), 0);
	struct raft_node_status st;
	raft_node_status(c.node[leader], &st);
	ck_assert_uint_gt(st.first_index, tapp_applied(&c.app[f]) + 1);
	ck_assert_int_eq(tc_start(&c, f, false), 0);
	ck_assert(tc_wait_applied(&c, f, tapp_applied(&c.app[leader])));
	ck_assert_uint_ge(c.app[f].installs, 1);
	ck_assert_uint_gt(tnet_chunks(c.net), 5);
	ck_assert(tc_logged(&c, f, "installed snapshot"));
	/* Log replication resumes after it; a barrier there sees it all. */
	for (uint32_t i = 150; i < 160; i++)
		ck_assert_int_eq(tc_propose(&c, f, i, &res), 0);
	ck_assert_int_eq(raft_node_read_barrier(c.node[f]), 0);
	ck_assert_uint_eq(check_same(&c, leader), 160);
	for (uint32_t i = 0; i < 160; i++)
		ck_assert_uint_eq(c.app[f].cmd[i], i);
	/* It restarts from its installed snapshot and its log. */
	tc_stop(&c, f);
	ck_assert_int_eq(tc_start(&c, f, false), 0);
	ck_assert_int_eq(tc_propose(&c, f, 160, &res), 0);
	ck_assert_uint_eq(check_same(&c, leader), 161);

	tc_free(&c);
}
END_TEST

/* A leader whose own snapshot came from another leader (its directory was
 * consumed by the install) takes a fresh one to bring a follower up. */
START_TEST(test_cluster_snapshot_from_installed)
{
	struct tcluster c;
	tc_init(&c, 5, "node-snap5");
	c.snapshot_entries = 30;
	start_all(&c);
	uint64_t leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	uint64_t f = leader == 1 ? 2 : 1, g = 5 - (leader == 5);
	if (g == f)
		g = 4;
	int res;
	for (uint32_t i = 0; i < 5; i++)
		ck_assert_int_eq(tc_propose(&c, leader, i, &res), 0);
	check_same(&c, leader);
	tc_stop(&c, f);
	tc_stop(&c, g);
	for (uint32_t i = 5; i < 100; i++)
		ck_assert_int_eq(tc_propose(&c, leader, i, &res), 0);
	ck_assert_int_eq(tc_start(&c, f, false), 0);
	ck_assert(tc_wait_applied(&c, f, tapp_applied(&c.app[leader])));
	ck_assert_uint_eq(c.app[f].installs, 1);
	ck_assert_int_eq(raft_node_transfer_leader(c.node[leader], f), 0);
	ck_assert_uint_eq(tc_wait_leader(&c, 0), f);
	ck_assert_int_eq(tc_start(&c, g, false), 0);
	ck_assert_int_eq(tc_propose(&c, f, 100, &res), 0);
	ck_assert(tc_wait_applied(&c, g, tapp_applied(&c.app[f])));
	ck_assert_uint_eq(c.app[g].installs, 1);
	ck_assert(tc_logged(&c, f, "taking a fresh one"));
	ck_assert(tc_logged(&c, f, "snapshot taken at index"));
	ck_assert_uint_eq(check_same(&c, f), 101);
	tc_free(&c);
}
END_TEST

/* Add a learner, promote it, remove a voter; transfer leadership. */
START_TEST(test_cluster_membership)
{
	struct tcluster c;
	tc_init(&c, 3, "node-member");
	start_all(&c);
	uint64_t leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	int res;
	for (uint32_t i = 0; i < 10; i++)
		ck_assert_int_eq(tc_propose(&c, leader, i, &res), 0);
	ck_assert_int_eq(tc_start(&c, 4, true), 0);
	uint64_t f = leader == 1 ? 2 : 1;
	ck_assert_int_eq(raft_node_add_learner(c.node[f], 4, "mem:4"),
			 RAFT_ERR_NOT_LEADER);
	ck_assert_int_eq(raft_node_add_learner(c.node[leader], 4, "mem:4"),
			 0);
	ck_assert(tc_wait_applied(&c, 4, tapp_applied(&c.app[leader])));
	ck_assert_uint_eq(tapp_n_cmds(&c.app[4]), 10);
	struct raft_node_status st;
	raft_node_status(c.node[leader], &st);
	ck_assert_uint_eq(st.n_members, 4);
	ck_assert(st.members[3].id == 4 && st.members[3].learner);
	ck_assert_str_eq(st.members[3].addr, "mem:4");
	ck_assert_int_eq(raft_node_promote(c.node[leader], 4), 0);
	raft_node_status(c.node[leader], &st);
	ck_assert(st.members[3].id == 4 && !st.members[3].learner);
	ck_assert(tc_wait_applied(&c, 4, tapp_applied(&c.app[leader])));
	ck_assert(tc_logged(&c, 4, "promoted to voter"));
	/* It started from a snapshot (which carries the configuration). */
	ck_assert(tc_logged(&c, 4, "installed snapshot"));
	ck_assert_uint_eq(c.app[4].installs, 1);
	/* Every member learned 4's address (committed before the change). */
	for (uint64_t i = 1; i <= 3; i++)
		ck_assert(tc_logged(&c, i, "address of node 4 is mem:4"));
	/* Remove a follower other than 4. */
	uint64_t victim = 1;
	while (victim == leader || victim == 4)
		victim++;
	ck_assert_int_eq(raft_node_remove(c.node[leader], victim), 0);
	tc_stop(&c, victim);
	raft_node_status(c.node[leader], &st);
	ck_assert_uint_eq(st.n_members, 3);
	for (uint32_t i = 10; i < 20; i++)
		ck_assert_int_eq(tc_propose(&c, 4, i, &res), 0);
	/* Leadership to node 4. */
	ck_assert_int_eq(raft_node_transfer_leader(c.node[leader], 4), 0);
	ck_assert_uint_eq(tc_wait_leader(&c, 0), 4);
	ck_assert_int_eq(tc_propose(&c, leader, 20, &res), 0);
	ck_assert_uint_eq(check_same(&c, 4), 21);
	/* The address book survives a restart of the new member. */
	tc_stop(&c, 4);
	ck_assert_int_eq(tc_start(&c, 4, true), 0);
	ck_assert_int_eq(raft_node_read_barrier(c.node[4]), 0);
	ck_assert_int_eq(tc_propose(&c, 4, 21, &res), 0);
	ck_assert_uint_eq(check_same(&c, leader), 22);
	tc_free(&c);
}
END_TEST

/*
 * Random network faults and node restarts under a concurrent workload
 * from every node:
 * proposals and read barriers; faults change every few completed
 * operations (progress-driven, no sleeps).  Checks: only allowed errors;
 * every acknowledged command is at its reported position on every node;
 * a barrier that returns 0 on node X sees at least every command
 * acknowledged before it began (no stale read); no command twice.
 */
struct rnd {
	struct tcluster *c;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t ops;         /* completed operations */
	uint64_t acked_max;   /* highest position acknowledged so far */
	uint64_t acked_n;
	uint32_t val[4][40];
	int rc[4][40], res[4][40];
	uint64_t stale;       /* barriers that saw less than acked before */
	uint64_t reads_ok;
	uint64_t restarts;
	pthread_rwlock_t node_lock[TNET_NODES]; /* clients read, restarts write */
};

struct rnd_client {
	struct rnd *r;
	int t;
	uint64_t seed;
};

static void *rnd_client_main(void *p)
{
	struct rnd_client *cl = p;
	struct rnd *r = cl->r;
	struct test_rng rng;
	test_rng_init(&rng, cl->seed);
	for (int i = 0; i < 40; i++) {
		uint64_t on = 1 + test_rng_below(&rng, (uint64_t)r->c->n);
		uint32_t v = (uint32_t)(cl->t + 1) * 1000 + (uint32_t)i;
		r->val[cl->t][i] = v;
		r->rc[cl->t][i] = 1; /* not a proposal */
		pthread_rwlock_rdlock(&r->node_lock[on]);
		if (test_rng_below(&rng, 10) < 7) {
			int res = 0;
			int rc = tc_propose(r->c, on, v, &res);
			r->rc[cl->t][i] = rc;
			r->res[cl->t][i] = res;
			pthread_mutex_lock(&r->mu);
			if (rc == 0 && (uint64_t)res / 256 > r->acked_max)
				r->acked_max = (uint64_t)res / 256;
			r->acked_n += rc == 0;
			pthread_mutex_unlock(&r->mu);
		} else {
			pthread_mutex_lock(&r->mu);
			uint64_t before = r->acked_max;
			pthread_mutex_unlock(&r->mu);
			if (raft_node_read_barrier(r->c->node[on]) == 0) {
				uint64_t seen = tapp_n_cmds(&r->c->app[on]);
				pthread_mutex_lock(&r->mu);
				r->stale += seen < before;
				r->reads_ok++;
				pthread_mutex_unlock(&r->mu);
			}
		}
		pthread_rwlock_unlock(&r->node_lock[on]);
		pthread_mutex_lock(&r->mu);
		r->ops++;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

static void rnd_fault(struct rnd *r, struct tcluster *c, struct test_rng *rng)
{
	for (uint64_t i = 1; i <= (uint64_t)c->n; i++)
		tnet_isolate(c->net, i, false);
	switch (test_rng_below(rng, 5)) {
	case 4: { /* restart a node from its disk */
		uint64_t id = 1 + test_rng_below(rng, (uint64_t)c->n);
		pthread_rwlock_wrlock(&r->node_lock[id]);
		tc_stop(c, id);
		ck_assert_int_eq(tc_start(c, id, false), 0);
		pthread_rwlock_unlock(&r->node_lock[id]);
		r->restarts++;
		break;
	}
	case 0:
		break; /* healed */
	case 1:
		tnet_isolate(c->net, 1 + test_rng_below(rng, (uint64_t)c->n),
			     true);
		break;
	case 2: { /* split: a minority of two vs three */
		uint64_t a = 1 + test_rng_below(rng, (uint64_t)c->n);
		uint64_t b = 1 + test_rng_below(rng, (uint64_t)c->n);
		for (uint64_t j = 1; j <= (uint64_t)c->n; j++) {
			if (j == a || j == b)
				continue;
			tnet_cut(c->net, a, j, true);
			tnet_cut(c->net, b, j, true);
		}
		break;
	}
	default: /* one link */
		tnet_cut(c->net, 1 + test_rng_below(rng, (uint64_t)c->n),
			 1 + test_rng_below(rng, (uint64_t)c->n), true);
		break;
	}
}

START_TEST(test_cluster_random_faults)
{
	struct tcluster c;
	tc_init(&c, 5, "node-rnd");
	c.timeout_ms = 800;
	c.lease_reads = _i; /* 1: leaders read from their lease */
	start_all(&c);
	ck_assert_uint_ne(tc_wait_leader(&c, 0), 0);
	static struct rnd r;
	memset(&r, 0, sizeof r);
	r.c = &c;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	for (int i = 0; i < TNET_NODES; i++)
		pthread_rwlock_init(&r.node_lock[i], NULL);
	struct test_rng rng;
	test_rng_init(&rng, test_seed() ^ 0x5eed);
	pthread_t th[4];
	struct rnd_client cl[4];
	for (int t = 0; t < 4; t++) {
		cl[t] = (struct rnd_client){.r = &r, .t = t,
					    .seed = test_rng_next(&rng)};
		ck_assert_int_eq(pthread_create(&th[t], NULL, rnd_client_main,
						&cl[t]), 0);
	}
	/* A new fault after every 8 completed operations, until all 160. */
	pthread_mutex_lock(&r.mu);
	for (uint64_t next = 8; r.ops < 160; next += 8) {
		while (r.ops < next && r.ops < 160)
			pthread_cond_wait(&r.cv, &r.mu);
		pthread_mutex_unlock(&r.mu);
		rnd_fault(&r, &c, &rng);
		pthread_mutex_lock(&r.mu);
	}
	pthread_mutex_unlock(&r.mu);
	for (int t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
	for (uint64_t i = 1; i <= 5; i++)
		tnet_isolate(c.net, i, false);
	uint64_t leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	int res;
	ck_assert_int_eq(tc_propose(&c, leader, 7, &res), 0);
	uint64_t n = check_same(&c, leader);
	ck_assert_uint_eq(r.stale, 0);
	ck_assert_uint_gt(r.acked_n, 0);
	bool seen[8192] = {false};
	for (uint64_t k = 0; k < n; k++) {
		uint32_t v = c.app[leader].cmd[k];
		ck_assert(v < 8192 && !seen[v]); /* never applied twice */
		seen[v] = true;
	}
	for (int t = 0; t < 4; t++) {
		for (int i = 0; i < 40; i++) {
			int rc = r.rc[t][i];
			ck_assert(rc == 1 || rc == 0 ||
				  rc == RAFT_NODE_EINDETERMINATE ||
				  rc == RAFT_NODE_EUNAVAILABLE);
			if (rc == 0)
				check_ack(&c, leader, r.val[t][i], r.res[t][i]);
			/* UNAVAILABLE means it was never committed. */
			if (rc == RAFT_NODE_EUNAVAILABLE)
				ck_assert(!seen[r.val[t][i]]);
		}
	}
	if (test_env_u64("VERBOSE", 0))
		fprintf(stderr, "random faults: %llu acked, %llu reads ok, "
			"%llu applied, %llu restarts\n",
			(unsigned long long)r.acked_n,
			(unsigned long long)r.reads_ok, (unsigned long long)n,
			(unsigned long long)r.restarts);
	for (int i = 0; i < TNET_NODES; i++)
		pthread_rwlock_destroy(&r.node_lock[i]);
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
	tc_free(&c);
}
END_TEST

Suite *raft_node_cluster_suite(void)
{
	Suite *s = suite_create("raft_node_cluster");
	TCase *tc = tcase_create("cluster");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cluster_replicate_forward);
	tcase_add_test(tc, test_cluster_leader_stopped);
	tcase_add_loop_test(tc, test_cluster_partition_leader, 0, 2);
	tcase_add_test(tc, test_cluster_lease_reads);
	tcase_add_test(tc, test_cluster_minority_refuses);
	tcase_add_test(tc, test_cluster_follower_restart);
	tcase_add_test(tc, test_cluster_snapshot_catch_up);
	tcase_add_test(tc, test_cluster_snapshot_from_installed);
	tcase_add_test(tc, test_cluster_membership);
	tcase_add_loop_test(tc, test_cluster_random_faults, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
