/*
 * log_store_record.c — what each record of raft/log_store means, applied to
 * the in-memory log.  The same code runs for a live write (right after its
 * record is appended) and for recovery, so replay rebuilds what the writes
 * built.
 *
 * Every record states the state it leaves rather than a change relative to
 * unknown state: ENTRIES says "the log ends at first-1, then these", SNAP
 * says "snapshot at index, and the log now ends at last".  That matters
 * after compaction has deleted the oldest segments: replay then starts in
 * the middle of history.  Until a SNAP record covers the gap, an ENTRIES
 * record that does not follow what replay knows is taken as a restart of
 * the known part (its predecessors were in the deleted segments, and such
 * entries are all <= the snapshot that allowed the deletion, which is at or
 * before the newest SNAP record, so replay meets it later).  Once a SNAP
 * record has anchored the log, any record that does not fit is corruption.
 * At the end the log must be anchored (log_store.c checks `known`).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/crc32c.h"
#include "raft/log_store_int.h"

void log_store_logf(struct raft_log_store *ls, enum kv_log_level lv,
		    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kv_log_emit(ls->log_fn, ls->log_ctx, lv, fmt, ap);
	va_end(ap);
}

void log_store_ent_encode(unsigned char *h, const struct raft_entry *e)
{
	memset(h, 0, LS_ENT_HDR);
	kv_put_u32(h + 4, e->len);
	kv_put_u64(h + 8, e->term);
	kv_put_u64(h + 16, e->index);
	h[24] = e->type;
	uint32_t crc = kv_crc32c(h + 4, LS_ENT_HDR - 4);
	if (e->len > 0)
		crc = kv_crc32c_extend(crc, e->data, e->len);
	kv_put_u32(h, crc);
}

bool log_store_ent_check(const unsigned char *h, uint64_t index,
			 uint64_t term, uint32_t len)
{
	if (kv_get_u32(h + 4) != len || kv_get_u64(h + 8) != term ||
	    kv_get_u64(h + 16) != index)
		return false;
	uint32_t crc = kv_crc32c(h + 4, LS_ENT_HDR - 4);
	crc = kv_crc32c_extend(crc, h + LS_ENT_HDR, len);
	return crc == kv_get_u32(h);
}

/* Names the place of a bad record and returns RAFT_ERR_CORRUPT. */
static int corrupt(struct raft_log_store *ls, const struct kv_rlog_pos *at,
		   const char *why)
{
	char path[4096];
	kv_rlog_seg_path(path, sizeof path, ls->dir, at->seg);
	log_store_logf(ls, KV_LOG_ERROR,
		       "raft log store: bad record in %s at offset %" PRIu64
		       ": %s", path, at->off, why);
	return RAFT_ERR_CORRUPT;
}

/* ---- the in-memory log ------------------------------------------------- */

static void log_truncate(struct raft_log_store *ls, uint64_t last)
{
	ASSERT(last >= ls->base && last <= ls_last(ls));
	ls->n = (size_t)(last - ls->base);
}

static void log_reset(struct raft_log_store *ls, uint64_t base, uint64_t term)
{
	ls->base = base;
	ls->base_term = term;
	ls->head = 0;
	ls->n = 0;
}

/* Drops entries <= upto, which is in [base, last]. */
static void log_drop_prefix(struct raft_log_store *ls, uint64_t upto,
			    uint64_t term)
{
	ASSERT(upto >= ls->base && upto <= ls_last(ls));
	size_t k = (size_t)(upto - ls->base);
	ls->head += k;
	ls->n -= k;
	ls->base = upto;
	ls->base_term = term;
	if (ls->n == 0)
		ls->head = 0;
}

static int log_reserve(struct raft_log_store *ls, size_t more)
{
	if (ls->head + ls->n + more <= ls->cap)
		return 0;
	if (ls->head > 0) {
		memmove(ls->ents, ls->ents + ls->head, ls->n * sizeof *ls->ents);
		ls->head = 0;
		if (ls->n + more <= ls->cap)
			return 0;
	}
	size_t cap = ls->cap ? ls->cap : 64;
	while (cap < ls->n + more)
		cap *= 2;
	void *p = realloc(ls->ents, cap * sizeof *ls->ents);
	if (p == NULL)
		return -ENOMEM;
	ls->ents = p;
	ls->cap = cap;
	return 0;
}

static int segmax_note(struct raft_log_store *ls, uint64_t seg, uint64_t idx)
{
	size_t k = ls->nsegmax;
	if (k > 0 && ls->segmax[k - 1].seg == seg) {
		if (ls->segmax[k - 1].max_index < idx)
			ls->segmax[k - 1].max_index = idx;
		return 0;
	}
	/* Records come in log order, so segment ids only grow. */
	ASSERT(k == 0 || ls->segmax[k - 1].seg < seg);
	if (k == ls->capsegmax) {
		size_t cap = k ? 2 * k : 16;
		void *p = realloc(ls->segmax, cap * sizeof *ls->segmax);
		if (p == NULL)
			return -ENOMEM;
		ls->segmax = p;
		ls->capsegmax = cap;
	}
	ls->segmax[k] = (struct ls_segmax){seg, idx};
	ls->nsegmax++;
	return 0;
}

/* ---- records ----------------------------------------------------------- */

/* Checks the shape of an ENTRIES payload; sets *count and *first. */
static int entries_check(struct raft_log_store *ls, const struct kv_rlog_pos *at,
			 const unsigned char *p, uint32_t len, uint32_t *count,
			 uint64_t *first)
{
	if (len < LS_ENTRIES_HDR || kv_get_u32(p) != LS_MAGIC_ENTRIES)
		return corrupt(ls, at, "not an entries record");
	*count = kv_get_u32(p + 4);
	*first = kv_get_u64(p + 8);
	if (*count == 0 || *first == 0 || *first > LS_INDEX_MAX - *count)
		return corrupt(ls, at, "bad entry count or index");
	uint64_t off = LS_ENTRIES_HDR;
	for (uint32_t k = 0; k < *count; k++) {
		if (len - off < LS_ENT_HDR)
			return corrupt(ls, at, "entry header past the record");
		const unsigned char *h = p + off;
		uint32_t elen = kv_get_u32(h + 4);
		if (kv_get_u64(h + 16) != *first + k || h[24] > RAFT_ENTRY_CONF)
			return corrupt(ls, at, "entry index or type");
		if (len - off - LS_ENT_HDR < elen)
			return corrupt(ls, at, "entry data past the record");
		off += LS_ENT_HDR + elen;
	}
	if (off != len)
		return corrupt(ls, at, "bytes after the last entry");
	return 0;
}

static int apply_entries(struct raft_log_store *ls,
			 const struct kv_rlog_pos *at, const unsigned char *p,
			 uint32_t len)
{
	uint32_t count = 0;
	uint64_t first = 0;
	int rc = entries_check(ls, at, p, len, &count, &first);
	if (rc != 0)
		return rc;
	if (first - 1 >= ls->base && first - 1 <= ls_last(ls)) {
		log_truncate(ls, first - 1);
	} else if (ls->known && ls->seen_snap) {
		return corrupt(ls, at, "entries do not follow the log");
	} else {
		/* Behind deleted segments: see the top of this file. */
		log_reset(ls, first - 1, 0);
		ls->known = false;
	}
	rc = log_reserve(ls, count);
	if (rc == 0)
		rc = segmax_note(ls, at->seg, first + count - 1);
	if (rc != 0)
		return rc;
	uint64_t off = LS_ENTRIES_HDR;
	for (uint32_t k = 0; k < count; k++) {
		const unsigned char *h = p + off;
		uint32_t elen = kv_get_u32(h + 4);
		ls->ents[ls->head + ls->n++] = (struct ls_ent){
			.term = kv_get_u64(h + 8),
			.seg = at->seg,
			.off = at->off + KV_RLOG_HDR + off,
			.len = elen,
			.type = h[24],
		};
		off += LS_ENT_HDR + elen;
	}
	return 0;
}

static int apply_hard(struct raft_log_store *ls, const struct kv_rlog_pos *at,
		      const unsigned char *p, uint32_t len)
{
	if (len != LS_HARD_BYTES || kv_get_u32(p) != LS_MAGIC_HARD)
		return corrupt(ls, at, "not a hard state record");
	ls->hs.term = kv_get_u64(p + 8);
	ls->hs.vote = kv_get_u64(p + 16);
	ls->hs.commit = kv_get_u64(p + 24);
	ls->hs_seg = at->seg;
	return 0;
}

static int snap_decode(struct raft_log_store *ls, const struct kv_rlog_pos *at,
		       const unsigned char *p, uint32_t len,
		       struct raft_snapshot_meta *m, uint64_t *last)
{
	if (len < LS_SNAP_HDR || kv_get_u32(p) != LS_MAGIC_SNAP)
		return corrupt(ls, at, "not a snapshot record");
	memset(m, 0, sizeof *m);
	m->conf.n_voters = kv_get_u32(p + 4);
	m->conf.n_learners = kv_get_u32(p + 8);
	m->index = kv_get_u64(p + 16);
	m->term = kv_get_u64(p + 24);
	*last = kv_get_u64(p + 32);
	uint32_t nv = m->conf.n_voters, nl = m->conf.n_learners;
	if (nv > RAFT_NODES_MAX || nl > RAFT_NODES_MAX ||
	    len != LS_SNAP_HDR + 8u * (nv + nl) || m->index == 0 ||
	    *last < m->index || *last > LS_INDEX_MAX)
		return corrupt(ls, at, "bad snapshot record");
	for (uint32_t k = 0; k < nv; k++)
		m->conf.voters[k] = kv_get_u64(p + LS_SNAP_HDR + 8 * k);
	for (uint32_t k = 0; k < nl; k++)
		m->conf.learners[k] = kv_get_u64(p + LS_SNAP_HDR + 8 * (nv + k));
	return 0;
}

static int apply_snap(struct raft_log_store *ls, const struct kv_rlog_pos *at,
		      const unsigned char *p, uint32_t len)
{
	struct raft_snapshot_meta m;
	uint64_t last = 0;
	int rc = snap_decode(ls, at, p, len, &m, &last);
	if (rc != 0)
		return rc;
	bool anchored = ls->known && ls->seen_snap;
	if (anchored && m.index < ls->snap.index)
		return corrupt(ls, at, "snapshot older than the one before");
	if (last == m.index) {
		/* The log was replaced by the snapshot (ready step 2). */
		log_reset(ls, m.index, m.term);
		ls->known = true;
	} else if (m.index >= ls->base && last == ls_last(ls)) {
		uint64_t t = m.index == ls->base ? ls->base_term
						 : ls_ent_at(ls, m.index)->term;
		if (ls->known && t != m.term)
			return corrupt(ls, at, "snapshot term differs from log");
		log_drop_prefix(ls, m.index, m.term);
		ls->known = true;
	} else if (anchored) {
		return corrupt(ls, at, "snapshot keeps a suffix the log lacks");
	} else {
		/*
		 * Behind deleted segments: the suffix it keeps is (partly)
		 * in them.  Replay knows the log ends at last; a later
		 * snapshot must cover what came before.
		 */
		if (last != ls_last(ls))
			log_reset(ls, last, 0);
		ls->known = false;
	}
	ls->snap = m;
	ls->snap_seg = at->seg;
	ls->seen_snap = true;
	return 0;
}

int log_store_apply(void *arg, const struct kv_rlog_pos *at, uint32_t type,
		    const unsigned char *payload, uint32_t len)
{
	struct raft_log_store *ls = arg;
	switch (type) {
	case LS_REC_ENTRIES:
		return apply_entries(ls, at, payload, len);
	case LS_REC_HARD:
		return apply_hard(ls, at, payload, len);
	case LS_REC_SNAP:
		return apply_snap(ls, at, payload, len);
	default:
		return corrupt(ls, at, "unknown record type");
	}
}
