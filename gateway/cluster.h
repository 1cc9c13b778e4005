/*
 * cluster.h — this process's place in a Raft cluster: the transport to the
 * other nodes (raft/transport.h), the node driver (raft/node.h) and the
 * replicated store over DATA/kv whose state machine it is (store_raft.c).
 *
 * Every veristore runs this path.  Without --node-id the process is a
 * cluster of one: node 1, voters {1}, a network with no peers and no
 * listening socket.  With --node-id it listens on --raft-listen and starts
 * from --peers (or waits to be added with --join).
 *
 * Layout: DATA/kv the engine, DATA/raft the log store (the node puts its
 * snapshots being made or received in DATA/raft/snap).
 */
#ifndef VS_GATEWAY_CLUSTER_H
#define VS_GATEWAY_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/config.h"
#include "gateway/store.h"

struct gw_cluster;
struct raft_node;

/* Starts transport, node and store.  0, or -1 after logging why.  cfg is
 * borrowed for the cluster's life. */
int gw_cluster_open(const struct gw_config *cfg, struct gw_cluster **out);
/* Stops the node (waiters fail as ESTOPPED), syncs, stops the transport. */
void gw_cluster_close(struct gw_cluster *c);

/* The replicated store (owned by the cluster) and its node (borrowed). */
struct store *gw_cluster_store(struct gw_cluster *c);
struct raft_node *gw_cluster_node(struct gw_cluster *c);

/* Whether this node is the leader now: the collector's active hook
 * (gc_options.active) with the cluster as ctx. */
bool gw_cluster_is_leader(void *cluster);

/*
 * The transport's test fault switch (drop frames to and/or from peer).
 * -EPERM unless the process runs with VERISTORE_TEST_FAULTS=1, -ENOENT for
 * a cluster of one (no transport), else raft_transport_set_fault's code.
 */
int gw_cluster_set_fault(struct gw_cluster *c, uint64_t peer, bool drop_out,
			 bool drop_in);
/* Whether the fault switch is enabled in this process. */
bool gw_cluster_faults_allowed(void);

#endif /* VS_GATEWAY_CLUSTER_H */
