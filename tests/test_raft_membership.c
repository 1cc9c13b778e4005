/*
 * test_raft_membership.c — snapshots (Raft §7), membership change by single
 * servers with learners (thesis §4.1-§4.2), leadership transfer (thesis
 * §3.10).
 */
#include <check.h>
#include <string.h>

#include "tests/raft_test_net.h"
#include "tests/testutil.h"

static uint64_t seed(void)
{
	return test_seed();
}

static int conf_change(struct tn_net *net, uint64_t leader, uint8_t type,
		       uint64_t node)
{
	struct raft_conf_change cc = {.type = type, .node = node};
	int rc = raft_propose_conf_change(tn_raft(net, leader), &cc, NULL);
	tn_settle(net);
	return rc;
}

/* Captures node id's state at its applied index into its storage. */
static uint64_t compact(struct tn_net *net, uint64_t id)
{
	struct raft_status st = tn_status(net, id);
	tn_storage_compact(&tn_node(net, id)->st, st.applied, &st.conf);
	ck_assert_int_eq(raft_compact(tn_raft(net, id), st.applied), 0);
	return st.applied;
}

/* §7: a follower behind the leader's compacted log receives the snapshot,
 * restores from it, and then follows the log. */
START_TEST(test_snapshot_send_and_restore)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 3);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(tn_propose(net, 1, "s"), 0);
	uint64_t snap = compact(net, 1);
	ck_assert_uint_eq(tn_status(net, 1).first_index, snap + 1);
	tn_heal(net);
	tn_tick(net, 1, 2);
	struct tn_node *n3 = tn_node(net, 3);
	ck_assert_uint_eq(n3->last_snapshot_applied, snap);
	ck_assert_uint_eq(n3->st.snap.meta.index, snap);
	ck_assert_uint_eq(tn_status(net, 3).applied, snap);
	ck_assert_int_eq(tn_propose(net, 1, "after"), 0);
	ck_assert_uint_eq(tn_status(net, 3).applied, snap + 1);
	ck_assert_uint_eq(tn_status(net, 3).last_index,
			  tn_status(net, 1).last_index);
	ck_assert_uint_eq(tn_status(net, 1).peers[2].state,
			  RAFT_PROGRESS_REPLICATE);
	tn_free(net);
}
END_TEST

/* §7: a snapshot older than what the follower has committed is ignored
 * (the follower's log and state are kept). */
START_TEST(test_stale_snapshot_ignored)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tn_propose(net, 1, "k"), 0);
	uint64_t last = tn_status(net, 2).last_index;
	struct raft_msg m = tn_msg(RAFT_MSG_SNAPSHOT, 1, 2, 1);
	m.snapshot.meta.index = 2;
	m.snapshot.meta.term = 1;
	m.snapshot.meta.conf = tn_status(net, 1).conf;
	ck_assert_int_eq(raft_step(tn_raft(net, 2), &m), 0);
	tn_settle(net);
	ck_assert_uint_eq(tn_node(net, 2)->last_snapshot_applied, 0);
	ck_assert_uint_eq(tn_status(net, 2).last_index, last);
	tn_free(net);
}
END_TEST

/* raft_compact only accepts a snapshot of applied state that storage has. */
START_TEST(test_compact_checks)
{
	struct tn_net *net = tn_new(1, 1, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(tn_propose(net, 1, "a"), 0);
	uint64_t applied = tn_status(net, 1).applied;
	ck_assert_int_eq(raft_compact(tn_raft(net, 1), applied + 1),
			 RAFT_ERR_INVALID);
	ck_assert_int_eq(raft_compact(tn_raft(net, 1), applied),
			 RAFT_ERR_INVALID); /* storage has no snapshot yet */
	ck_assert_uint_eq(compact(net, 1), applied);
	tn_free(net);
}
END_TEST

/* Thesis §4.2.1: a learner receives and applies the log but its acks never
 * count toward commit. */
START_TEST(test_learner_replicates_without_voting)
{
	struct tn_net *net = tn_new(4, 3, 1, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(tn_propose(net, 1, "l"), 0);
	ck_assert_uint_eq(tn_node(net, 4)->n_applied, 2);
	uint64_t c = tn_status(net, 1).hs.commit;
	tn_cut(net, 1, 2);
	tn_cut(net, 1, 3);
	ck_assert_int_eq(tn_propose(net, 1, "m"), 0);
	ck_assert_uint_eq(tn_status(net, 4).last_index, c + 1);
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, c);
	tn_free(net);
}
END_TEST

/* Thesis §4.2.1: add a new node as learner, it catches up, is promoted and
 * then counts in the quorum. */
START_TEST(test_add_learner_then_promote)
{
	struct tn_net *net = tn_new(4, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(tn_propose(net, 1, "a"), 0);
	ck_assert_int_eq(conf_change(net, 1, RAFT_CC_ADD_LEARNER, 4), 0);
	tn_tick(net, 1, 2);
	struct raft_conf_state cs = tn_status(net, 4).conf;
	ck_assert_uint_eq(cs.n_learners, 1);
	ck_assert_uint_eq(cs.learners[0], 4);
	ck_assert_uint_eq(tn_status(net, 4).last_index,
			  tn_status(net, 1).last_index);
	ck_assert_int_eq(conf_change(net, 1, RAFT_CC_PROMOTE, 4), 0);
	tn_tick(net, 1, 1);
	for (uint64_t id = 1; id <= 4; id++) {
		cs = tn_status(net, id).conf;
		ck_assert_uint_eq(cs.n_voters, 4);
		ck_assert_uint_eq(cs.n_learners, 0);
	}
	/* 4 voters: the leader and one follower are no longer a quorum. */
	uint64_t c = tn_status(net, 1).hs.commit;
	tn_cut(net, 1, 3);
	tn_cut(net, 1, 4);
	ck_assert_int_eq(tn_propose(net, 1, "q"), 0);
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, c);
	tn_heal(net);
	tn_tick(net, 1, 1);
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, c + 1);
	tn_free(net);
}
END_TEST

/* Thesis §4.1: one membership change at a time: a second proposal is
 * refused until the first is applied. */
START_TEST(test_one_pending_conf_change)
{
	struct tn_net *net = tn_new(5, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	struct raft_conf_change a = {.type = RAFT_CC_ADD_LEARNER, .node = 4};
	struct raft_conf_change b = {.type = RAFT_CC_ADD_LEARNER, .node = 5};
	ck_assert_int_eq(raft_propose_conf_change(tn_raft(net, 1), &a, NULL),
			 0);
	ck_assert_int_eq(raft_propose_conf_change(tn_raft(net, 1), &b, NULL),
			 RAFT_ERR_PENDING_CONF);
	tn_settle(net);
	ck_assert_int_eq(raft_propose_conf_change(tn_raft(net, 1), &b, NULL),
			 0);
	tn_settle(net);
	ck_assert_uint_eq(tn_status(net, 1).conf.n_learners, 2);
	tn_free(net);
}
END_TEST

/* Thesis §4.1 (Ongaro's single-server fix): a new leader accepts no conf
 * change until the entries it was elected with, and its no-op, are applied. */
START_TEST(test_new_leader_conf_change_waits_for_noop)
{
	struct tn_net *net = tn_new(4, 3, 0, false, false, seed());
	raft_campaign(tn_raft(net, 1));
	for (int i = 0; i < 100 && tn_status(net, 1).role != RAFT_LEADER; i++)
		ck_assert(tn_deliver_one(net));
	struct raft_conf_change a = {.type = RAFT_CC_ADD_LEARNER, .node = 4};
	ck_assert_int_eq(raft_propose_conf_change(tn_raft(net, 1), &a, NULL),
			 RAFT_ERR_PENDING_CONF);
	tn_settle(net);
	ck_assert_int_eq(raft_propose_conf_change(tn_raft(net, 1), &a, NULL),
			 0);
	tn_settle(net);
	tn_free(net);
}
END_TEST

/* Conf changes that make no sense are refused. */
START_TEST(test_conf_change_invalid)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(conf_change(net, 1, RAFT_CC_PROMOTE, 2),
			 RAFT_ERR_INVALID);
	ck_assert_int_eq(conf_change(net, 1, RAFT_CC_REMOVE, 9),
			 RAFT_ERR_INVALID);
	ck_assert_int_eq(conf_change(net, 1, RAFT_CC_ADD_LEARNER, 3),
			 RAFT_ERR_INVALID);
	ck_assert_int_eq(conf_change(net, 2, RAFT_CC_ADD_LEARNER, 7),
			 RAFT_ERR_NOT_LEADER);
	tn_free(net);
}
END_TEST

/* Thesis §4.2: after removing a voter the quorum is computed without it. */
START_TEST(test_remove_follower)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(conf_change(net, 1, RAFT_CC_REMOVE, 3), 0);
	ck_assert_uint_eq(tn_status(net, 1).conf.n_voters, 2);
	tn_crash(net, 3);
	uint64_t c = tn_status(net, 1).hs.commit;
	ck_assert_int_eq(tn_propose(net, 1, "r"), 0);
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, c + 1);
	tn_free(net);
}
END_TEST

/* Thesis §4.2.2: a leader that removes itself steps down once the change
 * is committed (applied); the rest elect a new leader without it. */
START_TEST(test_leader_removes_itself)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(conf_change(net, 1, RAFT_CC_REMOVE, 1), 0);
	ck_assert_uint_ne(tn_status(net, 1).role, RAFT_LEADER);
	for (uint64_t id = 1; id <= 3; id++)
		ck_assert_uint_eq(tn_status(net, id).conf.n_voters, 2);
	for (int i = 0; i < 100 && tn_leader(net) == 0; i++)
		tn_tick_all(net, 1);
	uint64_t l = tn_leader(net);
	ck_assert(l == 2 || l == 3);
	tn_tick_all(net, 50);
	ck_assert_uint_ne(tn_status(net, 1).role, RAFT_LEADER);
	ck_assert_int_eq(tn_propose(net, tn_leader(net), "z"), 0);
	tn_free(net);
}
END_TEST

/* Thesis §3.10: leadership transfer to an up-to-date voter: TIMEOUT_NOW
 * makes it campaign at once, past the leader lease. */
START_TEST(test_transfer_leader)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(raft_transfer_leader(tn_raft(net, 1), 3), 0);
	tn_settle(net);
	ck_assert_uint_eq(tn_leader(net), 3);
	ck_assert_uint_eq(tn_status(net, 3).hs.term, 2);
	ck_assert_uint_eq(tn_status(net, 1).leader, 3);
	tn_free(net);
}
END_TEST

/* Thesis §3.10: a lagging target is first brought up to date. */
START_TEST(test_transfer_to_lagging_target)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 3);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(tn_propose(net, 1, "g"), 0);
	tn_heal(net);
	ck_assert_int_eq(raft_transfer_leader(tn_raft(net, 1), 3), 0);
	tn_settle(net);
	tn_tick(net, 1, 1);
	ck_assert_uint_eq(tn_leader(net), 3);
	ck_assert_uint_ge(tn_status(net, 3).last_index, 7);
	tn_free(net);
}
END_TEST

/* Thesis §3.10: proposals are refused during a transfer; a transfer that
 * does not finish within an election timeout is aborted. */
START_TEST(test_transfer_blocks_proposals_then_aborts)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_cut(net, 1, 3);
	tn_propose(net, 1, "lag");
	ck_assert_int_eq(raft_transfer_leader(tn_raft(net, 1), 3), 0);
	ck_assert_int_eq(raft_propose(tn_raft(net, 1), "x", 1, NULL),
			 RAFT_ERR_TRANSFERRING);
	ck_assert_int_eq(raft_transfer_leader(tn_raft(net, 1), 2),
			 RAFT_ERR_TRANSFERRING);
	tn_tick(net, 1, 10);
	ck_assert_uint_eq(tn_status(net, 1).role, RAFT_LEADER);
	ck_assert_uint_eq(tn_status(net, 1).transfer_target, RAFT_NONE);
	ck_assert_int_eq(tn_propose(net, 1, "y"), 0);
	tn_free(net);
}
END_TEST

/* §7 + Figure 2: a node restarts from its durable snapshot: applied starts
 * at the snapshot, the configuration comes from it, and it rejoins. */
START_TEST(test_restart_from_snapshot)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(tn_propose(net, 1, "r"), 0);
	uint64_t snap = compact(net, 2);
	tn_crash(net, 2);
	tn_restart(net, 2);
	struct raft_status st = tn_status(net, 2);
	ck_assert_uint_eq(st.applied, snap);
	ck_assert_uint_eq(st.first_index, snap + 1);
	ck_assert_uint_eq(st.conf.n_voters, 3);
	ck_assert_int_eq(tn_propose(net, 1, "after"), 0);
	ck_assert_uint_eq(tn_status(net, 2).applied, snap + 1);
	tn_free(net);
}
END_TEST

/* Thesis §3.10: only a voter can be the target of a transfer. */
START_TEST(test_transfer_to_learner_invalid)
{
	struct tn_net *net = tn_new(3, 2, 1, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(raft_transfer_leader(tn_raft(net, 1), 3),
			 RAFT_ERR_INVALID);
	ck_assert_int_eq(raft_transfer_leader(tn_raft(net, 1), 1),
			 RAFT_ERR_INVALID);
	ck_assert_int_eq(raft_transfer_leader(tn_raft(net, 2), 1),
			 RAFT_ERR_NOT_LEADER);
	tn_free(net);
}
END_TEST

/* Safety argument (3) in raft/confchange.c (etcd hasUnappliedConfChanges):
 * a node with a committed but unapplied conf change does not campaign. */
START_TEST(test_no_campaign_with_unapplied_conf)
{
	struct tn_net *net = tn_new(4, 3, 0, false, false, seed());
	uint8_t cc[RAFT_CONF_CHANGE_BYTES];
	struct raft_conf_change c = {.type = RAFT_CC_ADD_LEARNER, .node = 4};
	raft_conf_change_encode(&c, cc);
	struct raft_entry e[2] = {
		{.term = 1, .index = 1},
		{.term = 1, .index = 2, .type = RAFT_ENTRY_CONF,
		 .len = sizeof(cc), .data = cc}};
	struct raft_msg a = tn_msg(RAFT_MSG_APPEND, 1, 2, 1);
	a.entries = e;
	a.n_entries = 2;
	a.commit = 2;
	ck_assert_int_eq(raft_step(tn_raft(net, 2), &a), 0);
	tn_process(net, 2); /* durable, committed, not yet applied */
	ck_assert_uint_eq(tn_status(net, 2).applied, 0);
	raft_campaign(tn_raft(net, 2));
	ck_assert_uint_eq(tn_status(net, 2).role, RAFT_FOLLOWER);
	tn_process(net, 2); /* applies both entries */
	ck_assert_uint_eq(tn_status(net, 2).applied, 2);
	ck_assert_uint_eq(tn_status(net, 2).conf.n_learners, 1);
	raft_campaign(tn_raft(net, 2));
	ck_assert_uint_eq(tn_status(net, 2).role, RAFT_CANDIDATE);
	tn_drop_queue(net);
	tn_process(net, 2);
	tn_free(net);
}
END_TEST

Suite *raft_membership_suite(void)
{
	Suite *s = suite_create("raft_membership");
	TCase *tc = tcase_create("snapshot");
	tcase_add_test(tc, test_snapshot_send_and_restore);
	tcase_add_test(tc, test_stale_snapshot_ignored);
	tcase_add_test(tc, test_compact_checks);
	tcase_add_test(tc, test_restart_from_snapshot);
	suite_add_tcase(s, tc);
	TCase *tm = tcase_create("membership");
	tcase_add_test(tm, test_learner_replicates_without_voting);
	tcase_add_test(tm, test_add_learner_then_promote);
	tcase_add_test(tm, test_one_pending_conf_change);
	tcase_add_test(tm, test_new_leader_conf_change_waits_for_noop);
	tcase_add_test(tm, test_conf_change_invalid);
	tcase_add_test(tm, test_remove_follower);
	tcase_add_test(tm, test_leader_removes_itself);
	tcase_add_test(tm, test_no_campaign_with_unapplied_conf);
	suite_add_tcase(s, tm);
	TCase *tt = tcase_create("transfer");
	tcase_add_test(tt, test_transfer_leader);
	tcase_add_test(tt, test_transfer_to_lagging_target);
	tcase_add_test(tt, test_transfer_blocks_proposals_then_aborts);
	tcase_add_test(tt, test_transfer_to_learner_invalid);
	suite_add_tcase(s, tt);
	return s;
}
