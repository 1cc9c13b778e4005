/*
 * log_store_conf.c — the configuration as of the applied index, for
 * raft_storage.initial_state (raft.h: "the configuration as of
 * config.applied").  A driver that stores its applied index with its state
 * machine restarts with applied beyond the snapshot; the configuration is
 * then the snapshot's (or the boot one) with the committed conf-change
 * entries up to applied replayed over it, by the rules the core applies
 * them with (raft/confchange.c: a change that makes no sense there is a
 * no-op here too).  Entries <= applied are committed, so stable: reading
 * them from the log is safe.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "raft/log_store_int.h"

static bool has(const uint64_t *v, uint32_t n, uint64_t id)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

static bool drop(uint64_t *v, uint32_t *n, uint64_t id)
{
	for (uint32_t i = 0; i < *n; i++) {
		if (v[i] == id) {
			memmove(v + i, v + i + 1, (*n - i - 1) * sizeof *v);
			(*n)--;
			return true;
		}
	}
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* raft_conf_change_check + raft_conf_change_apply on a bare conf state. */
static void conf_apply(struct raft_conf_state *c,
		       const struct raft_conf_change *cc)
{
	bool voter = has(c->voters, c->n_voters, cc->node);
	bool learner = has(c->learners, c->n_learners, cc->node);
	switch (cc->type) {
	case RAFT_CC_ADD_LEARNER:
		if (cc->node == RAFT_NONE || voter || learner ||
		    c->n_learners >= RAFT_NODES_MAX)
			return;
		c->learners[c->n_learners++] = cc->node;
		break;
	case RAFT_CC_PROMOTE:
		if (!learner || c->n_voters >= RAFT_NODES_MAX)
			return;
		drop(c->learners, &c->n_learners, cc->node);
		c->voters[c->n_voters++] = cc->node;
		break;
	case RAFT_CC_REMOVE:
		if ((!voter && !learner) || (voter && c->n_voters == 1))
			return;
		if (!drop(c->voters, &c->n_voters, cc->node))
			drop(c->learners, &c->n_learners, cc->node);
		break;
	default:
		return;
	}
	qsort(c->voters, c->n_voters, sizeof *c->voters, cmp_u64);
	qsort(c->learners, c->n_learners, sizeof *c->learners, cmp_u64);
}

int log_store_conf_at(struct raft_log_store *ls, uint64_t applied,
		      struct raft_conf_state *out)
{
	struct raft_conf_state c = ls->snap.index > 0 ? ls->snap.conf
						      : ls->boot_conf;
	ASSERT(applied >= ls->base && applied <= ls_last(ls));
	/* Bounded by the log: one step per entry up to applied. */
	for (uint64_t i = ls->base + 1; i <= applied; i++) {
		if (ls_ent_at(ls, i)->type != RAFT_ENTRY_CONF)
			continue;
		struct raft_entry e;
		size_t n = 0;
		int rc = log_store_entries_locked(ls, i, i + 1, 0, &e, &n);
		if (rc != 0)
			return rc;
		struct raft_conf_change cc;
		if (raft_conf_change_decode(e.data, e.len, &cc) != 0) {
			log_store_logf(ls, KV_LOG_ERROR, "raft log store %s: "
				       "committed conf change at %llu does not "
				       "decode", ls->dir,
				       (unsigned long long)i);
			return RAFT_ERR_CORRUPT;
		}
		conf_apply(&c, &cc);
	}
	*out = c;
	return 0;
}
