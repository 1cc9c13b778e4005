/*
 * node_snap_xfer.c — streaming snapshots to followers and receiving them,
 * over raft/snapshot_xfer.h and bulk frames (raft/net.h).
 *
 * Leader: when the core sends RAFT_MSG_SNAPSHOT (meta of the log store's
 * snapshot, no data) to a follower, the driver streams the directory
 * DIR/snap/<index> as RAFT_FRAME_SNAP_CHUNK frames and holds the message
 * back; once the follower acknowledges the complete, verified copy, the
 * message itself goes out.  The core re-sends the message every election
 * timeout while the follower has not caught up: a transfer already under
 * way just continues; one that completed has its message delivered once
 * more, then is streamed again (the follower may have lost it).  No ack
 * progress for two election timeouts: rewind to the last acked position.
 * One transfer per follower; its directory is kept from pruning.
 *
 * Follower: chunks go into a snap_recv staging under DIR/snap/recv; when
 * complete, the ready directory waits for the leader's RAFT_MSG_SNAPSHOT,
 * which is stepped only once the directory is in place as DIR/snap/<index>
 * (then the core's ready has_snapshot installs it: node_snapshot.c).
 *
 * A leader whose snapshot directory is missing (it was itself installed
 * from another leader and consumed by the app) takes a fresh local
 * snapshot first; the core's next re-send names it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/assert.h"
#include "raft/codec.h"
#include "raft/node_int.h"
#include "raft/snapshot_xfer.h"

#define XFER_PEERS (2 * RAFT_NODES_MAX)

struct xfer_out {
	uint64_t to;          /* 0: slot free */
	struct snap_send *s;  /* NULL once complete */
	struct raft_msg msg;  /* the MSG_SNAPSHOT to deliver after (no data) */
	uint64_t index;
	uint64_t last_tick;   /* last ack progress */
	uint64_t acked;
	unsigned resent;      /* completed: message re-deliveries */
};

struct node_snap_state {
	struct xfer_out out[XFER_PEERS];
	uint32_t seq;
	struct snap_recv *recv;
	bool has_ready;
	struct raft_snapshot_meta ready_meta;
	char ready_dir[4096];
};

int node_xfer_open(struct raft_node *n)
{
	n->snap = calloc(1, sizeof *n->snap);
	return n->snap ? 0 : -ENOMEM;
}

void node_xfer_close(struct raft_node *n)
{
	if (!n->snap)
		return;
	for (int i = 0; i < XFER_PEERS; i++)
		snap_send_close(n->snap->out[i].s);
	snap_recv_free(n->snap->recv);
	free(n->snap);
	n->snap = NULL;
}

bool node_xfer_receiving(struct raft_node *n)
{
	return n->snap->recv != NULL;
}

static void send_raw_msg(struct raft_node *n, const struct raft_msg *m)
{
	size_t len = raft_msg_encoded_bytes(m);
	uint8_t *buf = malloc(len);
	size_t w = 0;
	if (buf && raft_msg_encode(m, buf, len, &w) == 0)
		(void)n->net->send(n->net->ctx, m->to, RAFT_FRAME_MSG, buf, w,
				   false);
	free(buf);
}

/* The lowest snapshot index any transfer still reads (0: none). */
static void update_busy(struct raft_node *n)
{
	uint64_t busy = 0;
	for (int i = 0; i < XFER_PEERS; i++) {
		struct xfer_out *o = &n->snap->out[i];
		if (o->to && o->s && (busy == 0 || o->index < busy))
			busy = o->index;
	}
	n->snap_busy_index = busy;
}

static void out_free(struct raft_node *n, struct xfer_out *o)
{
	snap_send_close(o->s);
	memset(o, 0, sizeof *o);
	update_busy(n);
}

/* Sends frames while the window and the bulk queue allow.  Under mu. */
static void pump(struct raft_node *n, struct xfer_out *o)
{
	/* Bounded by the sender's window (SNAP_WINDOW_MAX frames). */
	for (unsigned i = 0; o->s && i <= SNAP_WINDOW_MAX; i++) {
		if (n->net->bulk_room(n->net->ctx, o->to) <
		    snap_send_frame_bytes_max(o->s))
			return; /* no room for a whole frame: next tick/ack */
		const void *frame;
		size_t len;
		int rc = snap_send_next(o->s, &frame, &len);
		if (rc == SNAP_SEND_FRAME) {
			if (n->net->send(n->net->ctx, o->to,
					 RAFT_FRAME_SNAP_CHUNK, frame, len,
					 true) != 0)
				snap_send_rewind(o->s);
			continue;
		}
		if (rc < 0) {
			node_logf(n, 2, "snapshot %llu to node %llu: read "
				  "failed (%s), transfer dropped",
				  (unsigned long long)o->index,
				  (unsigned long long)o->to, snap_strerror(rc));
			out_free(n, o);
		}
		return; /* WAIT or COMPLETE (handled on the ack) */
	}
}

static struct xfer_out *out_find(struct raft_node *n, uint64_t to)
{
	for (int i = 0; i < XFER_PEERS; i++)
		if (n->snap->out[i].to == to)
			return &n->snap->out[i];
	return NULL;
}

static int out_start(struct raft_node *n, struct xfer_out *o,
		     const struct raft_msg *m)
{
	char dir[4096];
	node_snap_path(n, dir, sizeof dir, m->snapshot.meta.index);
	uint64_t id = snap_xfer_id(m->term, ++n->snap->seq);
	struct snap_send *s = NULL;
	int rc = snap_send_open(dir, &m->snapshot.meta, id, 0, &s);
	if (rc != 0)
		return rc;
	snap_send_close(o->s);
	*o = (struct xfer_out){.to = m->to, .s = s, .msg = *m,
			       .index = m->snapshot.meta.index,
			       .last_tick = n->ticks};
	o->msg.snapshot.data = NULL;
	o->msg.snapshot.len = 0;
	o->msg.n_entries = 0;
	o->msg.entries = NULL;
	update_busy(n);
	node_logf(n, 1, "sending snapshot %llu to node %llu",
		  (unsigned long long)o->index, (unsigned long long)o->to);
	pump(n, o);
	return 0;
}

/* The core wants m (a MSG_SNAPSHOT) sent.  Returns true: handled here. */
bool node_snap_send(struct raft_node *n, const struct raft_msg *m)
{
	struct xfer_out *o = out_find(n, m->to);
	uint64_t index = m->snapshot.meta.index;
	if (o && o->index == index && o->s) {
		o->msg.term = m->term; /* under way: keep going */
		return true;
	}
	if (o && o->index == index && !o->s && o->resent == 0) {
		o->resent++;
		o->msg.term = m->term;
		send_raw_msg(n, &o->msg); /* the follower may have lost it */
		return true;
	}
	if (!o)
		o = out_find(n, 0);
	if (!o)
		return true; /* all slots busy: the core asks again later */
	char dir[4096];
	struct stat sb;
	node_snap_path(n, dir, sizeof dir, index);
	if (stat(dir, &sb) != 0) {
		node_logf(n, 1, "no directory for snapshot %llu: taking a "
			  "fresh one for node %llu", (unsigned long long)index,
			  (unsigned long long)m->to);
		n->snap_force = true;
		return true;
	}
	int rc = out_start(n, o, m);
	if (rc != 0)
		node_logf(n, 2, "snapshot %llu to node %llu: %s",
			  (unsigned long long)index, (unsigned long long)m->to,
			  snap_strerror(rc));
	return true;
}

/* Rewinds stalled transfers and keeps the others flowing.  Under mu. */
void node_snap_tick(struct raft_node *n)
{
	for (int i = 0; i < XFER_PEERS; i++) {
		struct xfer_out *o = &n->snap->out[i];
		if (!o->to || !o->s)
			continue;
		if (n->st.role != RAFT_LEADER) {
			out_free(n, o); /* only a leader streams */
			continue;
		}
		if (n->ticks - o->last_tick >= 2ull * n->opts.election_ticks) {
			snap_send_rewind(o->s);
			o->last_tick = n->ticks;
		}
		pump(n, o);
	}
}

static void on_ack(struct raft_node *n, uint64_t from, const uint8_t *data,
		   size_t len)
{
	struct xfer_out *o = out_find(n, from);
	if (!o || !o->s)
		return;
	int rc = snap_send_ack(o->s, data, len);
	if (rc == SNAP_SEND_COMPLETE) {
		node_logf(n, 1, "snapshot %llu sent to node %llu",
			  (unsigned long long)o->index,
			  (unsigned long long)from);
		snap_send_close(o->s);
		o->s = NULL;
		update_busy(n);
		send_raw_msg(n, &o->msg);
		return;
	}
	if (rc == SNAP_EABORTED) {
		out_free(n, o);
		return;
	}
	if (rc == 0) {
		uint64_t acked, total;
		snap_send_progress(o->s, &acked, &total);
		if (acked != o->acked) {
			o->acked = acked;
			o->last_tick = n->ticks;
		}
		pump(n, o);
	}
}

static void on_chunk(struct raft_node *n, uint64_t from, const uint8_t *data,
		     size_t len)
{
	struct node_snap_state *ss = n->snap;
	if (!ss->recv) {
		char root[4096];
		snprintf(root, sizeof root, "%s/snap/recv", n->dir);
		if (snap_recv_new(root, &ss->recv) != 0)
			return;
	}
	const void *ack = NULL;
	size_t ack_len = 0;
	int rc = snap_recv_feed(ss->recv, data, len, &ack, &ack_len);
	if (ack)
		(void)n->net->send(n->net->ctx, from, RAFT_FRAME_SNAP_ACK, ack,
				   ack_len, false);
	if (rc == SNAP_RECV_COMPLETE) {
		const char *dir = snap_recv_ready(ss->recv, &ss->ready_meta);
		if (dir && strlen(dir) < sizeof ss->ready_dir) {
			memcpy(ss->ready_dir, dir, strlen(dir) + 1);
			ss->has_ready = true;
			node_logf(n, 1, "received snapshot %llu from node %llu",
				  (unsigned long long)ss->ready_meta.index,
				  (unsigned long long)from);
		}
	}
}

void node_snap_frame(struct raft_node *n, uint64_t from, uint8_t type,
		     const uint8_t *data, size_t len)
{
	if (type == RAFT_FRAME_SNAP_ACK)
		on_ack(n, from, data, len);
	else
		on_chunk(n, from, data, len);
}

/*
 * Follower: a MSG_SNAPSHOT may be stepped only if its directory is in
 * place (moved from the receiver's ready dir if needed).  Under mu.
 */
bool node_snap_accept(struct raft_node *n, const struct raft_msg *m)
{
	struct node_snap_state *ss = n->snap;
	uint64_t index = m->snapshot.meta.index;
	char dir[4096];
	node_snap_path(n, dir, sizeof dir, index);
	if (ss->has_ready && ss->ready_meta.index == index &&
	    ss->ready_meta.term == m->snapshot.meta.term) {
		(void)node_rmdir_flat(dir);
		if (rename(ss->ready_dir, dir) != 0) {
			node_logf(n, 2, "snapshot %llu: cannot move %s: %s",
				  (unsigned long long)index, ss->ready_dir,
				  strerror(errno));
			return false;
		}
		ss->has_ready = false;
	}
	struct stat sb;
	return stat(dir, &sb) == 0;
}
