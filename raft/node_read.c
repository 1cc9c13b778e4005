/*
 * node_read.c — linearizable read barriers over the core's ReadIndex (Raft
 * thesis §6.4).
 *
 * A barrier waits for a round: the driver issues one raft_read_index with a
 * fresh ctx for every barrier that arrived since the last round was issued
 * (so they share it), and the core answers with a read state {index, ctx}
 * once the leader has confirmed its leadership with a quorum.  The barrier
 * returns once this node has applied up to that index.  A round can be lost
 * (leader change, dropped message): one unanswered for an election timeout
 * is issued again for its waiters.  No answer by the caller's timeout:
 * RAFT_NODE_EUNAVAILABLE (a read has no side effect to be unsure about).
 */
#include <errno.h>
#include <time.h>

#include "raft/node_int.h"

/* Issues a round for every barrier without one (or with a stale one).
 * Driver, under mu. */
void node_reads_drive(struct raft_node *n)
{
	if (n->error)
		return;
	bool need = false;
	for (struct node_read *q = n->reads; q; q = q->next) {
		if (q->done || q->has_index)
			continue;
		if (q->round != 0 &&
		    n->ticks - q->tick >= n->opts.election_ticks)
			q->round = 0; /* unanswered: ask again */
		need |= q->round == 0;
	}
	if (!need)
		return;
	uint64_t ctx = n->read_ctx + 1;
	if (raft_read_index(n->r, ctx) != 0)
		return; /* no leader yet, or busy: retried next pass */
	n->read_ctx = ctx;
	for (struct node_read *q = n->reads; q; q = q->next) {
		if (!q->done && !q->has_index && q->round == 0) {
			q->round = ctx;
			q->tick = n->ticks;
		}
	}
}

/*
 * The leader or term changed: a round still unanswered was most likely
 * sent to a leader that is gone, and waiting out an election timeout
 * before asking the new one would add up to a second to every read after
 * a failover.  Ask again now; an answer to the old round, should one still
 * come, no longer matches and is ignored.  Driver, under mu.
 */
void node_reads_on_leader_change(struct raft_node *n)
{
	for (struct node_read *q = n->reads; q; q = q->next)
		if (!q->done && !q->has_index)
			q->round = 0;
}

void node_reads_on_state(struct raft_node *n,
			 const struct raft_read_state *rs)
{
	for (struct node_read *q = n->reads; q; q = q->next) {
		if (!q->done && !q->has_index && q->round == rs->ctx) {
			q->index = rs->index;
			q->has_index = true;
		}
	}
}

/* Releases every barrier whose index is applied.  Under mu. */
void node_reads_complete(struct raft_node *n)
{
	for (struct node_read *q = n->reads; q; q = q->next) {
		if (!q->done && q->has_index && n->applied >= q->index) {
			q->done = true;
			q->rc = 0;
		}
	}
}

void node_reads_fail_all(struct raft_node *n, int rc)
{
	for (struct node_read *q = n->reads; q; q = q->next) {
		if (!q->done) {
			q->done = true;
			q->rc = rc;
		}
	}
}

int raft_node_read_barrier(struct raft_node *n)
{
	struct node_read q = {0};
	pthread_mutex_lock(&n->mu);
	if (n->stopping || n->error) {
		int rc = n->error ? RAFT_NODE_EFAILED : RAFT_NODE_ESTOPPED;
		pthread_mutex_unlock(&n->mu);
		return rc;
	}
	n->callers++;
	q.next = n->reads;
	if (n->reads)
		n->reads->prev = &q;
	n->reads = &q;
	n->kick = true;
	pthread_cond_signal(&n->wake);
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	unsigned ms = n->opts.propose_timeout_ms;
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	/* Bounded: ends at the deadline at the latest. */
	while (!q.done) {
		if (pthread_cond_timedwait(&n->done, &n->mu, &dl) ==
			    ETIMEDOUT &&
		    !q.done) {
			q.done = true;
			q.rc = RAFT_NODE_EUNAVAILABLE;
		}
	}
	if (q.prev)
		q.prev->next = q.next;
	else
		n->reads = q.next;
	if (q.next)
		q.next->prev = q.prev;
	n->callers--;
	if (n->stopping)
		pthread_cond_broadcast(&n->done);
	pthread_mutex_unlock(&n->mu);
	return q.rc;
}
