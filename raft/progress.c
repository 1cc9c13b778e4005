/*
 * progress.c — the leader's view of each peer (§5.3 nextIndex/matchIndex)
 * and flow control: probe (one APPEND at a time until the logs match),
 * replicate (pipelined, bounded by in-flight messages and bytes), snapshot
 * (paused until the follower has the snapshot).  Modelled on etcd's tracker.
 */
#include <stdlib.h>
#include <string.h>

#include "raft/raft_int.h"

void raft_pr_init(struct raft_progress *pr, uint64_t id, bool learner,
		  uint64_t next, uint32_t infl_cap)
{
	memset(pr, 0, sizeof(*pr));
	pr->id = id;
	pr->learner = learner;
	pr->next = next;
	pr->state = RAFT_PROGRESS_PROBE;
	pr->infl_cap = infl_cap ? infl_cap : 1;
	pr->infl_index = raft_xmalloc(pr->infl_cap * sizeof(uint64_t));
	pr->infl_bytes = raft_xmalloc(pr->infl_cap * sizeof(uint64_t));
}

void raft_pr_free(struct raft_progress *pr)
{
	free(pr->infl_index);
	free(pr->infl_bytes);
	pr->infl_index = pr->infl_bytes = NULL;
}

static void infl_reset(struct raft_progress *pr)
{
	pr->infl_start = 0;
	pr->infl_count = 0;
	pr->infl_total_bytes = 0;
}

static void reset_state(struct raft_progress *pr, uint8_t state)
{
	pr->probe_sent = false;
	pr->pending_snapshot = 0;
	pr->state = state;
	infl_reset(pr);
}

void raft_pr_become_probe(struct raft_progress *pr)
{
	/* After a snapshot, resume right after it (or after match). */
	if (pr->state == RAFT_PROGRESS_SNAPSHOT) {
		uint64_t ps = pr->pending_snapshot;
		reset_state(pr, RAFT_PROGRESS_PROBE);
		pr->next = (pr->match > ps ? pr->match : ps) + 1;
		return;
	}
	reset_state(pr, RAFT_PROGRESS_PROBE);
	pr->next = pr->match + 1;
}

void raft_pr_become_replicate(struct raft_progress *pr)
{
	reset_state(pr, RAFT_PROGRESS_REPLICATE);
	pr->next = pr->match + 1;
}

void raft_pr_become_snapshot(struct raft_progress *pr, uint64_t snap_index)
{
	reset_state(pr, RAFT_PROGRESS_SNAPSHOT);
	pr->pending_snapshot = snap_index;
}

/* A success ack for index: true if it told us something new. */
bool raft_pr_maybe_update(struct raft_progress *pr, uint64_t index)
{
	bool updated = false;
	if (pr->match < index) {
		pr->match = index;
		updated = true;
		pr->probe_sent = false;
	}
	if (pr->next < index + 1)
		pr->next = index + 1;
	return updated;
}

/*
 * A rejection of the APPEND at index rejected; match_hint is the highest
 * index that may match (fast backtracking).  Returns false for a stale
 * rejection (one that does not concern the last probe).
 */
bool raft_pr_maybe_decr_to(struct raft_progress *pr, uint64_t rejected,
			   uint64_t match_hint)
{
	if (pr->state == RAFT_PROGRESS_REPLICATE) {
		if (rejected <= pr->match)
			return false;
		pr->next = pr->match + 1;
		return true;
	}
	if (pr->next == 0 || pr->next - 1 != rejected)
		return false;
	uint64_t n = rejected < match_hint + 1 ? rejected : match_hint + 1;
	if (n < pr->match + 1)
		n = pr->match + 1;
	pr->next = n;
	pr->probe_sent = false;
	return true;
}

bool raft_pr_is_paused(const struct raft_progress *pr,
		       const struct raft_config *cfg)
{
	switch (pr->state) {
	case RAFT_PROGRESS_PROBE:
		return pr->probe_sent;
	case RAFT_PROGRESS_REPLICATE:
		if (pr->infl_count >= pr->infl_cap)
			return true;
		return cfg->max_inflight_bytes != 0 &&
		       pr->infl_total_bytes >= cfg->max_inflight_bytes;
	case RAFT_PROGRESS_SNAPSHOT:
		return true;
	}
	UNREACHABLE();
	return true;
}

void raft_pr_infl_add(struct raft_progress *pr, uint64_t last, uint64_t bytes)
{
	ASSERT(pr->infl_count < pr->infl_cap);
	uint32_t slot = (pr->infl_start + pr->infl_count) % pr->infl_cap;
	pr->infl_index[slot] = last;
	pr->infl_bytes[slot] = bytes;
	pr->infl_count++;
	pr->infl_total_bytes += bytes;
}

/* Frees the in-flight APPENDs acknowledged by an ack of index. */
void raft_pr_infl_free_le(struct raft_progress *pr, uint64_t index)
{
	while (pr->infl_count > 0 && pr->infl_index[pr->infl_start] <= index)
		raft_pr_infl_free_first(pr);
}

void raft_pr_infl_free_first(struct raft_progress *pr)
{
	if (pr->infl_count == 0)
		return;
	pr->infl_total_bytes -= pr->infl_bytes[pr->infl_start];
	pr->infl_start = (pr->infl_start + 1) % pr->infl_cap;
	pr->infl_count--;
}

struct raft_progress *raft_pr_find(struct raft *r, uint64_t id)
{
	for (uint32_t i = 0; i < r->n_prs; i++)
		if (r->prs[i].id == id)
			return &r->prs[i];
	return NULL;
}

bool raft_conf_is_voter(const struct raft_conf_state *c, uint64_t id)
{
	for (uint32_t i = 0; i < c->n_voters; i++)
		if (c->voters[i] == id)
			return true;
	return false;
}

bool raft_conf_is_learner(const struct raft_conf_state *c, uint64_t id)
{
	for (uint32_t i = 0; i < c->n_learners; i++)
		if (c->learners[i] == id)
			return true;
	return false;
}

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The highest index held by a majority of voters (match of each voter). */
uint64_t raft_quorum_match(const struct raft *r)
{
	uint64_t m[RAFT_NODES_MAX];
	uint32_t n = 0;
	for (uint32_t i = 0; i < r->conf.n_voters; i++) {
		const struct raft_progress *pr =
			raft_pr_find((struct raft *)r, r->conf.voters[i]);
		m[n++] = pr ? pr->match : 0;
	}
	if (n == 0)
		return 0;
	qsort(m, n, sizeof(m[0]), cmp_desc);
	return m[n / 2 + 1 - 1];
}

/* Rebuilds progress for the configuration: next = last + 1 (§5.3). */
void raft_prs_reset(struct raft *r)
{
	for (uint32_t i = 0; i < r->n_prs; i++)
		raft_pr_free(&r->prs[i]);
	r->n_prs = 0;
	uint64_t next = raft_log_last_index(&r->log) + 1;
	for (uint32_t i = 0; i < r->conf.n_voters; i++)
		raft_pr_init(&r->prs[r->n_prs++], r->conf.voters[i], false,
			     next, r->cfg.max_inflight_msgs);
	for (uint32_t i = 0; i < r->conf.n_learners; i++)
		raft_pr_init(&r->prs[r->n_prs++], r->conf.learners[i], true,
			     next, r->cfg.max_inflight_msgs);
	struct raft_progress *self = raft_pr_find(r, r->id);
	if (self != NULL) {
		self->match = raft_log_stable_index(&r->log);
		self->recent_active = true;
	}
}
