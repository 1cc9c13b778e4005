/*
 * check_raft_log_store.c — the raft log store's Check program: the unit,
 * fault and model/crash suites, plus what they share (the reference model
 * of the stable log and the comparison with a store).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "tests/raft_log_store_test.h"

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

void lst_log_fn(void *ctx, enum kv_log_level level, const char *msg)
{
	struct lst_log *l = ctx;
	if (l == NULL)
		return;
	pthread_mutex_lock(&log_mu);
	snprintf(l->lines[l->next % 16], sizeof l->lines[0], "%s", msg);
	l->next++;
	pthread_mutex_unlock(&log_mu);
	if (level >= KV_LOG_WARN && test_env_u64("LS_VERBOSE", 0))
		fprintf(stderr, "log store: %s\n", msg);
}

bool lst_log_has(const struct lst_log *l, const char *needle)
{
	bool hit = false;
	pthread_mutex_lock(&log_mu);
	for (unsigned i = 0; i < 16 && i < l->next; i++)
		if (strstr(l->lines[i], needle) != NULL)
			hit = true;
	pthread_mutex_unlock(&log_mu);
	return hit;
}

void lst_log_dump(const struct lst_log *l, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	pthread_mutex_lock(&log_mu);
	unsigned first = l->next > 16 ? l->next - 16 : 0;
	for (unsigned i = first; i < l->next && o + 1 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
				      i > first ? " | " : "", l->lines[i % 16]);
	pthread_mutex_unlock(&log_mu);
}

void lst_options(struct raft_log_store_options *o, struct fault_io *f,
		 struct lst_log *log)
{
	memset(o, 0, sizeof *o);
	o->io = f ? fault_io_table(f) : NULL;
	o->segment_bytes = 4096; /* rotation and compaction in small runs */
	o->boot_conf.n_voters = 1;
	o->boot_conf.voters[0] = 1;
	o->log_fn = lst_log_fn;
	o->log_ctx = log;
}

/* ---- the model ---------------------------------------------------------- */

struct lsm *lsm_new(void)
{
	struct lsm *m = calloc(1, sizeof *m);
	ASSERT(m != NULL);
	return m;
}

void lsm_free(struct lsm *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].data);
	free(m->e);
	free(m);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t len)
{
	if (len == 0)
		return NULL;
	uint8_t *q = malloc(len);
	ASSERT(q != NULL);
	memcpy(q, p, len);
	return q;
}

struct lsm *lsm_copy(const struct lsm *m)
{
	struct lsm *c = lsm_new();
	c->snap = m->snap;
	c->hs = m->hs;
	c->n = c->cap = m->n;
	if (m->n > 0) {
		c->e = calloc(m->n, sizeof *c->e);
		ASSERT(c->e != NULL);
	}
	for (size_t i = 0; i < m->n; i++) {
		c->e[i] = m->e[i];
		c->e[i].data = dup_bytes(m->e[i].data, m->e[i].len);
	}
	return c;
}

uint64_t lsm_last(const struct lsm *m)
{
	return m->snap.index + m->n;
}

uint64_t lsm_term(const struct lsm *m, uint64_t i)
{
	ASSERT(i >= m->snap.index && i <= lsm_last(m));
	return i == m->snap.index ? m->snap.term
				  : m->e[i - m->snap.index - 1].term;
}

static void lsm_truncate(struct lsm *m, uint64_t last)
{
	while (lsm_last(m) > last) {
		m->n--;
		free(m->e[m->n].data);
	}
}

void lsm_append(struct lsm *m, const struct raft_entry *e, size_t n)
{
	ASSERT(n > 0 && e[0].index > m->snap.index &&
	       e[0].index <= lsm_last(m) + 1);
	lsm_truncate(m, e[0].index - 1);
	if (m->n + n > m->cap) {
		m->cap = 2 * (m->n + n);
		m->e = realloc(m->e, m->cap * sizeof *m->e);
		ASSERT(m->e != NULL);
	}
	for (size_t k = 0; k < n; k++)
		m->e[m->n++] = (struct lsm_ent){
			.term = e[k].term,
			.type = e[k].type,
			.len = e[k].len,
			.data = dup_bytes(e[k].data, e[k].len),
		};
}

void lsm_set_snapshot(struct lsm *m, const struct raft_snapshot_meta *meta)
{
	ASSERT(meta->index >= m->snap.index);
	bool keep = meta->index <= lsm_last(m) &&
		    (meta->index == m->snap.index ||
		     lsm_term(m, meta->index) == meta->term);
	size_t drop = keep ? (size_t)(meta->index - m->snap.index) : m->n;
	for (size_t k = 0; k < drop; k++)
		free(m->e[k].data);
	memmove(m->e, m->e + drop, (m->n - drop) * sizeof *m->e);
	m->n -= drop;
	m->snap = *meta;
}

static bool conf_eq(const struct raft_conf_state *a,
		    const struct raft_conf_state *b)
{
	if (a->n_voters != b->n_voters || a->n_learners != b->n_learners)
		return false;
	for (uint32_t i = 0; i < a->n_voters; i++)
		if (a->voters[i] != b->voters[i])
			return false;
	for (uint32_t i = 0; i < a->n_learners; i++)
		if (a->learners[i] != b->learners[i])
			return false;
	return true;
}

static bool meta_matches(struct raft_log_store *ls, const struct lsm *m,
			 char *why, size_t len)
{
	struct raft_hard_state hs;
	struct raft_snapshot_meta sm;
	raft_log_store_hard_state(ls, &hs);
	raft_log_store_snapshot_meta(ls, &sm);
	if (memcmp(&hs, &m->hs, sizeof hs) != 0) {
		snprintf(why, len, "hard state %" PRIu64 "/%" PRIu64 "/%" PRIu64
			 " want %" PRIu64 "/%" PRIu64 "/%" PRIu64, hs.term,
			 hs.vote, hs.commit, m->hs.term, m->hs.vote,
			 m->hs.commit);
		return false;
	}
	if (sm.index != m->snap.index || sm.term != m->snap.term ||
	    !conf_eq(&sm.conf, &m->snap.conf)) {
		snprintf(why, len, "snapshot %" PRIu64 "/%" PRIu64
			 " want %" PRIu64 "/%" PRIu64, sm.index, sm.term,
			 m->snap.index, m->snap.term);
		return false;
	}
	uint64_t first = raft_log_store_first_index(ls);
	uint64_t last = raft_log_store_last_index(ls);
	if (first != m->snap.index + 1 || last != lsm_last(m)) {
		snprintf(why, len, "log %" PRIu64 "..%" PRIu64 " want %" PRIu64
			 "..%" PRIu64, first, last, m->snap.index + 1,
			 lsm_last(m));
		return false;
	}
	return true;
}

static bool terms_match(struct raft_log_store *ls, const struct lsm *m,
			char *why, size_t len)
{
	uint64_t t;
	for (uint64_t i = m->snap.index; i <= lsm_last(m); i++) {
		int rc = raft_log_store_term(ls, i, &t);
		if (rc != 0 || t != lsm_term(m, i)) {
			snprintf(why, len, "term(%" PRIu64 "): rc %d, %" PRIu64
				 " want %" PRIu64, i, rc, rc ? 0 : t,
				 lsm_term(m, i));
			return false;
		}
	}
	if (m->snap.index > 0 &&
	    raft_log_store_term(ls, m->snap.index - 1, &t) != RAFT_ERR_COMPACTED) {
		snprintf(why, len, "term before the snapshot not compacted");
		return false;
	}
	if (raft_log_store_term(ls, lsm_last(m) + 1, &t) != RAFT_ERR_UNAVAILABLE) {
		snprintf(why, len, "term after the last not unavailable");
		return false;
	}
	return true;
}

bool lsm_matches(struct raft_log_store *ls, const struct lsm *m,
		 struct test_rng *g, char *why, size_t len)
{
	if (!meta_matches(ls, m, why, len) || !terms_match(ls, m, why, len))
		return false;
	uint64_t lo = m->snap.index + 1, hi = lsm_last(m) + 1;
	struct raft_entry out[64];
	/* Bounded: each read returns at least one entry. */
	while (lo < hi) {
		uint64_t max = test_rng_below(g, 4) ? test_rng_below(g, 2000)
						    : UINT64_MAX;
		uint64_t top = hi - lo > 64 ? lo + 64 : hi;
		size_t n = 0;
		int rc = raft_log_store_entries(ls, lo, top, max, out, &n);
		if (rc != 0 || n == 0 || n > top - lo) {
			snprintf(why, len, "entries(%" PRIu64 ", %" PRIu64
				 "): %s, n %zu", lo, top,
				 raft_log_store_strerror(rc), n);
			return false;
		}
		for (size_t k = 0; k < n; k++) {
			const struct lsm_ent *e = &m->e[lo + k - m->snap.index - 1];
			const struct raft_entry *x = &out[k];
			if (x->index != lo + k || x->term != e->term ||
			    x->type != e->type || x->len != e->len ||
			    (e->len && memcmp(x->data, e->data, e->len) != 0)) {
				snprintf(why, len, "entry %" PRIu64 " differs",
					 lo + k);
				return false;
			}
		}
		lo += n;
	}
	return true;
}

int main(void)
{
	Suite *suites[] = {
		raft_log_store_suite(),
		raft_log_store_faults_suite(),
		raft_log_store_model_suite(),
	};
	return test_run_suites(suites, (int)(sizeof suites / sizeof suites[0]));
}
