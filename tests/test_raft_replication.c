/*
 * test_raft_replication.c — log replication (Raft §5.3), the commit rule
 * and Figure 8 (§5.4.2), the no-op at term start (§8), fast backtracking,
 * flow control and progress states (etcd's tracker tests).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "raft/codec.h"
#include "tests/raft_test_net.h"
#include "tests/testutil.h"

static uint64_t seed(void)
{
	return test_seed();
}

/* Steps an APPEND from 1 (term) into node `to`, entries with the given
 * terms at prev+1.., then executes the node's ready. */
static void append_to(struct tn_net *net, uint64_t to, uint64_t term,
		      uint64_t prev, uint64_t prev_term, const uint64_t *terms,
		      int n, uint64_t commit)
{
	struct raft_entry e[64];
	ck_assert_int_le(n, 64);
	for (int i = 0; i < n; i++)
		e[i] = (struct raft_entry){.term = terms[i],
					   .index = prev + 1 + (uint64_t)i};
	struct raft_msg a = tn_msg(RAFT_MSG_APPEND, 1, to, term);
	a.index = prev;
	a.log_term = prev_term;
	a.commit = commit;
	a.entries = n ? e : NULL;
	a.n_entries = (size_t)n;
	ck_assert_int_eq(raft_step(tn_raft(net, to), &a), 0);
	tn_process(net, to);
}

/* Decodes the last queued message (the reply of the last append_to). */
static struct raft_msg last_queued(struct tn_net *net)
{
	ck_assert_uint_gt(net->q_n, 0);
	size_t i = (net->q_head + net->q_n - 1) % TN_QUEUE_MAX;
	struct raft_msg m;
	ck_assert_int_eq(raft_msg_decode(net->q[i].buf, net->q[i].len, &m), 0);
	ck_assert_uint_eq(m.n_entries, 0);
	raft_msg_decoded_free(&m);
	return m;
}

/* Deliver single messages until pred holds (bounded). */
static void deliver_until_leader(struct tn_net *net, uint64_t id)
{
	for (int i = 0; i < 1000; i++) {
		if (tn_status(net, id).role == RAFT_LEADER)
			return;
		ck_assert(tn_deliver_one(net));
	}
	ck_abort_msg("no leader");
}

/* §5.3: the leader replicates entries; every node applies the same
 * entries in the same order. */
START_TEST(test_replicate_and_apply)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(tn_propose(net, 1, "cmd"), 0);
	for (uint64_t id = 1; id <= 3; id++) {
		struct tn_node *nd = tn_node(net, id);
		ck_assert_uint_eq(nd->n_applied, 6); /* no-op + 5 */
		for (size_t k = 0; k < nd->n_applied; k++) {
			ck_assert_uint_eq(nd->applied_index[k], k + 1);
			ck_assert_uint_eq(nd->applied_term[k], 1);
		}
		ck_assert_uint_eq(tn_status(net, id).hs.commit, 6);
	}
	tn_free(net);
}
END_TEST

/* §8 / thesis §6.4: a new leader appends an empty entry of its term. */
START_TEST(test_noop_at_term_start)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_uint_eq(tn_status(net, 1).last_index, 1);
	ck_assert_uint_eq(tn_term_at(net, 1, 1), 1);
	ck_assert_uint_eq(tn_node(net, 1)->st.ents[0].len, 0);
	ck_assert_uint_eq(tn_elect(net, 2), 2);
	ck_assert_uint_eq(tn_status(net, 2).last_index, 2);
	ck_assert_uint_eq(tn_term_at(net, 2, 2), 2);
	ck_assert_uint_eq(tn_status(net, 2).hs.commit, 2);
	tn_free(net);
}
END_TEST

/* §5.3: a follower with a conflicting uncommitted suffix deletes it and
 * takes the leader's entries. */
START_TEST(test_conflicting_suffix_truncated)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	const uint64_t t1[] = {1, 1, 1, 1};
	append_to(net, 2, 1, 0, 0, t1, 4, 2);
	ck_assert_uint_eq(tn_status(net, 2).last_index, 4);
	const uint64_t t2[] = {2};
	append_to(net, 2, 2, 2, 1, t2, 1, 2);
	struct raft_status st = tn_status(net, 2);
	ck_assert_uint_eq(st.last_index, 3);
	ck_assert_uint_eq(tn_term_at(net, 2, 3), 2);
	/* Durable storage was truncated too. */
	ck_assert_uint_eq(tn_node(net, 2)->st.n_ents, 3);
	ck_assert_uint_eq(tn_node(net, 2)->st.ents[2].term, 2);
	tn_free(net);
}
END_TEST

/* §5.3: a duplicate or late APPEND (a prefix of what we hold) never
 * truncates a longer matching log. */
START_TEST(test_late_append_never_truncates)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	const uint64_t t[] = {1, 1, 1, 1, 1};
	append_to(net, 2, 1, 0, 0, t, 5, 0);
	append_to(net, 2, 1, 1, 1, t, 2, 0); /* entries 2..3 again */
	ck_assert_uint_eq(tn_status(net, 2).last_index, 5);
	struct raft_msg r = last_queued(net);
	ck_assert_uint_eq(r.reject, 0);
	ck_assert_uint_eq(r.index, 3);
	append_to(net, 2, 1, 0, 0, t, 0, 0); /* empty probe at 0 */
	ck_assert_uint_eq(tn_status(net, 2).last_index, 5);
	ck_assert_uint_eq(tn_node(net, 2)->st.n_ents, 5);
	tn_free(net);
}
END_TEST

/* §5.3 consistency check: an APPEND whose previous entry does not match is
 * rejected, with a hint (last index of term <= prev term) for fast
 * backtracking (etcd TestFollowerCheckMsgApp / findConflictByTerm). */
START_TEST(test_reject_with_hint)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	const uint64_t t[] = {1, 1, 2, 2, 2};
	append_to(net, 2, 2, 0, 0, t, 5, 0);
	const uint64_t none[] = {0};
	append_to(net, 2, 5, 9, 4, none, 0, 0); /* beyond our log */
	struct raft_msg r = last_queued(net);
	ck_assert_uint_eq(r.reject, 1);
	ck_assert_uint_eq(r.index, 9);
	ck_assert_uint_eq(r.reject_hint, 5);
	ck_assert_uint_eq(r.log_term, 2);
	append_to(net, 2, 5, 5, 1, none, 0, 0); /* term 1 at 5: mismatch */
	r = last_queued(net);
	ck_assert_uint_eq(r.reject, 1);
	ck_assert_uint_eq(r.reject_hint, 2); /* last index with term <= 1 */
	ck_assert_uint_eq(r.log_term, 1);
	tn_free(net);
}
END_TEST

/* §5.3 fast backtracking: a follower with a long divergent suffix is
 * repaired in a few round trips, not one per entry. */
START_TEST(test_fast_backtracking)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 3), 3);
	tn_isolate(net, 3);
	for (int i = 0; i < 40; i++)
		raft_propose(tn_raft(net, 3), "old", 3, NULL);
	tn_settle(net);
	ck_assert_uint_eq(tn_status(net, 3).last_index, 41);
	tn_heal(net);
	tn_isolate(net, 3);
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(tn_propose(net, 1, "new"), 0);
	tn_heal(net);
	net->append_rejects = 0;
	tn_tick(net, 1, 1);
	ck_assert_uint_le(net->append_rejects, 3);
	uint64_t last = tn_status(net, 1).last_index;
	ck_assert_uint_eq(tn_status(net, 3).last_index, last);
	for (uint64_t i = 1; i <= last; i++)
		ck_assert_uint_eq(tn_term_at(net, 3, i), tn_term_at(net, 1, i));
	ck_assert_uint_eq(tn_status(net, 3).hs.commit, last);
	tn_free(net);
}
END_TEST

/* §5.4.2 (etcd TestLeaderOnlyCommitsLogFromCurrentTerm): an entry of an
 * earlier term is never committed by counting replicas; it commits when an
 * entry of the current term above it does. */
START_TEST(test_commit_only_current_term_by_counting)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 1);
	raft_propose(tn_raft(net, 1), "x", 1, NULL); /* index 2, term 1 */
	tn_settle(net);
	tn_crash(net, 1);
	tn_restart(net, 1);
	tn_heal(net);
	tn_isolate(net, 2);
	raft_campaign(tn_raft(net, 1)); /* term 2, no-op at 3 */
	deliver_until_leader(net, 1);
	tn_process(net, 1); /* the no-op is durable on the leader */
	tn_drop_queue(net);
	struct raft *r1 = tn_raft(net, 1);
	ck_assert_uint_eq(tn_status(net, 1).hs.term, 2);
	ck_assert_uint_eq(tn_status(net, 1).last_index, 3);
	/* 3 acknowledges index 2 only: 2 of 3 hold it, but term 1 < 2. */
	struct raft_msg ack = tn_msg(RAFT_MSG_APPEND_RESP, 3, 1, 2);
	ack.index = 2;
	ck_assert_int_eq(raft_step(r1, &ack), 0);
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, 1);
	ack.index = 3;
	ck_assert_int_eq(raft_step(r1, &ack), 0);
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, 3);
	tn_process(net, 1);
	tn_free(net);
}
END_TEST


/* §5.4.2 Figure 8: an entry stored on a majority by a later-term leader
 * is not committed by counting, and is later safely overwritten; no node
 * ever applies it. */
START_TEST(test_figure8)
{
	struct tn_net *net = tn_new(5, 5, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(tn_propose(net, 1, "a"), 0); /* index 2 committed */
	/* (a) S1 (term 1) stores X at 3 on S1, S2 only. */
	tn_cut(net, 1, 3);
	tn_cut(net, 1, 4);
	tn_cut(net, 1, 5);
	ck_assert_int_eq(tn_propose(net, 1, "XX"), 0);
	ck_assert_uint_eq(tn_term_at(net, 2, 3), 1);
	tn_crash(net, 1);
	tn_heal(net);
	/* (b) S5 elected by S3, S4, S5 (term 2), appends at 3, is cut off. */
	tn_cut(net, 5, 2);
	raft_campaign(tn_raft(net, 5));
	deliver_until_leader(net, 5);
	tn_isolate(net, 5);
	tn_settle(net);
	ck_assert_uint_eq(tn_term_at(net, 5, 3), 2);
	ck_assert_uint_eq(tn_term_at(net, 3, 3), 0);
	/* (c) S1 restarts, is elected (term 3) by S2, S3, S4 and sends X to
	 * S3 alone (one entry per APPEND), so X sits on a majority. */
	tn_node(net, 1)->cfg.max_msg_bytes = 1;
	tn_restart(net, 1);
	raft_campaign(tn_raft(net, 1));
	tn_settle(net);
	if (tn_status(net, 1).role != RAFT_LEADER) {
		raft_campaign(tn_raft(net, 1));
		deliver_until_leader(net, 1);
	}
	tn_cut(net, 1, 4);
	uint64_t term1 = tn_status(net, 1).hs.term;
	for (int i = 0; i < 1000; i++) {
		struct raft_status st = tn_status(net, 1);
		uint64_t m3 = 0;
		for (uint32_t k = 0; k < st.n_peers; k++)
			if (st.peers[k].id == 3)
				m3 = st.peers[k].match;
		if (m3 >= 3)
			break;
		ck_assert(tn_deliver_one(net));
	}
	ck_assert_uint_eq(tn_term_at(net, 3, 3), 1);
	ck_assert_uint_eq(tn_term_at(net, 2, 3), 1);
	ck_assert_uint_lt(tn_status(net, 1).hs.commit, 3); /* the rule */
	ck_assert_uint_eq(tn_status(net, 1).hs.term, term1);
	/* (d) S1 crashes; S5 is elected and overwrites X everywhere. */
	tn_crash(net, 1);
	tn_drop_queue(net);
	tn_heal(net);
	tn_crash(net, 5);
	tn_restart(net, 5);
	for (int i = 0; i < 5 && tn_leader(net) != 5; i++) {
		raft_campaign(tn_raft(net, 5));
		tn_settle(net);
	}
	ck_assert_uint_eq(tn_leader(net), 5);
	for (uint64_t id = 2; id <= 5; id++) {
		ck_assert_uint_eq(tn_term_at(net, id, 3), 2);
		struct tn_node *nd = tn_node(net, id);
		for (size_t k = 0; k < nd->n_applied; k++)
			ck_assert(!(nd->applied_index[k] == 3 &&
				    nd->applied_term[k] == 1));
	}
	tn_free(net);
}
END_TEST

/* §5.3: commit needs a majority: with 2 of 5 reachable nothing commits,
 * with 3 of 5 it does. */
START_TEST(test_commit_needs_majority)
{
	struct tn_net *net = tn_new(5, 5, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	uint64_t c0 = tn_status(net, 1).hs.commit;
	tn_cut(net, 1, 3);
	tn_cut(net, 1, 4);
	tn_cut(net, 1, 5);
	ck_assert_int_eq(tn_propose(net, 1, "a"), 0);
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, c0);
	tn_heal(net);
	tn_cut(net, 1, 4);
	tn_cut(net, 1, 5);
	tn_tick(net, 1, 1);
	ck_assert_uint_eq(tn_status(net, 1).hs.commit, c0 + 1);
	tn_free(net);
}
END_TEST

/* Flow control (etcd TestMsgAppFlowControl): in replicate state at most
 * max_inflight_msgs APPENDs are outstanding. */
START_TEST(test_flow_control_inflight_msgs)
{
	struct tn_net *net = tn_new(2, 2, 0, false, false, seed());
	tn_node(net, 1)->cfg.max_inflight_msgs = 3;
	tn_crash(net, 1);
	tn_restart(net, 1);
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_drop_queue(net);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(raft_propose(tn_raft(net, 1), "z", 1, NULL),
				 0);
		tn_process(net, 1);
	}
	size_t appends = 0;
	for (size_t i = 0; i < net->q_n; i++) {
		struct raft_msg m;
		struct tn_queued *q = &net->q[(net->q_head + i) % TN_QUEUE_MAX];
		ck_assert_int_eq(raft_msg_decode(q->buf, q->len, &m), 0);
		appends += m.type == RAFT_MSG_APPEND;
		raft_msg_decoded_free(&m);
	}
	ck_assert_uint_eq(appends, 3);
	struct raft_status st = tn_status(net, 1);
	ck_assert_uint_eq(st.peers[1].state, RAFT_PROGRESS_REPLICATE);
	ck_assert_uint_eq(st.peers[1].inflight_msgs, 3);
	tn_settle(net); /* acks free the window; all get through */
	ck_assert_uint_eq(tn_status(net, 2).last_index, 21);
	tn_free(net);
}
END_TEST

/* Flow control by bytes: in-flight APPEND bytes stop at the bound. */
START_TEST(test_flow_control_inflight_bytes)
{
	struct tn_net *net = tn_new(2, 2, 0, false, false, seed());
	tn_node(net, 1)->cfg.max_inflight_bytes = 100;
	tn_crash(net, 1);
	tn_restart(net, 1);
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_drop_queue(net);
	char big[60];
	memset(big, 'b', sizeof(big));
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(
			raft_propose(tn_raft(net, 1), big, sizeof(big), NULL),
			0);
		tn_process(net, 1);
	}
	struct raft_status st = tn_status(net, 1);
	ck_assert_uint_eq(st.peers[1].inflight_msgs, 2);
	ck_assert_uint_eq(st.peers[1].inflight_bytes, 120);
	ck_assert_uint_eq(net->q_n, 2);
	tn_settle(net);
	ck_assert_uint_eq(tn_status(net, 2).last_index, 11);
	tn_free(net);
}
END_TEST

/* Progress states (etcd TestProgressStateTransitions): a new leader probes;
 * the first success moves a peer to replicate; a rejection back to probe. */
START_TEST(test_probe_replicate_transitions)
{
	struct tn_net *net = tn_new(2, 2, 0, false, false, seed());
	raft_campaign(tn_raft(net, 1));
	deliver_until_leader(net, 1);
	ck_assert_uint_eq(tn_status(net, 1).peers[1].state,
			  RAFT_PROGRESS_PROBE);
	tn_settle(net);
	ck_assert_uint_eq(tn_status(net, 1).peers[1].state,
			  RAFT_PROGRESS_REPLICATE);
	/* Two pipelined APPENDs; the first is lost, so the follower rejects
	 * the second (a gap): the leader falls back to probe. */
	for (int i = 0; i < 2; i++) {
		raft_propose(tn_raft(net, 1), "q", 1, NULL);
		tn_process(net, 1);
	}
	ck_assert_uint_eq(net->q_n, 2);
	free(net->q[net->q_head].buf);
	net->q_head = (net->q_head + 1) % TN_QUEUE_MAX;
	net->q_n--;
	net->append_rejects = 0;
	ck_assert(tn_deliver_one(net)); /* APPEND -> follower rejects */
	ck_assert(tn_deliver_one(net)); /* reject -> leader */
	ck_assert_uint_eq(net->append_rejects, 1);
	ck_assert_uint_eq(tn_status(net, 1).peers[1].state,
			  RAFT_PROGRESS_PROBE);
	tn_settle(net);
	ck_assert_uint_eq(tn_status(net, 1).peers[1].state,
			  RAFT_PROGRESS_REPLICATE);
	ck_assert_uint_eq(tn_status(net, 2).last_index, 3);
	tn_free(net);
}
END_TEST

/* Probe state (etcd TestSendAppendForProgressProbe): one APPEND at a time
 * until the follower answers; a heartbeat response unpauses it. */
START_TEST(test_probe_one_at_a_time)
{
	struct tn_net *net = tn_new(2, 2, 0, false, false, seed());
	net->drop_types = 1u << RAFT_MSG_APPEND_RESP;
	raft_campaign(tn_raft(net, 1));
	tn_settle(net);
	ck_assert_uint_eq(tn_status(net, 1).role, RAFT_LEADER);
	tn_drop_queue(net);
	for (int i = 0; i < 5; i++) {
		raft_propose(tn_raft(net, 1), "p", 1, NULL);
		tn_process(net, 1);
	}
	ck_assert_uint_eq(net->q_n, 0); /* paused: the probe was sent */
	ck_assert_uint_eq(tn_status(net, 1).peers[1].state,
			  RAFT_PROGRESS_PROBE);
	raft_tick(tn_raft(net, 1)); /* heartbeat */
	tn_process(net, 1);
	ck_assert_uint_eq(net->q_n, 1);
	tn_deliver_one(net); /* heartbeat -> response */
	tn_deliver_one(net); /* response unpauses: one APPEND */
	tn_process(net, 1);
	ck_assert_uint_eq(net->q_n, 1);
	tn_free(net);
}
END_TEST

/* Batching: an APPEND carries at most max_msg_bytes of entries (at least
 * one), so a far-behind follower is fed in bounded messages. */
START_TEST(test_append_batch_bounded)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	tn_node(net, 1)->cfg.max_msg_bytes = 250;
	tn_crash(net, 1);
	tn_restart(net, 1);
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 3);
	char v[100];
	memset(v, 'v', sizeof(v));
	for (int i = 0; i < 10; i++)
		raft_propose(tn_raft(net, 1), v, sizeof(v), NULL);
	tn_settle(net);
	tn_heal(net);
	raft_tick(tn_raft(net, 1));
	uint64_t max_entries = 0, n_appends = 0;
	for (int i = 0; i < 1000 && tn_deliver_one(net); i++) {
		for (size_t k = 0; k < net->q_n; k++) {
			struct raft_msg m;
			struct tn_queued *q =
				&net->q[(net->q_head + k) % TN_QUEUE_MAX];
			ck_assert_int_eq(raft_msg_decode(q->buf, q->len, &m),
					 0);
			if (m.type == RAFT_MSG_APPEND && m.to == 3 &&
			    m.n_entries > 0) {
				uint64_t b = 0;
				for (size_t j = 0; j < m.n_entries; j++)
					b += m.entries[j].len;
				ck_assert(b <= 250 || m.n_entries == 1);
				if (m.n_entries > max_entries)
					max_entries = m.n_entries;
				n_appends++;
			}
			raft_msg_decoded_free(&m);
		}
	}
	ck_assert_uint_eq(max_entries, 2);
	ck_assert_uint_gt(n_appends, 0);
	ck_assert_uint_eq(tn_status(net, 3).last_index, 11);
	tn_free(net);
}
END_TEST

/* §5.3 + Figure 2 persistent state: a crashed follower restarts from its
 * durable log and term, rejoins, and applies the same entries. */
START_TEST(test_restart_rejoins)
{
	struct tn_net *net = tn_new(3, 3, 0, true, true, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	ck_assert_int_eq(tn_propose(net, 1, "a"), 0);
	tn_crash(net, 3);
	ck_assert_int_eq(tn_propose(net, 1, "b"), 0);
	tn_restart(net, 3);
	ck_assert_uint_eq(tn_status(net, 3).hs.term, 1);
	tn_tick_all(net, 3);
	ck_assert_int_eq(tn_propose(net, 1, "c"), 0);
	struct tn_node *n1 = tn_node(net, 1), *n3 = tn_node(net, 3);
	ck_assert_uint_eq(n3->n_applied, n1->n_applied);
	for (size_t k = 0; k < n1->n_applied; k++)
		ck_assert_uint_eq(n3->applied_term[k], n1->applied_term[k]);
	tn_free(net);
}
END_TEST

/* etcd TestBcastHeartbeat: a heartbeat never tells a follower to commit
 * past its match index (it may hold a conflicting suffix there). */
START_TEST(test_heartbeat_commit_capped_by_match)
{
	struct tn_net *net = tn_new(3, 3, 0, false, false, seed());
	ck_assert_uint_eq(tn_elect(net, 1), 1);
	tn_isolate(net, 3);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(tn_propose(net, 1, "h"), 0);
	tn_heal(net);
	raft_tick(tn_raft(net, 1));
	tn_process(net, 1);
	int seen = 0;
	for (size_t k = 0; k < net->q_n; k++) {
		struct raft_msg m;
		struct tn_queued *q = &net->q[(net->q_head + k) % TN_QUEUE_MAX];
		ck_assert_int_eq(raft_msg_decode(q->buf, q->len, &m), 0);
		if (m.type == RAFT_MSG_HEARTBEAT && m.to == 3) {
			ck_assert_uint_eq(m.commit, 1);
			seen = 1;
		}
		if (m.type == RAFT_MSG_HEARTBEAT && m.to == 2)
			ck_assert_uint_eq(m.commit, 5);
		raft_msg_decoded_free(&m);
	}
	ck_assert(seen);
	tn_settle(net);
	ck_assert_uint_eq(tn_status(net, 3).hs.commit, 5);
	tn_free(net);
}
END_TEST

Suite *raft_replication_suite(void)
{
	Suite *s = suite_create("raft_replication");
	TCase *tc = tcase_create("replication");
	tcase_add_test(tc, test_replicate_and_apply);
	tcase_add_test(tc, test_noop_at_term_start);
	tcase_add_test(tc, test_conflicting_suffix_truncated);
	tcase_add_test(tc, test_late_append_never_truncates);
	tcase_add_test(tc, test_reject_with_hint);
	tcase_add_test(tc, test_fast_backtracking);
	tcase_add_test(tc, test_commit_only_current_term_by_counting);
	tcase_add_test(tc, test_figure8);
	tcase_add_test(tc, test_commit_needs_majority);
	tcase_add_test(tc, test_flow_control_inflight_msgs);
	tcase_add_test(tc, test_flow_control_inflight_bytes);
	tcase_add_test(tc, test_probe_replicate_transitions);
	tcase_add_test(tc, test_probe_one_at_a_time);
	tcase_add_test(tc, test_append_batch_bounded);
	tcase_add_test(tc, test_restart_rejoins);
	tcase_add_test(tc, test_heartbeat_commit_capped_by_match);
	suite_add_tcase(s, tc);
	return s;
}
