/*
 * test_raft_node_tcp.c — the node driver over the real TCP transport
 * (raft/transport.h) on loopback, in one process: replication with
 * forwarding, a follower that catches up by a snapshot streamed as bulk
 * frames, and a partition made with the transport's test fault switch.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "raft/transport.h"
#include "tests/raft_node_test_net.h"
#include "tests/testutil.h"

struct tcp {
	struct raft_transport *t[TNET_NODES];
	struct raft_net net[TNET_NODES];
	pthread_mutex_t mu; /* held while delivering: detach waits on it */
	struct raft_node *node[TNET_NODES];
	struct recv_ctx {
		struct tcp *tcp;
		uint64_t id;
	} rc[TNET_NODES];
};

static void tcp_deliver(void *ctx, uint64_t from, uint8_t type,
			const void *payload, size_t len)
{
	struct recv_ctx *r = ctx;
	pthread_mutex_lock(&r->tcp->mu);
	struct raft_node *n = r->tcp->node[r->id];
	if (n)
		raft_node_receive(n, from, type, payload, len);
	pthread_mutex_unlock(&r->tcp->mu);
}

static void tcp_attach(void *ctx, uint64_t id, struct raft_node *node)
{
	struct tcp *tcp = ctx;
	pthread_mutex_lock(&tcp->mu);
	tcp->node[id] = node;
	pthread_mutex_unlock(&tcp->mu);
}

/* Starts one transport per node on a free loopback port (retrying a port
 * taken in between), and points the cluster's nodes at them. */
static void tcp_setup(struct tcp *tcp, struct tcluster *c, int n)
{
	memset(tcp, 0, sizeof *tcp);
	pthread_mutex_init(&tcp->mu, NULL);
	for (uint64_t i = 1; i <= (uint64_t)n; i++) {
		int rc = -1;
		for (int tries = 0; tries < 20 && rc != 0; tries++) {
			snprintf(c->peers[i].addr, sizeof c->peers[i].addr,
				 "127.0.0.1:%u", (unsigned)test_free_port());
			struct raft_transport_options o = {
				.id = i,
				.listen = c->peers[i].addr,
				.cluster_id = 7,
				.allow_faults = true};
			rc = raft_transport_start(&o, &tcp->t[i]);
		}
		ck_assert_int_eq(rc, 0);
		tcp->rc[i] = (struct recv_ctx){.tcp = tcp, .id = i};
		raft_transport_set_receiver(tcp->t[i], tcp_deliver,
					    &tcp->rc[i]);
		tcp->net[i] = raft_transport_net(tcp->t[i]);
		c->ext_net[i] = &tcp->net[i];
	}
	c->attach = tcp_attach;
	c->attach_ctx = tcp;
}

/* Nodes stop first (their threads send until then), then transports. */
static void tcp_teardown(struct tcp *tcp, struct tcluster *c)
{
	for (uint64_t i = 1; i < TNET_NODES; i++)
		tc_stop(c, i);
	for (uint64_t i = 1; i < TNET_NODES; i++)
		raft_transport_stop(tcp->t[i]);
	tc_free(c);
	pthread_mutex_destroy(&tcp->mu);
}

static void fault(struct tcp *tcp, uint64_t id, bool on)
{
	for (uint64_t j = 1; j < TNET_NODES; j++) {
		if (!tcp->t[j] || j == id)
			continue;
		(void)raft_transport_set_fault(tcp->t[id], j, on, on);
		(void)raft_transport_set_fault(tcp->t[j], id, on, on);
	}
}

START_TEST(test_tcp_replicate_snapshot)
{
	struct tcluster c;
	struct tcp tcp;
	tc_init(&c, 3, "node-tcp");
	c.snapshot_entries = 25;
	tcp_setup(&tcp, &c, 3);
	for (uint64_t i = 1; i <= 3; i++)
		ck_assert_int_eq(tc_start(&c, i, false), 0);
	uint64_t leader = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(leader, 0);
	int res;
	for (uint32_t i = 0; i < 30; i++)
		ck_assert_int_eq(tc_propose(&c, 1 + i % 3, i, &res), 0);
	uint64_t f = leader == 1 ? 2 : 1;
	tc_stop(&c, f);
	for (uint32_t i = 30; i < 120; i++)
		ck_assert_int_eq(tc_propose(&c, leader, i, &res), 0);
	ck_assert_int_eq(tc_start(&c, f, false), 0);
	ck_assert_int_eq(tc_propose(&c, f, 120, &res), 0);
	ck_assert_int_eq(raft_node_read_barrier(c.node[f]), 0);
	ck_assert_uint_ge(c.app[f].installs, 1);
	ck_assert_uint_eq(tapp_n_cmds(&c.app[f]), 121);
	for (uint32_t i = 0; i < 121; i++)
		ck_assert_uint_eq(c.app[f].cmd[i], i);
	struct raft_node_status st;
	raft_node_status(c.node[leader], &st);
	for (size_t k = 0; k < st.n_members; k++)
		ck_assert(st.members[k].connected);
	tcp_teardown(&tcp, &c);
}
END_TEST

START_TEST(test_tcp_partition)
{
	struct tcluster c;
	struct tcp tcp;
	tc_init(&c, 3, "node-tcpp");
	c.timeout_ms = 1500;
	tcp_setup(&tcp, &c, 3);
	for (uint64_t i = 1; i <= 3; i++)
		ck_assert_int_eq(tc_start(&c, i, false), 0);
	uint64_t old = tc_wait_leader(&c, 0);
	ck_assert_uint_ne(old, 0);
	int res;
	ck_assert_int_eq(tc_propose(&c, old, 1, &res), 0);
	fault(&tcp, old, true);
	int rc = tc_propose(&c, old, 2, &res);
	ck_assert(rc == RAFT_NODE_EINDETERMINATE ||
		  rc == RAFT_NODE_EUNAVAILABLE);
	uint64_t nl = tc_wait_leader(&c, old);
	ck_assert(nl != 0 && nl != old);
	ck_assert_int_eq(tc_propose(&c, nl, 3, &res), 0);
	ck_assert_int_eq(raft_node_read_barrier(c.node[old]),
			 RAFT_NODE_EUNAVAILABLE);
	fault(&tcp, old, false);
	ck_assert_int_eq(raft_node_read_barrier(c.node[old]), 0);
	ck_assert_int_eq(tc_propose(&c, old, 4, &res), 0);
	ck_assert_uint_ge(tapp_n_cmds(&c.app[old]), 3);
	tcp_teardown(&tcp, &c);
}
END_TEST

Suite *raft_node_tcp_suite(void)
{
	Suite *s = suite_create("raft_node_tcp");
	TCase *tc = tcase_create("tcp");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tcp_replicate_snapshot);
	tcase_add_test(tc, test_tcp_partition);
	suite_add_tcase(s, tc);
	return s;
}
