/*
 * test_raft_election.c — leader election (Raft §5.1, §5.2, §5.4.1),
 * pre-vote (thesis §9.6), check-quorum and the leader lease (thesis §6.2).
 */
#include <check.h>
#include <string.h>

#include "tests/raft_test_net.h"
#include "tests/testutil.h"

static uint64_t seed(void)
{
	return test_seed();
}

/* §5.2: a candidate with votes from a majority becomes leader; all follow. */
START_TEST(test_leader_election_basic)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	for (uint64_t id = 1; id <= 3; id++) {
		struct raft_status st = tn_status(net, id);
		ck_assert_uint_eq(st.leader, 1);
		ck_assert_uint_eq(st.hs.term, 1);
	}
	ck_assert_uint_eq(tn_status(net, 1).role, RAFT_LEADER);
	tn_free(net);
}
END_TEST

/* Thesis §9.6: with pre-vote, a successful pre-vote is followed by the real
 * vote; the term grows by exactly one. */
START_TEST(test_leader_election_prevote)
{
	struct tn_net *net = tn_new(5, 5, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 3), 3);
	for (uint64_t id = 1; id <= 5; id++)
		ck_assert_uint_eq(tn_status(net, id).hs.term, 1);
	tn_free(net);
}
END_TEST

static int ticks_until_campaign(uint64_t s, uint64_t id)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, s);
	int n = 0;
	while (tn_status(net, id).role == RAFT_FOLLOWER && n < 100) {
		raft_tick(tn_raft(net, id));
		n++;
	}
	tn_free(net);
	return n;
}

/* §5.2: election timeouts are randomized in [T, 2T), deterministic per seed. */
START_TEST(test_election_timeout_randomized)
{
	int seen[20] = {0};
	for (uint64_t s = 1; s <= 40; s++) {
		int n = ticks_until_campaign(s, 1);
		ck_assert_int_ge(n, 10);
		ck_assert_int_lt(n, 20);
		ck_assert_int_eq(n, ticks_until_campaign(s, 1));
		seen[n] = 1;
	}
	int distinct = 0;
	for (int i = 0; i < 20; i++)
		distinct += seen[i];
	ck_assert_int_ge(distinct, 3); /* actually randomized */
}
END_TEST

/* §5.2 split vote: no majority means no leader in the term; a later
 * timeout elects one. */
START_TEST(test_split_vote)
{
	struct tn_net *net = tn_new(4, 4, 0, false, false, seed());
	tn_cut(net, 1, 2);
	tn_cut(net, 1, 4);
	tn_cut(net, 2, 3);
	raft_campaign(tn_raft(net, 1));
	raft_campaign(tn_raft(net, 2));
	tn_settle(net);
	ck_assert_uint_eq(tn_leader(net), 0);
	ck_assert_uint_eq(tn_status(net, 1).role, RAFT_CANDIDATE);
	ck_assert_uint_eq(tn_status(net, 2).role, RAFT_CANDIDATE);
	tn_heal(net);
	for (int i = 0; i < 100 && tn_leader(net) == 0; i++)
		tn_tick_all(net, 1);
	uint64_t l = tn_leader(net);
	ck_assert_uint_ne(l, 0);
	ck_assert_uint_ge(tn_status(net, l).hs.term, 2);
	tn_free(net);
}
END_TEST

/* §5.2: a node grants at most one vote per term (first come). */
START_TEST(test_vote_once_per_term)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	struct raft *r3 = tn_raft(net, 3);
	struct raft_msg v1 = tn_msg(RAFT_MSG_VOTE, 1, 3, 1);
	struct raft_msg v2 = tn_msg(RAFT_MSG_VOTE, 2, 3, 1);
	ck_assert_int_eq(raft_step(r3, &v1), 0);
	ck_assert_int_eq(raft_step(r3, &v2), 0);
	struct raft_ready rd;
	raft_ready(r3, &rd);
	ck_assert_uint_eq(rd.hs.vote, 1);
	ck_assert_uint_eq(rd.n_msgs_after_persist, 2);
	ck_assert_uint_eq(rd.msgs_after_persist[0].to, 1);
	ck_assert_uint_eq(rd.msgs_after_persist[0].reject, 0);
	ck_assert_uint_eq(rd.msgs_after_persist[1].to, 2);
	ck_assert_uint_eq(rd.msgs_after_persist[1].reject, 1);
	raft_advance(r3, &rd);
	tn_free(net);
}
END_TEST

/* Builds: leader 1 with entries that node 3 lacks (3 was cut off). */
static struct tn_net *net_with_lagging_3(bool pre_vote, bool cq)
{
	struct tn_net *net = tn_new(3, 3, 0, pre_vote, cq, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tn_propose(net, 1, "x"), 0);
	tn_heal(net);
	return net;
}

/* §5.4.1: a candidate whose log is behind cannot win the vote. */
START_TEST(test_behind_log_cannot_win_vote)
{
	struct tn_net *net = net_with_lagging_3(false, false);
	tn_isolate(net, 1); /* only 2 can vote for 3 */
	raft_campaign(tn_raft(net, 3));
	tn_settle(net);
	ck_assert_uint_ne(tn_status(net, 3).role, RAFT_LEADER);
	ck_assert_uint_eq(tn_status(net, 2).hs.vote, RAFT_NONE);
	tn_free(net);
}
END_TEST

/* Thesis §9.6 + §5.4.1: a node behind in its log cannot win a pre-vote, and
 * a failed pre-vote changes no term anywhere. */
START_TEST(test_behind_log_cannot_win_prevote)
{
	struct tn_net *net = net_with_lagging_3(true, false);
	tn_isolate(net, 1);
	uint64_t t2 = tn_status(net, 2).hs.term;
	raft_campaign(tn_raft(net, 3));
	tn_settle(net);
	ck_assert_uint_eq(tn_status(net, 3).role, RAFT_PRE_CANDIDATE);
	ck_assert_uint_eq(tn_status(net, 3).hs.term, t2);
	tn_tick(net, 3, 40); /* keeps trying: never even a candidate */
	ck_assert_uint_le(tn_status(net, 3).role, RAFT_PRE_CANDIDATE);
	ck_assert_uint_eq(tn_status(net, 3).hs.term, t2);
	ck_assert_uint_eq(tn_status(net, 2).hs.term, t2);
	tn_free(net);
}
END_TEST

/* Thesis §9.6: a partitioned node that rejoins does not disrupt the leader
 * (its pre-votes fail, its term never grew). */
START_TEST(test_prevote_partitioned_rejoin_no_disruption)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 3);
	tn_tick(net, 3, 100);
	ck_assert_uint_eq(tn_status(net, 3).hs.term, 1);
	tn_heal(net);
	tn_tick_all(net, 30);
	ck_assert_uint_eq(tn_leader(net), 1);
	ck_assert_uint_eq(tn_status(net, 1).hs.term, 1);
	ck_assert_uint_eq(tn_status(net, 3).leader, 1);
	tn_free(net);
}
END_TEST

/* Contrast (etcd TestDisruptiveFollower): without pre-vote the rejoining
 * node's higher term deposes the leader — what pre-vote prevents. */
START_TEST(test_no_prevote_rejoin_disrupts)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 3);
	tn_tick(net, 3, 50);
	ck_assert_uint_gt(tn_status(net, 3).hs.term, 1);
	tn_heal(net);
	tn_tick(net, 3, 20); /* 3's next vote request carries its term */
	ck_assert_uint_gt(tn_status(net, 1).hs.term, 1);
	tn_free(net);
}
END_TEST

/* Thesis §6.2: a leader without contact to a quorum for an election
 * timeout steps down. */
START_TEST(test_check_quorum_step_down)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 1);
	tn_tick(net, 1, 21);
	ck_assert_uint_eq(tn_status(net, 1).role, RAFT_FOLLOWER);
	ck_assert_uint_eq(tn_status(net, 1).hs.term, 1);
	tn_free(net);
}
END_TEST

/* Thesis §6.2: a leader in contact with a quorum stays leader. */
START_TEST(test_check_quorum_keeps_leader_with_quorum)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 3);
	tn_tick(net, 1, 50);
	ck_assert_uint_eq(tn_status(net, 1).role, RAFT_LEADER);
	tn_free(net);
}
END_TEST

/* Thesis §6.2 leader lease: a follower that heard from its leader within
 * the election timeout ignores a vote request of a higher term. */
START_TEST(test_lease_ignores_vote)
{
	struct tn_net *net = tn_new(3, 3, 0, false, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	struct raft_msg v = tn_msg(RAFT_MSG_VOTE, 3, 2, 9);
	v.index = 100;
	v.log_term = 9;
	ck_assert_int_eq(raft_step(tn_raft(net, 2), &v), 0);
	ck_assert_uint_eq(tn_status(net, 2).hs.term, 1);
	ck_assert(!raft_has_ready(tn_raft(net, 2)));
	tn_free(net);
}
END_TEST

/* A vote request of term 9 from node 3 (log far ahead) to node 2: true if
 * node 2 granted it. */
static bool grants_vote(struct tn_net *net)
{
	struct raft_msg v = tn_msg(RAFT_MSG_VOTE, 3, 2, 9);
	v.index = 100;
	v.log_term = 9;
	ck_assert_int_eq(raft_step(tn_raft(net, 2), &v), 0);
	return tn_status(net, 2).hs.term == 9 && tn_status(net, 2).hs.vote == 3;
}

/* lease_guard: a restarted follower may have acknowledged the leader's
 * heartbeat just before it crashed; it refuses votes for its first
 * election timeout, as the leader's read lease counts on.  Without the
 * guard it votes at once (the hazard the guard closes). */
START_TEST(test_lease_guard_after_restart)
{
	for (int guard = 0; guard <= 1; guard++) {
		struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
		ck_assert_uint_eq(tn_elect(net, 1), 1);
		tn_node(net, 2)->cfg.lease_guard = guard;
		tn_crash(net, 2);
		tn_restart(net, 2);
		tn_isolate(net, 2); /* nothing from the leader after the boot */
		if (!guard) {
			ck_assert(grants_vote(net));
			tn_free(net);
			continue;
		}
		for (int t = 0; t < 9; t++) {
			ck_assert(!grants_vote(net));
			raft_tick(tn_raft(net, 2));
		}
		ck_assert(!grants_vote(net));
		raft_tick(tn_raft(net, 2)); /* the 10th tick: guard over */
		ck_assert(grants_vote(net));
		tn_free(net);
	}
}
END_TEST

/* §5.2: a candidate receiving AppendEntries from a leader of its term
 * returns to follower. */
START_TEST(test_candidate_steps_down_on_append)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	tn_isolate(net, 2);
	raft_campaign(tn_raft(net, 2));
	tn_settle(net);
	ck_assert_uint_eq(tn_status(net, 2).role, RAFT_CANDIDATE);
	struct raft_msg a = tn_msg(RAFT_MSG_APPEND, 1, 2, 1);
	ck_assert_int_eq(raft_step(tn_raft(net, 2), &a), 0);
	ck_assert_uint_eq(tn_status(net, 2).role, RAFT_FOLLOWER);
	ck_assert_uint_eq(tn_status(net, 2).leader, 1);
	tn_free(net);
}
END_TEST

/* §5.1: a higher term in any message makes a leader a follower. */
START_TEST(test_higher_term_deposes_leader)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	struct raft_msg m = tn_msg(RAFT_MSG_HEARTBEAT_RESP, 2, 1, 7);
	ck_assert_int_eq(raft_step(tn_raft(net, 1), &m), 0);
	struct raft_status st = tn_status(net, 1);
	ck_assert_uint_eq(st.role, RAFT_FOLLOWER);
	ck_assert_uint_eq(st.hs.term, 7);
	ck_assert_uint_eq(st.hs.vote, RAFT_NONE);
	tn_free(net);
}
END_TEST

/* §5.1: a message from an older term is not acted on (entries ignored). */
START_TEST(test_stale_term_append_ignored)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_elect(net, 2); /* term 2 */
	uint64_t last = tn_status(net, 3).last_index;
	struct raft_entry e = {.term = 1, .index = 2};
	struct raft_msg a = tn_msg(RAFT_MSG_APPEND, 1, 3, 1);
	a.index = 1;
	a.log_term = 1;
	a.entries = &e;
	a.n_entries = 1;
	ck_assert_int_eq(raft_step(tn_raft(net, 3), &a), 0);
	ck_assert_uint_eq(tn_status(net, 3).last_index, last);
	ck_assert_uint_eq(tn_status(net, 3).hs.term, 2);
	tn_free(net);
}
END_TEST

/* Thesis §4.2.1: learners never start elections. */
START_TEST(test_learner_never_campaigns)
{
	struct tn_net *net = tn_new(3, 2, 1, true, true, seed());
	tn_tick(net, 3, 100);
	ck_assert_uint_eq(tn_status(net, 3).role, RAFT_FOLLOWER);
	ck_assert_uint_eq(tn_status(net, 3).hs.term, 0);
	tn_free(net);
}
END_TEST

/* §5.2 liveness: with all nodes ticking, exactly one leader emerges. */
START_TEST(test_election_converges_by_ticks)
{
	for (uint64_t s = 1; s <= 10; s++) {
		struct tn_net *net = tn_new(5, 5, 0, true, true, s * 7919);
		for (int i = 0; i < 200 && tn_leader(net) == 0; i++)
			tn_tick_all(net, 1);
		uint64_t l = tn_leader(net);
		ck_assert_uint_ne(l, 0);
		int leaders = 0;
		for (uint64_t id = 1; id <= 5; id++) {
			struct raft_status st = tn_status(net, id);
			leaders += st.role == RAFT_LEADER;
			ck_assert_uint_eq(st.leader, l);
		}
		ck_assert_int_eq(leaders, 1);
		tn_free(net);
	}
}
END_TEST

/* §5.2: a node re-grants its vote to the same candidate in the same term
 * (the first response may have been lost). */
START_TEST(test_vote_regranted_to_same_candidate)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	struct raft *r3 = tn_raft(net, 3);
	struct raft_msg v1 = tn_msg(RAFT_MSG_VOTE, 1, 3, 1);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(raft_step(r3, &v1), 0);
		struct raft_ready rd;
		raft_ready(r3, &rd);
		ck_assert_uint_eq(rd.n_msgs_after_persist, 1);
		ck_assert_uint_eq(rd.msgs_after_persist[0].reject, 0);
		tn_node(net, 3)->st.hs = rd.hs;
		raft_advance(r3, &rd);
	}
	tn_free(net);
}
END_TEST

Suite *raft_election_suite(void)
{
	Suite *s = suite_create("raft_election");
	TCase *tc = tcase_create("election");
	tcase_add_test(tc, test_leader_election_basic);
	tcase_add_test(tc, test_leader_election_prevote);
	tcase_add_test(tc, test_election_timeout_randomized);
	tcase_add_test(tc, test_split_vote);
	tcase_add_test(tc, test_vote_once_per_term);
	tcase_add_test(tc, test_vote_regranted_to_same_candidate);
	tcase_add_test(tc, test_behind_log_cannot_win_vote);
	tcase_add_test(tc, test_behind_log_cannot_win_prevote);
	tcase_add_test(tc, test_prevote_partitioned_rejoin_no_disruption);
	tcase_add_test(tc, test_no_prevote_rejoin_disrupts);
	tcase_add_test(tc, test_check_quorum_step_down);
	tcase_add_test(tc, test_check_quorum_keeps_leader_with_quorum);
	tcase_add_test(tc, test_lease_ignores_vote);
	tcase_add_test(tc, test_lease_guard_after_restart);
	tcase_add_test(tc, test_candidate_steps_down_on_append);
	tcase_add_test(tc, test_higher_term_deposes_leader);
	tcase_add_test(tc, test_stale_term_append_ignored);
	tcase_add_test(tc, test_learner_never_campaigns);
	tcase_add_test(tc, test_election_converges_by_ticks);
	suite_add_tcase(s, tc);
	return s;
}
