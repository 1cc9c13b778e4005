/*
 * ready.c — the core's output and the driver's calls that feed the log:
 * outgoing messages, proposals, transfers, and the ready / advance cycle.
 *
 * Persistence ordering (issue 4, "persist before you send"):
 *   - APPEND_RESP and VOTE_RESP go to msgs_after_persist: an ack of entries
 *     leaves only once they (and the truncation they imply) are durable, a
 *     vote only once the term+vote record is;
 *   - a candidate counts its own vote, and a leader its own entries, only in
 *     raft_advance, i.e. after the driver made them durable;
 *   - committed entries handed out are <= the stable index (durable here).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "raft/raft_int.h"

static void msg_free(struct raft_msg *m)
{
	/* entries and their data share one block (see copy_msg). */
	free(m->entries);
	free(m->snapshot.data);
}

void raft_msg_list_free(struct raft_msg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		msg_free(&l->v[i]);
	l->n = 0;
}

static void copy_msg(struct raft_msg *dst, const struct raft_msg *src)
{
	*dst = *src;
	dst->entries = NULL;
	dst->snapshot.data = NULL;
	if (src->n_entries > 0) {
		size_t bytes = 0;
		for (size_t i = 0; i < src->n_entries; i++)
			bytes += src->entries[i].len;
		size_t arr = src->n_entries * sizeof(struct raft_entry);
		void *b = raft_xmalloc(arr + bytes); /* malloc: aligned */
		struct raft_entry *e = b;
		uint8_t *p = (uint8_t *)b + arr;
		for (size_t i = 0; i < src->n_entries; i++) {
			e[i] = src->entries[i];
			e[i].data = NULL;
			if (e[i].len > 0) {
				memcpy(p, src->entries[i].data, e[i].len);
				e[i].data = p;
				p += e[i].len;
			}
		}
		dst->entries = e;
	}
	if (src->snapshot.len > 0) {
		dst->snapshot.data = raft_xmalloc(src->snapshot.len);
		memcpy(dst->snapshot.data, src->snapshot.data,
		       src->snapshot.len);
	}
}

static struct raft_msg *queue_slot(struct raft *r, struct raft_msg *m)
{
	m->from = r->id;
	if (m->term == 0)
		m->term = r->term;
	bool after = m->type == RAFT_MSG_APPEND_RESP ||
		     m->type == RAFT_MSG_VOTE_RESP;
	struct raft_msg_list *l = after ? &r->msgs_after : &r->msgs;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = raft_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	return &l->v[l->n++];
}

/* Queues a copy of m (from and term filled in if unset). */
void raft_send(struct raft *r, struct raft_msg *m)
{
	copy_msg(queue_slot(r, m), m);
}

/*
 * Queues m itself: m->entries must be one block from raft_log_slice (the
 * array followed by the data), which the queue now owns.  Saves copying
 * large entries twice.
 */
void raft_send_owned(struct raft *r, struct raft_msg *m)
{
	ASSERT(m->snapshot.len == 0);
	*queue_slot(r, m) = *m;
	m->entries = NULL;
	m->n_entries = 0;
}

static int append_local(struct raft *r, uint8_t type, const void *data,
			size_t len, uint64_t *index)
{
	if (r->role != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	if (r->transferee != RAFT_NONE)
		return RAFT_ERR_TRANSFERRING;
	if (len > r->cfg.max_entry_bytes)
		return RAFT_ERR_TOO_BIG;
	struct raft_entry e = {
		.term = r->term,
		.index = raft_log_last_index(&r->log) + 1,
		.type = type,
		.len = (uint32_t)len,
		.data = (uint8_t *)data,
	};
	raft_log_append(&r->log, &e, 1);
	if (index != NULL)
		*index = e.index;
	raft_bcast_append(r);
	return 0;
}

int raft_propose(struct raft *r, const void *data, size_t len,
		 uint64_t *index)
{
	ASSERT(!r->in_ready);
	ASSERT(len == 0 || data != NULL);
	return append_local(r, RAFT_ENTRY_NORMAL, data, len, index);
}

int raft_propose_conf_change(struct raft *r, const struct raft_conf_change *cc,
			     uint64_t *index)
{
	ASSERT(!r->in_ready);
	if (r->role != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	if (r->pending_conf_index > r->log.applied)
		return RAFT_ERR_PENDING_CONF;
	int rc = raft_conf_change_check(r, cc);
	if (rc != 0)
		return rc;
	uint8_t buf[RAFT_CONF_CHANGE_BYTES];
	raft_conf_change_encode(cc, buf);
	uint64_t idx;
	rc = append_local(r, RAFT_ENTRY_CONF, buf, sizeof(buf), &idx);
	if (rc != 0)
		return rc;
	r->pending_conf_index = idx;
	if (index != NULL)
		*index = idx;
	return 0;
}

int raft_transfer_leader(struct raft *r, uint64_t target)
{
	ASSERT(!r->in_ready);
	if (r->role != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	if (r->transferee != RAFT_NONE)
		return RAFT_ERR_TRANSFERRING;
	if (target == r->id || !raft_conf_is_voter(&r->conf, target))
		return RAFT_ERR_INVALID;
	struct raft_progress *pr = raft_pr_find(r, target);
	ASSERT(pr != NULL);
	r->transferee = target;
	r->election_elapsed = 0; /* aborted after one election timeout */
	if (pr->match == raft_log_last_index(&r->log)) {
		struct raft_msg m = {.type = RAFT_MSG_TIMEOUT_NOW, .to = target};
		raft_send(r, &m);
	} else {
		raft_send_append(r, pr, true);
	}
	return 0;
}

int raft_compact(struct raft *r, uint64_t index)
{
	if (index > r->log.applied)
		return RAFT_ERR_INVALID;
	struct raft_snapshot s;
	memset(&s, 0, sizeof(s));
	int rc = r->log.st.snapshot(r->log.st.ctx, &s);
	if (rc != 0)
		return rc;
	uint64_t t;
	if (s.meta.index != index ||
	    raft_log_term_at(&r->log, index, &t) != 0 || t != s.meta.term)
		return RAFT_ERR_INVALID;
	if (r->log.st.first_index(r->log.st.ctx) > index + 1)
		return RAFT_ERR_INVALID; /* entries after it must remain */
	return 0;
}

/* Range of committed entries that may be applied now: durable ones only. */
static uint64_t apply_hi(const struct raft *r)
{
	if (r->log.has_snap)
		return r->log.applied;
	uint64_t s = raft_log_stable_index(&r->log);
	return r->log.committed < s ? r->log.committed : s;
}

static bool hs_changed(const struct raft *r)
{
	return r->term != r->persisted_hs.term ||
	       r->vote != r->persisted_hs.vote ||
	       r->log.committed != r->persisted_hs.commit;
}

bool raft_has_ready(const struct raft *r)
{
	return hs_changed(r) || r->log.has_snap || r->log.n_unstable > 0 ||
	       r->msgs.n > 0 || r->msgs_after.n > 0 ||
	       r->n_read_states > 0 || apply_hi(r) > r->log.applied;
}

void raft_ready(struct raft *r, struct raft_ready *rd)
{
	ASSERT(!r->in_ready);
	memset(rd, 0, sizeof(*rd));
	r->in_ready = true;
	rd->role = r->role;
	rd->leader = r->lead;
	if (hs_changed(r)) {
		rd->has_hard_state = true;
		rd->hs = (struct raft_hard_state){.term = r->term,
						  .vote = r->vote,
						  .commit = r->log.committed};
	}
	if (r->log.has_snap) {
		rd->has_snapshot = true;
		rd->snapshot = r->log.snap;
	}
	rd->entries = r->log.unstable;
	rd->n_entries = r->log.n_unstable;
	rd->msgs = r->msgs.v;
	rd->n_msgs = r->msgs.n;
	rd->msgs_after_persist = r->msgs_after.v;
	rd->n_msgs_after_persist = r->msgs_after.n;
	rd->read_states = r->read_states;
	rd->n_read_states = r->n_read_states;
	uint64_t hi = apply_hi(r);
	r->ready_applied_to = r->log.applied;
	if (hi > r->log.applied) {
		uint64_t max = r->cfg.max_committed_bytes
				       ? r->cfg.max_committed_bytes
				       : UINT64_MAX;
		int rc = raft_log_slice(&r->log, r->log.applied + 1, hi + 1,
					max, &rd->committed, &rd->n_committed,
					&r->ready_block);
		ASSERT(rc == 0); /* committed, durable entries are in storage */
		r->ready_applied_to = r->log.applied + rd->n_committed;
		/* Only committed entries that are durable here are applied. */
		ASSERT(rd->n_committed > 0 &&
		       rd->committed[0].index == r->log.applied + 1 &&
		       r->ready_applied_to <= hi);
	}
}

static void apply_conf_entries(struct raft *r, const struct raft_ready *rd)
{
	for (size_t i = 0; i < rd->n_committed; i++) {
		const struct raft_entry *e = &rd->committed[i];
		if (e->type != RAFT_ENTRY_CONF)
			continue;
		struct raft_conf_change cc;
		if (raft_conf_change_decode(e->data, e->len, &cc) == 0)
			raft_conf_change_apply(r, &cc);
		else
			raft_logf(r, 3, "node %llu: bad conf entry %llu",
				  (unsigned long long)r->id,
				  (unsigned long long)e->index);
	}
}

void raft_advance(struct raft *r, struct raft_ready *rd)
{
	ASSERT(r->in_ready);
	r->in_ready = false;
	if (rd->has_hard_state) {
		/* Term and commit never move back in the durable record. */
		ASSERT(rd->hs.term >= r->persisted_hs.term);
		ASSERT(rd->hs.commit >= r->persisted_hs.commit);
		r->persisted_hs = rd->hs;
	}
	if (rd->has_snapshot) {
		ASSERT(r->log.has_snap);
		free(r->log.snap.data);
		r->log.snap.data = NULL;
		r->log.has_snap = false;
		if (r->log.snap.meta.index > r->log.applied)
			r->log.applied = r->log.snap.meta.index;
	}
	raft_log_stable_to(&r->log, rd->n_entries);
	raft_msg_list_free(&r->msgs);
	raft_msg_list_free(&r->msgs_after);
	r->n_read_states = 0;
	/* Applying: commit never moves back, applied follows it. */
	ASSERT(r->ready_applied_to <= r->log.committed);
	r->log.applied = r->ready_applied_to > r->log.applied
				 ? r->ready_applied_to
				 : r->log.applied;
	ASSERT(r->log.applied <= r->log.committed);
	apply_conf_entries(r, rd);
	free(r->ready_block);
	r->ready_block = NULL;
	memset(rd, 0, sizeof(*rd));
	raft_count_own_vote(r);
	raft_leader_self_durable(r);
}
