/*
 * node_propose.c — proposals: the entry header, waiting for the outcome,
 * forwarding to the leader, and matching applied entries to waiters.
 *
 * Outcome rules (raft/node.h):
 *   - the entry with our (origin, request id) was applied here: 0 + result;
 *   - nothing was proposed anywhere (still queued, or every forward was
 *     answered with a NACK) by the timeout: RAFT_NODE_EUNAVAILABLE;
 *   - our own leader proposed it at (index, term) and a different entry was
 *     committed at index: it can never commit (proposed once):
 *     RAFT_NODE_EUNAVAILABLE;
 *   - proposed or forwarded without a NACK, then the leader or term changed
 *     or the timeout passed: RAFT_NODE_EINDETERMINATE.
 * A request id is re-sent only after a NACK (which says it was not
 * proposed), so no command is ever proposed twice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/assert.h"
#include "engine/bytes.h"
#include "raft/node_int.h"

void node_hdr_encode(uint8_t *out, uint8_t version, uint64_t origin,
		     uint64_t req)
{
	out[0] = version;
	kv_put_u64(out + 1, origin);
	kv_put_u64(out + 9, req);
}

int node_hdr_decode(const uint8_t *data, size_t len, uint8_t *version,
		    uint64_t *origin, uint64_t *req)
{
	if (len < NODE_HDR_BYTES ||
	    (data[0] != NODE_HDR_CMD && data[0] != NODE_HDR_ADDR))
		return RAFT_ERR_CORRUPT;
	*version = data[0];
	*origin = kv_get_u64(data + 1);
	*req = kv_get_u64(data + 9);
	return 0;
}

/* Under mu. */
void node_prop_finish(struct node_prop *p, int rc)
{
	p->state = PROP_DONE;
	p->rc = rc;
	pthread_cond_signal(&p->cv);
}

static struct timespec deadline_in(unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/*
 * Queues p, wakes the driver and waits for the outcome (see top).  p->buf
 * must stay valid until this returns.  Called without mu.
 */
int node_prop_wait(struct raft_node *n, struct node_prop *p)
{
	pthread_mutex_lock(&n->mu);
	if (n->stopping || n->error) {
		int rc = n->error ? RAFT_NODE_EFAILED : RAFT_NODE_ESTOPPED;
		pthread_mutex_unlock(&n->mu);
		return rc;
	}
	n->callers++;
	node_waiter_cv_init(&p->cv);
	p->state = PROP_QUEUED;
	p->queued_tick = n->ticks;
	p->prev = NULL;
	p->next = n->props;
	if (n->props)
		n->props->prev = p;
	n->props = p;
	n->kick = true;
	pthread_cond_signal(&n->wake);
	struct timespec dl = deadline_in(n->opts.propose_timeout_ms);
	/* Bounded: ends at the deadline at the latest. */
	while (p->state != PROP_DONE) {
		if (pthread_cond_timedwait(&p->cv, &n->mu, &dl) == ETIMEDOUT &&
		    p->state != PROP_DONE)
			node_prop_finish(p, p->state == PROP_QUEUED
					       ? RAFT_NODE_EUNAVAILABLE
					       : RAFT_NODE_EINDETERMINATE);
	}
	if (p->prev)
		p->prev->next = p->next;
	else
		n->props = p->next;
	if (p->next)
		p->next->prev = p->prev;
	n->callers--;
	if (n->stopping)
		pthread_cond_broadcast(&n->done);
	pthread_mutex_unlock(&n->mu);
	pthread_cond_destroy(&p->cv);
	return p->rc;
}

static void drive_leader(struct raft_node *n, struct node_prop *p)
{
	uint64_t index = 0;
	int rc = p->kind == PROP_CONF
			 ? raft_propose_conf_change(n->r, &p->cc, &index)
			 : raft_propose(n->r, p->buf, p->len, &index);
	if (rc == 0) {
		uint64_t term = 0;
		ASSERT(raft_log_term(n->r, index, &term) == 0);
		p->state = PROP_PROPOSED;
		p->index = index;
		p->term = term;
	} else if (rc == RAFT_ERR_TOO_BIG || rc == RAFT_ERR_INVALID ||
		   rc == -ENOMEM) {
		node_prop_finish(p, rc);
	}
	/* NOT_LEADER, TRANSFERRING, PENDING_CONF: stays queued, retried. */
}

static void drive_follower(struct raft_node *n, struct node_prop *p)
{
	uint64_t leader = n->st.leader;
	if (p->kind == PROP_CONF) {
		node_prop_finish(p, RAFT_ERR_NOT_LEADER);
		return;
	}
	if (leader == RAFT_NONE || leader == n->opts.id)
		return; /* no leader yet: keep waiting for one */
	if (p->nack_tick == n->ticks + 1)
		return; /* NACKed this tick: the leader we know is stale */
	if (n->net->send(n->net->ctx, leader, RAFT_FRAME_PROPOSE, p->buf,
			 p->len, false) == 0) {
		p->state = PROP_FORWARDED;
		p->leader = leader;
	}
}

/* Proposes or forwards every queued proposal.  Driver, under mu. */
void node_props_drive(struct raft_node *n)
{
	if (n->error)
		return;
	for (struct node_prop *p = n->props; p; p = p->next) {
		if (p->state != PROP_QUEUED)
			continue;
		if ((p->kind == PROP_CMD || p->kind == PROP_CONF) &&
		    node_leaderless(n, p->queued_tick)) {
			n->failed_leaderless++;
			node_prop_finish(p, RAFT_NODE_EUNAVAILABLE);
		} else if (p->kind == PROP_TRANSFER)
			node_transfer_drive(n, p);
		else if (p->kind == PROP_SNAPSHOT)
			node_snapshot_drive(n, p);
		else if (n->st.role == RAFT_LEADER)
			drive_leader(n, p);
		else
			drive_follower(n, p);
	}
}

/* An entry was applied at e->index; origin/req from its header (origin 0:
 * none).  Under mu. */
void node_props_on_apply(struct raft_node *n, const struct raft_entry *e,
			 uint64_t origin, uint64_t req, int result,
			 uint64_t aux)
{
	for (struct node_prop *p = n->props; p; p = p->next) {
		if (p->state == PROP_DONE)
			continue;
		if (p->kind == PROP_CMD && origin == n->opts.id &&
		    p->req == req) {
			p->result = result;
			p->aux = aux;
			node_prop_finish(p, 0);
		} else if (p->state == PROP_PROPOSED && p->index == e->index) {
			bool mine = p->kind == PROP_CONF &&
				    e->type == RAFT_ENTRY_CONF &&
				    e->term == p->term;
			node_prop_finish(p, mine ? 0 : RAFT_NODE_EUNAVAILABLE);
		}
	}
}

/* Leader or term changed: whatever is in flight may or may not commit. */
void node_props_on_leader_change(struct raft_node *n)
{
	for (struct node_prop *p = n->props; p; p = p->next)
		if (p->state == PROP_PROPOSED || p->state == PROP_FORWARDED)
			node_prop_finish(p, RAFT_NODE_EINDETERMINATE);
}

void node_props_fail_all(struct raft_node *n, int rc)
{
	for (struct node_prop *p = n->props; p; p = p->next) {
		if (p->state == PROP_DONE)
			continue;
		/* Something in flight may still commit elsewhere. */
		node_prop_finish(p, p->state == PROP_QUEUED ? rc
						       : RAFT_NODE_EINDETERMINATE);
	}
}

/* Leader side of a forwarded proposal: propose it, or NACK (not
 * proposed: the origin may forward again).  Under mu. */
void node_frame_propose(struct raft_node *n, uint64_t from,
			const uint8_t *data, size_t len)
{
	uint8_t ver;
	uint64_t origin, req;
	if (node_hdr_decode(data, len, &ver, &origin, &req) != 0 ||
	    ver != NODE_HDR_CMD || origin != from)
		return; /* malformed: dropped, the origin times out */
	int rc = RAFT_ERR_NOT_LEADER;
	if (n->st.role == RAFT_LEADER && !n->error)
		rc = raft_propose(n->r, data, len, NULL);
	if (rc != 0) {
		uint8_t nack[8];
		kv_put_u64(nack, req);
		(void)n->net->send(n->net->ctx, from, RAFT_FRAME_PROPOSE_NACK,
				   nack, sizeof nack, false);
	}
}

/* A NACK: the leader did not propose req; it may be forwarded again. */
void node_frame_nack(struct raft_node *n, const uint8_t *data, size_t len)
{
	if (len != 8)
		return;
	uint64_t req = kv_get_u64(data);
	for (struct node_prop *p = n->props; p; p = p->next)
		if (p->req == req && p->state == PROP_FORWARDED) {
			p->state = PROP_QUEUED;
			p->nack_tick = n->ticks + 1;
		}
}

int raft_node_propose(struct raft_node *n, const void *data, size_t len,
		      int *result, uint64_t *aux)
{
	if (len > UINT32_MAX - NODE_HDR_BYTES ||
	    len + NODE_HDR_BYTES > RAFT_LOG_STORE_ENTRY_MAX)
		return RAFT_ERR_TOO_BIG;
	uint8_t *buf = malloc(NODE_HDR_BYTES + len);
	if (!buf)
		return -ENOMEM;
	struct node_prop p = {.kind = PROP_CMD, .buf = buf,
			      .len = NODE_HDR_BYTES + len};
	pthread_mutex_lock(&n->mu);
	p.req = n->next_req++;
	pthread_mutex_unlock(&n->mu);
	node_hdr_encode(buf, NODE_HDR_CMD, n->opts.id, p.req);
	if (len)
		memcpy(buf + NODE_HDR_BYTES, data, len);
	int rc = node_prop_wait(n, &p);
	free(buf);
	if (rc == 0) {
		if (result)
			*result = p.result;
		if (aux)
			*aux = p.aux;
	}
	return rc;
}
