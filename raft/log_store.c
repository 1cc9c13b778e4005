/*
 * log_store.c — Raft's stable log on disk (see log_store.h): opening and
 * recovery, the write side (entries, hard state, snapshot, group-committed
 * sync), compaction by whole segments, and reads through the in-memory
 * index.  What each record means is in log_store_record.c.
 */
#include "raft/log_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "raft/log_store_int.h"

#define LS_SEGMENT_BYTES_DEFAULT (64ull << 20)
/* Entries are packed into records of about this size (one entry: any). */
#define LS_RECORD_TARGET (4u << 20)
/* A read buffer grown past this is given back after the read. */
#define LS_RBUF_KEEP (8u << 20)

const char *raft_log_store_strerror(int err)
{
	if (err <= -2000 && err > -3000)
		return kv_strerror(err);
	return raft_strerror(err);
}

/* ---- open and close ---------------------------------------------------- */

static int dir_lock(struct raft_log_store *ls)
{
	const struct kv_io *io = ls->io;
	int rc = io->mkdir(io->ctx, ls->dir, 0755);
	if (rc != 0 && rc != -EEXIST)
		return rc;
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/LOCK", ls->dir);
	if (n < 0 || (size_t)n >= sizeof path)
		return -ENAMETOOLONG;
	int fd = io->open(io->ctx, path, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		return fd;
	ls->lock_fd = fd;
	rc = io->lock(io->ctx, fd);
	if (rc == -EWOULDBLOCK || rc == -EAGAIN)
		return KV_ELOCKED;
	return rc;
}

static void store_free(struct raft_log_store *ls)
{
	if (ls->lock_fd >= 0)
		ls->io->close(ls->io->ctx, ls->lock_fd);
	pthread_mutex_destroy(&ls->mu);
	free(ls->ents);
	free(ls->segmax);
	free(ls->wbuf);
	free(ls->rbuf);
	free(ls->dir);
	free(ls);
}

/* After replay: the log must be anchored at the snapshot (or at 0). */
static int replay_check(struct raft_log_store *ls)
{
	if (ls->known && ls->base == ls->snap.index)
		return 0;
	log_store_logf(ls, KV_LOG_ERROR,
		       "raft log store %s: entries before %" PRIu64
		       " are missing and no snapshot covers them (snapshot %"
		       PRIu64 ")", ls->dir, ls->base + 1, ls->snap.index);
	return RAFT_ERR_CORRUPT;
}

int raft_log_store_open(const char *dir,
			const struct raft_log_store_options *opts,
			struct raft_log_store **out)
{
	ASSERT(dir != NULL && opts != NULL && out != NULL);
	struct raft_log_store *ls = calloc(1, sizeof *ls);
	if (ls == NULL)
		return -ENOMEM;
	ls->io = opts->io ? opts->io : kv_io_posix();
	ls->lock_fd = -1;
	ls->log_fn = opts->log_fn;
	ls->log_ctx = opts->log_ctx;
	ls->boot_conf = opts->boot_conf;
	ls->known = true; /* nothing read yet: a log that starts at 1 */
	pthread_mutex_init(&ls->mu, NULL);
	ls->dir = strdup(dir);
	if (ls->dir == NULL) {
		store_free(ls);
		return -ENOMEM;
	}
	int rc = dir_lock(ls);
	if (rc == 0) {
		struct kv_rlog_options ro = {
			.io = ls->io,
			.segment_bytes = opts->segment_bytes
						 ? opts->segment_bytes
						 : LS_SEGMENT_BYTES_DEFAULT,
			.log_fn = opts->log_fn,
			.log_ctx = opts->log_ctx,
		};
		rc = kv_rlog_open(dir, &ro, log_store_apply, ls, &ls->rlog);
	}
	if (rc == 0)
		rc = replay_check(ls);
	if (rc != 0) {
		kv_rlog_close(ls->rlog);
		store_free(ls);
		return rc;
	}
	ls->seen_snap = true;
	log_store_logf(ls, KV_LOG_INFO,
		       "raft log store %s: entries %" PRIu64 "..%" PRIu64
		       ", snapshot %" PRIu64 ", term %" PRIu64 ", commit %"
		       PRIu64, dir, ls->base + 1, ls_last(ls), ls->snap.index,
		       ls->hs.term, ls->hs.commit);
	*out = ls;
	return 0;
}

int raft_log_store_close(struct raft_log_store *ls)
{
	if (ls == NULL)
		return 0;
	int rc = atomic_load(&ls->err);
	int rc2 = kv_rlog_close(ls->rlog);
	store_free(ls);
	return rc != 0 ? rc : rc2;
}

int raft_log_store_error(struct raft_log_store *ls)
{
	int rc = atomic_load(&ls->err);
	return rc != 0 ? rc : kv_rlog_error(ls->rlog);
}

/* Makes the store read-only for good: the first error is kept. */
static int fail(struct raft_log_store *ls, int rc, const char *what)
{
	int zero = 0;
	if (atomic_compare_exchange_strong(&ls->err, &zero, rc))
		log_store_logf(ls, KV_LOG_ERROR,
			       "raft log store %s: %s failed (%s): read-only "
			       "until reopened", ls->dir, what,
			       raft_log_store_strerror(rc));
	return rc;
}

/* ---- writes ------------------------------------------------------------ */

static int wbuf_reserve(struct raft_log_store *ls, size_t payload)
{
	size_t need = KV_RLOG_HDR + payload;
	if (need <= ls->wcap)
		return 0;
	unsigned char *p = malloc(need);
	if (p == NULL)
		return -ENOMEM;
	free(ls->wbuf);
	ls->wbuf = p;
	ls->wcap = need;
	return 0;
}

static int note_at(void *arg, const struct kv_rlog_pos *at)
{
	*(struct kv_rlog_pos *)arg = *at;
	return 0;
}

/*
 * Appends the record in wbuf and applies it to memory, the same way replay
 * will.  Caller holds mu and has checked the record makes sense, so apply
 * cannot refuse it (asserted).
 */
static int write_record(struct raft_log_store *ls, uint32_t type,
			uint32_t len, uint64_t *lsn)
{
	struct kv_rlog_pos at;
	uint64_t my = 0;
	int rc = kv_rlog_append(ls->rlog, type, ls->wbuf, len, note_at, &at,
				&my);
	if (rc != 0)
		return fail(ls, rc, "a record append");
	rc = log_store_apply(ls, &at, type, ls->wbuf + KV_RLOG_HDR, len);
	if (rc != 0) {
		ASSERT(rc == -ENOMEM);
		return fail(ls, rc, "indexing a written record");
	}
	if (lsn != NULL)
		*lsn = my;
	return 0;
}

static int writable(struct raft_log_store *ls)
{
	int rc = atomic_load(&ls->err);
	return rc != 0 ? rc : kv_rlog_error(ls->rlog);
}

static int entries_valid(struct raft_log_store *ls,
			 const struct raft_entry *e, size_t n)
{
	if (n == 0 || e[0].index <= ls->base || e[0].index > ls_last(ls) + 1)
		return RAFT_ERR_INVALID;
	for (size_t k = 0; k < n; k++) {
		if (e[k].index != e[0].index + k || e[k].type > RAFT_ENTRY_CONF ||
		    (e[k].len > 0 && e[k].data == NULL))
			return RAFT_ERR_INVALID;
		if (e[k].len > RAFT_LOG_STORE_ENTRY_MAX)
			return RAFT_ERR_TOO_BIG;
	}
	return 0;
}

/* Encodes e[0..count) as one ENTRIES record in wbuf; returns its length. */
static uint32_t entries_encode(struct raft_log_store *ls,
			       const struct raft_entry *e, size_t count)
{
	unsigned char *p = ls->wbuf + KV_RLOG_HDR;
	kv_put_u32(p, LS_MAGIC_ENTRIES);
	kv_put_u32(p + 4, (uint32_t)count);
	kv_put_u64(p + 8, e[0].index);
	size_t off = LS_ENTRIES_HDR;
	for (size_t k = 0; k < count; k++) {
		log_store_ent_encode(p + off, &e[k]);
		if (e[k].len > 0)
			memcpy(p + off + LS_ENT_HDR, e[k].data, e[k].len);
		off += LS_ENT_HDR + e[k].len;
	}
	return (uint32_t)off;
}

int raft_log_store_append(struct raft_log_store *ls,
			  const struct raft_entry *ents, size_t n,
			  uint64_t *lsn)
{
	pthread_mutex_lock(&ls->mu);
	int rc = writable(ls);
	if (rc == 0)
		rc = entries_valid(ls, ents, n);
	uint64_t my = 0;
	/* Bounded: each pass writes at least one entry. */
	for (size_t k = 0; rc == 0 && k < n;) {
		size_t count = 0;
		uint64_t bytes = LS_ENTRIES_HDR;
		while (k + count < n &&
		       (count == 0 || bytes + LS_ENT_HDR + ents[k + count].len <=
					      LS_RECORD_TARGET)) {
			bytes += LS_ENT_HDR + ents[k + count].len;
			count++;
		}
		rc = wbuf_reserve(ls, (size_t)bytes);
		if (rc != 0)
			break;
		uint32_t len = entries_encode(ls, ents + k, count);
		ASSERT(len == bytes);
		rc = write_record(ls, LS_REC_ENTRIES, len, &my);
		k += count;
	}
	if (rc == 0) {
		ASSERT(ls_last(ls) == ents[n - 1].index);
		if (lsn != NULL)
			*lsn = my;
	}
	pthread_mutex_unlock(&ls->mu);
	return rc;
}

static int hard_write(struct raft_log_store *ls,
		      const struct raft_hard_state *hs, uint64_t *lsn)
{
	int rc = wbuf_reserve(ls, LS_HARD_BYTES);
	if (rc != 0)
		return rc;
	unsigned char *p = ls->wbuf + KV_RLOG_HDR;
	kv_put_u32(p, LS_MAGIC_HARD);
	kv_put_u32(p + 4, 0);
	kv_put_u64(p + 8, hs->term);
	kv_put_u64(p + 16, hs->vote);
	kv_put_u64(p + 24, hs->commit);
	return write_record(ls, LS_REC_HARD, LS_HARD_BYTES, lsn);
}

int raft_log_store_set_hard_state(struct raft_log_store *ls,
				  const struct raft_hard_state *hs,
				  uint64_t *lsn)
{
	pthread_mutex_lock(&ls->mu);
	int rc = writable(ls);
	if (rc == 0)
		rc = hard_write(ls, hs, lsn);
	pthread_mutex_unlock(&ls->mu);
	return rc;
}

/* Writes a SNAP record: meta, and the log ending at last after it. */
static int snap_write(struct raft_log_store *ls,
		      const struct raft_snapshot_meta *m, uint64_t last,
		      uint64_t *lsn)
{
	uint32_t nv = m->conf.n_voters, nl = m->conf.n_learners;
	uint32_t len = LS_SNAP_HDR + 8u * (nv + nl);
	int rc = wbuf_reserve(ls, len);
	if (rc != 0)
		return rc;
	unsigned char *p = ls->wbuf + KV_RLOG_HDR;
	kv_put_u32(p, LS_MAGIC_SNAP);
	kv_put_u32(p + 4, nv);
	kv_put_u32(p + 8, nl);
	kv_put_u32(p + 12, 0);
	kv_put_u64(p + 16, m->index);
	kv_put_u64(p + 24, m->term);
	kv_put_u64(p + 32, last);
	for (uint32_t k = 0; k < nv; k++)
		kv_put_u64(p + LS_SNAP_HDR + 8 * k, m->conf.voters[k]);
	for (uint32_t k = 0; k < nl; k++)
		kv_put_u64(p + LS_SNAP_HDR + 8 * (nv + k), m->conf.learners[k]);
	return write_record(ls, LS_REC_SNAP, len, lsn);
}

int raft_log_store_set_snapshot(struct raft_log_store *ls,
				const struct raft_snapshot_meta *meta,
				uint64_t *lsn)
{
	pthread_mutex_lock(&ls->mu);
	int rc = writable(ls);
	const struct raft_conf_state *c = &meta->conf;
	if (rc == 0 && (meta->index == 0 || meta->index < ls->base ||
			c->n_voters > RAFT_NODES_MAX ||
			c->n_learners > RAFT_NODES_MAX))
		rc = RAFT_ERR_INVALID;
	if (rc == 0 && meta->index == ls->base && ls->snap.index > 0 &&
	    meta->term != ls->base_term)
		rc = RAFT_ERR_INVALID;
	if (rc == 0) {
		/* ready step 2: keep the suffix only if the log agrees. */
		uint64_t last = meta->index;
		if (meta->index == ls->base && ls->snap.index > 0)
			last = ls_last(ls);
		else if (meta->index > ls->base && meta->index <= ls_last(ls) &&
			 ls_ent_at(ls, meta->index)->term == meta->term)
			last = ls_last(ls);
		rc = snap_write(ls, meta, last, lsn);
	}
	pthread_mutex_unlock(&ls->mu);
	return rc;
}

int raft_log_store_sync(struct raft_log_store *ls, uint64_t lsn)
{
	int rc = atomic_load(&ls->err);
	if (rc != 0)
		return rc;
	rc = kv_rlog_sync(ls->rlog, lsn);
	if (rc != 0)
		fail(ls, rc, "sync");
	return rc;
}

/* ---- compaction -------------------------------------------------------- */

static uint64_t segmax_of(const struct raft_log_store *ls, uint64_t seg)
{
	for (size_t k = 0; k < ls->nsegmax; k++)
		if (ls->segmax[k].seg == seg)
			return ls->segmax[k].max_index;
	return 0; /* no entries in it */
}

/*
 * How many of the oldest segments (infos[0..n)) may go: sealed, and every
 * entry ever written to them (live or truncated) <= the snapshot index.
 * Only a prefix, so replay after the deletion starts at one point in
 * history (log_store_record.c).
 */
static size_t deletable_prefix(const struct raft_log_store *ls,
			       const struct kv_rlog_seginfo *infos, size_t n)
{
	size_t k = 0;
	while (k < n && infos[k].sealed &&
	       segmax_of(ls, infos[k].id) <= ls->snap.index)
		k++;
	return k;
}

/*
 * The newest HARD and SNAP records must outlive the segments that go:
 * append fresh copies (state records, so a copy means the same) and make
 * them durable first.
 */
static int keep_state_records(struct raft_log_store *ls, uint64_t first_kept)
{
	int rc = 0;
	uint64_t lsn = 0;
	if (ls->hs_seg != 0 && ls->hs_seg < first_kept) {
		struct raft_hard_state hs = ls->hs;
		rc = hard_write(ls, &hs, &lsn);
	}
	if (rc == 0 && ls->snap_seg != 0 && ls->snap_seg < first_kept) {
		struct raft_snapshot_meta m = ls->snap;
		rc = snap_write(ls, &m, ls_last(ls), &lsn);
	}
	if (rc == 0 && lsn != 0) {
		rc = kv_rlog_sync(ls->rlog, lsn);
		if (rc != 0)
			fail(ls, rc, "sync before compaction");
	}
	return rc;
}

static int compact_locked(struct raft_log_store *ls, unsigned *deleted)
{
	if (ls->snap.index == 0)
		return 0;
	/* Never outrun a durable snapshot: its record goes to disk first. */
	int rc = kv_rlog_sync(ls->rlog, 0);
	if (rc != 0)
		return fail(ls, rc, "sync before compaction");
	size_t n = kv_rlog_segments(ls->rlog, NULL, 0);
	struct kv_rlog_seginfo *infos = calloc(n ? n : 1, sizeof *infos);
	if (infos == NULL)
		return -ENOMEM;
	n = kv_rlog_segments(ls->rlog, infos, n); /* mu: no new segments */
	size_t k = deletable_prefix(ls, infos, n);
	if (k > 0)
		rc = keep_state_records(ls, infos[k].id);
	for (size_t i = 0; rc == 0 && i < k; i++) {
		struct kv_rlog_seg *s = kv_rlog_seg_get(ls->rlog, infos[i].id);
		if (s == NULL)
			continue;
		kv_rlog_seg_retire(ls->rlog, s);
		kv_rlog_seg_put(ls->rlog, s); /* the last pin: deleted */
		rc = kv_rlog_error(ls->rlog);
		if (rc != 0)
			fail(ls, rc, "deleting a segment");
		else
			(*deleted)++;
	}
	/* Forget the deleted segments' accounting. */
	size_t drop = 0;
	while (drop < ls->nsegmax && k > 0 && ls->segmax[drop].seg < infos[k].id)
		drop++;
	memmove(ls->segmax, ls->segmax + drop,
		(ls->nsegmax - drop) * sizeof *ls->segmax);
	ls->nsegmax -= drop;
	free(infos);
	return rc;
}

int raft_log_store_compact(struct raft_log_store *ls, unsigned *deleted)
{
	unsigned d = 0;
	pthread_mutex_lock(&ls->mu);
	int rc = writable(ls);
	if (rc == 0)
		rc = compact_locked(ls, &d);
	pthread_mutex_unlock(&ls->mu);
	if (deleted != NULL)
		*deleted = d;
	return rc;
}

/* ---- reads ------------------------------------------------------------- */

uint64_t raft_log_store_first_index(struct raft_log_store *ls)
{
	pthread_mutex_lock(&ls->mu);
	uint64_t i = ls->base + 1;
	pthread_mutex_unlock(&ls->mu);
	return i;
}

uint64_t raft_log_store_last_index(struct raft_log_store *ls)
{
	pthread_mutex_lock(&ls->mu);
	uint64_t i = ls_last(ls);
	pthread_mutex_unlock(&ls->mu);
	return i;
}

int raft_log_store_term(struct raft_log_store *ls, uint64_t i, uint64_t *term)
{
	int rc = 0;
	pthread_mutex_lock(&ls->mu);
	if (i < ls->base)
		rc = RAFT_ERR_COMPACTED;
	else if (i > ls_last(ls))
		rc = RAFT_ERR_UNAVAILABLE;
	else
		*term = i == ls->base ? ls->base_term : ls_ent_at(ls, i)->term;
	pthread_mutex_unlock(&ls->mu);
	return rc;
}

static int rbuf_reserve(struct raft_log_store *ls, size_t need)
{
	if (need <= ls->rcap)
		return 0;
	unsigned char *p = malloc(need);
	if (p == NULL)
		return -ENOMEM;
	free(ls->rbuf);
	ls->rbuf = p;
	ls->rcap = need;
	return 0;
}

/*
 * Reads entries [lo, lo+count) into rbuf with one pread per run of entries
 * that lie back to back in one segment (those written in one record).
 */
static int read_runs(struct raft_log_store *ls, uint64_t lo, size_t count)
{
	size_t pos = 0;
	for (size_t k = 0; k < count;) {
		const struct ls_ent *e = ls_ent_at(ls, lo + k);
		uint64_t bytes = LS_ENT_HDR + e->len;
		size_t run = 1;
		while (k + run < count) {
			const struct ls_ent *x = ls_ent_at(ls, lo + k + run);
			if (x->seg != e->seg || x->off != e->off + bytes)
				break;
			bytes += LS_ENT_HDR + x->len;
			run++;
		}
		struct kv_rlog_seg *s = kv_rlog_seg_get(ls->rlog, e->seg);
		if (s == NULL)
			return RAFT_ERR_CORRUPT; /* the index points at nothing */
		int rc = kv_rlog_seg_read(ls->rlog, s, e->off, ls->rbuf + pos,
					  (size_t)bytes);
		kv_rlog_seg_put(ls->rlog, s);
		if (rc != 0)
			return rc;
		pos += (size_t)bytes;
		k += run;
	}
	return 0;
}

int log_store_entries_locked(struct raft_log_store *ls, uint64_t lo,
			     uint64_t hi, uint64_t max_bytes,
			     struct raft_entry *out, size_t *n)
{
	if (lo <= ls->base)
		return RAFT_ERR_COMPACTED;
	if (lo >= hi || hi > ls_last(ls) + 1)
		return RAFT_ERR_UNAVAILABLE;
	size_t count = 0;
	uint64_t data = 0, bytes = 0;
	for (uint64_t i = lo; i < hi; i++) {
		const struct ls_ent *e = ls_ent_at(ls, i);
		if (count > 0 && data + e->len > max_bytes)
			break;
		data += e->len;
		bytes += LS_ENT_HDR + e->len;
		count++;
	}
	if (ls->rcap > LS_RBUF_KEEP && bytes <= LS_RBUF_KEEP) {
		free(ls->rbuf);
		ls->rbuf = NULL;
		ls->rcap = 0;
	}
	int rc = rbuf_reserve(ls, (size_t)bytes);
	if (rc == 0)
		rc = read_runs(ls, lo, count);
	size_t pos = 0;
	for (size_t k = 0; rc == 0 && k < count; k++) {
		const struct ls_ent *e = ls_ent_at(ls, lo + k);
		unsigned char *h = ls->rbuf + pos;
		if (!log_store_ent_check(h, lo + k, e->term, e->len)) {
			char path[4096];
			kv_rlog_seg_path(path, sizeof path, ls->dir, e->seg);
			log_store_logf(ls, KV_LOG_ERROR,
				       "raft log store: entry %" PRIu64
				       " in %s at offset %" PRIu64
				       " fails its checksum", lo + k, path,
				       e->off);
			rc = RAFT_ERR_CORRUPT;
			break;
		}
		out[k] = (struct raft_entry){
			.term = e->term,
			.index = lo + k,
			.type = e->type,
			.len = e->len,
			.data = e->len ? h + LS_ENT_HDR : NULL,
		};
		pos += LS_ENT_HDR + e->len;
	}
	if (rc == 0)
		*n = count;
	return rc;
}

int raft_log_store_entries(struct raft_log_store *ls, uint64_t lo,
			   uint64_t hi, uint64_t max_bytes,
			   struct raft_entry *out, size_t *n)
{
	pthread_mutex_lock(&ls->mu);
	int rc = log_store_entries_locked(ls, lo, hi, max_bytes, out, n);
	pthread_mutex_unlock(&ls->mu);
	return rc;
}

void raft_log_store_hard_state(struct raft_log_store *ls,
			       struct raft_hard_state *hs)
{
	pthread_mutex_lock(&ls->mu);
	*hs = ls->hs;
	pthread_mutex_unlock(&ls->mu);
}

void raft_log_store_snapshot_meta(struct raft_log_store *ls,
				  struct raft_snapshot_meta *meta)
{
	pthread_mutex_lock(&ls->mu);
	*meta = ls->snap;
	pthread_mutex_unlock(&ls->mu);
}

void raft_log_store_stats(struct raft_log_store *ls,
			  struct raft_log_store_stats *out)
{
	struct kv_rlog_stats rs;
	kv_rlog_stats(ls->rlog, &rs);
	memset(out, 0, sizeof *out);
	out->segments = rs.segments;
	out->used_bytes = rs.used_bytes;
	out->fsyncs = rs.fsyncs;
	pthread_mutex_lock(&ls->mu);
	out->entries = ls->n;
	pthread_mutex_unlock(&ls->mu);
}

/* ---- struct raft_storage ----------------------------------------------- */

static int st_initial_state(void *ctx, struct raft_hard_state *hs,
			    struct raft_conf_state *conf)
{
	struct raft_log_store *ls = ctx;
	pthread_mutex_lock(&ls->mu);
	uint64_t applied = ls->applied;
	if (applied < ls->base)
		applied = ls->base; /* a snapshot came after set_applied */
	if (applied > ls_last(ls))
		applied = ls_last(ls);
	struct raft_conf_state c;
	int rc = log_store_conf_at(ls, applied, &c);
	if (rc == 0) {
		*hs = ls->hs;
		*conf = c;
	}
	pthread_mutex_unlock(&ls->mu);
	return rc;
}

int raft_log_store_set_applied(struct raft_log_store *ls, uint64_t applied)
{
	int rc = 0;
	pthread_mutex_lock(&ls->mu);
	if (applied < ls->base || applied > ls_last(ls))
		rc = RAFT_ERR_INVALID;
	else
		ls->applied = applied;
	pthread_mutex_unlock(&ls->mu);
	return rc;
}

static uint64_t st_first_index(void *ctx)
{
	return raft_log_store_first_index(ctx);
}

static uint64_t st_last_index(void *ctx)
{
	return raft_log_store_last_index(ctx);
}

static int st_term(void *ctx, uint64_t i, uint64_t *term)
{
	return raft_log_store_term(ctx, i, term);
}

static int st_entries(void *ctx, uint64_t lo, uint64_t hi, uint64_t max_bytes,
		      struct raft_entry *out, size_t *n)
{
	return raft_log_store_entries(ctx, lo, hi, max_bytes, out, n);
}

/* The metadata only: the state itself is streamed out of band (issue 5). */
static int st_snapshot(void *ctx, struct raft_snapshot *out)
{
	memset(out, 0, sizeof *out);
	raft_log_store_snapshot_meta(ctx, &out->meta);
	return 0;
}

struct raft_storage raft_log_store_storage(struct raft_log_store *ls)
{
	return (struct raft_storage){.ctx = ls,
				     .initial_state = st_initial_state,
				     .first_index = st_first_index,
				     .last_index = st_last_index,
				     .term = st_term,
				     .entries = st_entries,
				     .snapshot = st_snapshot};
}
