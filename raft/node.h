/*
 * node.h — the Raft node driver: one replicated state machine on this
 * process, built from the pure core (raft/raft.h), the durable log
 * (raft/log_store.h), a network (raft/net.h) and an application state
 * machine (struct raft_node_app, implemented by gateway/store_raft.c over
 * the engine).
 *
 * One driver thread owns the core: it ticks, steps received messages,
 * proposes queued commands in batches, and carries out each ready record
 * in the order raft.h demands (persist with one group-committed sync, then
 * send, then apply committed entries in order, then serve reads).
 *
 * Proposals from any node: raft_node_propose() on a follower forwards the
 * command to the leader (RAFT_FRAME_PROPOSE); every command carries its
 * origin node and a request id, and the origin learns the outcome when it
 * applies that entry itself — so the caller always sees the result of
 * applying its own command on its own node, after which a read on this
 * node observes it.  A command that may or may not have been committed
 * (leader lost, timeout) is reported as RAFT_NODE_EINDETERMINATE, never
 * as success or failure.
 *
 * Reads: raft_node_read_barrier() returns once this node has applied
 * everything committed before the call began (Raft thesis §6.4 ReadIndex,
 * through the leader when this node is a follower); reads of the local
 * state machine after it are linearizable.  Concurrent barriers share one
 * ReadIndex round.
 *
 * Snapshots are the application's (engine checkpoints in a directory);
 * the driver decides when to take one, compacts the log behind it only
 * once it is durable, streams it to followers that need it, and has the
 * application install one received from the leader.
 *
 * A cluster of one runs the same code: it elects itself at once.
 *
 * On disk, under options.dir: the log store's segments (raft/log_store.h),
 * PEERS (the address book, "id=host:port" lines, replaced atomically),
 * snap/<index>/ (the newest snapshot: the app's directory plus a copy of
 * the address book named raft-peers, removed before the app installs it)
 * and snap/recv/ (snapshots being received).  Members' addresses reach
 * every node through the log: raft_node_add_learner commits an address
 * record before the ADD_LEARNER change, and takes a snapshot first, since
 * a new node must start from one (the initial voters are not in the log).
 */
#ifndef VS_RAFT_NODE_H
#define VS_RAFT_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/kv.h"
#include "raft/net.h"
#include "raft/raft.h"

/* Error codes of this module, beside -errno and RAFT_ERR_*. */
enum raft_node_err {
	RAFT_NODE_EINDETERMINATE = -1101, /* may or may not have committed */
	RAFT_NODE_EUNAVAILABLE = -1102,   /* no leader / no quorum in time;
					     nothing was committed: retry */
	RAFT_NODE_ESTOPPED = -1103,       /* the node is shutting down */
	RAFT_NODE_EFAILED = -1104,        /* the node hit a fatal error (disk) */
};
const char *raft_node_strerror(int err);

/*
 * The replicated state machine.  Called only from the driver thread, in
 * log order.  ctx is the app's.
 */
struct raft_node_app {
	void *ctx;
	/* Index of the last entry whose effects the state machine holds
	 * (recovered: the engine's applied-index marker).  Called at start and
	 * after a snapshot install. */
	uint64_t (*applied_index)(void *ctx);
	/*
	 * Applies one committed entry at `index`: data[0..len) is a command
	 * as given to raft_node_propose, or len == 0 for an entry with no
	 * command (leader no-op, conf change) whose index must still be
	 * recorded as applied.  Must be deterministic: the same on every node.
	 * Returns the command's result (any int, e.g. 0 or a condition
	 * failure), with *aux an optional detail; both go to the proposer.
	 * A return of RAFT_NODE_EFAILED means the state machine cannot go on
	 * (disk error): the node stops.
	 */
	int (*apply)(void *ctx, uint64_t index, const void *data, size_t len,
		     uint64_t *aux);
	/* Makes everything applied so far durable (before log compaction). */
	int (*sync)(void *ctx);
	/*
	 * Writes a consistent, openable copy of the state machine into the new
	 * directory dir; *index = the applied index it covers.  Should not
	 * block apply for long.
	 */
	int (*snapshot_create)(void *ctx, const char *dir, uint64_t *index);
	/*
	 * Replaces the state machine with the snapshot in dir (covering
	 * `index`); dir may be moved/consumed.  After it, applied_index()
	 * returns index.
	 */
	int (*snapshot_install)(void *ctx, const char *dir, uint64_t index);
};

struct raft_node_peer {
	uint64_t id;
	char addr[128]; /* "host:port" of its Raft transport */
};

struct raft_node_options {
	uint64_t id;     /* this node, >= 1 */
	const char *dir; /* the node's Raft directory (log, snapshots) */
	/*
	 * Initial voters for a new cluster (this node among them), used when
	 * the log is empty; ignored once the node has a log or snapshot.
	 * join: start with no configuration and wait to be added by a leader
	 * (raft_node_add_learner on a member).
	 */
	size_t n_peers;
	const struct raft_node_peer *peers;
	bool join;
	const struct raft_net *net; /* borrowed for life */
	unsigned tick_ms;           /* 0: 100 */
	unsigned election_ticks;    /* 0: 10 */
	unsigned heartbeat_ticks;   /* 0: 1 */
	unsigned propose_timeout_ms;/* 0: 10000 */
	uint64_t snapshot_entries;  /* snapshot after this many applied; 0: 10000 */
	/*
	 * The leader serves reads from a lease (thesis §6.4.1) instead of a
	 * heartbeat round per read: after a round it began at time T is
	 * acknowledged by a quorum, no other leader can be elected before
	 * T + (election_ticks - 1) ticks, because every node of that quorum
	 * refuses votes for an election timeout after it heard from the
	 * leader (check-quorum), and a node that restarts refuses them for an
	 * election timeout after its start.  The lease is one tick shorter
	 * still, for clock rates that differ between machines; it is given up
	 * at a leadership transfer or a membership change.  Needs
	 * election_ticks >= 3 (else off).
	 */
	bool lease_reads;
	const struct kv_io *io;     /* NULL: kv_io_posix() */
	void (*log_fn)(void *log_ctx, int level, const char *line);
	void *log_ctx;
};

struct raft_node;

/* Opens the log, recovers, starts the driver thread.  0 or an error. */
int raft_node_start(const struct raft_node_options *opts,
		    const struct raft_node_app *app, struct raft_node **out);
/* Stops the thread, fails waiters with RAFT_NODE_ESTOPPED, syncs, frees. */
void raft_node_stop(struct raft_node *n);

/* A raft_net_recv_fn: hand it to the network with the node as ctx. */
void raft_node_receive(void *node, uint64_t from, uint8_t type,
		       const void *payload, size_t len);

/*
 * Replicates a command and waits until this node has applied it: returns
 * 0 with *result and *aux (may be NULL) from app->apply, or
 * RAFT_NODE_EINDETERMINATE, RAFT_NODE_EUNAVAILABLE (nothing committed),
 * RAFT_NODE_ESTOPPED, RAFT_ERR_TOO_BIG.  Thread-safe; concurrent proposals
 * are batched into one ready (one fsync).
 */
int raft_node_propose(struct raft_node *n, const void *data, size_t len,
		      int *result, uint64_t *aux);

/* Linearizable read barrier (see top).  0, RAFT_NODE_EUNAVAILABLE or
 * RAFT_NODE_ESTOPPED.  Thread-safe. */
int raft_node_read_barrier(struct raft_node *n);

/*
 * Membership and leadership, on the leader only (elsewhere
 * RAFT_ERR_NOT_LEADER; raft_node_status names the leader).  Each waits
 * until the change is applied here, or fails as raft_node_propose does.
 */
int raft_node_add_learner(struct raft_node *n, uint64_t id, const char *addr);
int raft_node_promote(struct raft_node *n, uint64_t id);
int raft_node_remove(struct raft_node *n, uint64_t id);
int raft_node_transfer_leader(struct raft_node *n, uint64_t id);

struct raft_node_member {
	uint64_t id;
	char addr[128];
	bool learner;
	bool connected;   /* transport connection up (this node's view) */
	uint64_t match;   /* leader only: highest index known replicated */
	uint64_t lag;     /* leader only: commit - match (0 if caught up) */
	bool healthy;     /* leader only: heard from within an election timeout */
};

struct raft_node_status {
	uint64_t id;
	enum raft_role role;
	uint64_t leader;
	uint64_t term;
	uint64_t commit;
	uint64_t applied;
	uint64_t first_index;
	uint64_t last_index;
	uint64_t snapshot_index;
	int error; /* 0 or the fatal error that stopped the node */
	uint64_t lease_ms_left;  /* leader: read lease left (0: none) */
	uint64_t reads_by_lease; /* read barriers served from the lease */
	uint64_t read_rounds;    /* ReadIndex rounds this node began */
	uint64_t failed_leaderless; /* requests refused: no leader known for
				     * three election timeouts */
	size_t n_members;
	struct raft_node_member members[RAFT_NODES_MAX];
};
void raft_node_status(struct raft_node *n, struct raft_node_status *st);

#endif /* VS_RAFT_NODE_H */
