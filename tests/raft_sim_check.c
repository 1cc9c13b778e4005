/*
 * raft_sim_check.c — the safety invariants, checked after every event.
 *
 *  - Election safety (Raft §5.2, Figure 3): at most one leader per term over
 *    the whole run.
 *  - Log matching (§5.3): entries with the same index and term have the
 *    same chain hash, i.e. identical prefixes; checked at every disk write.
 *  - Leader completeness (§5.4): every leader's log holds every entry known
 *    committed (applied anywhere), with the committed term.
 *  - State-machine safety (§5.4.3): every node applies, at each index, the
 *    entry with the same chain hash as every other node.
 *  - Commit and applied never move back within a node's life; the durable
 *    commit never moves back across crashes; applied never exceeds the
 *    durable log; the durable commit never exceeds the durable log.
 *  - Every committed entry is durable on a majority of the voters of the
 *    configuration that committed it (before or after the event).
 *  - At most one membership change pending: no log holds more than one
 *    conf-change entry above the highest commit index known.
 */
#include "tests/raft_sim.h"

#include "engine/assert.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static uint64_t lmap_hash(uint64_t index, uint64_t term)
{
	uint64_t h = index * 0x9e3779b97f4a7c15ull ^ term * 0xc2b2ae3d27d4eb4full;
	return h ^ (h >> 32);
}

static void lmap_grow(struct sim *s)
{
	size_t ncap = s->lmap_cap ? s->lmap_cap * 2 : 1024;
	struct sim_lmap_slot *nm = calloc(ncap, sizeof *nm);
	ASSERT(nm != NULL);
	for (size_t i = 0; i < s->lmap_cap; i++) {
		struct sim_lmap_slot *o = &s->lmap[i];
		if (o->index == 0)
			continue;
		size_t j = lmap_hash(o->index, o->term) & (ncap - 1);
		while (nm[j].index != 0)
			j = (j + 1) & (ncap - 1);
		nm[j] = *o;
	}
	free(s->lmap);
	s->lmap = nm;
	s->lmap_cap = ncap;
}

void sim_check_log_entry(struct sim *s, int slot, const struct sim_ent *e)
{
	ASSERT(e != NULL && e->index > 0);
	if ((s->lmap_n + 1) * 2 > s->lmap_cap)
		lmap_grow(s);
	size_t j = lmap_hash(e->index, e->term) & (s->lmap_cap - 1);
	while (s->lmap[j].index != 0) {
		struct sim_lmap_slot *o = &s->lmap[j];
		if (o->index == e->index && o->term == e->term) {
			if (o->chain != e->chain)
				sim_fail(s,
					 "log matching: slot %d has entry "
					 "%" PRIu64 " term %" PRIu64
					 " with a different prefix than another "
					 "log's",
					 slot, e->index, e->term);
			return;
		}
		j = (j + 1) & (s->lmap_cap - 1);
	}
	s->lmap[j] = (struct sim_lmap_slot){e->index, e->term, e->chain};
	s->lmap_n++;
}

static void com_reserve(struct sim_committed *c, uint64_t index)
{
	if (index < c->cap)
		return;
	size_t ncap = c->cap ? c->cap : 256;
	while (ncap <= index)
		ncap *= 2;
	c->term = realloc(c->term, ncap * sizeof *c->term);
	c->chain = realloc(c->chain, ncap * sizeof *c->chain);
	c->commit_term = realloc(c->commit_term, ncap * sizeof *c->commit_term);
	ASSERT(c->term != NULL && c->chain != NULL && c->commit_term != NULL);
	memset(c->term + c->cap, 0, (ncap - c->cap) * sizeof *c->term);
	memset(c->commit_term + c->cap, 0,
	       (ncap - c->cap) * sizeof *c->commit_term);
	memset(c->chain + c->cap, 0, (ncap - c->cap) * sizeof *c->chain);
	c->cap = ncap;
}

void sim_check_applied(struct sim *s, int slot, uint64_t index, uint64_t term,
		       uint64_t chain)
{
	struct sim_committed *c = &s->com;
	com_reserve(c, index);
	if (c->chain[index] == 0) {
		c->term[index] = term;
		c->chain[index] = chain;
		if (index > c->max)
			c->max = index;
		s->res->committed = c->max;
		return;
	}
	if (c->chain[index] != chain || (term != 0 && c->term[index] != term &&
					 c->term[index] != 0))
		sim_fail(s,
			 "state machine safety: slot %d applied index %" PRIu64
			 " (term %" PRIu64 ") unlike another node (term %" PRIu64
			 ")",
			 slot, index, term, c->term[index]);
	if (c->term[index] == 0)
		c->term[index] = term;
}

static void check_leader_term(struct sim *s, const struct raft_status *st)
{
	if (st->role != RAFT_LEADER)
		return;
	uint64_t t = st->hs.term;
	if (t >= s->cap_terms) {
		size_t ncap = s->cap_terms ? s->cap_terms : 64;
		while (ncap <= t)
			ncap *= 2;
		s->leader_of_term = realloc(s->leader_of_term,
					    ncap * sizeof *s->leader_of_term);
		ASSERT(s->leader_of_term != NULL);
		memset(s->leader_of_term + s->cap_terms, 0,
		       (ncap - s->cap_terms) * sizeof *s->leader_of_term);
		s->cap_terms = ncap;
	}
	if (s->leader_of_term[t] == 0) {
		s->leader_of_term[t] = st->id;
		s->res->elections++;
		sim_trace(s, "node %" PRIu64 " leads term %" PRIu64, st->id, t);
	} else if (s->leader_of_term[t] != st->id) {
		sim_fail(s, "election safety: nodes %" PRIu64 " and %" PRIu64
			    " both led term %" PRIu64,
			 s->leader_of_term[t], st->id, t);
	}
}

/*
 * Leader completeness (§5.4.1): an entry committed in term T is in the log
 * of every leader of a term after T.  A stale leader of an older term need
 * not have it.  The commit term recorded is when the commit was first seen,
 * which is at or after the real one, so this never checks too much.
 */
static void check_leader_complete(struct sim *s, struct sim_node *n,
				  const struct raft_status *st)
{
	if (st->role != RAFT_LEADER)
		return;
	uint64_t lo = st->first_index > 0 ? st->first_index : 1;
	for (uint64_t i = lo; i <= s->com.max; i++) {
		if (s->com.term[i] == 0 || s->com.commit_term[i] == 0 ||
		    s->com.commit_term[i] >= st->hs.term)
			continue;
		uint64_t t = 0;
		int rc = raft_log_term(n->r, i, &t);
		if (rc != 0 || t != s->com.term[i]) {
			sim_fail(s,
				 "leader completeness: leader %" PRIu64
				 " term %" PRIu64 " lacks committed entry %" PRIu64
				 " (term %" PRIu64 ", has %s %" PRIu64 ")",
				 st->id, st->hs.term, i, s->com.term[i],
				 rc ? raft_strerror(rc) : "term", t);
			return;
		}
	}
	if (st->hs.commit > st->last_index)
		sim_fail(s, "leader %" PRIu64 " commit %" PRIu64
			    " beyond its last index %" PRIu64,
			 st->id, st->hs.commit, st->last_index);
}

static void check_node_progress(struct sim *s, struct sim_node *n,
				const struct raft_status *st)
{
	const struct sim_log *dur = &n->disk.durable;
	if (st->hs.commit < n->seen_commit)
		sim_fail(s, "node %" PRIu64 ": commit moved back %" PRIu64
			    " -> %" PRIu64,
			 n->id, n->seen_commit, st->hs.commit);
	if (st->applied < n->seen_applied)
		sim_fail(s, "node %" PRIu64 ": applied moved back", n->id);
	n->seen_commit = st->hs.commit;
	n->seen_applied = st->applied;
	if (n->sm.applied != st->applied)
		sim_fail(s, "node %" PRIu64 ": core applied %" PRIu64
			    " but the state machine has %" PRIu64,
			 n->id, st->applied, n->sm.applied);
	if (st->applied > sim_log_last(dur))
		sim_fail(s, "node %" PRIu64 ": applied %" PRIu64
			    " beyond the durable log (%" PRIu64 ")",
			 n->id, st->applied, sim_log_last(dur));
	if (dur->hs.commit > sim_log_last(dur))
		sim_fail(s, "node %" PRIu64 ": durable commit %" PRIu64
			    " beyond the durable log (%" PRIu64 ")",
			 n->id, dur->hs.commit, sim_log_last(dur));
	if (dur->hs.commit < n->durable_commit_seen)
		sim_fail(s, "node %" PRIu64 ": durable commit moved back",
			 n->id);
	n->durable_commit_seen = dur->hs.commit;
}

/* Is entry i of term t durable on the node in slot k? */
static bool durable_has(const struct sim *s, uint64_t id, uint64_t i,
			uint64_t t)
{
	for (int k = 0; k < s->p.nodes; k++) {
		const struct sim_node *n = &s->nodes[k];
		if (n->id != id || n->state == SIM_SPARE)
			continue;
		const struct sim_log *d = &n->disk.durable;
		uint64_t dt;
		if (i <= d->snap.index)
			return true;
		return sim_log_term(d, i, &dt) && dt == t;
	}
	return false;
}

static bool majority_durable(const struct sim *s,
			     const struct raft_conf_state *cs, uint64_t i,
			     uint64_t t)
{
	uint32_t have = 0;
	for (uint32_t v = 0; v < cs->n_voters; v++)
		have += durable_has(s, cs->voters[v], i, t);
	return cs->n_voters > 0 && have > cs->n_voters / 2;
}

/* Newly committed entries must be durable on a majority. */
static void check_commit_durable(struct sim *s)
{
	int best = -1;
	uint64_t best_commit = s->max_commit;
	for (int k = 0; k < s->p.nodes; k++) {
		struct sim_node *n = &s->nodes[k];
		if (!n->up || n->r == NULL)
			continue;
		struct raft_status st;
		raft_status(n->r, &st);
		if (st.hs.commit > best_commit ||
		    (best >= 0 && st.hs.commit == best_commit &&
		     st.role == RAFT_LEADER)) {
			best = k;
			best_commit = st.hs.commit;
		}
	}
	if (best < 0)
		return;
	struct sim_node *n = &s->nodes[best];
	struct raft_status bst;
	raft_status(n->r, &bst);
	com_reserve(&s->com, best_commit);
	for (uint64_t i = s->max_commit + 1; i <= best_commit; i++)
		if (s->com.commit_term[i] == 0)
			s->com.commit_term[i] = bst.hs.term;
	struct raft_conf_state now;
	raft_conf_state(n->r, &now);
	for (uint64_t i = s->max_commit + 1; i <= best_commit; i++) {
		uint64_t t = 0;
		if (raft_log_term(n->r, i, &t) != 0)
			continue; /* compacted already: it was applied */
		if (majority_durable(s, &now, i, t))
			continue;
		if (n->have_prev && majority_durable(s, &n->prev_conf, i, t))
			continue;
		sim_fail(s, "entry %" PRIu64 " (term %" PRIu64
			    ") committed by node %" PRIu64
			    " is not durable on a majority",
			 i, t, n->id);
		return;
	}
	s->max_commit = best_commit;
}

/* No log holds two conf-change entries above the known commit. */
static void check_one_conf_pending(struct sim *s, struct sim_node *n)
{
	const struct sim_log *w = &n->disk.written;
	int pending = 0;
	uint64_t lo = s->max_commit > w->snap.index ? s->max_commit
						    : w->snap.index;
	for (uint64_t i = lo + 1; i <= sim_log_last(w); i++)
		pending += sim_log_ent(w, i)->type == RAFT_ENTRY_CONF;
	if (pending > 1)
		sim_fail(s, "node %" PRIu64 " holds %d pending conf changes",
			 n->id, pending);
}

void sim_check_event(struct sim *s)
{
	s->res->events++;
	for (int k = 0; k < s->p.nodes; k++) {
		struct sim_node *n = &s->nodes[k];
		if (!n->up || n->r == NULL)
			continue;
		struct raft_status st;
		raft_status(n->r, &st);
		check_leader_term(s, &st);
		check_leader_complete(s, n, &st);
		check_node_progress(s, n, &st);
		check_one_conf_pending(s, n);
	}
	check_commit_durable(s);
	for (int k = 0; k < s->p.nodes; k++) {
		struct sim_node *n = &s->nodes[k];
		if (!n->up || n->r == NULL)
			continue;
		raft_conf_state(n->r, &n->prev_conf);
		n->have_prev = true;
	}
}

void sim_check_free(struct sim *s)
{
	free(s->lmap);
	free(s->leader_of_term);
	free(s->com.term);
	free(s->com.chain);
	free(s->com.commit_term);
}
