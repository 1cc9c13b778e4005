/*
 * record_log.c — the record log (see record_log.h): the segment table,
 * appends under one lock, leader/follower group commit, rotation, and
 * recovery with torn-tail repair.
 *
 * Locks, always taken in this order: append_mu (appends, rotation, the
 * active segment) -> seg_mu (segment table, pins, accounting).  sync_mu
 * (group commit state) is never held while taking another lock.
 */
#include "engine/record_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/crc32c.h"
#include "engine/record.h"
#include "engine/segment.h"

#define SEGS_MAX (1u << 24) /* bound on the segment table */

struct kv_rlog {
	const struct kv_io *io;
	char *dir;
	uint64_t seg_bytes;
	void (*log_fn)(void *, enum kv_log_level, const char *);
	void *log_ctx;

	pthread_mutex_t append_mu;
	struct kv_rlog_seg *active;
	uint64_t next_id;
	_Atomic uint64_t appended; /* lsn of the newest record */
	/* How far segment dur_seg is known durable; under append_mu. */
	uint64_t dur_seg, dur_off;

	pthread_mutex_t seg_mu;
	struct kv_rlog_seg **segs; /* sorted by id; retired ones until deleted */
	size_t nsegs, cap;

	pthread_mutex_t sync_mu;
	pthread_cond_t sync_cv;
	uint64_t synced;
	bool syncing;
	uint64_t fsyncs, groups, group_max;
	_Atomic int err; /* sticky: 0 or KV_EREADONLY */
};

static void rlog_log(struct kv_rlog *l, enum kv_log_level lv, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));
static void rlog_log(struct kv_rlog *l, enum kv_log_level lv, const char *fmt,
		     ...)
{
	va_list ap;
	va_start(ap, fmt);
	kv_log_emit(l->log_fn, l->log_ctx, lv, fmt, ap);
	va_end(ap);
}

static int dir_fsync(struct kv_rlog *l)
{
	const struct kv_io *io = l->io;
	int fd = io->open(io->ctx, l->dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	int rc = io->fsync(io->ctx, fd);
	io->close(io->ctx, fd);
	return rc;
}

/* Turns the log read-only for good: a failed sync is never retried. */
static void rlog_fail(struct kv_rlog *l, int rc, const char *what)
{
	int zero = 0;
	if (atomic_compare_exchange_strong(&l->err, &zero, KV_EREADONLY))
		rlog_log(l, KV_LOG_ERROR, "record log %s: %s failed (%s): "
			 "read-only until reopened", l->dir, what,
			 kv_strerror(rc));
}

int kv_rlog_error(struct kv_rlog *l)
{
	return atomic_load(&l->err);
}

/* ---- segment table ---------------------------------------------------- */

static size_t segs_find(struct kv_rlog *l, uint64_t id)
{
	size_t lo = 0, hi = l->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->segs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Appends s (the newest id) to the table.  Caller holds seg_mu or owns l. */
static int segs_push(struct kv_rlog *l, struct kv_rlog_seg *s)
{
	ASSERT(l->nsegs == 0 || l->segs[l->nsegs - 1]->id < s->id);
	if (l->nsegs == l->cap) {
		if (l->cap >= SEGS_MAX)
			return -EMFILE;
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p = realloc(l->segs, cap * sizeof *l->segs);
		if (p == NULL)
			return -ENOMEM;
		l->segs = p;
		l->cap = cap;
	}
	l->segs[l->nsegs++] = s;
	return 0;
}

struct kv_rlog_seg *kv_rlog_seg_get(struct kv_rlog *l, uint64_t id)
{
	struct kv_rlog_seg *s = NULL;
	pthread_mutex_lock(&l->seg_mu);
	size_t i = segs_find(l, id);
	if (i < l->nsegs && l->segs[i]->id == id && !l->segs[i]->retired) {
		s = l->segs[i];
		s->refs++;
	}
	pthread_mutex_unlock(&l->seg_mu);
	return s;
}

/* Deletes a retired segment whose last pin went.  Caller holds seg_mu. */
static void seg_delete_locked(struct kv_rlog *l, struct kv_rlog_seg *s)
{
	size_t i = segs_find(l, s->id);
	ASSERT(i < l->nsegs && l->segs[i] == s);
	memmove(&l->segs[i], &l->segs[i + 1],
		(l->nsegs - i - 1) * sizeof *l->segs);
	l->nsegs--;
	int rc = l->io->unlink(l->io->ctx, s->path);
	/*
	 * The directory is fsync'd so a deleted segment cannot come back after
	 * a crash: compaction drops tombstones once no older segment exists.
	 */
	if (rc == 0)
		rc = dir_fsync(l);
	if (rc != 0)
		rlog_fail(l, rc, "deleting a segment");
	else
		rlog_log(l, KV_LOG_INFO, "deleted segment %s", s->path);
	kv_seg_free(l->io, s);
}

void kv_rlog_seg_put(struct kv_rlog *l, struct kv_rlog_seg *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&l->seg_mu);
	ASSERT(s->refs > 0);
	if (--s->refs == 0) {
		ASSERT(s->retired);
		seg_delete_locked(l, s);
	}
	pthread_mutex_unlock(&l->seg_mu);
}

void kv_rlog_seg_retire(struct kv_rlog *l, struct kv_rlog_seg *s)
{
	pthread_mutex_lock(&l->seg_mu);
	ASSERT(!s->retired);
	ASSERT(s != l->active);
	s->retired = true;
	/* Drop the table's own reference; the caller's pin remains. */
	ASSERT(s->refs >= 2);
	s->refs--;
	pthread_mutex_unlock(&l->seg_mu);
}

int kv_rlog_seg_fd(const struct kv_rlog_seg *s)
{
	return s->fd;
}

uint64_t kv_rlog_seg_id(const struct kv_rlog_seg *s)
{
	return s->id;
}

int kv_rlog_seg_read(struct kv_rlog *l, const struct kv_rlog_seg *s,
		     uint64_t off, void *buf, size_t len)
{
	ssize_t n = l->io->pread(l->io->ctx, s->fd, buf, len, off);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : KV_ECORRUPT;
}

void kv_rlog_seg_account(struct kv_rlog *l, uint64_t id, int64_t delta)
{
	pthread_mutex_lock(&l->seg_mu);
	size_t i = segs_find(l, id);
	if (i < l->nsegs && l->segs[i]->id == id)
		l->segs[i]->user += delta;
	pthread_mutex_unlock(&l->seg_mu);
}

size_t kv_rlog_segments(struct kv_rlog *l, struct kv_rlog_seginfo *out,
			size_t max)
{
	pthread_mutex_lock(&l->append_mu);
	pthread_mutex_lock(&l->seg_mu);
	size_t n = 0;
	for (size_t i = 0; i < l->nsegs; i++) {
		struct kv_rlog_seg *s = l->segs[i];
		if (s->retired)
			continue;
		if (n < max)
			out[n] = (struct kv_rlog_seginfo){
				.id = s->id,
				.used = s->used,
				.user = s->user < 0 ? 0 : (uint64_t)s->user,
				.sealed = s != l->active,
			};
		n++;
	}
	pthread_mutex_unlock(&l->seg_mu);
	pthread_mutex_unlock(&l->append_mu);
	return n;
}

uint64_t kv_rlog_oldest(struct kv_rlog *l)
{
	pthread_mutex_lock(&l->seg_mu);
	uint64_t id = l->nsegs ? l->segs[0]->id : UINT64_MAX;
	pthread_mutex_unlock(&l->seg_mu);
	return id;
}

int kv_rlog_seg_scan(struct kv_rlog *l, uint64_t id, kv_rlog_replay_fn fn,
		     void *arg)
{
	struct kv_rlog_seg *s = kv_rlog_seg_get(l, id);
	if (s == NULL)
		return -ENOENT;
	uint64_t end;
	bool bad;
	int rc = kv_seg_scan(l->io, s, 0, fn, arg, &end, &bad);
	if (rc == 0 && (bad || end < s->used)) {
		rlog_log(l, KV_LOG_ERROR, "corrupt record in %s at offset %" PRIu64,
			 s->path, end);
		rc = KV_ECORRUPT;
	}
	kv_rlog_seg_put(l, s);
	return rc;
}

/* ---- appends and group commit ------------------------------------------ */

/*
 * Seals the active segment and starts a new one of at least need bytes.
 * Caller holds append_mu.  Everything appended so far is durable after.
 */
static int rotate_locked(struct kv_rlog *l, uint64_t need)
{
	struct kv_rlog_seg *old = l->active;
	const struct kv_io *io = l->io;
	/*
	 * A segment sealed before it is full (kv_checkpoint_to seals the
	 * active one for every Raft snapshot) gives back its unused
	 * preallocation; kept, every such seal would leave up to a whole
	 * segment of zeros on disk and in every snapshot streamed to a
	 * follower.  The shorter size needs fsync, not fdatasync.  A crash
	 * before it leaves the old size, whose zero tail recovery already
	 * reads as the end of the records.  A failed truncate is an I/O
	 * error like any other (sticky).
	 */
	bool trimmed = old->used < old->size;
	int rc = trimmed ? io->ftruncate(io->ctx, old->fd, old->used) : 0;
	if (rc == 0)
		rc = trimmed ? io->fsync(io->ctx, old->fd)
			     : io->fdatasync(io->ctx, old->fd);
	pthread_mutex_lock(&l->sync_mu);
	l->fsyncs++;
	pthread_mutex_unlock(&l->sync_mu);
	if (rc != 0) {
		rlog_fail(l, rc, "fdatasync of a full segment");
		return rc;
	}
	if (trimmed)
		old->size = old->used;
	uint64_t size = need > l->seg_bytes ? need : l->seg_bytes;
	struct kv_rlog_seg *s;
	bool synced;
	rc = kv_seg_create(io, l->dir, l->next_id, size, &s, &synced);
	if (rc != 0) {
		/* Out of space: nothing written, still writable.  Not so a
		 * failed fsync, which is never retried. */
		if (synced)
			return rc;
		rlog_fail(l, rc, "fsync of a new segment");
		return rc;
	}
	rc = dir_fsync(l);
	if (rc != 0) {
		rlog_fail(l, rc, "fsync of the log directory");
		io->unlink(io->ctx, s->path);
		kv_seg_free(io, s);
		return rc;
	}
	pthread_mutex_lock(&l->seg_mu);
	rc = segs_push(l, s);
	if (rc == 0)
		l->active = s;
	pthread_mutex_unlock(&l->seg_mu);
	if (rc != 0) {
		io->unlink(io->ctx, s->path);
		kv_seg_free(io, s);
		return rc;
	}
	l->next_id++;
	l->dur_seg = s->id;
	l->dur_off = 0;
	pthread_mutex_lock(&l->sync_mu);
	l->synced = atomic_load(&l->appended);
	pthread_cond_broadcast(&l->sync_cv);
	pthread_mutex_unlock(&l->sync_mu);
	rlog_log(l, KV_LOG_DEBUG, "started segment %s", s->path);
	return 0;
}

/* Makes room for need bytes in the active segment.  Holds append_mu. */
static int make_room_locked(struct kv_rlog *l, uint64_t need)
{
	struct kv_rlog_seg *a = l->active;
	if (a->used + need <= a->size)
		return 0;
	if (a->used > 0)
		return rotate_locked(l, need);
	/* An empty active segment (e.g. preallocation was cut short). */
	uint64_t size = need > l->seg_bytes ? need : l->seg_bytes;
	int rc = l->io->fallocate(l->io->ctx, a->fd, 0, size);
	if (rc != 0)
		return rc;
	rc = l->io->fsync(l->io->ctx, a->fd);
	if (rc != 0) {
		rlog_fail(l, rc, "fsync of a segment");
		return rc;
	}
	a->size = size;
	return 0;
}

/* Undoes a failed write so no torn bytes are left behind valid data. */
static int wipe_locked(struct kv_rlog *l, uint64_t off, size_t len)
{
	unsigned char *z = calloc(1, len);
	if (z == NULL)
		return -ENOMEM;
	ssize_t n = l->io->pwrite(l->io->ctx, l->active->fd, z, len, off);
	free(z);
	return n == (ssize_t)len ? 0 : (n < 0 ? (int)n : -EIO);
}

/* What a record is written from: one buffer, or pieces (kv_rlog_appendv). */
struct rec_src {
	unsigned char *rec;        /* header room + payload, or NULL */
	const struct iovec *iov;   /* pieces; iov[0] starts with header room */
	int iovcnt;
	uint32_t payload_crc;      /* CRC32C of the pieces' payload */
};

#ifdef VS_DEBUG
/* Debug builds check the caller's CRC against the bytes themselves. */
static uint32_t pieces_crc(const struct iovec *iov, int iovcnt)
{
	uint32_t crc = kv_crc32c((const unsigned char *)iov[0].iov_base + KV_REC_HDR,
				 iov[0].iov_len - KV_REC_HDR);
	for (int i = 1; i < iovcnt; i++)
		crc = kv_crc32c_extend(crc, iov[i].iov_base, iov[i].iov_len);
	return crc;
}
#endif

/* Writes the pieces at off: pwritev, or one pwrite each without it. */
static ssize_t write_pieces(struct kv_rlog *l, int fd, const struct iovec *iov,
			    int iovcnt, uint64_t off)
{
	const struct kv_io *io = l->io;
	if (iovcnt == 1)
		return io->pwrite(io->ctx, fd, iov[0].iov_base, iov[0].iov_len, off);
	if (io->pwritev != NULL)
		return io->pwritev(io->ctx, fd, iov, iovcnt, off);
	size_t done = 0;
	for (int i = 0; i < iovcnt; i++) {
		ssize_t n = io->pwrite(io->ctx, fd, iov[i].iov_base,
				       iov[i].iov_len, off + done);
		if (n < 0)
			return n;
		done += (size_t)n;
		if ((size_t)n != iov[i].iov_len)
			break;
	}
	return (ssize_t)done;
}

static int append_src_locked(struct kv_rlog *l, uint32_t type, uint32_t len,
			     const struct rec_src *src, struct kv_rlog_pos *at,
			     uint64_t *lsn)
{
	if (len > KV_REC_PAYLOAD_MAX)
		return KV_ETOOBIG;
	int rc = atomic_load(&l->err);
	if (rc != 0)
		return rc;
	size_t bytes = KV_REC_HDR + (size_t)len;
	uint64_t need = kv_rec_size(len);
	rc = make_room_locked(l, need);
	if (rc != 0)
		return rc;
	struct kv_rlog_seg *a = l->active;
	uint64_t synced = l->dur_seg == a->id ? l->dur_off : 0;
	uint64_t off = a->used;
	ssize_t n;
	if (src->rec != NULL) {
		kv_rec_encode(src->rec, type, len, synced);
		n = l->io->pwrite(l->io->ctx, a->fd, src->rec, bytes, off);
	} else {
		DEBUG_ASSERT(pieces_crc(src->iov, src->iovcnt) == src->payload_crc);
		kv_rec_encode_crc(src->iov[0].iov_base, type, len, synced,
				  src->payload_crc);
		n = write_pieces(l, a->fd, src->iov, src->iovcnt, off);
	}
	if (n != (ssize_t)bytes) {
		/*
		 * kv.h: a failed write is sticky.  The bytes are also wiped
		 * (best effort) so a partial record cannot sit in front of
		 * anything; recovery would treat it as a torn tail anyway.
		 */
		rc = n < 0 ? (int)n : -EIO;
		wipe_locked(l, off, bytes);
		rlog_fail(l, rc, "a record write");
		return rc;
	}
	a->used = off + need;
	uint64_t my = atomic_fetch_add(&l->appended, 1) + 1;
	if (at != NULL)
		*at = (struct kv_rlog_pos){a->id, off};
	if (lsn != NULL)
		*lsn = my;
	return 0;
}

int kv_rlog_append_locked(struct kv_rlog *l, uint32_t type,
			  unsigned char *rec, uint32_t len,
			  struct kv_rlog_pos *at, uint64_t *lsn)
{
	struct rec_src src = {.rec = rec};
	return append_src_locked(l, type, len, &src, at, lsn);
}

/* Appends under the lock, then runs fn with the record's place. */
static int append_src(struct kv_rlog *l, uint32_t type, uint32_t len,
		      const struct rec_src *src, kv_rlog_appended_fn fn,
		      void *arg, uint64_t *lsn)
{
	if (len > KV_REC_PAYLOAD_MAX)
		return KV_ETOOBIG;
	pthread_mutex_lock(&l->append_mu);
	struct kv_rlog_pos at;
	int rc = append_src_locked(l, type, len, src, &at, lsn);
	if (rc == 0 && fn != NULL)
		rc = fn(arg, &at);
	pthread_mutex_unlock(&l->append_mu);
	return rc;
}

int kv_rlog_append(struct kv_rlog *l, uint32_t type, unsigned char *rec,
		   uint32_t len, kv_rlog_appended_fn fn, void *arg,
		   uint64_t *lsn)
{
	struct rec_src src = {.rec = rec};
	return append_src(l, type, len, &src, fn, arg, lsn);
}

int kv_rlog_appendv(struct kv_rlog *l, uint32_t type, const struct iovec *iov,
		    int iovcnt, uint32_t len, uint32_t payload_crc,
		    kv_rlog_appended_fn fn, void *arg, uint64_t *lsn)
{
	ASSERT(iovcnt >= 1 && iovcnt <= KV_RLOG_IOV_MAX);
	ASSERT(iov[0].iov_len >= KV_RLOG_HDR);
	uint64_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	ASSERT(total == (uint64_t)KV_RLOG_HDR + len);
	struct rec_src src = {.iov = iov, .iovcnt = iovcnt,
			      .payload_crc = payload_crc};
	return append_src(l, type, len, &src, fn, arg, lsn);
}

void kv_rlog_lock(struct kv_rlog *l)
{
	pthread_mutex_lock(&l->append_mu);
}

void kv_rlog_unlock(struct kv_rlog *l)
{
	pthread_mutex_unlock(&l->append_mu);
}

uint64_t kv_rlog_lsn(struct kv_rlog *l)
{
	return atomic_load(&l->appended);
}

/* The leader's part: one fdatasync for everything appended so far. */
static int sync_lead(struct kv_rlog *l)
{
	pthread_mutex_lock(&l->append_mu);
	uint64_t target = atomic_load(&l->appended);
	struct kv_rlog_seg *s = l->active;
	uint64_t end_off = s->used;
	pthread_mutex_lock(&l->seg_mu);
	s->refs++;
	pthread_mutex_unlock(&l->seg_mu);
	pthread_mutex_unlock(&l->append_mu);
	/*
	 * Records before s are durable: rotation syncs a segment before
	 * leaving it.  So syncing s covers everything up to target.
	 */
	int rc = l->io->fdatasync(l->io->ctx, s->fd);
	if (rc == 0) {
		/* Later records tell recovery this much was durable. */
		pthread_mutex_lock(&l->append_mu);
		if (s->id > l->dur_seg ||
		    (s->id == l->dur_seg && end_off > l->dur_off)) {
			l->dur_seg = s->id;
			l->dur_off = end_off;
		}
		pthread_mutex_unlock(&l->append_mu);
	}
	kv_rlog_seg_put(l, s);
	pthread_mutex_lock(&l->sync_mu);
	l->syncing = false;
	l->fsyncs++;
	if (rc == 0 && target > l->synced) {
		uint64_t g = target - l->synced;
		l->groups++;
		if (g > l->group_max)
			l->group_max = g;
		l->synced = target;
	}
	pthread_cond_broadcast(&l->sync_cv);
	if (rc != 0)
		rlog_fail(l, rc, "fdatasync");
	return rc;
}

int kv_rlog_sync(struct kv_rlog *l, uint64_t lsn)
{
	if (lsn == 0)
		lsn = atomic_load(&l->appended);
	pthread_mutex_lock(&l->sync_mu);
	int rc = 0;
	/* Bounded: each pass either waits for a sync or performs one. */
	for (;;) {
		if (l->synced >= lsn)
			break;
		rc = atomic_load(&l->err);
		if (rc != 0)
			break;
		if (l->syncing) {
			pthread_cond_wait(&l->sync_cv, &l->sync_mu);
			continue;
		}
		l->syncing = true;
		pthread_mutex_unlock(&l->sync_mu);
		rc = sync_lead(l); /* returns with sync_mu held */
		if (rc != 0)
			break;
	}
	pthread_mutex_unlock(&l->sync_mu);
	return rc;
}

int kv_rlog_rotate_locked(struct kv_rlog *l, uint64_t *active)
{
	int rc = atomic_load(&l->err);
	if (rc == 0 && l->active->used > 0)
		rc = rotate_locked(l, 0);
	if (rc == 0 && active != NULL)
		*active = l->active->id;
	return rc;
}

int kv_rlog_rotate(struct kv_rlog *l, uint64_t *active)
{
	pthread_mutex_lock(&l->append_mu);
	int rc = kv_rlog_rotate_locked(l, active);
	pthread_mutex_unlock(&l->append_mu);
	return rc;
}

struct kv_rlog_pos kv_rlog_end_locked(struct kv_rlog *l)
{
	return (struct kv_rlog_pos){l->active->id, l->active->used};
}

struct kv_rlog_pos kv_rlog_end(struct kv_rlog *l)
{
	pthread_mutex_lock(&l->append_mu);
	struct kv_rlog_pos p = kv_rlog_end_locked(l);
	pthread_mutex_unlock(&l->append_mu);
	return p;
}

void kv_rlog_stats(struct kv_rlog *l, struct kv_rlog_stats *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&l->append_mu);
	pthread_mutex_lock(&l->seg_mu);
	for (size_t i = 0; i < l->nsegs; i++) {
		if (l->segs[i]->retired)
			continue;
		out->segments++;
		out->used_bytes += l->segs[i]->used;
		if (l->segs[i]->user > 0)
			out->user_bytes += (uint64_t)l->segs[i]->user;
	}
	pthread_mutex_unlock(&l->seg_mu);
	pthread_mutex_unlock(&l->append_mu);
	pthread_mutex_lock(&l->sync_mu);
	out->fsyncs = l->fsyncs;
	out->groups = l->groups;
	out->group_max = l->group_max;
	pthread_mutex_unlock(&l->sync_mu);
}

/* ---- open, recovery, close ---------------------------------------------- */

struct id_list {
	uint64_t *ids;
	size_t n, cap;
};

static int collect_seg(void *arg, const char *name)
{
	struct id_list *il = arg;
	uint64_t id;
	if (!kv_rlog_seg_name_parse(name, &id))
		return 0;
	if (il->n == il->cap) {
		if (il->cap >= SEGS_MAX)
			return -EMFILE;
		size_t cap = il->cap ? il->cap * 2 : 16;
		void *p = realloc(il->ids, cap * sizeof *il->ids);
		if (p == NULL)
			return -ENOMEM;
		il->ids = p;
		il->cap = cap;
	}
	il->ids[il->n++] = id;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static const struct kv_rlog_seginfo *known_find(const struct kv_rlog_options *o,
						uint64_t id)
{
	for (size_t i = 0; i < o->known_count; i++)
		if (o->known[i].id == id)
			return &o->known[i];
	return NULL;
}

/* Cuts a torn tail at end and re-zeroes the rest of the preallocation. */
static int repair_tail(struct kv_rlog *l, struct kv_rlog_seg *s, uint64_t end)
{
	const struct kv_io *io = l->io;
	uint64_t size = s->size;
	int rc = io->ftruncate(io->ctx, s->fd, end);
	if (rc == 0 && size > end)
		rc = io->fallocate(io->ctx, s->fd, end, size - end);
	if (rc == 0)
		rc = io->fsync(io->ctx, s->fd);
	if (rc != 0)
		return rc;
	rlog_log(l, KV_LOG_WARN,
		 "truncated torn write at the tail of %s at offset %" PRIu64,
		 s->path, end);
	return 0;
}

/* Replays segment s from off; repairs or refuses a bad record. */
static int replay_seg(struct kv_rlog *l, struct kv_rlog_seg *s, uint64_t off,
		      bool newest, kv_rlog_replay_fn fn, void *arg)
{
	if (off > s->size) {
		rlog_log(l, KV_LOG_ERROR, "%s is shorter (%" PRIu64
			 ") than its checkpoint position %" PRIu64,
			 s->path, s->size, off);
		return KV_ECORRUPT;
	}
	uint64_t end;
	bool bad;
	int rc = kv_seg_scan(l->io, s, off, fn, arg, &end, &bad);
	if (rc != 0)
		return rc;
	s->used = end;
	if (!newest && !bad)
		return 0;
	if (!newest) {
		/* Rotation synced it before the next segment began. */
		rlog_log(l, KV_LOG_ERROR, "corrupt record in %s at offset %"
			 PRIu64 " (not the newest segment)", s->path, end);
		return KV_ECORRUPT;
	}
	bool found = !bad;
	if (!bad) {
		/*
		 * Bytes after the end of data: pages written out of order and
		 * never synced, or stale ones.  Left in place, a later, shorter
		 * record could end right where one of them begins.
		 */
		rc = kv_seg_nonzero_after(l->io, s, end, &found);
		if (rc != 0 || !found)
			return rc;
	}
	uint64_t at = 0, max_synced = 0;
	rc = kv_seg_valid_after(l->io, s, end, &found, &at, &max_synced);
	if (rc != 0)
		return rc;
	if (found && max_synced > end) {
		rlog_log(l, KV_LOG_ERROR, "corrupt record in %s at offset %"
			 PRIu64 " (valid records follow it, appended after "
			 "it was synced, e.g. at offset %" PRIu64 ")",
			 s->path, end, at);
		return KV_ECORRUPT;
	}
	/* Never synced: a torn or reordered write.  Cut it and what follows. */
	return repair_tail(l, s, end);
}

/* Opens every segment file; those below from.seg must be known. */
static int open_segments(struct kv_rlog *l, const struct kv_rlog_options *o,
			 struct id_list *il)
{
	for (size_t i = 0; i < o->known_count; i++) {
		uint64_t *hit = il->n == 0 ? NULL
					   : bsearch(&o->known[i].id, il->ids,
						     il->n, sizeof *il->ids,
						     cmp_u64);
		if (hit == NULL) {
			rlog_log(l, KV_LOG_WARN, "segment %016" PRIx64
				 " listed by the checkpoint is missing",
				 o->known[i].id);
			return -ENOENT;
		}
	}
	for (size_t i = 0; i < il->n; i++) {
		uint64_t id = il->ids[i];
		const struct kv_rlog_seginfo *k = NULL;
		if (id < o->from.seg) {
			k = known_find(o, id);
			if (k == NULL) {
				/* Compacted; its deletion did not finish. */
				char p[4096];
				kv_rlog_seg_path(p, sizeof p, l->dir, id);
				int rc = l->io->unlink(l->io->ctx, p);
				if (rc != 0)
					return rc;
				rlog_log(l, KV_LOG_INFO, "removed compacted %s", p);
				continue;
			}
		}
		struct kv_rlog_seg *s = NULL;
		int rc = kv_seg_open(l->io, l->dir, id, &s);
		if (rc != 0)
			return rc;
		if (k != NULL) {
			if (k->used > s->size) {
				rlog_log(l, KV_LOG_ERROR, "%s is shorter than "
					 "its checkpoint says", s->path);
				rc = KV_ECORRUPT;
			}
			s->used = k->used;
		}
		if (rc == 0)
			rc = segs_push(l, s);
		if (rc != 0) {
			kv_seg_free(l->io, s); /* not in the table */
			return rc;
		}
	}
	return 0;
}

/* Replays, then chooses or creates the active segment. */
static int recover(struct kv_rlog *l, const struct kv_rlog_options *o,
		   kv_rlog_replay_fn fn, void *arg)
{
	for (size_t i = 0; i < l->nsegs; i++) {
		struct kv_rlog_seg *s = l->segs[i];
		if (s->id < o->from.seg)
			continue;
		uint64_t off = s->id == o->from.seg ? o->from.off : 0;
		int rc = replay_seg(l, s, off, i + 1 == l->nsegs, fn, arg);
		if (rc != 0)
			return rc;
	}
	struct kv_rlog_seg *last = l->nsegs ? l->segs[l->nsegs - 1] : NULL;
	if (last != NULL && last->id >= o->from.seg) {
		/*
		 * Continue the newest segment: it is ours alone.  What was
		 * recovered may still be only in the page cache (after a
		 * process crash): sync it, so new records can say so.
		 */
		int rc = last->used ? l->io->fdatasync(l->io->ctx, last->fd) : 0;
		if (rc != 0)
			return rc;
		l->active = last;
		l->next_id = last->id + 1;
		l->dur_seg = last->id;
		l->dur_off = last->used;
		return 0;
	}
	if (o->from.off > 0) {
		/* The start is inside a segment that is gone. */
		rlog_log(l, KV_LOG_WARN, "segment %016" PRIx64 " holding the "
			 "start position is missing", o->from.seg);
		return -ENOENT;
	}
	/*
	 * No segment at or after the start: a fresh log, or a copy made by
	 * kv_checkpoint_to whose segments are hard links shared with the
	 * source and must never be written.
	 */
	uint64_t id = o->from.seg;
	if (last != NULL && last->id >= id)
		id = last->id + 1;
	if (id == 0)
		id = 1;
	struct kv_rlog_seg *s = NULL;
	bool synced;
	int rc = kv_seg_create(l->io, l->dir, id, l->seg_bytes, &s, &synced);
	if (rc != 0)
		return rc;
	rc = dir_fsync(l);
	if (rc == 0)
		rc = segs_push(l, s);
	if (rc != 0) {
		kv_seg_free(l->io, s);
		return rc;
	}
	l->active = s;
	l->next_id = id + 1;
	l->dur_seg = id;
	l->dur_off = 0;
	return 0;
}

static void rlog_free(struct kv_rlog *l)
{
	for (size_t i = 0; i < l->nsegs; i++)
		kv_seg_free(l->io, l->segs[i]);
	free(l->segs);
	free(l->dir);
	pthread_mutex_destroy(&l->append_mu);
	pthread_mutex_destroy(&l->seg_mu);
	pthread_mutex_destroy(&l->sync_mu);
	pthread_cond_destroy(&l->sync_cv);
	free(l);
}

int kv_rlog_open(const char *dir, const struct kv_rlog_options *o,
		 kv_rlog_replay_fn fn, void *arg, struct kv_rlog **out)
{
	ASSERT(o->io != NULL && o->segment_bytes > 0);
	struct kv_rlog *l = calloc(1, sizeof *l);
	if (l == NULL)
		return -ENOMEM;
	l->dir = strdup(dir);
	l->io = o->io;
	l->seg_bytes = o->segment_bytes;
	l->log_fn = o->log_fn;
	l->log_ctx = o->log_ctx;
	pthread_mutex_init(&l->append_mu, NULL);
	pthread_mutex_init(&l->seg_mu, NULL);
	pthread_mutex_init(&l->sync_mu, NULL);
	pthread_cond_init(&l->sync_cv, NULL);
	if (l->dir == NULL) {
		rlog_free(l);
		return -ENOMEM;
	}
	struct id_list il = {0};
	int rc = o->io->list_dir(o->io->ctx, dir, collect_seg, &il);
	if (rc == 0) {
		if (il.n > 0)
			qsort(il.ids, il.n, sizeof *il.ids, cmp_u64);
		rc = open_segments(l, o, &il);
	}
	free(il.ids);
	if (rc == 0)
		rc = recover(l, o, fn, arg);
	if (rc != 0) {
		rlog_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

int kv_rlog_close(struct kv_rlog *l)
{
	if (l == NULL)
		return 0;
	int rc = kv_rlog_error(l);
	if (rc == 0)
		rc = kv_rlog_sync(l, 0);
	for (size_t i = 0; i < l->nsegs; i++)
		ASSERT(l->segs[i]->refs == 1 && !l->segs[i]->retired);
	rlog_free(l);
	return rc;
}
