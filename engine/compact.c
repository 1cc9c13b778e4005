/*
 * compact.c — compaction: live entries of a mostly-dead sealed segment are
 * copied (verbatim: an entry's bytes do not depend on its place) into new
 * records at the end of the log, index entries that still point at the old
 * place are swapped to the copy, and the old segment is deleted once
 * nothing pins it.
 *
 * Why nothing is lost or resurrected:
 *  - Filtering, appending and swapping happen under the log's append lock,
 *    so the copy enters the log exactly where its index change happens:
 *    replaying the log in order rebuilds the same index.  A key written or
 *    deleted after the copy has a later record and wins on replay; one
 *    written before it is no longer pointing at the old place and is not
 *    copied at all.
 *  - A tombstone is copied forward while an older segment still exists
 *    (it might hold a put of the key that replay would otherwise bring
 *    back), and only if the key is still absent.  Deleted segments are
 *    made durable (directory fsync) before that question is asked again.
 *  - The copies are fdatasync'd and a checkpoint that no longer lists the
 *    old segment is written before the old segment is retired.
 *  - Each copy record carries the current applied index, so retiring the
 *    segment that held the newest marker cannot move it backwards.
 */
#include "engine/kv_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/assert.h"
#include "engine/record.h"

#define FLUSH_BYTES (1u << 20) /* copy records of about this size */
#define COMPACT_EVERY_MS 1000  /* background thread's period */

struct pend {
	uint64_t orig_off; /* entry header in the old segment */
	size_t pos;        /* entry in cp->buf */
};

struct copier {
	struct kv *kv;
	uint64_t seg;
	bool keep_tombstones;
	unsigned char *buf; /* KV_RLOG_HDR + KV_BATCH_HDR room, then entries */
	size_t len, cap;
	struct pend *p;
	size_t n, pcap;
	bool wrote;
	struct timespec start;
	uint64_t bytes;
};

static int copier_add(struct copier *cp, const unsigned char *ent, size_t sz,
		      uint64_t orig_off)
{
	if (cp->len + sz > cp->cap) {
		size_t cap = cp->cap ? cp->cap : FLUSH_BYTES;
		while (cap < cp->len + sz)
			cap *= 2;
		void *p = realloc(cp->buf, cap);
		if (p == NULL)
			return -ENOMEM;
		cp->buf = p;
		cp->cap = cap;
	}
	if (cp->n == cp->pcap) {
		size_t cap = cp->pcap ? cp->pcap * 2 : 256;
		void *p = realloc(cp->p, cap * sizeof *cp->p);
		if (p == NULL)
			return -ENOMEM;
		cp->p = p;
		cp->pcap = cap;
	}
	memcpy(cp->buf + cp->len, ent, sz);
	cp->p[cp->n++] = (struct pend){orig_off, cp->len};
	cp->len += sz;
	return 0;
}

/* Whether the entry at pos still deserves copying.  Holds ix_lock. */
static bool still_live(struct copier *cp, const unsigned char *ent,
		       uint64_t orig_off)
{
	uint16_t klen = kv_get_u16(ent + 2);
	const struct kv_ient *ie = kv_index_get(cp->kv->ix, ent + KV_ENT_HDR,
						klen);
	if (ent[0] == KV_ENT_DEL)
		return ie == NULL;
	return ie != NULL && ie->seg == cp->seg && ie->off == orig_off;
}

/* Keeps only entries still live, compacting cp->buf in place. */
static void filter_locked(struct copier *cp)
{
	size_t out = KV_RLOG_HDR + KV_BATCH_HDR, k = 0;
	for (size_t i = 0; i < cp->n; i++) {
		const unsigned char *ent = cp->buf + cp->p[i].pos;
		size_t sz = (size_t)kv_ent_size(kv_get_u16(ent + 2),
						kv_get_u32(ent + 4));
		if (!still_live(cp, ent, cp->p[i].orig_off))
			continue;
		memmove(cp->buf + out, ent, sz);
		cp->p[k++] = (struct pend){cp->p[i].orig_off, out};
		out += sz;
	}
	cp->n = k;
	cp->len = out;
}

/* Points swapped puts at their copy.  Holds the append lock. */
static void swap_locked(struct copier *cp, const struct kv_rlog_pos *at)
{
	struct kv *kv = cp->kv;
	pthread_rwlock_wrlock(&kv->ix_lock);
	for (size_t i = 0; i < cp->n; i++) {
		const unsigned char *ent = cp->buf + cp->p[i].pos;
		if (ent[0] != KV_ENT_PUT)
			continue;
		uint16_t klen = kv_get_u16(ent + 2);
		struct kv_ient *ie = kv_index_get(kv->ix, ent + KV_ENT_HDR, klen);
		ASSERT(ie != NULL && ie->seg == cp->seg &&
		       ie->off == cp->p[i].orig_off);
		int64_t sz = (int64_t)kv_ent_size(klen, ie->vlen);
		ie->seg = (uint32_t)at->seg;
		ie->off = at->off + cp->p[i].pos - KV_RLOG_HDR + KV_REC_HDR;
		kv_rlog_seg_account(kv->log, cp->seg, -sz);
		kv_rlog_seg_account(kv->log, at->seg, sz);
	}
	pthread_rwlock_unlock(&kv->ix_lock);
}

/* Honours compact_bytes_per_sec; false if the engine is stopping. */
static bool throttle(struct copier *cp)
{
	uint64_t rate = cp->kv->opts.compact_bytes_per_sec;
	if (rate == 0)
		return true;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t el_ms = (uint64_t)(now.tv_sec - cp->start.tv_sec) * 1000 +
			 (uint64_t)((now.tv_nsec - cp->start.tv_nsec) / 1000000);
	uint64_t due_ms = cp->bytes * 1000 / rate;
	if (due_ms <= el_ms)
		return true;
	return !kv_bg_wait_ms(cp->kv, due_ms - el_ms);
}

/* Writes the pending copies as one record and swaps the index. */
static int copier_flush(struct copier *cp, bool marker_only)
{
	struct kv *kv = cp->kv;
	if (cp->n == 0 && !marker_only)
		return 0;
	kv_rlog_lock(kv->log);
	pthread_rwlock_rdlock(&kv->ix_lock);
	filter_locked(cp);
	pthread_rwlock_unlock(&kv->ix_lock);
	uint64_t applied = atomic_load(&kv->applied);
	int rc = 0;
	if (cp->n > 0 || (marker_only && applied > 0)) {
		unsigned char *h = cp->buf + KV_RLOG_HDR;
		kv_put_u32(h, (uint32_t)cp->n);
		kv_put_u32(h + 4, applied ? KV_BATCH_F_APPLIED : 0);
		kv_put_u64(h + 8, applied);
		uint32_t len = (uint32_t)(cp->len - KV_RLOG_HDR);
		struct kv_rlog_pos at;
		rc = kv_rlog_append_locked(kv->log, KV_REC_TYPE_BATCH, cp->buf,
					   len, &at, NULL);
		if (rc == 0) {
			swap_locked(cp, &at);
			cp->wrote = true;
			cp->bytes += len;
			atomic_fetch_add(&kv->compacted_bytes, len);
		}
	}
	kv_rlog_unlock(kv->log);
	cp->n = 0;
	cp->len = KV_RLOG_HDR + KV_BATCH_HDR;
	if (rc == 0 && !throttle(cp))
		rc = KV_ECLOSED;
	return rc;
}

struct scan_rec {
	struct copier *cp;
	uint64_t payload_off;
};

static int scan_entry(void *arg, const struct kv_ent *e)
{
	struct scan_rec *sr = arg;
	struct copier *cp = sr->cp;
	uint64_t orig = sr->payload_off + e->pos;
	const unsigned char *ent = e->key - KV_ENT_HDR;
	if (e->op == KV_ENT_DEL && !cp->keep_tombstones)
		return 0;
	pthread_rwlock_rdlock(&cp->kv->ix_lock);
	bool live = still_live(cp, ent, orig);
	pthread_rwlock_unlock(&cp->kv->ix_lock);
	if (!live)
		return 0;
	int rc = copier_add(cp, ent, (size_t)kv_ent_size(e->klen, e->vlen), orig);
	if (rc == 0 && cp->len >= FLUSH_BYTES)
		rc = copier_flush(cp, false);
	return rc;
}

static int scan_record(void *arg, const struct kv_rlog_pos *at, uint32_t type,
		       const unsigned char *payload, uint32_t len)
{
	struct copier *cp = arg;
	if (type != KV_REC_TYPE_BATCH)
		return KV_ECORRUPT;
	struct scan_rec sr = {cp, at->off + KV_REC_HDR};
	uint64_t applied;
	bool has;
	return kv_batch_decode(payload, len, scan_entry, &sr, &applied, &has);
}

/* Copies the live entries out of sealed segment id. */
static int compact_seg(struct kv *kv, uint64_t id)
{
	struct copier cp = {
		.kv = kv,
		.seg = id,
		.keep_tombstones = kv_rlog_oldest(kv->log) < id,
		.len = KV_RLOG_HDR + KV_BATCH_HDR,
	};
	clock_gettime(CLOCK_MONOTONIC, &cp.start);
	int rc = copier_add(&cp, (const unsigned char *)"", 0, 0);
	cp.n = 0; /* only to allocate the buffer */
	if (rc == 0)
		rc = kv_rlog_seg_scan(kv->log, id, scan_record, &cp);
	if (rc == 0)
		rc = copier_flush(&cp, !cp.wrote);
	free(cp.buf);
	free(cp.p);
	return rc;
}

static bool worth_compacting(const struct kv_rlog_seginfo *s, double ratio)
{
	if (!s->sealed || s->used == 0)
		return false;
	uint64_t dead = s->used > s->user ? s->used - s->user : 0;
	if (ratio <= 0)
		return dead > 0;
	return (double)dead >= ratio * (double)s->used;
}

/* Retires compacted segments once their copies and a checkpoint are durable. */
static int retire_all(struct kv *kv, const uint64_t *ids, size_t n)
{
	int rc = kv_rlog_sync(kv->log, 0);
	if (rc == 0)
		rc = kv_ckpt_write(kv, ids, n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct kv_rlog_seg *s = kv_rlog_seg_get(kv->log, ids[i]);
		if (s == NULL)
			continue;
		kv_rlog_seg_retire(kv->log, s);
		kv_rlog_seg_put(kv->log, s);
		atomic_fetch_add(&kv->compactions, 1);
		kv_logf(kv, KV_LOG_INFO, "%s: compacted segment %016" PRIx64,
			kv->dir, ids[i]);
	}
	return rc;
}

static int compact_locked(struct kv *kv, double ratio)
{
	size_t n = kv_rlog_segments(kv->log, NULL, 0);
	struct kv_rlog_seginfo *segs = calloc(n + 1, sizeof *segs);
	uint64_t *done = calloc(n + 1, sizeof *done);
	size_t ndone = 0;
	int rc = segs && done ? 0 : -ENOMEM;
	if (rc == 0)
		n = kv_rlog_segments(kv->log, segs, n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!worth_compacting(&segs[i], ratio))
			continue;
		rc = compact_seg(kv, segs[i].id);
		if (rc == 0)
			done[ndone++] = segs[i].id;
	}
	/* Copies made before an error are harmless: they are live values. */
	if (ndone > 0) {
		int rrc = retire_all(kv, done, ndone);
		if (rc == 0)
			rc = rrc;
	}
	free(segs);
	free(done);
	return rc;
}

int kv_compact(struct kv *kv, double min_dead_ratio)
{
	if (kv == NULL)
		return KV_EINVAL;
	int rc = atomic_load(&kv->err);
	if (rc == 0)
		rc = kv_rlog_error(kv->log);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&kv->ckpt_mu);
	rc = compact_locked(kv, min_dead_ratio);
	pthread_mutex_unlock(&kv->ckpt_mu);
	if (rc != 0 && rc != KV_ECLOSED)
		kv_logf(kv, KV_LOG_WARN, "%s: compaction failed: %s", kv->dir,
			kv_strerror(rc));
	return rc;
}

void *kv_compact_thread(void *arg)
{
	struct kv *kv = arg;
	while (!kv_bg_wait_ms(kv, COMPACT_EVERY_MS)) {
		if (atomic_load(&kv->err) != 0 || kv_rlog_error(kv->log) != 0)
			continue;
		kv_compact(kv, kv->opts.compact_dead_ratio);
	}
	return NULL;
}
