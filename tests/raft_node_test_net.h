/*
 * raft_node_test_net.h — an in-memory struct raft_net for the node driver's
 * tests: one hub, one endpoint per node id, frames delivered in order by a
 * hub thread (never from inside send, so a sender holding its own lock
 * cannot deadlock against a receiver), with switches to cut links (both
 * directions) and to drop everything to or from a node.
 *
 * Also the test state machine (struct tapp) and a cluster helper used by
 * tests/test_raft_node_*.c.
 */
#ifndef VS_TESTS_RAFT_NODE_TEST_NET_H
#define VS_TESTS_RAFT_NODE_TEST_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/net.h"
#include "raft/node.h"

#define TNET_NODES 8 /* ids 1..7 */

struct tnet;
struct tnet *tnet_new(void);
void tnet_free(struct tnet *t);
/* The raft_net seen by node id (valid until tnet_free). */
const struct raft_net *tnet_endpoint(struct tnet *t, uint64_t id);
/* Frames for id go to raft_node_receive(node); NULL detaches (waits until
 * no delivery to it is in progress). */
void tnet_attach(struct tnet *t, uint64_t id, struct raft_node *node);
/* Cuts (or heals) the link a <-> b. */
void tnet_cut(struct tnet *t, uint64_t a, uint64_t b, bool cut);
/* Cuts (or heals) every link of id. */
void tnet_isolate(struct tnet *t, uint64_t id, bool cut);
/* Drops each snapshot chunk frame sent with probability 1/n (0: none;
 * seeded from test_seed()), as a lossy link. */
void tnet_drop_chunks(struct tnet *t, unsigned every_nth);
/* Frames delivered so far (all types) and snapshot chunks delivered. */
uint64_t tnet_delivered(struct tnet *t);
uint64_t tnet_chunks(struct tnet *t);

/* ---- test state machine ---------------------------------------------- */

#define TAPP_CMDS_MAX 8192

struct tapp {
	pthread_mutex_t mu;
	uint64_t applied;
	uint64_t apply_calls; /* every apply call, commands or not */
	uint64_t n_cmds;
	uint32_t cmd[TAPP_CMDS_MAX];        /* command values, in order */
	uint64_t cmd_index[TAPP_CMDS_MAX];  /* their log indexes */
	uint64_t synced_applied, synced_n_cmds;
	uint64_t installs;  /* snapshots installed */
	uint64_t creates;   /* snapshots created */
	bool fail_next;     /* next apply returns RAFT_NODE_EFAILED */
	bool sync_off;      /* sync does nothing (to simulate a crash) */
	size_t pad_bytes;   /* snapshots carry a file of this many bytes */
};
void tapp_init(struct tapp *a);
void tapp_destroy(struct tapp *a);
/* Loses what was applied since the last sync (a crash of the engine in
 * KV_SYNC_NONE mode). */
void tapp_crash(struct tapp *a);
struct raft_node_app tapp_iface(struct tapp *a);
uint64_t tapp_applied(struct tapp *a);
uint64_t tapp_n_cmds(struct tapp *a);

/* ---- cluster helper ---------------------------------------------------- */

struct tcluster {
	struct tnet *net;
	char *root;
	int n; /* initial voters 1..n */
	struct raft_node *node[TNET_NODES];
	struct tapp app[TNET_NODES];
	struct raft_node_peer peers[TNET_NODES];
	unsigned tick_ms, timeout_ms;
	uint64_t snapshot_entries;
	bool lease_reads; /* leaders serve reads from their lease */
	char log[TNET_NODES][64][160]; /* last log lines per node (ring) */
	unsigned n_log[TNET_NODES];
	pthread_mutex_t log_mu;
	/* Another network for node id (e.g. TCP): used instead of the
	 * in-memory one; attach(ctx, id, node or NULL) routes its frames. */
	const struct raft_net *ext_net[TNET_NODES];
	const struct kv_io *io[TNET_NODES]; /* log store disk; NULL: real */
	void (*attach)(void *ctx, uint64_t id, struct raft_node *node);
	void *attach_ctx;
	struct tc_logctx {
		struct tcluster *c;
		uint64_t id;
	} lctx[TNET_NODES];
};
void tc_init(struct tcluster *c, int n, const char *tag);
void tc_free(struct tcluster *c);
/* Starts node id (1..7) on its dir; join: start without configuration. */
int tc_start(struct tcluster *c, uint64_t id, bool join);
void tc_stop(struct tcluster *c, uint64_t id);
/* Waits (bounded) until some running node among ids 1..7 not in `except`
 * is leader and all running nodes agree; returns its id or 0. */
uint64_t tc_wait_leader(struct tcluster *c, uint64_t except);
/* Waits until node id knows no leader; false after ~20 s. */
bool tc_wait_leaderless(struct tcluster *c, uint64_t id);
/* Waits (bounded) until node id has applied >= index; true if it did. */
bool tc_wait_applied(struct tcluster *c, uint64_t id, uint64_t index);
/* Proposes the 4-byte value v on node id. */
int tc_propose(struct tcluster *c, uint64_t id, uint32_t v, int *result);
/* Whether a log line containing s was seen from node id. */
bool tc_logged(struct tcluster *c, uint64_t id, const char *s);

/* The suites of tests/check_raft_node. */
#include <check.h>
Suite *raft_node_single_suite(void);
Suite *raft_node_cluster_suite(void);
Suite *raft_node_tcp_suite(void);

#endif /* VS_TESTS_RAFT_NODE_TEST_NET_H */
