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
 *
 * Leader lease (opts.lease_reads, thesis §6.4.1): when a round this node
 * began at monotonic time T as leader is confirmed, no other leader can
 * exist before T + (election_ticks - 1) ticks (see node.h), so until
 * T + lease_ms a read on the leader takes its commit index at once, no
 * round: the state it reads is the newest committed state at that moment.
 * While reads keep coming the driver renews the lease with a round of its
 * own once half of it is gone, so busy leaders never wait for one.  The
 * lease is won only if no transfer or conf change (lease_epoch) happened
 * since T and the term is unchanged, and it is dropped by either.
 * Followers' reads still take a round at the leader.
 */
#include <errno.h>
#include <time.h>

#include "raft/node_int.h"

/* Under mu. */
static void read_finish(struct node_read *q, int rc)
{
	q->done = true;
	q->rc = rc;
	pthread_cond_signal(&q->cv);
}

static bool lease_holds(const struct raft_node *n, uint64_t now)
{
	return n->lease_ms && n->st.role == RAFT_LEADER &&
	       n->st.hs.term == n->lease_term &&
	       n->lease_valid_epoch == n->lease_epoch &&
	       now < n->lease_until_ms;
}

/* Under mu. */
uint64_t node_lease_left(struct raft_node *n)
{
	uint64_t now = node_now_ms();
	return lease_holds(n, now) ? n->lease_until_ms - now : 0;
}

/* A transfer or conf change: no read may rely on the lease from now on,
 * nor on one won by a round begun before.  Under mu. */
void node_lease_drop(struct raft_node *n)
{
	n->lease_epoch++;
	n->lease_until_ms = 0;
}

/* Renew before the lease runs out, if it serves reads and no round is
 * already out (one unanswered for an election timeout counts as lost). */
static bool lease_wants_round(const struct raft_node *n, uint64_t now)
{
	if (!n->lease_ms || !n->lease_used || n->st.role != RAFT_LEADER)
		return false;
	if (!n->round_answered &&
	    n->ticks - n->round_tick < n->opts.election_ticks)
		return false;
	return !lease_holds(n, now) ||
	       n->lease_until_ms - now < n->lease_ms / 2;
}

/* Issues a round for every barrier without one (or with a stale one), or
 * to renew the lease.  Driver, under mu. */
void node_reads_drive(struct raft_node *n)
{
	if (n->error)
		return;
	uint64_t now = node_now_ms();
	bool need = lease_wants_round(n, now);
	for (struct node_read *q = n->reads; q; q = q->next) {
		if (q->done || q->has_index)
			continue;
		if (node_leaderless(n, q->queued_tick)) {
			n->failed_leaderless++;
			read_finish(q, RAFT_NODE_EUNAVAILABLE);
			continue;
		}
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
	n->round_ms = now; /* before the round's heartbeats leave */
	n->round_tick = n->ticks;
	n->round_term = n->st.hs.term;
	n->round_epoch = n->lease_epoch;
	n->round_answered = false;
	n->read_rounds++;
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
	if (rs->ctx == n->read_ctx && !n->round_answered) {
		n->round_answered = true;
		/* Confirmed by a quorum as leader of round_term, so this
		 * node's: the lease runs from the round's start. */
		if (n->lease_ms && n->st.role == RAFT_LEADER &&
		    n->st.hs.term == n->round_term &&
		    n->lease_epoch == n->round_epoch) {
			n->lease_until_ms = n->round_ms + n->lease_ms;
			n->lease_term = n->round_term;
			n->lease_valid_epoch = n->round_epoch;
			n->lease_used = false;
		}
	}
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
		if (!q->done && q->has_index && n->applied >= q->index)
			read_finish(q, 0);
	}
}

void node_reads_fail_all(struct raft_node *n, int rc)
{
	for (struct node_read *q = n->reads; q; q = q->next) {
		if (!q->done)
			read_finish(q, rc);
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
	if (lease_holds(n, node_now_ms())) {
		n->lease_used = true;
		n->reads_by_lease++;
		q.index = n->st.hs.commit;
		q.has_index = true;
		if (n->applied >= q.index) {
			pthread_mutex_unlock(&n->mu);
			return 0;
		}
	}
	n->callers++;
	node_waiter_cv_init(&q.cv);
	q.queued_tick = n->ticks;
	q.next = n->reads;
	if (n->reads)
		n->reads->prev = &q;
	n->reads = &q;
	if (!q.has_index) {
		n->kick = true;
		pthread_cond_signal(&n->wake);
	}
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
		if (pthread_cond_timedwait(&q.cv, &n->mu, &dl) ==
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
	pthread_cond_destroy(&q.cv);
	return q.rc;
}
