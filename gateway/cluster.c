/*
 * cluster.c — starting and stopping transport, node and replicated store
 * in the right order (see cluster.h).
 *
 * Frames from the transport reach the node through deliver(), which holds
 * a shared lock while it calls raft_node_receive: closing takes it
 * exclusively to detach the node first, so no frame is delivered to a
 * node being stopped (the transport may call from any peer thread).
 * The node is stopped (store_close) before the transport, since the node's
 * thread sends until it stops.
 */
#include "gateway/cluster.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/fs_util.h"
#include "gateway/log.h"
#include "raft/node.h"
#include "raft/transport.h"

struct gw_cluster {
	const struct gw_config *cfg;
	struct raft_transport *transport; /* NULL: a cluster of one */
	struct raft_net net;
	pthread_rwlock_t deliver_lock;
	struct raft_node *deliver_to; /* NULL once closing */
	struct store *store;
	struct raft_node *node;
};

/* ---- The network of a cluster of one: no peers --------------------------- */

static int solo_send(void *ctx, uint64_t to, uint8_t type, const void *payload,
		     size_t len, bool bulk)
{
	(void)ctx, (void)to, (void)type, (void)payload, (void)len, (void)bulk;
	return -ENOENT;
}

static size_t solo_bulk_room(void *ctx, uint64_t to)
{
	(void)ctx, (void)to;
	return 0;
}

static int solo_set_peer(void *ctx, uint64_t id, const char *addr)
{
	(void)ctx, (void)id, (void)addr;
	return -ENOTSUP; /* started without --node-id: no Raft port */
}

static int solo_remove_peer(void *ctx, uint64_t id)
{
	(void)ctx, (void)id;
	return -ENOENT;
}

static bool solo_connected(void *ctx, uint64_t id)
{
	(void)ctx, (void)id;
	return false;
}

static const struct raft_net solo_net = {
	.send = solo_send,
	.bulk_room = solo_bulk_room,
	.set_peer = solo_set_peer,
	.remove_peer = solo_remove_peer,
	.connected = solo_connected,
};

/* ---- Logging and delivery ------------------------------------------------ */

static enum gw_log_level level_of(int level)
{
	switch (level) {
	case KV_LOG_DEBUG: return GW_LOG_DEBUG;
	case KV_LOG_INFO: return GW_LOG_INFO;
	case KV_LOG_WARN: return GW_LOG_WARN;
	default: return GW_LOG_ERROR;
	}
}

static void node_log(void *ctx, int level, const char *line)
{
	(void)ctx;
	gw_log(level_of(level), "raft: %s", line);
}

static void transport_log(void *ctx, enum kv_log_level level, const char *line)
{
	(void)ctx;
	gw_log(level_of((int)level), "transport: %s", line);
}

static void deliver(void *ctx, uint64_t from, uint8_t type, const void *payload,
		    size_t len)
{
	struct gw_cluster *c = ctx;
	pthread_rwlock_rdlock(&c->deliver_lock);
	if (c->deliver_to != NULL)
		raft_node_receive(c->deliver_to, from, type, payload, len);
	pthread_rwlock_unlock(&c->deliver_lock);
}

bool gw_cluster_faults_allowed(void)
{
	const char *v = getenv("VERISTORE_TEST_FAULTS");
	return v != NULL && strcmp(v, "1") == 0;
}

/* ---- Open and close ---------------------------------------------------- */

static int start_transport(struct gw_cluster *c)
{
	const struct gw_config *cfg = c->cfg;
	struct raft_transport_options to = {
		.id = cfg->node_id,
		.listen = cfg->raft_listen,
		.cluster_id = cfg->raft_cluster_id,
		.allow_faults = gw_cluster_faults_allowed(),
		.log_fn = transport_log,
	};
	int rc = raft_transport_start(&to, &c->transport);
	if (rc != 0) {
		gw_log(GW_LOG_ERROR, "cannot start the Raft transport on %s: %s",
		       cfg->raft_listen, strerror(-rc));
		return -1;
	}
	raft_transport_set_receiver(c->transport, deliver, c);
	c->net = raft_transport_net(c->transport);
	return 0;
}

/* The node's options from the settings; peers[] filled from --peers. */
static void node_options(const struct gw_cluster *c, const char *raft_dir,
			 struct raft_node_peer *peers,
			 struct raft_node_options *o)
{
	const struct gw_config *cfg = c->cfg;
	memset(o, 0, sizeof *o);
	o->dir = raft_dir;
	o->net = &c->net;
	o->tick_ms = (unsigned)cfg->raft_tick_ms;
	o->snapshot_entries = cfg->raft_snapshot_entries;
	o->lease_reads = !cfg->raft_no_lease;
	o->log_fn = node_log;
	if (cfg->node_id == 0) { /* a cluster of one */
		o->id = 1;
		peers[0] = (struct raft_node_peer){.id = 1};
		o->peers = peers;
		o->n_peers = 1;
		return;
	}
	o->id = cfg->node_id;
	o->join = cfg->join;
	if (cfg->join)
		return;
	struct gw_peer gp[GW_PEERS_MAX];
	int n = gw_config_peers_parse(cfg->peers, gp, GW_PEERS_MAX);
	for (int i = 0; i < n; i++) { /* validated by gw_config_load */
		peers[i].id = gp[i].id;
		snprintf(peers[i].addr, sizeof peers[i].addr, "%s", gp[i].addr);
	}
	o->peers = peers;
	o->n_peers = (size_t)n;
}

static int open_store(struct gw_cluster *c)
{
	char kv_dir[4096], raft_dir[4096];
	const char *data = c->cfg->data_dir;
	if ((size_t)snprintf(kv_dir, sizeof kv_dir, "%s/kv", data) >= sizeof kv_dir ||
	    (size_t)snprintf(raft_dir, sizeof raft_dir, "%s/raft", data) >= sizeof raft_dir)
		return -1;
	int rc = gw_mkdir_p(raft_dir);
	if (rc != 0) {
		gw_log(GW_LOG_ERROR, "cannot create %s: %s", raft_dir, strerror(-rc));
		return -1;
	}
	struct raft_node_peer peers[GW_PEERS_MAX];
	struct raft_node_options o;
	node_options(c, raft_dir, peers, &o);
	rc = store_raft_open(kv_dir, &o,
			     c->transport == NULL ? STORE_RAFT_NO_PEERS : 0,
			     &c->store);
	if (rc != 0) {
		gw_log(GW_LOG_ERROR, "cannot open the replicated store (%s, %s): %s",
		       kv_dir, raft_dir,
		       rc <= -3000 && rc > -4000 ? store_strerror(rc) : raft_node_strerror(rc));
		return -1;
	}
	c->node = store_raft_node(c->store);
	pthread_rwlock_wrlock(&c->deliver_lock);
	c->deliver_to = c->node;
	pthread_rwlock_unlock(&c->deliver_lock);
	return 0;
}

int gw_cluster_open(const struct gw_config *cfg, struct gw_cluster **out)
{
	struct gw_cluster *c = calloc(1, sizeof *c);
	if (c == NULL)
		return -1;
	c->cfg = cfg;
	pthread_rwlock_init(&c->deliver_lock, NULL);
	c->net = solo_net;
	*out = c;
	if (cfg->node_id != 0 && start_transport(c) != 0)
		return -1;
	if (open_store(c) != 0)
		return -1;
	if (cfg->node_id == 0) /* ready: store_raft_open waited (NO_PEERS) */
		gw_log(GW_LOG_INFO, "a cluster of one (node 1): every change goes "
				    "through the Raft log in %s/raft", cfg->data_dir);
	else
		gw_log(GW_LOG_INFO, "node %llu, Raft on %s%s",
		       (unsigned long long)cfg->node_id, cfg->raft_listen,
		       cfg->join ? ", waiting to be added" : "");
	return 0;
}

void gw_cluster_close(struct gw_cluster *c)
{
	if (c == NULL)
		return;
	pthread_rwlock_wrlock(&c->deliver_lock);
	c->deliver_to = NULL;
	pthread_rwlock_unlock(&c->deliver_lock);
	store_close(c->store); /* stops the node, syncs the engine */
	if (c->transport != NULL)
		raft_transport_stop(c->transport);
	pthread_rwlock_destroy(&c->deliver_lock);
	free(c);
}

struct store *gw_cluster_store(struct gw_cluster *c)
{
	return c->store;
}

struct raft_node *gw_cluster_node(struct gw_cluster *c)
{
	return c->node;
}

bool gw_cluster_is_leader(void *cluster)
{
	struct gw_cluster *c = cluster;
	struct raft_node_status st;
	raft_node_status(c->node, &st);
	return st.role == RAFT_LEADER && st.error == 0;
}

int gw_cluster_set_fault(struct gw_cluster *c, uint64_t peer, bool drop_out,
			 bool drop_in)
{
	if (!gw_cluster_faults_allowed())
		return -EPERM;
	if (c->transport == NULL)
		return -ENOENT;
	return raft_transport_set_fault(c->transport, peer, drop_out, drop_in);
}
