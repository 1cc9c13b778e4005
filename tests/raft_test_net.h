/*
 * raft_test_net.h — a tiny in-test network for the behaviour tests of the
 * raft core: in-memory storage per node, a FIFO message queue, cut links,
 * and a driver that executes ready records in the documented order.  The
 * full fault-injecting simulator is tests/raft_sim* (not this).
 */
#ifndef VS_TESTS_RAFT_TEST_NET_H
#define VS_TESTS_RAFT_TEST_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

#define TN_NODES_MAX 8
#define TN_QUEUE_MAX 100000

/* In-memory durable storage: what a node has persisted. */
struct tn_storage {
	struct raft_hard_state hs;
	struct raft_conf_state conf; /* initial configuration */
	struct raft_snapshot snap;   /* owned data */
	struct raft_entry *ents;     /* ents[i].index == snap.meta.index+1+i */
	size_t n_ents, cap_ents;
};
void tn_storage_init(struct tn_storage *s, const uint64_t *voters, int n);
void tn_storage_free(struct tn_storage *s);
/* Appends copies, truncating at e[0].index first (ready step 3). */
void tn_storage_append(struct tn_storage *s, const struct raft_entry *e,
		       size_t n);
void tn_storage_set_snapshot(struct tn_storage *s,
			     const struct raft_snapshot *snap);
/* Captures a snapshot at index (<= last) with conf; discards entries <= it. */
void tn_storage_compact(struct tn_storage *s, uint64_t index,
			const struct raft_conf_state *conf);
struct raft_storage tn_storage_iface(struct tn_storage *s);

struct tn_node {
	uint64_t id;
	struct raft *r;
	struct tn_storage st;
	struct raft_config cfg;
	/* Applied normal entries (data copies, index order) for checks. */
	uint64_t applied_index[4096];
	uint64_t applied_term[4096];
	size_t n_applied;
	uint64_t last_snapshot_applied; /* index of last restored snapshot */
	struct raft_read_state reads[256];
	size_t n_reads;
	bool down;
};

struct tn_queued {
	uint8_t *buf; /* encoded with the codec: exercises it too */
	size_t len;
};

struct tn_net {
	int n;
	struct tn_node nodes[TN_NODES_MAX]; /* node id i+1 at [i] */
	bool cut[TN_NODES_MAX + 1][TN_NODES_MAX + 1];
	uint32_t drop_types; /* bit t: drop every message of type t */
	struct tn_queued *q;
	size_t q_head, q_n;
	uint64_t delivered;
	uint64_t append_rejects; /* APPEND_RESP with reject delivered */
	uint64_t unroutable;     /* messages to ids outside the net */
};

/*
 * A cluster of n nodes: ids 1..n_voters voters, the next n_learners
 * learners, the rest outside the configuration (to be added), with default
 * configs (election 10, heartbeat 1), pre_vote/check_quorum as given.
 */
struct tn_net *tn_new(int n, int n_voters, int n_learners, bool pre_vote,
		      bool check_quorum, uint64_t seed);
void tn_free(struct tn_net *net);
struct tn_node *tn_node(struct tn_net *net, uint64_t id);
struct raft *tn_raft(struct tn_net *net, uint64_t id);

/* Executes one ready of node id (if any); returns true if it did. */
bool tn_process(struct tn_net *net, uint64_t id);
/* Processes readies and delivers messages until quiet (bounded). */
void tn_settle(struct tn_net *net);
/* Delivers one queued message (after processing readies); false if none. */
bool tn_deliver_one(struct tn_net *net);
/* Drops all queued messages. */
void tn_drop_queue(struct tn_net *net);
/* Ticks node id k times (each followed by settling). */
void tn_tick(struct tn_net *net, uint64_t id, int k);
/* Ticks every live node once, k rounds, settling after each. */
void tn_tick_all(struct tn_net *net, int k);

void tn_isolate(struct tn_net *net, uint64_t id);
void tn_cut(struct tn_net *net, uint64_t a, uint64_t b);
void tn_heal(struct tn_net *net);
/* Crash: drop the raft object, keep storage; restart: new raft from it. */
void tn_crash(struct tn_net *net, uint64_t id);
void tn_restart(struct tn_net *net, uint64_t id);

/* Campaign node id and settle; returns the leader id seen at id. */
uint64_t tn_elect(struct tn_net *net, uint64_t id);
/* Propose on id (must be leader) and settle; returns raft_propose rc. */
int tn_propose(struct tn_net *net, uint64_t id, const char *s);
/* The single leader among live nodes with the highest term, or 0. */
uint64_t tn_leader(struct tn_net *net);
struct raft_status tn_status(struct tn_net *net, uint64_t id);

/* Term of entry i in node id's log, or 0 if absent. */
uint64_t tn_term_at(struct tn_net *net, uint64_t id, uint64_t i);

/* Generic one-node driver pieces for ordering tests. */
struct raft_msg tn_msg(uint8_t type, uint64_t from, uint64_t to,
		       uint64_t term);

/* Suites (one per test file). */
#include <check.h>
Suite *raft_election_suite(void);
Suite *raft_replication_suite(void);
Suite *raft_read_suite(void);
Suite *raft_membership_suite(void);
Suite *raft_codec_suite(void);
Suite *raft_robust_suite(void);

#endif /* VS_TESTS_RAFT_TEST_NET_H */
