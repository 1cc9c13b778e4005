/*
 * confchange.c — membership change by single-server steps (Raft thesis
 * §4.1/§4.2): add a learner (non-voting, catches up), promote a learner to
 * voter, remove a voter or learner.  One change in flight at a time.
 *
 * A change takes effect when APPLIED (etcd's choice), in raft_advance for
 * the committed conf entries handed out in that ready.
 *
 * Safety argument.  Consecutive configurations C_k and C_k+1 differ by at
 * most one voter, so any majority of C_k intersects any majority of C_k+1:
 * two leaders of one term, one elected under C_k and one under C_k+1, would
 * need two disjoint majorities, impossible (thesis §4.1).  What must be
 * excluded is a node deciding with C_k while another decides with C_k+2.
 * (1) The leader accepts change k+1 only once change k is applied on the
 * leader (pending_conf_index <= applied), hence committed: so at most one
 * change is ever uncommitted, and every committed configuration is known
 * to a majority of the previous one.  (2) A new leader accepts no change
 * until everything in its log up to its term's no-op is applied
 * (pending_conf_index = the no-op's index): this is the
 * fix of Ongaro's 2015 single-server bug, where a stale leader's
 * uncommitted change and a new one would be two steps apart.  (3) A node
 * never campaigns while it has committed but unapplied conf entries
 * (raft.c has_unapplied_conf), so a candidate counts votes under the newest
 * committed configuration it knows; a committed configuration it does not
 * know is at most one step ahead (by (1)), and a majority of that newer one
 * overlaps its own majority in a node holding the newer entry, which then
 * refuses the vote by §5.4.1 (the candidate's log lacks that entry).
 * Hence no two configurations more than one step apart decide at once.
 * A removed leader keeps leading until the removal is applied and then
 * steps down (thesis §4.2.2); it counts itself toward commit until then,
 * as the entry it replicates is in the old configuration.
 */
#include <stdlib.h>
#include <string.h>

#include "raft/raft_int.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void list_sort(uint64_t *v, uint32_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
}

static bool list_remove(uint64_t *v, uint32_t *n, uint64_t id)
{
	for (uint32_t i = 0; i < *n; i++) {
		if (v[i] == id) {
			memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
			(*n)--;
			return true;
		}
	}
	return false;
}

int raft_conf_change_check(const struct raft *r,
			   const struct raft_conf_change *cc)
{
	const struct raft_conf_state *c = &r->conf;
	bool voter = raft_conf_is_voter(c, cc->node);
	bool learner = raft_conf_is_learner(c, cc->node);
	switch (cc->type) {
	case RAFT_CC_ADD_LEARNER:
		if (cc->node == RAFT_NONE || voter || learner ||
		    c->n_learners >= RAFT_NODES_MAX)
			return RAFT_ERR_INVALID;
		return 0;
	case RAFT_CC_PROMOTE:
		if (!learner || c->n_voters >= RAFT_NODES_MAX)
			return RAFT_ERR_INVALID;
		return 0;
	case RAFT_CC_REMOVE:
		if (!voter && !learner)
			return RAFT_ERR_INVALID;
		if (voter && c->n_voters == 1)
			return RAFT_ERR_INVALID; /* the cluster would be empty */
		return 0;
	default:
		return RAFT_ERR_INVALID;
	}
}

/* Keeps progress in step with the configuration (leader only). */
static void sync_progress(struct raft *r)
{
	struct raft_progress keep[2 * RAFT_NODES_MAX];
	uint32_t n = 0;
	uint64_t next = raft_log_last_index(&r->log) + 1;
	for (uint32_t i = 0; i < r->n_prs; i++) {
		struct raft_progress *pr = &r->prs[i];
		bool v = raft_conf_is_voter(&r->conf, pr->id);
		if (v || raft_conf_is_learner(&r->conf, pr->id)) {
			pr->learner = !v;
			keep[n++] = *pr;
		} else {
			raft_pr_free(pr);
		}
	}
	const uint64_t *lists[2] = {r->conf.voters, r->conf.learners};
	uint32_t lens[2] = {r->conf.n_voters, r->conf.n_learners};
	for (int k = 0; k < 2; k++) {
		for (uint32_t i = 0; i < lens[k]; i++) {
			bool found = false;
			for (uint32_t j = 0; j < n; j++)
				found |= keep[j].id == lists[k][i];
			if (!found) {
				raft_pr_init(&keep[n], lists[k][i], k == 1,
					     next, r->cfg.max_inflight_msgs);
				keep[n].recent_active = true;
				n++;
			}
		}
	}
	memcpy(r->prs, keep, n * sizeof(keep[0]));
	r->n_prs = n;
}

/* Replaces the configuration (startup, snapshot restore). */
void raft_conf_set(struct raft *r, const struct raft_conf_state *cs)
{
	r->conf = *cs;
	list_sort(r->conf.voters, r->conf.n_voters);
	list_sort(r->conf.learners, r->conf.n_learners);
	if (r->role == RAFT_LEADER)
		sync_progress(r);
}

void raft_conf_change_apply(struct raft *r, const struct raft_conf_change *cc)
{
	if (raft_conf_change_check(r, cc) != 0) {
		raft_logf(r, 2, "node %llu: conf change %u %llu no-op",
			  (unsigned long long)r->id, cc->type,
			  (unsigned long long)cc->node);
		return;
	}
	struct raft_conf_state *c = &r->conf;
	switch (cc->type) {
	case RAFT_CC_ADD_LEARNER:
		c->learners[c->n_learners++] = cc->node;
		break;
	case RAFT_CC_PROMOTE:
		list_remove(c->learners, &c->n_learners, cc->node);
		c->voters[c->n_voters++] = cc->node;
		break;
	case RAFT_CC_REMOVE:
		if (!list_remove(c->voters, &c->n_voters, cc->node))
			list_remove(c->learners, &c->n_learners, cc->node);
		break;
	}
	list_sort(c->voters, c->n_voters);
	list_sort(c->learners, c->n_learners);
	memset(r->votes, 0, sizeof(r->votes)); /* slots follow voters[] */
	if (r->role != RAFT_LEADER)
		return;
	if (cc->type == RAFT_CC_REMOVE && cc->node == r->id) {
		/* Thesis §4.2.2: a removed leader steps down once committed. */
		raft_become_follower(r, r->term, RAFT_NONE);
		return;
	}
	sync_progress(r);
	if (r->transferee == cc->node && cc->type == RAFT_CC_REMOVE)
		r->transferee = RAFT_NONE;
	/* The quorum may have shrunk: commit may move. */
	if (raft_maybe_commit(r))
		raft_bcast_append(r);
	else if (cc->type != RAFT_CC_REMOVE)
		raft_bcast_append(r);
}
