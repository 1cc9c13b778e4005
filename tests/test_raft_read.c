/*
 * test_raft_read.c — linearizable reads with ReadIndex (Raft thesis §6.4)
 * and the persistence ordering of the ready record (issue 4: votes and
 * acks only after durability; the leader and candidate count themselves
 * only for durable state; only durable entries are applied).
 */
#include <check.h>
#include <string.h>

#include "tests/raft_test_net.h"
#include "tests/testutil.h"

static uint64_t seed(void)
{
	return test_seed();
}

static void until_leader(struct tn_net *net, uint64_t id)
{
	for (int i = 0; i < 1000; i++) {
		if (tn_status(net, id).role == RAFT_LEADER)
			return;
		ck_assert(tn_deliver_one(net));
	}
	ck_abort_msg("no leader");
}

/* Thesis §6.4 step 1: a new leader serves no read before it has committed
 * an entry of its own term. */
START_TEST(test_read_waits_for_term_commit)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	raft_campaign(tn_raft(net, 1));
	until_leader(net, 1);
	ck_assert_int_eq(raft_read_index(tn_raft(net, 1), 77), 0);
	tn_process(net, 1);
	ck_assert_uint_eq(tn_node(net, 1)->n_reads, 0);
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, 0);
	tn_settle(net);
	struct tn_node *n1 = tn_node(net, 1);
	ck_assert_uint_eq(n1->n_reads, 1);
	ck_assert_uint_eq(n1->reads[0].ctx, 77);
	ck_assert_uint_eq(n1->reads[0].index, 1); /* the no-op */
	tn_free(net);
}
END_TEST

/* Thesis §6.4 step 3: the read index is released only after a heartbeat
 * round acknowledged by a quorum confirms leadership. */
START_TEST(test_read_needs_quorum_round)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 1);
	ck_assert_int_eq(raft_read_index(tn_raft(net, 1), 5), 0);
	tn_tick(net, 1, 3);
	ck_assert_uint_eq(tn_node(net, 1)->n_reads, 0);
	tn_heal(net);
	tn_cut(net, 1, 3); /* one follower suffices: 2 of 3 */
	tn_tick(net, 1, 1);
	ck_assert_uint_eq(tn_node(net, 1)->n_reads, 1);
	ck_assert_uint_eq(tn_node(net, 1)->reads[0].ctx, 5);
	tn_free(net);
}
END_TEST

/* Thesis §6.4: an old leader cut off from the quorum never releases a
 * read, even after a new leader committed more. */
START_TEST(test_deposed_leader_no_read)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 1);
	ck_assert_uint_eq(tn_elect(net, 2), 2);
	ck_assert_int_eq(tn_propose(net, 2, "new"), 0);
	ck_assert_int_eq(raft_read_index(tn_raft(net, 1), 9), 0);
	tn_tick(net, 1, 5);
	ck_assert_uint_eq(tn_node(net, 1)->n_reads, 0);
	tn_free(net);
}
END_TEST

/* Thesis §6.4.1 (etcd follower ReadIndex): a follower forwards the request
 * and gets the leader's confirmed commit index. */
START_TEST(test_follower_read_via_leader)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(tn_propose(net, 1, "v"), 0);
	ck_assert_int_eq(raft_read_index(tn_raft(net, 2), 42), 0);
	tn_settle(net);
	struct tn_node *n2 = tn_node(net, 2);
	ck_assert_uint_eq(n2->n_reads, 1);
	ck_assert_uint_eq(n2->reads[0].ctx, 42);
	ck_assert_uint_eq(n2->reads[0].index, tn_status(net, 1).hs.commit);
	ck_assert_uint_eq(tn_node(net, 1)->n_reads, 0);
	tn_free(net);
}
END_TEST

/* A follower without a known leader refuses (the caller retries). */
START_TEST(test_follower_read_no_leader)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_int_eq(raft_read_index(tn_raft(net, 2), 1),
			 RAFT_ERR_NO_LEADER);
	tn_free(net);
}
END_TEST

/* A single-voter leader needs no round: read index = commit at once
 * (after its first commit in the term). */
START_TEST(test_single_node_read)
{
	struct tn_net *net = tn_new(1, 1, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(tn_propose(net, 1, "a"), 0);
	ck_assert_int_eq(raft_read_index(tn_raft(net, 1), 3), 0);
	tn_settle(net);
	ck_assert_uint_eq(tn_node(net, 1)->n_reads, 1);
	ck_assert_uint_eq(tn_node(net, 1)->reads[0].index, 2);
	tn_free(net);
}
END_TEST

/* Persistence: a vote is granted only in msgs_after_persist, together with
 * the hard state recording it (Figure 2: votedFor is persistent). */
START_TEST(test_vote_sent_after_persist)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	struct raft *r2 = tn_raft(net, 2);
	struct raft_msg v = tn_msg(RAFT_MSG_VOTE, 1, 2, 4);
	ck_assert_int_eq(raft_step(r2, &v), 0);
	struct raft_ready rd;
	raft_ready(r2, &rd);
	ck_assert(rd.has_hard_state);
	ck_assert_uint_eq(rd.hs.term, 4);
	ck_assert_uint_eq(rd.hs.vote, 1);
	for (size_t i = 0; i < rd.n_msgs; i++)
		ck_assert_uint_ne(rd.msgs[i].type, RAFT_MSG_VOTE_RESP);
	ck_assert_uint_eq(rd.n_msgs_after_persist, 1);
	ck_assert_uint_eq(rd.msgs_after_persist[0].type, RAFT_MSG_VOTE_RESP);
	ck_assert_uint_eq(rd.msgs_after_persist[0].reject, 0);
	raft_advance(r2, &rd);
	tn_free(net);
}
END_TEST

/* Persistence: an APPEND success ack leaves only after the entries (and
 * the truncation they imply) are durable; applied entries are durable. */
START_TEST(test_append_ack_after_persist)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	struct raft *r2 = tn_raft(net, 2);
	struct raft_entry e[2] = {{.term = 1, .index = 1},
				  {.term = 1, .index = 2}};
	struct raft_msg a = tn_msg(RAFT_MSG_APPEND, 1, 2, 1);
	a.entries = e;
	a.n_entries = 2;
	a.commit = 2;
	ck_assert_int_eq(raft_step(r2, &a), 0);
	struct raft_ready rd;
	raft_ready(r2, &rd);
	ck_assert_uint_eq(rd.n_entries, 2);
	ck_assert_uint_eq(rd.n_msgs, 0);
	ck_assert_uint_eq(rd.n_msgs_after_persist, 1);
	ck_assert_uint_eq(rd.msgs_after_persist[0].type, RAFT_MSG_APPEND_RESP);
	ck_assert_uint_eq(rd.msgs_after_persist[0].index, 2);
	/* Committed but not yet durable: not handed to apply. */
	ck_assert_uint_eq(rd.n_committed, 0);
	struct tn_storage *st = &tn_node(net, 2)->st;
	tn_storage_append(st, rd.entries, rd.n_entries);
	st->hs = rd.hs;
	raft_advance(r2, &rd);
	raft_ready(r2, &rd);
	ck_assert_uint_eq(rd.n_committed, 2);
	raft_advance(r2, &rd);
	tn_free(net);
}
END_TEST

/* Persistence: a candidate counts its own vote only once its term+vote
 * record is durable, even if peers' votes already form a majority with it. */
START_TEST(test_candidate_own_vote_after_persist)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	struct raft *r1 = tn_raft(net, 1);
	raft_campaign(r1);
	ck_assert_uint_eq(tn_status(net, 1).role, RAFT_CANDIDATE);
	struct raft_msg g = tn_msg(RAFT_MSG_VOTE_RESP, 2, 1, 1);
	ck_assert_int_eq(raft_step(r1, &g), 0);
	ck_assert_uint_eq(tn_status(net, 1).role, RAFT_CANDIDATE);
	struct raft_ready rd;
	raft_ready(r1, &rd);
	ck_assert_uint_eq(rd.hs.vote, 1);
	tn_node(net, 1)->st.hs = rd.hs;
	raft_advance(r1, &rd);
	ck_assert_uint_eq(tn_status(net, 1).role, RAFT_LEADER);
	tn_free(net);
}
END_TEST

/* Persistence: a leader counts itself toward commit only for entries it
 * has made durable (its own match moves in advance). */
START_TEST(test_leader_self_commit_after_persist)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	struct raft *r1 = tn_raft(net, 1);
	uint64_t idx = 0;
	ck_assert_int_eq(raft_propose(r1, "d", 1, &idx), 0);
	struct raft_msg ack = tn_msg(RAFT_MSG_APPEND_RESP, 2, 1, 1);
	ack.index = idx;
	ck_assert_int_eq(raft_step(r1, &ack), 0);
	/* 2 of 3 hold it only if the leader's copy counts: it is not durable. */
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, idx - 1);
	tn_process(net, 1); /* persists, advance counts the leader */
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, idx);
	tn_drop_queue(net);
	tn_free(net);
}
END_TEST

/* Persistence: single-node cluster: nothing commits or applies before the
 * leader's own entry is durable; applying happens in a later ready. */
START_TEST(test_single_node_commit_order)
{
	struct tn_net *net = tn_new(1, 1, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	struct raft *r1 = tn_raft(net, 1);
	uint64_t idx;
	ck_assert_int_eq(raft_propose(r1, "s", 1, &idx), 0);
	struct raft_ready rd;
	raft_ready(r1, &rd);
	ck_assert_uint_eq(rd.n_entries, 1);
	ck_assert_uint_eq(rd.n_committed, 0);
	tn_storage_append(&tn_node(net, 1)->st, rd.entries, rd.n_entries);
	raft_advance(r1, &rd);
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, idx);
	raft_ready(r1, &rd);
	ck_assert_uint_eq(rd.n_committed, 1);
	ck_assert_uint_eq(rd.committed[0].index, idx);
	ck_assert_uint_eq(rd.hs.commit, idx);
	raft_advance(r1, &rd);
	ck_assert_uint_eq(tn_status(net, 1).applied, idx);
	tn_free(net);
}
END_TEST

/* Figure 2: term and vote survive a restart; the node does not vote twice
 * in a term. */
START_TEST(test_restart_keeps_vote)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	struct raft_msg v = tn_msg(RAFT_MSG_VOTE, 1, 3, 2);
	ck_assert_int_eq(raft_step(tn_raft(net, 3), &v), 0);
	tn_process(net, 3);
	tn_drop_queue(net);
	tn_crash(net, 3);
	tn_restart(net, 3);
	ck_assert_uint_eq(tn_status(net, 3).hs.term, 2);
	ck_assert_uint_eq(tn_status(net, 3).hs.vote, 1);
	struct raft_msg v2 = tn_msg(RAFT_MSG_VOTE, 2, 3, 2);
	ck_assert_int_eq(raft_step(tn_raft(net, 3), &v2), 0);
	struct raft_ready rd;
	raft_ready(tn_raft(net, 3), &rd);
	ck_assert_uint_eq(rd.n_msgs_after_persist, 1);
	ck_assert_uint_eq(rd.msgs_after_persist[0].reject, 1);
	raft_advance(tn_raft(net, 3), &rd);
	tn_free(net);
}
END_TEST

Suite *raft_read_suite(void)
{
	Suite *s = suite_create("raft_read_persist");
	TCase *tc = tcase_create("read");
	tcase_add_test(tc, test_read_waits_for_term_commit);
	tcase_add_test(tc, test_read_needs_quorum_round);
	tcase_add_test(tc, test_deposed_leader_no_read);
	tcase_add_test(tc, test_follower_read_via_leader);
	tcase_add_test(tc, test_follower_read_no_leader);
	tcase_add_test(tc, test_single_node_read);
	suite_add_tcase(s, tc);
	TCase *tp = tcase_create("persist");
	tcase_add_test(tp, test_vote_sent_after_persist);
	tcase_add_test(tp, test_append_ack_after_persist);
	tcase_add_test(tp, test_candidate_own_vote_after_persist);
	tcase_add_test(tp, test_leader_self_commit_after_persist);
	tcase_add_test(tp, test_single_node_commit_order);
	tcase_add_test(tp, test_restart_keeps_vote);
	suite_add_tcase(s, tp);
	return s;
}
