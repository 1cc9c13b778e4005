/*
 * replication.c — log replication (Raft §5.3), the commit rule (§5.4.2),
 * snapshots (§7), and both sides of AppendEntries / heartbeats.
 *
 * Leader: sends APPENDs bounded by max_msg_bytes and the per-peer flow
 * control in progress.c; counts its own entries only once durable
 * (raft_leader_self_durable, from advance); commits by counting only entries
 * of its current term.  Follower: accepts a matching APPEND, truncating only
 * a conflicting suffix (never a longer matching log), and answers after the
 * entries are durable (msgs_after_persist).
 */
#include <stdlib.h>
#include <string.h>

#include "raft/raft_int.h"

static bool send_snapshot(struct raft *r, struct raft_progress *pr)
{
	struct raft_snapshot s;
	memset(&s, 0, sizeof(s));
	int rc = r->log.st.snapshot(r->log.st.ctx, &s);
	if (rc != 0 || s.meta.index == 0) {
		raft_logf(r, 2, "node %llu: no snapshot for %llu: %s",
			  (unsigned long long)r->id,
			  (unsigned long long)pr->id, raft_strerror(rc));
		return false;
	}
	struct raft_msg m = {
		.type = RAFT_MSG_SNAPSHOT,
		.to = pr->id,
		.term = r->term,
		.snapshot = s, /* raft_send copies the data */
	};
	raft_send(r, &m);
	raft_pr_become_snapshot(pr, s.meta.index);
	return true;
}

/*
 * Sends pr the next APPEND if flow control allows (or a snapshot if its
 * next entry is compacted).  Returns true if something was sent.
 */
bool raft_send_append(struct raft *r, struct raft_progress *pr,
		      bool send_if_empty)
{
	ASSERT(r->role == RAFT_LEADER && pr->id != r->id);
	if (raft_pr_is_paused(pr, &r->cfg))
		return false;
	uint64_t last = raft_log_last_index(&r->log);
	uint64_t prev = pr->next - 1, prev_term = 0;
	if (raft_log_term_at(&r->log, prev, &prev_term) != 0)
		return send_snapshot(r, pr);
	struct raft_msg m = {
		.type = RAFT_MSG_APPEND,
		.to = pr->id,
		.term = r->term,
		.index = prev,
		.log_term = prev_term,
		.commit = r->log.committed,
	};
	void *blk = NULL;
	if (pr->next <= last) {
		int rc = raft_log_slice(&r->log, pr->next, last + 1,
					r->cfg.max_msg_bytes, &m.entries,
					&m.n_entries, &blk);
		if (rc == RAFT_ERR_COMPACTED)
			return send_snapshot(r, pr);
		ASSERT(rc == 0); /* storage failures are the driver's bug */
	}
	if (m.n_entries == 0 && !send_if_empty) {
		free(blk);
		return false;
	}
	uint64_t bytes = 0, sent_last = prev + m.n_entries;
	for (size_t i = 0; i < m.n_entries; i++)
		bytes += m.entries[i].len;
	ASSERT(blk == NULL || (void *)m.entries == blk);
	if (m.n_entries > 0) {
		raft_send_owned(r, &m); /* the block moves into the queue */
	} else {
		raft_send(r, &m);
		free(blk);
	}
	if (pr->state == RAFT_PROGRESS_REPLICATE) {
		if (sent_last > prev) {
			pr->next = sent_last + 1; /* optimistic: pipelined */
			raft_pr_infl_add(pr, sent_last, bytes);
		}
	} else {
		pr->probe_sent = true;
	}
	return true;
}

void raft_bcast_append(struct raft *r)
{
	for (uint32_t i = 0; i < r->n_prs; i++)
		if (r->prs[i].id != r->id)
			raft_send_append(r, &r->prs[i], true);
}

void raft_bcast_heartbeat(struct raft *r)
{
	for (uint32_t i = 0; i < r->n_prs; i++) {
		struct raft_progress *pr = &r->prs[i];
		if (pr->id == r->id)
			continue;
		/* Never tell a follower to commit past what it may hold. */
		uint64_t c = r->log.committed < pr->match ? r->log.committed
							   : pr->match;
		struct raft_msg m = {
			.type = RAFT_MSG_HEARTBEAT,
			.to = pr->id,
			.term = r->term,
			.commit = c,
			.ctx = r->read_round,
		};
		raft_send(r, &m);
	}
}

/*
 * §5.4.2: commit the quorum's match index only if it is of the current
 * term; earlier-term entries commit indirectly.  Returns true if commit moved.
 */
bool raft_maybe_commit(struct raft *r)
{
	uint64_t q = raft_quorum_match(r);
	if (q <= r->log.committed)
		return false;
	uint64_t t;
	if (raft_log_term_at(&r->log, q, &t) != 0 || t != r->term)
		return false;
	bool first_in_term = !raft_committed_in_term(r);
	/* The leader's own vote in the quorum is for durable entries only. */
	ASSERT(raft_pr_find(r, r->id) == NULL ||
	       raft_pr_find(r, r->id)->match <= raft_log_stable_index(&r->log));
	raft_log_commit_to(&r->log, q);
	if (first_in_term)
		raft_reads_on_commit(r);
	return true;
}

/* advance(): the leader's own entries up to the stable index are durable. */
void raft_leader_self_durable(struct raft *r)
{
	if (r->role != RAFT_LEADER)
		return;
	struct raft_progress *self = raft_pr_find(r, r->id);
	if (self == NULL)
		return; /* removed, stepping down */
	raft_pr_maybe_update(self, raft_log_stable_index(&r->log));
	if (raft_maybe_commit(r))
		raft_bcast_append(r);
}

static void maybe_send_timeout_now(struct raft *r, struct raft_progress *pr)
{
	if (r->transferee != pr->id ||
	    pr->match != raft_log_last_index(&r->log))
		return;
	struct raft_msg m = {.type = RAFT_MSG_TIMEOUT_NOW,
			     .to = pr->id,
			     .term = r->term};
	raft_send(r, &m);
}

static void append_rejected(struct raft *r, struct raft_progress *pr,
			    const struct raft_msg *m)
{
	/*
	 * Fast backtracking: the follower's hint (index, term) lets us skip
	 * to the last index of ours whose term is <= hint term.
	 */
	uint64_t next_probe = m->reject_hint;
	if (m->log_term > 0) {
		uint64_t t;
		raft_log_find_conflict_by_term(&r->log, m->reject_hint,
					       m->log_term, &next_probe, &t);
	}
	if (!raft_pr_maybe_decr_to(pr, m->index, next_probe))
		return;
	if (pr->state == RAFT_PROGRESS_REPLICATE)
		raft_pr_become_probe(pr);
	raft_send_append(r, pr, true);
}

void raft_leader_append_resp(struct raft *r, const struct raft_msg *m)
{
	struct raft_progress *pr = raft_pr_find(r, m->from);
	if (pr == NULL)
		return;
	pr->recent_active = true;
	if (m->reject) {
		append_rejected(r, pr, m);
		return;
	}
	if (m->index > raft_log_last_index(&r->log))
		return; /* cannot ack what we never sent: ignore */
	bool old_paused = raft_pr_is_paused(pr, &r->cfg);
	if (!raft_pr_maybe_update(pr, m->index))
		return;
	switch (pr->state) {
	case RAFT_PROGRESS_PROBE:
		raft_pr_become_replicate(pr);
		break;
	case RAFT_PROGRESS_SNAPSHOT:
		if (pr->match >= pr->pending_snapshot) {
			raft_pr_become_probe(pr);
			raft_pr_become_replicate(pr);
		}
		break;
	case RAFT_PROGRESS_REPLICATE:
		raft_pr_infl_free_le(pr, m->index);
		break;
	}
	if (raft_maybe_commit(r)) {
		raft_bcast_append(r);
	} else if (old_paused) {
		raft_send_append(r, pr, false);
	}
	/* Fill the pipeline while flow control allows (bounded by it). */
	for (uint32_t i = 0; i <= r->cfg.max_inflight_msgs; i++)
		if (!raft_send_append(r, pr, false))
			break;
	maybe_send_timeout_now(r, pr);
}

void raft_leader_heartbeat_resp(struct raft *r, const struct raft_msg *m)
{
	struct raft_progress *pr = raft_pr_find(r, m->from);
	if (pr == NULL)
		return;
	pr->recent_active = true;
	pr->probe_sent = false;
	if (pr->state == RAFT_PROGRESS_REPLICATE &&
	    pr->infl_count >= pr->infl_cap)
		raft_pr_infl_free_first(pr);
	/* A lost APPEND is resent: an empty one makes a gap visible. */
	if (pr->match < raft_log_last_index(&r->log))
		raft_send_append(r, pr, true);
	if (m->ctx > pr->read_acked && m->ctx <= r->read_round) {
		pr->read_acked = m->ctx;
		raft_reads_on_ack(r);
	}
}

static void reply_append(struct raft *r, const struct raft_msg *m,
			 uint64_t index)
{
	struct raft_msg resp = {.type = RAFT_MSG_APPEND_RESP,
				.to = m->from,
				.term = r->term,
				.index = index};
	raft_send(r, &resp);
}

void raft_handle_append(struct raft *r, const struct raft_msg *m)
{
	struct raft_log *l = &r->log;
	if (m->index < l->committed) {
		/* A late APPEND: everything up to commit is ours already. */
		reply_append(r, m, l->committed);
		return;
	}
	if (raft_log_match_term(l, m->index, m->log_term)) {
		uint64_t lastnew = m->index + m->n_entries;
		uint64_t ci = raft_log_find_conflict(l, m->entries,
						     m->n_entries);
		if (ci != 0) {
			/* §5.3: never truncate what is committed. */
			if (ci <= l->committed) {
				raft_logf(r, 3, "node %llu: conflict at %llu "
					  "<= commit %llu: ignored",
					  (unsigned long long)r->id,
					  (unsigned long long)ci,
					  (unsigned long long)l->committed);
				return;
			}
			size_t from = (size_t)(ci - (m->index + 1));
			raft_log_append(l, m->entries + from,
					m->n_entries - from);
		}
		/* §5.3 rule 5: commit = min(leaderCommit, last new entry). */
		raft_log_commit_to(l, m->commit < lastnew ? m->commit
							  : lastnew);
		reply_append(r, m, lastnew);
		return;
	}
	uint64_t hint_index, hint_term;
	raft_log_find_conflict_by_term(l, m->index, m->log_term, &hint_index,
				       &hint_term);
	struct raft_msg resp = {.type = RAFT_MSG_APPEND_RESP,
				.to = m->from,
				.term = r->term,
				.index = m->index,
				.reject = 1,
				.reject_hint = hint_index,
				.log_term = hint_term};
	raft_send(r, &resp);
}

void raft_handle_heartbeat(struct raft *r, const struct raft_msg *m)
{
	uint64_t c = m->commit;
	uint64_t last = raft_log_last_index(&r->log);
	raft_log_commit_to(&r->log, c < last ? c : last);
	struct raft_msg resp = {.type = RAFT_MSG_HEARTBEAT_RESP,
				.to = m->from,
				.term = r->term,
				.ctx = m->ctx};
	raft_send(r, &resp);
}

/* §7 InstallSnapshot, receiver side. */
void raft_handle_snapshot(struct raft *r, const struct raft_msg *m)
{
	const struct raft_snapshot_meta *sm = &m->snapshot.meta;
	struct raft_log *l = &r->log;
	if (sm->index <= l->committed) {
		reply_append(r, m, l->committed);
		return;
	}
	if (raft_log_match_term(l, sm->index, sm->term)) {
		/* We hold the snapshot's last entry: keep the suffix (§7). */
		raft_log_commit_to(l, sm->index);
		reply_append(r, m, sm->index);
		return;
	}
	if (sm->conf.n_voters > RAFT_NODES_MAX ||
	    sm->conf.n_learners > RAFT_NODES_MAX || sm->index == 0)
		return;
	raft_logf(r, 1, "node %llu: restoring snapshot %llu term %llu",
		  (unsigned long long)r->id, (unsigned long long)sm->index,
		  (unsigned long long)sm->term);
	raft_log_restore(l, &m->snapshot);
	raft_conf_set(r, &sm->conf);
	reply_append(r, m, sm->index);
}
