/*
 * read_index.c — linearizable reads without log writes (Raft thesis §6.4).
 *
 * The leader records its commit index as the read index, then confirms it
 * is still leader by a heartbeat round acknowledged by a quorum; only then
 * is the read released.  A new leader serves no read until it has committed
 * an entry of its own term (its commit index may lag the true one until
 * then).  Rounds are numbered: heartbeats carry the newest round, a peer's
 * ack of round k confirms every request of round <= k (it was sent after
 * they began).  Followers forward requests with RAFT_MSG_READ_INDEX.
 */
#include <string.h>

#include "raft/raft_int.h"

void raft_read_state_add(struct raft *r, uint64_t index, uint64_t ctx)
{
	if (r->n_read_states == r->cap_read_states) {
		size_t cap = r->cap_read_states ? 2 * r->cap_read_states : 16;
		r->read_states = raft_xrealloc(r->read_states,
					       cap * sizeof(*r->read_states));
		r->cap_read_states = cap;
	}
	r->read_states[r->n_read_states++] =
		(struct raft_read_state){.index = index, .ctx = ctx};
}

static void release(struct raft *r, const struct raft_read_req *q)
{
	if (q->from == RAFT_NONE || q->from == r->id) {
		raft_read_state_add(r, q->index, q->ctx);
		return;
	}
	struct raft_msg m = {.type = RAFT_MSG_READ_INDEX_RESP,
			     .to = q->from,
			     .term = r->term,
			     .index = q->index,
			     .ctx = q->ctx};
	raft_send(r, &m);
}

/* Forgets pending requests (leadership lost: their callers retry). */
void raft_reads_reset(struct raft *r)
{
	r->reads_start = 0;
	r->reads_n = 0;
	r->read_round = 0;
	for (uint32_t i = 0; i < r->n_prs; i++)
		r->prs[i].read_acked = 0;
}

static bool single_voter(const struct raft *r)
{
	return r->conf.n_voters == 1 && r->conf.voters[0] == r->id;
}

/* Begins a new round for every waiting request and announces it. */
static void start_round(struct raft *r)
{
	r->read_round++;
	for (size_t i = 0; i < r->reads_n; i++) {
		struct raft_read_req *q =
			&r->reads[(r->reads_start + i) % RAFT_READS_MAX];
		if (q->round == 0) {
			q->round = r->read_round;
			q->index = r->log.committed;
		}
	}
	raft_bcast_heartbeat(r);
}

/* Leader: queue a read for ctx from node from (RAFT_NONE: local). */
int raft_read_request(struct raft *r, uint64_t ctx, uint64_t from)
{
	ASSERT(r->role == RAFT_LEADER);
	bool ready = raft_committed_in_term(r);
	if (ready && single_voter(r)) {
		struct raft_read_req q = {.ctx = ctx,
					  .from = from,
					  .index = r->log.committed};
		release(r, &q);
		return 0;
	}
	if (r->reads_n == RAFT_READS_MAX)
		return RAFT_ERR_BUSY;
	struct raft_read_req *q =
		&r->reads[(r->reads_start + r->reads_n) % RAFT_READS_MAX];
	*q = (struct raft_read_req){.ctx = ctx, .from = from};
	r->reads_n++;
	if (ready)
		start_round(r);
	return 0;
}

/* The leader's first commit in its term: start the waiting reads. */
void raft_reads_on_commit(struct raft *r)
{
	if (r->reads_n == 0)
		return;
	if (single_voter(r)) {
		while (r->reads_n > 0) {
			struct raft_read_req *q = &r->reads[r->reads_start];
			q->index = r->log.committed;
			release(r, q);
			r->reads_start = (r->reads_start + 1) % RAFT_READS_MAX;
			r->reads_n--;
		}
		return;
	}
	start_round(r);
}

/* The highest round acknowledged by a quorum of voters (self included). */
static uint64_t confirmed_round(struct raft *r)
{
	uint32_t q = r->conf.n_voters / 2 + 1;
	uint64_t best = 0;
	/* Small sets: for each candidate round count voters at or above. */
	for (uint32_t i = 0; i < r->conf.n_voters; i++) {
		struct raft_progress *pi = raft_pr_find(r, r->conf.voters[i]);
		uint64_t cand = pi == NULL      ? 0
				: pi->id == r->id ? r->read_round
						  : pi->read_acked;
		if (cand <= best)
			continue;
		uint32_t n = 0;
		for (uint32_t j = 0; j < r->conf.n_voters; j++) {
			struct raft_progress *pj =
				raft_pr_find(r, r->conf.voters[j]);
			uint64_t a = pj == NULL ? 0
				     : pj->id == r->id ? r->read_round
						       : pj->read_acked;
			n += a >= cand;
		}
		if (n >= q)
			best = cand;
	}
	return best;
}

void raft_reads_on_ack(struct raft *r)
{
	uint64_t ok = confirmed_round(r);
	while (r->reads_n > 0) {
		struct raft_read_req *q = &r->reads[r->reads_start];
		if (q->round == 0 || q->round > ok)
			break;
		release(r, q);
		r->reads_start = (r->reads_start + 1) % RAFT_READS_MAX;
		r->reads_n--;
	}
}

int raft_read_index(struct raft *r, uint64_t ctx)
{
	ASSERT(!r->in_ready);
	if (r->role == RAFT_LEADER)
		return raft_read_request(r, ctx, RAFT_NONE);
	if (r->role != RAFT_FOLLOWER)
		return RAFT_ERR_NOT_LEADER;
	if (r->lead == RAFT_NONE)
		return RAFT_ERR_NO_LEADER;
	struct raft_msg m = {.type = RAFT_MSG_READ_INDEX,
			     .to = r->lead,
			     .term = r->term,
			     .ctx = ctx};
	raft_send(r, &m);
	return 0;
}
