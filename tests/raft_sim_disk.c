/*
 * raft_sim_disk.c — a node's simulated disk and the raft_storage over it.
 *
 * Two views: `written` (everything the driver wrote, what the core reads)
 * and `durable` (what a crash keeps).  Writes go to `written` and to a
 * journal; a sync replays the journal onto `durable`.  A crash replays only
 * a prefix of the journal — the last kept entry write possibly torn, i.e.
 * only some of its entries — which is what ready's contract allows ("a crash
 * may keep any prefix of 2..4 in order"), and then `written` := `durable`.
 *
 * Every entry carries a chain hash over itself and all entries before it
 * (the snapshot stores the chain of what it covers), so the log-matching
 * property can be checked at every write in O(1): two entries with the
 * same index and term must have the same chain (raft_sim_check.c).
 */
#include "tests/raft_sim.h"

#include "engine/assert.h"

#include <stdlib.h>
#include <string.h>

uint64_t sim_chain(uint64_t prev, uint64_t term, uint64_t index, uint8_t type,
		   const uint8_t *data, uint32_t len)
{
	/* FNV-1a over the fields, seeded with the previous chain. */
	uint64_t h = 0xcbf29ce484222325ull ^ prev;
	uint64_t f[3] = {term, index, type};
	const uint8_t *fp = (const uint8_t *)f;
	for (size_t i = 0; i < sizeof f; i++)
		h = (h ^ fp[i]) * 0x100000001b3ull;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
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

void sim_log_free(struct sim_log *log)
{
	for (size_t i = 0; i < log->n; i++)
		free(log->ents[i].data);
	free(log->ents);
	free(log->snap_data);
	memset(log, 0, sizeof *log);
}

static void sim_log_copy(struct sim_log *dst, const struct sim_log *src)
{
	sim_log_free(dst);
	*dst = *src;
	dst->snap_data = dup_bytes(src->snap_data, src->snap_len);
	dst->cap = src->n;
	dst->ents = NULL;
	if (src->n > 0) {
		dst->ents = calloc(src->n, sizeof *dst->ents);
		ASSERT(dst->ents != NULL);
	}
	for (size_t i = 0; i < src->n; i++) {
		dst->ents[i] = src->ents[i];
		dst->ents[i].data = dup_bytes(src->ents[i].data,
					      src->ents[i].len);
	}
}

uint64_t sim_log_last(const struct sim_log *log)
{
	return log->snap.index + log->n;
}

const struct sim_ent *sim_log_ent(const struct sim_log *log, uint64_t i)
{
	if (i <= log->snap.index || i > sim_log_last(log))
		return NULL;
	return &log->ents[i - log->snap.index - 1];
}

bool sim_log_term(const struct sim_log *log, uint64_t i, uint64_t *term)
{
	if (i == log->snap.index) {
		*term = log->snap.term;
		return true;
	}
	const struct sim_ent *e = sim_log_ent(log, i);
	if (e == NULL)
		return false;
	*term = e->term;
	return true;
}

static uint64_t sim_log_chain_at(const struct sim_log *log, uint64_t i)
{
	if (i == log->snap.index)
		return log->snap_chain;
	const struct sim_ent *e = sim_log_ent(log, i);
	ASSERT(e != NULL);
	return e->chain;
}

static void sim_log_truncate(struct sim_log *log, uint64_t from)
{
	ASSERT(from > log->snap.index);
	while (sim_log_last(log) >= from) {
		free(log->ents[log->n - 1].data);
		log->n--;
	}
}

/* Appends copies of e[0..n) after truncating at e[0].index.  -1 on gap. */
static int sim_log_append(struct sim_log *log, const struct sim_ent *e,
			  size_t n)
{
	if (n == 0)
		return 0;
	if (e[0].index <= log->snap.index || e[0].index > sim_log_last(log) + 1)
		return -1;
	sim_log_truncate(log, e[0].index);
	if (log->n + n > log->cap) {
		size_t cap = (log->n + n) * 2;
		struct sim_ent *ne = realloc(log->ents, cap * sizeof *ne);
		ASSERT(ne != NULL);
		log->ents = ne;
		log->cap = cap;
	}
	for (size_t k = 0; k < n; k++) {
		struct sim_ent x = e[k];
		if (x.index != sim_log_last(log) + 1)
			return -1;
		x.chain = sim_chain(sim_log_chain_at(log, x.index - 1), x.term,
				    x.index, x.type, x.data, x.len);
		x.data = dup_bytes(e[k].data, e[k].len);
		log->ents[log->n++] = x;
	}
	return 0;
}

/*
 * Installs a snapshot: entries it covers go; the suffix stays only if the
 * log holds the snapshot's index with the snapshot's term (ready step 2).
 */
static void sim_log_snap(struct sim_log *log,
			 const struct raft_snapshot_meta *meta,
			 const uint8_t *data, size_t len, uint64_t chain)
{
	uint64_t t;
	bool keep = sim_log_term(log, meta->index, &t) && t == meta->term &&
		    meta->index > log->snap.index;
	size_t drop = 0;
	if (keep)
		drop = (size_t)(meta->index - log->snap.index);
	else
		drop = log->n;
	for (size_t k = 0; k < drop; k++)
		free(log->ents[k].data);
	memmove(log->ents, log->ents + drop, (log->n - drop) * sizeof *log->ents);
	log->n -= drop;
	log->snap = *meta;
	free(log->snap_data);
	log->snap_data = dup_bytes(data, len);
	log->snap_len = len;
	log->snap_chain = chain;
}

static void sim_write_free(struct sim_write *w)
{
	free(w->data);
	for (size_t i = 0; i < w->n; i++)
		free(w->ents[i].data);
	free(w->ents);
}

static struct sim_write *sim_journal_add(struct sim_disk *d)
{
	if (d->nj == d->capj) {
		d->capj = d->capj ? d->capj * 2 : 8;
		d->journal = realloc(d->journal, d->capj * sizeof *d->journal);
		ASSERT(d->journal != NULL);
	}
	struct sim_write *w = &d->journal[d->nj++];
	memset(w, 0, sizeof *w);
	return w;
}

void sim_disk_init(struct sim_disk *d, struct sim *s, int slot,
		   const struct raft_conf_state *boot)
{
	memset(d, 0, sizeof *d);
	d->sim = s;
	d->slot = slot;
	d->boot_conf = *boot;
}

void sim_disk_free(struct sim_disk *d)
{
	sim_log_free(&d->durable);
	sim_log_free(&d->written);
	for (size_t i = 0; i < d->nj; i++)
		sim_write_free(&d->journal[i]);
	free(d->journal);
	d->journal = NULL;
	d->nj = d->capj = 0;
}

int sim_disk_write_snap(struct sim_disk *d, const struct raft_snapshot *snap)
{
	struct sim_sm sm;
	if (snap->meta.index <= d->written.snap.index ||
	    sim_sm_decode(&sm, snap->data, snap->len) != 0 ||
	    sm.applied != snap->meta.index) {
		sim_fail(d->sim, "node slot %d: ready snapshot at %llu is bad",
			 d->slot, (unsigned long long)snap->meta.index);
		return -1;
	}
	struct sim_write *w = sim_journal_add(d);
	w->kind = SIM_WOP_SNAP;
	w->meta = snap->meta;
	w->data = dup_bytes(snap->data, snap->len);
	w->len = snap->len;
	w->chain = sm.chain;
	sim_log_snap(&d->written, &w->meta, w->data, w->len, w->chain);
	return 0;
}

int sim_disk_write_ents(struct sim_disk *d, const struct raft_entry *e,
			size_t n)
{
	if (n == 0)
		return 0;
	struct sim_write *w = sim_journal_add(d);
	w->kind = SIM_WOP_ENTS;
	w->ents = calloc(n, sizeof *w->ents);
	ASSERT(w->ents != NULL);
	w->n = n;
	for (size_t i = 0; i < n; i++) {
		w->ents[i] = (struct sim_ent){.term = e[i].term,
					      .index = e[i].index,
					      .type = e[i].type,
					      .len = e[i].len};
		w->ents[i].data = dup_bytes(e[i].data, e[i].len);
	}
	if (sim_log_append(&d->written, w->ents, n) != 0) {
		sim_fail(d->sim,
			 "node slot %d: ready entries from %llu do not follow "
			 "storage (snapshot %llu, last %llu)",
			 d->slot, (unsigned long long)e[0].index,
			 (unsigned long long)d->written.snap.index,
			 (unsigned long long)sim_log_last(&d->written));
		return -1;
	}
	for (uint64_t i = e[0].index; i <= e[n - 1].index; i++)
		sim_check_log_entry(d->sim, d->slot,
				    sim_log_ent(&d->written, i));
	return 0;
}

void sim_disk_write_hs(struct sim_disk *d, const struct raft_hard_state *hs)
{
	struct sim_write *w = sim_journal_add(d);
	w->kind = SIM_WOP_HS;
	w->hs = *hs;
	d->written.hs = *hs;
}

static void sim_replay(struct sim_log *log, const struct sim_write *w,
		       size_t n_ents)
{
	switch (w->kind) {
	case SIM_WOP_SNAP:
		sim_log_snap(log, &w->meta, w->data, w->len, w->chain);
		break;
	case SIM_WOP_ENTS:
		ASSERT(sim_log_append(log, w->ents, n_ents) == 0);
		break;
	case SIM_WOP_HS:
		log->hs = w->hs;
		break;
	}
}

static void sim_journal_clear(struct sim_disk *d)
{
	for (size_t i = 0; i < d->nj; i++)
		sim_write_free(&d->journal[i]);
	d->nj = 0;
}

void sim_disk_sync(struct sim_disk *d)
{
	for (size_t i = 0; i < d->nj; i++)
		sim_replay(&d->durable, &d->journal[i], d->journal[i].n);
	sim_journal_clear(d);
}

void sim_disk_crash(struct sim_disk *d, size_t keep, size_t tear_keep)
{
	if (keep > d->nj)
		keep = d->nj;
	for (size_t i = 0; i < keep; i++)
		sim_replay(&d->durable, &d->journal[i], d->journal[i].n);
	/* The next write torn: an entry write keeps a prefix of entries. */
	if (keep < d->nj && d->journal[keep].kind == SIM_WOP_ENTS &&
	    tear_keep > 0) {
		size_t k = tear_keep < d->journal[keep].n ? tear_keep
							  : d->journal[keep].n;
		sim_replay(&d->durable, &d->journal[keep], k);
	}
	sim_journal_clear(d);
	sim_log_copy(&d->written, &d->durable);
}

void sim_disk_compact(struct sim_disk *d, uint64_t index, uint64_t term,
		      const struct raft_conf_state *conf, const uint8_t *data,
		      size_t len, uint64_t chain)
{
	ASSERT(d->nj == 0);
	struct raft_snapshot_meta meta = {.index = index, .term = term,
					  .conf = *conf};
	sim_log_snap(&d->durable, &meta, data, len, chain);
	sim_log_snap(&d->written, &meta, data, len, chain);
}

/* ---- raft_storage over d->written ---- */

static int st_initial_state(void *ctx, struct raft_hard_state *hs,
			    struct raft_conf_state *conf)
{
	struct sim_disk *d = ctx;
	*hs = d->written.hs;
	*conf = d->written.snap.index > 0 ? d->written.snap.conf : d->boot_conf;
	return 0;
}

static uint64_t st_first_index(void *ctx)
{
	struct sim_disk *d = ctx;
	return d->written.snap.index + 1;
}

static uint64_t st_last_index(void *ctx)
{
	struct sim_disk *d = ctx;
	return sim_log_last(&d->written);
}

static int st_term(void *ctx, uint64_t i, uint64_t *term)
{
	struct sim_disk *d = ctx;
	if (i < d->written.snap.index)
		return RAFT_ERR_COMPACTED;
	if (!sim_log_term(&d->written, i, term))
		return RAFT_ERR_UNAVAILABLE;
	return 0;
}

static int st_entries(void *ctx, uint64_t lo, uint64_t hi, uint64_t max_bytes,
		      struct raft_entry *out, size_t *n)
{
	struct sim_disk *d = ctx;
	if (lo <= d->written.snap.index)
		return RAFT_ERR_COMPACTED;
	if (hi > sim_log_last(&d->written) + 1 || lo >= hi)
		return RAFT_ERR_UNAVAILABLE;
	size_t k = 0;
	uint64_t bytes = 0;
	for (uint64_t i = lo; i < hi; i++) {
		const struct sim_ent *e = sim_log_ent(&d->written, i);
		if (k > 0 && bytes + e->len > max_bytes)
			break;
		bytes += e->len;
		out[k++] = (struct raft_entry){.term = e->term,
					       .index = e->index,
					       .type = e->type,
					       .len = e->len,
					       .data = e->data};
	}
	*n = k;
	return 0;
}

static int st_snapshot(void *ctx, struct raft_snapshot *out)
{
	struct sim_disk *d = ctx;
	memset(out, 0, sizeof *out);
	out->meta = d->written.snap;
	out->len = d->written.snap_len;
	out->data = d->written.snap_data;
	return 0;
}

struct raft_storage sim_disk_storage(struct sim_disk *d)
{
	return (struct raft_storage){.ctx = d,
				     .initial_state = st_initial_state,
				     .first_index = st_first_index,
				     .last_index = st_last_index,
				     .term = st_term,
				     .entries = st_entries,
				     .snapshot = st_snapshot};
}
