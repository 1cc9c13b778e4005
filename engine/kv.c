/*
 * kv.c — the engine handle: open (checkpoint + replay), close, writes with
 * the sync modes, point reads, value references, statistics.
 * Iterators live in iter.c, checkpoints in checkpoint.c, compaction in
 * compact.c; the log itself in record_log.c.
 */
#include "engine/kv_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/assert.h"
#include "engine/record.h"

void kv_log_emit(void (*fn)(void *ctx, enum kv_log_level lv, const char *msg),
		 void *ctx, enum kv_log_level lv, const char *fmt, va_list ap)
{
	if (fn == NULL)
		return;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	fn(ctx, lv, msg);
}

void kv_logf(struct kv *kv, enum kv_log_level lv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kv_log_emit(kv->opts.log_fn, kv->opts.log_ctx, lv, fmt, ap);
	va_end(ap);
}

const char *kv_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case KV_ENOTFOUND:
		return "key not found";
	case KV_EINVAL:
		return "invalid argument";
	case KV_ECORRUPT:
		return "corrupt data";
	case KV_EREADONLY:
		return "engine is read-only after a failed write or sync";
	case KV_ELOCKED:
		return "directory is locked by another process";
	case KV_ECLOSED:
		return "engine is closing";
	case KV_ETOOBIG:
		return "batch too big";
	default:
		return err < 0 && err > -4096 ? strerror(-err) : "unknown error";
	}
}

void kv_options_init(struct kv_options *o)
{
	memset(o, 0, sizeof *o);
	o->sync_mode = KV_SYNC_GROUP;
	o->sync_interval_ms = 10;
	o->segment_bytes = 128u << 20;
	o->create_if_missing = true;
	o->background_compaction = true;
	o->compact_dead_ratio = 0.5;
	o->compact_bytes_per_sec = 64u << 20;
}

/* ---- applying entries to the index ------------------------------------- */

int kv_apply_entry(struct kv *kv, const struct kv_ent *e, uint64_t seg,
		   uint64_t off, bool account)
{
	struct kv_iloc old;
	int rc;
	ASSERT(seg <= UINT32_MAX);
	if (e->op == KV_ENT_PUT) {
		rc = kv_index_put(kv->ix, e->key, e->klen, (uint32_t)seg, off,
				  e->vlen, &old);
		if (rc < 0)
			return rc;
		if (account)
			kv_rlog_seg_account(kv->log, seg,
					    (int64_t)kv_ent_size(e->klen, e->vlen));
	} else {
		rc = kv_index_del(kv->ix, e->key, e->klen, &old);
	}
	if (rc == 1 && account)
		kv_rlog_seg_account(kv->log, old.seg,
				    -(int64_t)kv_ent_size(e->klen, old.vlen));
	return 0;
}

struct apply_ctx {
	struct kv *kv;
	uint64_t seg;
	uint64_t payload_off; /* segment offset of payload byte 0 */
	bool account;
};

static int apply_cb(void *arg, const struct kv_ent *e)
{
	struct apply_ctx *a = arg;
	return kv_apply_entry(a->kv, e, a->seg, a->payload_off + e->pos,
			      a->account);
}

/* Applies a whole batch payload found at `at` (under ix_lock, write). */
static int apply_payload(struct kv *kv, const struct kv_rlog_pos *at,
			 const unsigned char *payload, uint32_t len,
			 bool account)
{
	struct apply_ctx a = {kv, at->seg, at->off + KV_REC_HDR, account};
	uint64_t applied;
	bool has_applied;
	int rc = kv_batch_decode(payload, len, apply_cb, &a, &applied,
				 &has_applied);
	if (rc == 0 && has_applied)
		atomic_store(&kv->applied, applied);
	return rc;
}

/* Replay callback for kv_rlog_open: only the index, accounting after. */
static int replay_cb(void *arg, const struct kv_rlog_pos *at, uint32_t type,
		     const unsigned char *payload, uint32_t len)
{
	struct kv *kv = arg;
	if (type != KV_REC_TYPE_BATCH) {
		kv_logf(kv, KV_LOG_ERROR, "unknown record type %" PRIu32
			" in segment %016" PRIx64 " at offset %" PRIu64,
			type, at->seg, at->off);
		return KV_ECORRUPT;
	}
	int rc = apply_payload(kv, at, payload, len, false);
	if (rc == KV_ECORRUPT)
		kv_logf(kv, KV_LOG_ERROR, "malformed batch in segment %016"
			PRIx64 " at offset %" PRIu64, at->seg, at->off);
	return rc;
}

struct recount {
	struct kv_rlog_seginfo *segs;
	int64_t *live;
	size_t n;
};

static int recount_cb(void *arg, const struct kv_ient *e)
{
	struct recount *r = arg;
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->segs[mid].id < e->seg)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == r->n || r->segs[lo].id != e->seg)
		return KV_ECORRUPT; /* the index points at a missing segment */
	r->live[lo] += (int64_t)kv_ent_size(e->klen, e->vlen);
	return 0;
}

int kv_recount(struct kv *kv)
{
	size_t n = kv_rlog_segments(kv->log, NULL, 0);
	struct recount r = {calloc(n + 1, sizeof *r.segs),
			    calloc(n + 1, sizeof *r.live), 0};
	int rc = -ENOMEM;
	if (r.segs != NULL && r.live != NULL) {
		r.n = kv_rlog_segments(kv->log, r.segs, n);
		ASSERT(r.n == n);
		rc = kv_index_walk(kv->ix, recount_cb, &r);
	}
	for (size_t i = 0; rc == 0 && i < r.n; i++)
		kv_rlog_seg_account(kv->log, r.segs[i].id,
				    r.live[i] - (int64_t)r.segs[i].user);
	if (rc == KV_ECORRUPT)
		kv_logf(kv, KV_LOG_ERROR, "%s: the index refers to a segment "
			"that does not exist", kv->dir);
	free(r.segs);
	free(r.live);
	return rc;
}

/* ---- background sync (KV_SYNC_INTERVAL) -------------------------------- */

/* Waits on bg_cv until ms pass or stopping; returns stopping. */
static bool bg_wait_ms(struct kv *kv, uint64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&kv->bg_mu);
	if (!kv->stopping)
		pthread_cond_timedwait(&kv->bg_cv, &kv->bg_mu, &ts);
	bool stop = kv->stopping;
	pthread_mutex_unlock(&kv->bg_mu);
	return stop;
}

static void *sync_thread(void *arg)
{
	struct kv *kv = arg;
	uint64_t ms = kv->opts.sync_interval_ms ? kv->opts.sync_interval_ms : 1;
	while (!bg_wait_ms(kv, ms))
		kv_rlog_sync(kv->log, 0); /* a failure is sticky in the log */
	return NULL;
}

bool kv_bg_wait_ms(struct kv *kv, uint64_t ms)
{
	return bg_wait_ms(kv, ms);
}

static int threads_start(struct kv *kv)
{
	if (kv->opts.sync_mode == KV_SYNC_INTERVAL) {
		int rc = pthread_create(&kv->sync_thread, NULL, sync_thread, kv);
		if (rc != 0)
			return -rc;
		kv->sync_thread_on = true;
	}
	if (kv->opts.background_compaction) {
		int rc = pthread_create(&kv->compact_thread, NULL,
					kv_compact_thread, kv);
		if (rc != 0)
			return -rc;
		kv->compact_thread_on = true;
	}
	return 0;
}

static void threads_stop(struct kv *kv)
{
	pthread_mutex_lock(&kv->bg_mu);
	kv->stopping = true;
	pthread_cond_broadcast(&kv->bg_cv);
	pthread_mutex_unlock(&kv->bg_mu);
	if (kv->sync_thread_on)
		pthread_join(kv->sync_thread, NULL);
	if (kv->compact_thread_on)
		pthread_join(kv->compact_thread, NULL);
	kv->sync_thread_on = kv->compact_thread_on = false;
}

/* ---- open and close ------------------------------------------------------ */

static void kv_free(struct kv *kv)
{
	if (kv->log != NULL)
		kv_rlog_close(kv->log);
	kv_index_free(kv->ix);
	if (kv->lock_fd >= 0)
		kv->io->close(kv->io->ctx, kv->lock_fd);
	pthread_rwlock_destroy(&kv->ix_lock);
	pthread_mutex_destroy(&kv->ckpt_mu);
	pthread_mutex_destroy(&kv->bg_mu);
	pthread_cond_destroy(&kv->bg_cv);
	free(kv->dir);
	free(kv);
}

static int dir_prepare(struct kv *kv)
{
	const struct kv_io *io = kv->io;
	int rc = io->mkdir(io->ctx, kv->dir, 0755);
	if (rc == 0 && !kv->opts.create_if_missing) {
		io->rmdir(io->ctx, kv->dir);
		return -ENOENT;
	}
	if (rc != 0 && rc != -EEXIST)
		return rc;
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/LOCK", kv->dir);
	if (n < 0 || (size_t)n >= sizeof path)
		return -ENAMETOOLONG;
	int fd = io->open(io->ctx, path, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		return fd;
	kv->lock_fd = fd;
	rc = io->lock(io->ctx, fd);
	if (rc == -EWOULDBLOCK || rc == -EAGAIN)
		return KV_ELOCKED;
	return rc;
}

/* Loads the newest usable checkpoint and replays the log after it. */
static int load_and_replay(struct kv *kv)
{
	uint64_t below = UINT64_MAX;
	/* Bounded: each retry moves to a strictly older checkpoint. */
	for (;;) {
		struct kv_ckpt_loaded ck = {0};
		kv_index_free(kv->ix);
		kv->ix = NULL;
		int rc = kv_index_new(&kv->ix);
		if (rc != 0)
			return rc;
		int ld = kv_ckpt_load(kv, below, &ck);
		if (ld < 0)
			return ld;
		atomic_store(&kv->applied, ld ? ck.applied : 0);
		struct kv_rlog_options ro = {
			.io = kv->io,
			.segment_bytes = kv->opts.segment_bytes,
			.log_fn = kv->opts.log_fn,
			.log_ctx = kv->opts.log_ctx,
			.from = ld ? ck.pos : (struct kv_rlog_pos){0, 0},
			.known = ck.segs,
			.known_count = ck.nsegs,
		};
		rc = kv_rlog_open(kv->dir, &ro, replay_cb, kv, &kv->log);
		free(ck.segs);
		if (rc == -ENOENT && ld) {
			kv_logf(kv, KV_LOG_WARN, "%s: checkpoint %" PRIu64
				" is unusable, trying an older one", kv->dir,
				ck.seq);
			rc = kv_ckpt_discard(kv, ck.seq);
			if (rc != 0)
				return rc;
			below = ck.seq;
			continue;
		}
		if (rc == 0)
			kv_logf(kv, KV_LOG_INFO, "%s: opened, %" PRIu64
				" keys (checkpoint %" PRIu64 ")", kv->dir,
				kv_index_count(kv->ix), ld ? ck.seq : 0);
		return rc;
	}
}

int kv_open(const char *dir, const struct kv_options *opts, struct kv **out)
{
	if (dir == NULL || out == NULL)
		return KV_EINVAL;
	struct kv *kv = calloc(1, sizeof *kv);
	if (kv == NULL)
		return -ENOMEM;
	if (opts != NULL)
		kv->opts = *opts;
	else
		kv_options_init(&kv->opts);
	kv->io = kv->opts.io ? kv->opts.io : kv_io_posix();
	kv->lock_fd = -1;
	pthread_rwlock_init(&kv->ix_lock, NULL);
	pthread_mutex_init(&kv->ckpt_mu, NULL);
	pthread_mutex_init(&kv->bg_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&kv->bg_cv, &ca);
	pthread_condattr_destroy(&ca);
	kv->dir = strdup(dir);
	int rc = kv->dir == NULL ? -ENOMEM : 0;
	if (rc == 0 && (kv->opts.segment_bytes == 0 ||
			(unsigned)kv->opts.sync_mode > KV_SYNC_NONE ||
			kv->opts.compact_dead_ratio < 0))
		rc = KV_EINVAL;
	if (rc == 0)
		rc = dir_prepare(kv);
	if (rc == 0)
		rc = load_and_replay(kv);
	if (rc == 0)
		rc = kv_recount(kv);
	if (rc == 0)
		rc = threads_start(kv);
	if (rc != 0) {
		threads_stop(kv);
		kv_free(kv);
		return rc;
	}
	*out = kv;
	return 0;
}

int kv_close(struct kv *kv)
{
	if (kv == NULL)
		return 0;
	threads_stop(kv);
	int rc = kv_rlog_close(kv->log);
	kv->log = NULL;
	if (rc == 0)
		rc = atomic_load(&kv->err);
	kv_free(kv);
	return rc;
}

/* ---- writes --------------------------------------------------------------- */

struct write_ctx {
	struct kv *kv;
	const struct kv_batch *b;
};

/* Under the append lock: the batch enters the index in log order. */
static int write_applied(void *arg, const struct kv_rlog_pos *at)
{
	struct write_ctx *w = arg;
	struct kv *kv = w->kv;
	/* The batch's own entries, as recovery would decode them from the
	 * record (referenced values are not in one buffer). */
	struct apply_ctx a = {kv, at->seg, at->off + KV_REC_HDR, true};
	pthread_rwlock_wrlock(&kv->ix_lock);
	int rc = kv_batch_walk(w->b, apply_cb, &a);
	if (rc == 0 && w->b->has_applied)
		atomic_store(&kv->applied, w->b->applied);
	pthread_rwlock_unlock(&kv->ix_lock);
	if (rc != 0) {
		/* The record is in the log but not in memory: stop writing. */
		atomic_store(&kv->err, KV_EREADONLY);
		kv_logf(kv, KV_LOG_ERROR, "%s: index update failed (%s): "
			"read-only until reopened", kv->dir, kv_strerror(rc));
	}
	return rc;
}

int kv_write(struct kv *kv, const struct kv_batch *b)
{
	if (kv == NULL || b == NULL)
		return KV_EINVAL;
	if (b->count == 0 && !b->has_applied)
		return 0;
	int rc = atomic_load(&kv->err);
	if (rc != 0)
		return rc;
	uint32_t len = kv_batch_seal(b);
	if (len > KV_BATCH_BYTES_MAX)
		return KV_ETOOBIG;
	struct write_ctx w = {kv, b};
	struct iovec iov[KV_BATCH_IOV_MAX];
	int iovcnt = kv_batch_iov(b, iov);
	uint64_t lsn;
	rc = kv_rlog_appendv(kv->log, KV_REC_TYPE_BATCH, iov, iovcnt, len,
			     kv_batch_crc(b), write_applied, &w, &lsn);
	if (rc != 0)
		return rc;
	atomic_fetch_add(&kv->writes, 1);
	if (kv->opts.sync_mode == KV_SYNC_GROUP)
		rc = kv_rlog_sync(kv->log, lsn);
	return rc;
}

static int write_one(struct kv *kv, int op, const void *key, size_t key_len,
		     const void *val, size_t val_len)
{
	struct kv_batch *b;
	int rc = kv_batch_new(&b);
	if (rc != 0)
		return rc;
	/* val outlives the write: large values are written from it. */
	if (op == KV_ENT_DEL)
		rc = kv_batch_del(b, key, key_len);
	else if (val_len >= KV_BATCH_REF_MIN)
		rc = kv_batch_put_ref(b, key, key_len, val, val_len);
	else
		rc = kv_batch_put(b, key, key_len, val, val_len);
	if (rc == 0)
		rc = kv_write(kv, b);
	kv_batch_free(b);
	return rc;
}

int kv_put(struct kv *kv, const void *key, size_t key_len, const void *val,
	   size_t val_len)
{
	return write_one(kv, KV_ENT_PUT, key, key_len, val, val_len);
}

int kv_del(struct kv *kv, const void *key, size_t key_len)
{
	return write_one(kv, KV_ENT_DEL, key, key_len, NULL, 0);
}

int kv_sync(struct kv *kv)
{
	int rc = atomic_load(&kv->err);
	return rc ? rc : kv_rlog_sync(kv->log, 0);
}

uint64_t kv_applied_index(struct kv *kv)
{
	return atomic_load(&kv->applied);
}

/* ---- reads ------------------------------------------------------------------ */

struct kv_ref {
	struct kv *kv;
	struct kv_rlog_seg *seg;
	uint64_t off; /* entry header */
	uint32_t vlen;
	uint16_t klen;
	unsigned char key[];
};

/*
 * Finds key and pins its segment under the index lock, so compaction
 * cannot delete the file between lookup and read.
 */
static int locate(struct kv *kv, const void *key, size_t key_len,
		  struct kv_rlog_seg **seg, uint64_t *off, uint32_t *vlen)
{
	if (key == NULL || key_len == 0 || key_len > KV_KEY_MAX)
		return KV_EINVAL;
	pthread_rwlock_rdlock(&kv->ix_lock);
	const struct kv_ient *e = kv_index_get(kv->ix, key, key_len);
	int rc = KV_ENOTFOUND;
	if (e != NULL) {
		*seg = kv_rlog_seg_get(kv->log, e->seg);
		*off = e->off;
		*vlen = e->vlen;
		rc = *seg ? 0 : KV_ECORRUPT;
	}
	pthread_rwlock_unlock(&kv->ix_lock);
	return rc;
}

int kv_read_entry(struct kv *kv, struct kv_rlog_seg *seg, uint64_t off,
		  const void *key, size_t klen, uint32_t vlen,
		  unsigned char **ent)
{
	size_t n = (size_t)kv_ent_size((uint32_t)klen, vlen);
	unsigned char *p = malloc(n);
	if (p == NULL)
		return -ENOMEM;
	int rc = kv_rlog_seg_read(kv->log, seg, off, p, n);
	if (rc == 0 && !kv_ent_verify(p, n, key, klen, vlen)) {
		kv_logf(kv, KV_LOG_ERROR, "checksum mismatch reading segment "
			"%016" PRIx64 " at offset %" PRIu64,
			kv_rlog_seg_id(seg), off);
		rc = KV_ECORRUPT;
	}
	if (rc != 0) {
		free(p);
		return rc;
	}
	*ent = p;
	return 0;
}

int kv_get(struct kv *kv, const void *key, size_t key_len, void **val,
	   size_t *val_len)
{
	struct kv_rlog_seg *seg;
	uint64_t off;
	uint32_t vlen;
	int rc = locate(kv, key, key_len, &seg, &off, &vlen);
	if (rc != 0)
		return rc;
	unsigned char *p;
	rc = kv_read_entry(kv, seg, off, key, key_len, vlen, &p);
	kv_rlog_seg_put(kv->log, seg);
	if (rc != 0)
		return rc;
	memmove(p, p + KV_ENT_HDR + key_len, vlen);
	void *v = realloc(p, vlen ? vlen : 1);
	*val = v ? v : p;
	*val_len = vlen;
	return 0;
}

int kv_get_ref(struct kv *kv, const void *key, size_t key_len,
	       struct kv_ref **out)
{
	struct kv_rlog_seg *seg;
	uint64_t off;
	uint32_t vlen;
	int rc = locate(kv, key, key_len, &seg, &off, &vlen);
	if (rc != 0)
		return rc;
	struct kv_ref *r = malloc(sizeof *r + key_len);
	if (r == NULL) {
		kv_rlog_seg_put(kv->log, seg);
		return -ENOMEM;
	}
	*r = (struct kv_ref){kv, seg, off, vlen, (uint16_t)key_len};
	memcpy(r->key, key, key_len);
	*out = r;
	return 0;
}

int kv_ref_fd(const struct kv_ref *ref)
{
	return kv_rlog_seg_fd(ref->seg);
}

uint64_t kv_ref_offset(const struct kv_ref *ref)
{
	return ref->off + KV_ENT_HDR + ref->klen;
}

uint64_t kv_ref_len(const struct kv_ref *ref)
{
	return ref->vlen;
}

int kv_ref_read(const struct kv_ref *ref, uint64_t off, void *buf, size_t len)
{
	if (off > ref->vlen || len > ref->vlen - off)
		return KV_EINVAL;
	return kv_rlog_seg_read(ref->kv->log, ref->seg,
				kv_ref_offset(ref) + off, buf, len);
}

int kv_ref_verify(const struct kv_ref *ref)
{
	unsigned char *p;
	int rc = kv_read_entry(ref->kv, ref->seg, ref->off, ref->key,
			       ref->klen, ref->vlen, &p);
	free(rc == 0 ? p : NULL);
	return rc;
}

void kv_ref_free(struct kv_ref *ref)
{
	if (ref == NULL)
		return;
	kv_rlog_seg_put(ref->kv->log, ref->seg);
	free(ref);
}

/* ---- statistics -------------------------------------------------------------- */

int kv_stats(struct kv *kv, struct kv_stats *out)
{
	struct kv_rlog_stats ls;
	kv_rlog_stats(kv->log, &ls);
	struct kv_stats s = {0};
	pthread_rwlock_rdlock(&kv->ix_lock);
	s.keys = kv_index_count(kv->ix);
	s.index_bytes = kv_index_bytes(kv->ix);
	pthread_rwlock_unlock(&kv->ix_lock);
	s.live_bytes = ls.user_bytes;
	s.dead_bytes = ls.used_bytes > ls.user_bytes
			       ? ls.used_bytes - ls.user_bytes
			       : 0;
	s.segments = ls.segments;
	s.writes = atomic_load(&kv->writes);
	s.fsyncs = ls.fsyncs;
	s.groups = ls.groups;
	s.group_max = ls.group_max;
	s.compactions = atomic_load(&kv->compactions);
	s.compacted_bytes = atomic_load(&kv->compacted_bytes);
	s.checkpoints = atomic_load(&kv->checkpoints);
	s.applied_index = atomic_load(&kv->applied);
	*out = s;
	return 0;
}
