/*
 * raft.c — the node: lifecycle, roles, ticks, elections (Raft §5.2, pre-vote
 * thesis §9.6, check-quorum and leader lease thesis §6.2) and the dispatch
 * of incoming messages by term (§5.1).  Replication is in replication.c,
 * reads in read_index.c, membership in confchange.c, output in ready.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/raft_int.h"

void *raft_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	ASSERT(p != NULL); /* the pure core cannot unwind a half step */
	return p;
}

void *raft_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	ASSERT(q != NULL);
	return q;
}

void raft_logf(const struct raft *r, int level, const char *fmt, ...)
{
	if (r->cfg.log == NULL)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->cfg.log(r->cfg.log_ctx, level, line);
}

/* splitmix64: the only randomness, seeded from the config. */
static uint64_t rng_next(struct raft *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* §5.2: a fresh timeout in [election_tick, 2 * election_tick). */
static void reset_timers(struct raft *r)
{
	r->election_elapsed = 0;
	r->heartbeat_elapsed = 0;
	r->randomized_timeout =
		r->cfg.election_tick +
		(unsigned)(rng_next(r) % r->cfg.election_tick);
}

bool raft_promotable(const struct raft *r)
{
	return raft_conf_is_voter(&r->conf, r->id) && !r->log.has_snap;
}

bool raft_committed_in_term(const struct raft *r)
{
	uint64_t t;
	return raft_log_term_at(&r->log, r->log.committed, &t) == 0 &&
	       t == r->term;
}

static int check_config(const struct raft_config *c)
{
	if (c->id == RAFT_NONE || c->election_tick < 2 ||
	    c->heartbeat_tick == 0 || c->heartbeat_tick >= c->election_tick ||
	    c->max_inflight_msgs == 0 || c->max_msg_bytes == 0 ||
	    (c->lease_guard && !c->check_quorum))
		return RAFT_ERR_INVALID;
	return 0;
}

int raft_new(const struct raft_config *cfg, const struct raft_storage *st,
	     struct raft **out)
{
	int rc = check_config(cfg);
	if (rc != 0)
		return rc;
	struct raft *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->cfg = *cfg;
	if (r->cfg.max_entry_bytes == 0)
		r->cfg.max_entry_bytes = RAFT_ENTRY_BYTES_DEFAULT;
	r->id = cfg->id;
	r->rng = cfg->seed ^ (cfg->id * 0x9e3779b97f4a7c15ull);
	struct raft_hard_state hs;
	struct raft_conf_state cs;
	memset(&hs, 0, sizeof(hs));
	memset(&cs, 0, sizeof(cs));
	rc = st->initial_state(st->ctx, &hs, &cs);
	if (rc == 0)
		rc = raft_log_init(&r->log, st);
	if (rc == 0 && (cs.n_voters > RAFT_NODES_MAX ||
			cs.n_learners > RAFT_NODES_MAX))
		rc = RAFT_ERR_CORRUPT;
	uint64_t last = rc == 0 ? raft_log_last_index(&r->log) : 0;
	if (rc == 0 && (hs.commit > last || cfg->applied > last ||
			cfg->applied + 1 < raft_log_first_index(&r->log)))
		rc = RAFT_ERR_CORRUPT;
	r->reads = calloc(RAFT_READS_MAX, sizeof(*r->reads));
	if (rc == 0 && r->reads == NULL)
		rc = -ENOMEM;
	if (rc != 0) {
		raft_log_free(&r->log);
		free(r->reads);
		free(r);
		return rc;
	}
	r->term = hs.term;
	r->vote = hs.vote;
	if (hs.commit > r->log.committed)
		r->log.committed = hs.commit;
	if (cfg->applied > r->log.applied)
		r->log.applied = cfg->applied;
	if (r->log.applied > r->log.committed)
		r->log.committed = r->log.applied; /* applied implies committed */
	r->persisted_hs = hs;
	raft_conf_set(r, &cs);
	raft_become_follower(r, r->term, RAFT_NONE);
	raft_logf(r, 1, "node %llu start term %llu commit %llu applied %llu",
		  (unsigned long long)r->id, (unsigned long long)r->term,
		  (unsigned long long)r->log.committed,
		  (unsigned long long)r->log.applied);
	*out = r;
	return 0;
}

void raft_free(struct raft *r)
{
	if (r == NULL)
		return;
	for (uint32_t i = 0; i < r->n_prs; i++)
		raft_pr_free(&r->prs[i]);
	raft_log_free(&r->log);
	raft_msg_list_free(&r->msgs);
	raft_msg_list_free(&r->msgs_after);
	free(r->msgs.v);
	free(r->msgs_after.v);
	free(r->read_states);
	free(r->reads);
	free(r->ready_block);
	free(r);
}

static void reset_term(struct raft *r, uint64_t term)
{
	if (r->term != term) {
		ASSERT(term > r->term);
		r->term = term;
		r->vote = RAFT_NONE;
	}
	r->lead = RAFT_NONE;
	memset(r->votes, 0, sizeof(r->votes));
	r->self_vote_pending = false;
	r->transferee = RAFT_NONE;
	reset_timers(r);
	raft_reads_reset(r);
}

void raft_become_follower(struct raft *r, uint64_t term, uint64_t lead)
{
	reset_term(r, term);
	r->lead = lead;
	r->role = RAFT_FOLLOWER;
}

static void become_pre_candidate(struct raft *r)
{
	ASSERT(r->role != RAFT_LEADER);
	/* Pre-vote changes neither term nor vote (thesis §9.6). */
	memset(r->votes, 0, sizeof(r->votes));
	r->self_vote_pending = false;
	r->lead = RAFT_NONE;
	r->role = RAFT_PRE_CANDIDATE;
}

static void become_candidate(struct raft *r)
{
	ASSERT(r->role != RAFT_LEADER);
	reset_term(r, r->term + 1);
	r->vote = r->id;
	/* Counted only once the term+vote record is durable (advance). */
	r->self_vote_pending = true;
	r->role = RAFT_CANDIDATE;
}

static void become_leader(struct raft *r)
{
	ASSERT(r->role == RAFT_CANDIDATE);
	reset_term(r, r->term);
	r->lead = r->id;
	r->role = RAFT_LEADER;
	raft_prs_reset(r);
	/* §8 / thesis §6.4: a no-op entry starts the term. */
	struct raft_entry noop = {
		.term = r->term,
		.index = raft_log_last_index(&r->log) + 1,
		.type = RAFT_ENTRY_NORMAL,
	};
	raft_log_append(&r->log, &noop, 1);
	/*
	 * No conf change until everything up to the no-op is applied: a leader
	 * must commit in its term before changing membership (thesis §4.1,
	 * Ongaro's 2015 single-server fix).
	 */
	r->pending_conf_index = noop.index;
	raft_logf(r, 1, "node %llu became leader at term %llu",
		  (unsigned long long)r->id, (unsigned long long)r->term);
	raft_bcast_append(r);
}

static int vote_slot(const struct raft *r, uint64_t id)
{
	for (uint32_t i = 0; i < r->conf.n_voters; i++)
		if (r->conf.voters[i] == id)
			return (int)i;
	return -1;
}

/* Records a vote; returns +1 won, -1 lost, 0 pending. */
static int poll(struct raft *r, uint64_t id, bool granted)
{
	int s = vote_slot(r, id);
	if (s >= 0 && r->votes[s] == 0)
		r->votes[s] = granted ? 1 : 2;
	uint32_t yes = 0, no = 0, q = r->conf.n_voters / 2 + 1;
	for (uint32_t i = 0; i < r->conf.n_voters; i++) {
		yes += r->votes[i] == 1;
		no += r->votes[i] == 2;
	}
	if (yes >= q)
		return 1;
	if (no >= q)
		return -1;
	return 0;
}

/*
 * Refuse to campaign with committed but unapplied conf changes: our
 * configuration could be two changes behind (see confchange.c).
 */
static bool has_unapplied_conf(const struct raft *r)
{
	const struct raft_log *l = &r->log;
	uint64_t lo = l->applied + 1, hi = l->committed + 1;
	if (lo >= hi)
		return false;
	if (lo < raft_log_first_index(l))
		return true; /* compacted: cannot tell, be safe */
	/*
	 * Stable part: look at types only, in chunks, without copying data
	 * (storage data pointers are borrowed, raft.h); copying every entry
	 * made each election timeout cost O(unapplied bytes).
	 */
	uint64_t shi = hi < l->offset ? hi : l->offset;
	while (lo < shi) {
		struct raft_entry chunk[64];
		uint64_t end = shi - lo > 64 ? lo + 64 : shi;
		size_t n = 0;
		if (l->st.entries(l->st.ctx, lo, end, UINT64_MAX, chunk, &n) ||
		    n == 0 || n > end - lo)
			return true;
		for (size_t i = 0; i < n; i++)
			if (chunk[i].type == RAFT_ENTRY_CONF)
				return true;
		lo += n;
	}
	for (; lo < hi; lo++)
		if (l->unstable[lo - l->offset].type == RAFT_ENTRY_CONF)
			return true;
	return false;
}

static void send_votes(struct raft *r, uint8_t type, uint64_t term,
		       bool transfer)
{
	for (uint32_t i = 0; i < r->conf.n_voters; i++) {
		uint64_t to = r->conf.voters[i];
		if (to == r->id)
			continue;
		struct raft_msg m = {
			.type = type,
			.to = to,
			.term = term,
			.index = raft_log_last_index(&r->log),
			.log_term = raft_log_last_term(&r->log),
			.transfer = transfer,
		};
		raft_send(r, &m);
	}
}

static void campaign_vote(struct raft *r, bool transfer)
{
	become_candidate(r);
	send_votes(r, RAFT_MSG_VOTE, r->term, transfer);
}

static void campaign(struct raft *r, bool transfer)
{
	if (!raft_promotable(r) || r->role == RAFT_LEADER)
		return;
	if (has_unapplied_conf(r)) {
		raft_logf(r, 1, "node %llu: unapplied conf change, no campaign",
			  (unsigned long long)r->id);
		return;
	}
	if (r->cfg.pre_vote && !transfer) {
		become_pre_candidate(r);
		/* Own pre-vote needs no persistence: nothing changes. */
		if (poll(r, r->id, true) == 1) {
			campaign_vote(r, false);
			return;
		}
		send_votes(r, RAFT_MSG_PREVOTE, r->term + 1, false);
		return;
	}
	campaign_vote(r, transfer);
}

void raft_campaign(struct raft *r)
{
	ASSERT(!r->in_ready);
	campaign(r, false);
}

/* Called from advance once the candidate's term+vote are durable. */
void raft_count_own_vote(struct raft *r)
{
	if (r->role != RAFT_CANDIDATE || !r->self_vote_pending)
		return;
	if (r->persisted_hs.term != r->term || r->persisted_hs.vote != r->id)
		return;
	r->self_vote_pending = false;
	if (poll(r, r->id, true) == 1)
		become_leader(r);
}

static void tick_leader(struct raft *r)
{
	r->heartbeat_elapsed++;
	r->election_elapsed++;
	if (r->election_elapsed >= r->cfg.election_tick) {
		r->election_elapsed = 0;
		if (r->cfg.check_quorum) {
			/* Thesis §6.2: step down without quorum contact. */
			uint32_t active = 0;
			for (uint32_t i = 0; i < r->n_prs; i++) {
				struct raft_progress *pr = &r->prs[i];
				if (!pr->learner &&
				    (pr->recent_active || pr->id == r->id))
					active++;
				if (pr->id != r->id)
					pr->recent_active = false;
			}
			if (active < r->conf.n_voters / 2 + 1) {
				raft_logf(r, 1, "node %llu: lost quorum",
					  (unsigned long long)r->id);
				raft_become_follower(r, r->term, RAFT_NONE);
				return;
			}
		}
		r->transferee = RAFT_NONE; /* a transfer that timed out */
		/* A snapshot that never arrived: probe again. */
		for (uint32_t i = 0; i < r->n_prs; i++)
			if (r->prs[i].state == RAFT_PROGRESS_SNAPSHOT)
				raft_pr_become_probe(&r->prs[i]);
	}
	if (r->heartbeat_elapsed >= r->cfg.heartbeat_tick) {
		r->heartbeat_elapsed = 0;
		raft_bcast_heartbeat(r);
	}
}

void raft_tick(struct raft *r)
{
	ASSERT(!r->in_ready);
	if (r->boot_ticks < r->cfg.election_tick)
		r->boot_ticks++;
	if (r->role == RAFT_LEADER) {
		tick_leader(r);
		return;
	}
	r->election_elapsed++;
	if (raft_promotable(r) &&
	    r->election_elapsed >= r->randomized_timeout) {
		r->election_elapsed = 0;
		campaign(r, false);
	}
}

/* Thesis §6.2/§9.6: a node that heard from a leader recently ignores
 * vote requests; with lease_guard, so does one that has just started. */
static bool in_lease(const struct raft *r, const struct raft_msg *m)
{
	if (!r->cfg.check_quorum || m->transfer)
		return false;
	if (r->cfg.lease_guard && r->boot_ticks < r->cfg.election_tick)
		return true;
	return r->lead != RAFT_NONE &&
	       r->election_elapsed < r->cfg.election_tick;
}

static void handle_vote_req(struct raft *r, const struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE;
	/* §5.2 one vote per term; §5.4.1 only for an up-to-date log. */
	bool can = r->vote == m->from ||
		   (r->vote == RAFT_NONE && r->lead == RAFT_NONE) ||
		   (pre && m->term > r->term);
	bool grant = can && raft_log_up_to_date(&r->log, m->index, m->log_term);
	struct raft_msg resp = {
		.type = pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP,
		.to = m->from,
		/* A granted pre-vote answers in the would-be term. */
		.term = grant ? m->term : r->term,
		.reject = !grant,
	};
	if (grant && !pre) {
		r->election_elapsed = 0;
		r->vote = m->from;
	}
	raft_send(r, &resp);
}

static void handle_vote_resp(struct raft *r, const struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE_RESP;
	if ((pre && r->role != RAFT_PRE_CANDIDATE) ||
	    (!pre && r->role != RAFT_CANDIDATE))
		return;
	int res = poll(r, m->from, !m->reject);
	if (res == 1) {
		if (pre)
			campaign_vote(r, false);
		else
			become_leader(r);
	} else if (res == -1) {
		raft_become_follower(r, r->term, RAFT_NONE);
	}
}

/* §5.1: messages from other terms.  Returns true if m is consumed. */
static bool step_term(struct raft *r, const struct raft_msg *m)
{
	bool vote_req = m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE;
	if (m->term > r->term) {
		if (vote_req && in_lease(r, m))
			return true;
		if (m->type == RAFT_MSG_PREVOTE ||
		    (m->type == RAFT_MSG_PREVOTE_RESP && !m->reject))
			return false; /* the would-be term: no change */
		bool from_leader = m->type == RAFT_MSG_APPEND ||
				   m->type == RAFT_MSG_HEARTBEAT ||
				   m->type == RAFT_MSG_SNAPSHOT;
		raft_become_follower(r, m->term,
				     from_leader ? m->from : RAFT_NONE);
		return false;
	}
	if (m->term < r->term) {
		if ((r->cfg.check_quorum || r->cfg.pre_vote) &&
		    (m->type == RAFT_MSG_APPEND ||
		     m->type == RAFT_MSG_HEARTBEAT)) {
			/* Tell a stale leader about our term (etcd). */
			struct raft_msg resp = {.type = RAFT_MSG_APPEND_RESP,
						.to = m->from,
						.term = r->term};
			raft_send(r, &resp);
		} else if (m->type == RAFT_MSG_PREVOTE) {
			struct raft_msg resp = {.type = RAFT_MSG_PREVOTE_RESP,
						.to = m->from,
						.term = r->term,
						.reject = 1};
			raft_send(r, &resp);
		}
		return true;
	}
	return false;
}

static int check_msg(const struct raft *r, const struct raft_msg *m)
{
	if (m->type < 1 || m->type > RAFT_MSG_TYPE_MAX || m->to != r->id ||
	    m->from == RAFT_NONE || m->from == r->id)
		return RAFT_ERR_INVALID;
	if (m->n_entries > 0 && m->entries == NULL)
		return RAFT_ERR_INVALID;
	for (size_t i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];
		if (e->index != m->index + 1 + i || e->term > m->term ||
		    (e->len > 0 && e->data == NULL) ||
		    (i > 0 && e->term < m->entries[i - 1].term) ||
		    e->term < m->log_term)
			return RAFT_ERR_INVALID;
	}
	if (m->n_entries > 0 && m->type != RAFT_MSG_APPEND)
		return RAFT_ERR_INVALID;
	return 0;
}

static void step_leader(struct raft *r, const struct raft_msg *m)
{
	switch (m->type) {
	case RAFT_MSG_APPEND_RESP:
		raft_leader_append_resp(r, m);
		break;
	case RAFT_MSG_HEARTBEAT_RESP:
		raft_leader_heartbeat_resp(r, m);
		break;
	case RAFT_MSG_READ_INDEX:
		if (raft_read_request(r, m->ctx, m->from) != 0) {
			struct raft_msg resp = {.type = RAFT_MSG_READ_INDEX_RESP,
						.to = m->from,
						.ctx = m->ctx,
						.reject = 1};
			raft_send(r, &resp);
		}
		break;
	default:
		break; /* another leader's traffic at our term cannot exist */
	}
}

static void step_follower(struct raft *r, const struct raft_msg *m)
{
	switch (m->type) {
	case RAFT_MSG_APPEND:
	case RAFT_MSG_HEARTBEAT:
	case RAFT_MSG_SNAPSHOT:
		/* §5.2: a candidate seeing the term's leader steps down. */
		if (r->role != RAFT_FOLLOWER)
			raft_become_follower(r, r->term, m->from);
		r->lead = m->from;
		r->election_elapsed = 0;
		if (m->type == RAFT_MSG_APPEND)
			raft_handle_append(r, m);
		else if (m->type == RAFT_MSG_HEARTBEAT)
			raft_handle_heartbeat(r, m);
		else
			raft_handle_snapshot(r, m);
		break;
	case RAFT_MSG_TIMEOUT_NOW:
		if (r->role == RAFT_FOLLOWER)
			campaign(r, true);
		break;
	case RAFT_MSG_READ_INDEX_RESP:
		if (!m->reject)
			raft_read_state_add(r, m->index, m->ctx);
		break;
	case RAFT_MSG_VOTE_RESP:
	case RAFT_MSG_PREVOTE_RESP:
		handle_vote_resp(r, m);
		break;
	default:
		break;
	}
}

int raft_step(struct raft *r, const struct raft_msg *m)
{
	ASSERT(!r->in_ready);
	int rc = check_msg(r, m);
	if (rc != 0)
		return rc;
	if (step_term(r, m))
		return 0;
	if (m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE) {
		handle_vote_req(r, m);
		return 0;
	}
	if (r->role == RAFT_LEADER)
		step_leader(r, m);
	else
		step_follower(r, m);
	return 0;
}

void raft_status(const struct raft *r, struct raft_status *st)
{
	memset(st, 0, sizeof(*st));
	st->id = r->id;
	st->role = r->role;
	st->leader = r->lead;
	st->hs.term = r->term;
	st->hs.vote = r->vote;
	st->hs.commit = r->log.committed;
	st->applied = r->log.applied;
	st->first_index = raft_log_first_index(&r->log);
	st->last_index = raft_log_last_index(&r->log);
	st->stable_index = raft_log_stable_index(&r->log);
	st->pending_conf_index = r->pending_conf_index;
	st->transfer_target = r->transferee;
	st->conf = r->conf;
	if (r->role != RAFT_LEADER)
		return;
	for (uint32_t i = 0; i < r->n_prs; i++) {
		const struct raft_progress *pr = &r->prs[i];
		struct raft_peer_status *ps = &st->peers[st->n_peers++];
		ps->id = pr->id;
		ps->learner = pr->learner;
		ps->state = pr->state;
		ps->match = pr->match;
		ps->next = pr->next;
		ps->inflight_msgs = pr->infl_count;
		ps->inflight_bytes = pr->infl_total_bytes;
		ps->recent_active = pr->recent_active;
	}
}

void raft_conf_state(const struct raft *r, struct raft_conf_state *cs)
{
	*cs = r->conf;
}

int raft_log_term(const struct raft *r, uint64_t i, uint64_t *term)
{
	return raft_log_term_at(&r->log, i, term);
}
