/*
 * node_int.h — internals of the Raft node driver (raft/node*.c), shared by
 * its files only.  See raft/node.h for the contract.
 *
 * Threads: the driver thread owns the core (struct raft), the log store's
 * write side and the application.  Every other thread (callers of
 * raft_node_propose / read_barrier / admin ops, the network's receive
 * threads) touches only what is guarded by n->mu: the inbox, the waiter
 * lists and the status cache.  The driver takes mu to look at those, and
 * also holds it while it calls the core (fast, no I/O); it drops mu around
 * everything that blocks: fsync, app callbacks, snapshot I/O.
 */
#ifndef VS_RAFT_NODE_INT_H
#define VS_RAFT_NODE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "raft/log_store.h"
#include "raft/node.h"

/*
 * The header the driver puts in front of every proposed command (the app
 * never sees it): u8 version, u64 origin node, u64 request id, all
 * little-endian.  Version 1 carries an app command; version 2 carries an
 * address-book record "id=addr" for the driver itself (membership).
 */
#define NODE_HDR_BYTES 17
#define NODE_HDR_CMD 1
#define NODE_HDR_ADDR 2

/* Bounds (STYLE.md: every queue is bounded). */
#define NODE_INBOX_MAX 65536      /* frames waiting for the driver */
#define NODE_INBOX_BYTES_MAX (256u * 1024 * 1024)

/* A received frame waiting for the driver (payload copied). */
struct node_frame {
	struct node_frame *next;
	uint64_t from;
	uint8_t type;
	size_t len;
	uint8_t data[];
};

enum node_prop_state {
	PROP_QUEUED = 0,    /* not (or no longer) anywhere: nothing proposed */
	PROP_PROPOSED = 1,  /* in this leader's log at (index, term) */
	PROP_FORWARDED = 2, /* sent to leader `leader`; no NACK yet */
	PROP_DONE = 3,      /* rc (and result/aux) final */
};

enum node_prop_kind {
	PROP_CMD = 0,  /* a normal entry: header + command */
	PROP_CONF = 1, /* a conf change (leader only, never forwarded) */
	PROP_TRANSFER = 2, /* a leadership transfer to cc.node */
	PROP_SNAPSHOT = 3, /* a local snapshot at (at least) the applied index */
};

/*
 * One waiting proposal.  Lives on the caller's stack; linked in n->props
 * under mu until the caller unlinks it (done or timed out).
 */
struct node_prop {
	struct node_prop *next, *prev;
	enum node_prop_kind kind;
	enum node_prop_state state;
	uint64_t req;
	const uint8_t *buf; /* header + command (caller's memory) */
	size_t len;
	struct raft_conf_change cc;
	uint64_t index, term; /* PROPOSED: where */
	uint64_t leader;      /* FORWARDED: to whom */
	uint64_t nack_tick;   /* NACKed at this tick + 1 (0: never) */
	uint64_t queued_tick; /* n->ticks when it was queued */
	int rc;
	int result;
	uint64_t aux;
	pthread_cond_t cv; /* its caller waits here: woken alone when done */
};

/* One waiting read barrier (caller's stack, linked in n->reads under mu). */
struct node_read {
	struct node_read *next, *prev;
	uint64_t round; /* ctx of the round it waits on; 0: none yet */
	uint64_t tick;  /* n->ticks when its round was issued */
	uint64_t queued_tick; /* n->ticks when it was queued */
	uint64_t index; /* read index once known */
	bool has_index;
	int rc;
	bool done;
	pthread_cond_t cv; /* its caller waits here: woken alone when done */
};

/* The address book: every member's Raft address (persisted in DIR/PEERS). */
struct node_addr {
	uint64_t id;
	char addr[128];
};

struct raft_node {
	struct raft_node_options opts; /* copied; peers/dir point into ours */
	struct raft_node_app app;
	char *dir;
	const struct raft_net *net;
	struct raft_log_store *ls;
	struct raft *r;
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t mu;
	pthread_cond_t wake;  /* driver: work arrived */
	pthread_cond_t done;  /* waiters: something finished */
	bool stopping;
	int error; /* fatal: RAFT_NODE_EFAILED cause, sticky */

	/* Inbox (mu). */
	struct node_frame *in_head, *in_tail;
	size_t in_n, in_bytes;
	bool kick; /* proposals/reads queued: run the loop now */

	/* Waiters (mu). */
	struct node_prop *props;
	struct node_read *reads;
	uint64_t next_req;

	/* Read rounds (driver, under mu): ctx of the newest round issued,
	 * when (node_now_ms, ticks), in which term and lease epoch. */
	uint64_t read_ctx;
	uint64_t round_ms, round_tick, round_term, round_epoch;
	bool round_answered;
	uint64_t read_rounds;

	/* The leader's read lease (node_read.c; mu).  Valid while this node
	 * leads in lease_term, lease_epoch is unchanged and the monotonic
	 * clock is before lease_until_ms. */
	uint64_t lease_ms; /* its length; 0: leases off */
	uint64_t lease_until_ms, lease_term, lease_valid_epoch;
	uint64_t lease_epoch; /* bumped by a transfer or a conf change */
	bool lease_used;      /* served a read since its last renewal */
	uint64_t reads_by_lease;
	unsigned callers; /* threads inside a public call (mu) */

	/* Driver state. */
	uint64_t ticks;
	uint64_t applied;
	uint64_t snap_index; /* newest snapshot (log store's) */
	uint64_t since_snap; /* entries applied since it */
	uint64_t snap_busy_index; /* snapshot being streamed: keep it */
	bool snap_force; /* take a snapshot at the end of this pass */
	struct node_snap_state *snap; /* node_snapshot.c */
	uint64_t seen_term, seen_leader;
	uint64_t last_leader_tick; /* ticks when a leader was last known */
	uint64_t failed_leaderless; /* requests refused for want of one */
	struct raft_hard_state durable_hs; /* last hard state written */
	enum raft_role seen_role;

	/* Address book (mu). */
	struct node_addr addrs[RAFT_NODES_MAX * 2];
	size_t n_addrs;

	/* Tick at which each peer was last heard from (status: healthy). */
	uint64_t heard_id[2 * RAFT_NODES_MAX];
	uint64_t heard_tick[2 * RAFT_NODES_MAX];

	/* Status cache (mu), refreshed by the driver every loop. */
	struct raft_status st;
};

/* node.c */
void node_logf(struct raft_node *n, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint64_t node_now_ms(void);
void node_waiter_cv_init(pthread_cond_t *cv);
void node_send_msg(struct raft_node *n, const struct raft_msg *m);
void node_fail(struct raft_node *n, int err);

/*
 * No leader known for three election timeouts (an election takes one or
 * two, a split vote one or two more): this node is most likely cut off
 * from a majority.  A request not yet handed to a leader that has itself
 * waited an election timeout is refused then (RAFT_NODE_EUNAVAILABLE,
 * nothing was proposed) instead of waiting out propose_timeout_ms; the
 * wait of its own lets a partition that just healed find its leader.
 */
static inline bool node_leaderless(const struct raft_node *n,
				   uint64_t queued_tick)
{
	return n->st.leader == RAFT_NONE &&
	       n->ticks - n->last_leader_tick >= 3u * n->opts.election_ticks &&
	       n->ticks - queued_tick >= n->opts.election_ticks;
}

/* node_propose.c */
void node_hdr_encode(uint8_t *out, uint8_t version, uint64_t origin,
		     uint64_t req);
int node_hdr_decode(const uint8_t *data, size_t len, uint8_t *version,
		    uint64_t *origin, uint64_t *req);
int node_prop_wait(struct raft_node *n, struct node_prop *p);
void node_prop_finish(struct node_prop *p, int rc);
void node_props_drive(struct raft_node *n);
void node_props_on_apply(struct raft_node *n, const struct raft_entry *e,
			 uint64_t origin, uint64_t req, int result,
			 uint64_t aux);
void node_props_on_leader_change(struct raft_node *n);
void node_props_fail_all(struct raft_node *n, int rc);
void node_frame_propose(struct raft_node *n, uint64_t from,
			const uint8_t *data, size_t len);
void node_frame_nack(struct raft_node *n, const uint8_t *data, size_t len);

void node_transfer_drive(struct raft_node *n, struct node_prop *p);
void node_snapshot_drive(struct raft_node *n, struct node_prop *p);
void node_conf_applied(struct raft_node *n, const struct raft_entry *e);

/* node_read.c */
void node_reads_drive(struct raft_node *n);
void node_reads_on_leader_change(struct raft_node *n);
void node_reads_on_state(struct raft_node *n,
			 const struct raft_read_state *rs);
void node_reads_complete(struct raft_node *n);
void node_reads_fail_all(struct raft_node *n, int rc);
void node_lease_drop(struct raft_node *n);
uint64_t node_lease_left(struct raft_node *n);

/* node_peers.c */
int node_addrs_load(struct raft_node *n);
int node_addrs_save(struct raft_node *n);
int node_addrs_set(struct raft_node *n, uint64_t id, const char *addr);
void node_addrs_remove(struct raft_node *n, uint64_t id);
const char *node_addrs_get(struct raft_node *n, uint64_t id);
void node_addrs_apply(struct raft_node *n, const uint8_t *data, size_t len);
int node_addrs_save_to(struct raft_node *n, const char *dir);
int node_addrs_read(struct raft_node *n, const char *path);
/* The copy of the address book inside each snapshot directory. */
#define NODE_SNAP_PEERS "raft-peers"

/* node_snapshot.c */
int node_snap_open(struct raft_node *n);
void node_snap_close(struct raft_node *n);
void node_snap_tick(struct raft_node *n);
void node_snap_maybe_create(struct raft_node *n);
int node_snap_install(struct raft_node *n,
		      const struct raft_snapshot_meta *meta);
bool node_snap_send(struct raft_node *n, const struct raft_msg *m);
void node_snap_frame(struct raft_node *n, uint64_t from, uint8_t type,
		     const uint8_t *data, size_t len);
void node_snap_path(struct raft_node *n, char *buf, size_t len,
		    uint64_t index);
int node_rmdir_flat(const char *path);
int node_snap_commit(struct raft_node *n,
		     const struct raft_snapshot_meta *meta);

/* node_snap_xfer.c */
int node_xfer_open(struct raft_node *n);
void node_xfer_close(struct raft_node *n);
bool node_xfer_receiving(struct raft_node *n);
bool node_snap_accept(struct raft_node *n, const struct raft_msg *m);

#endif /* VS_RAFT_NODE_INT_H */
