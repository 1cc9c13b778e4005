/*
 * checkpoint.c — checkpoints: the index, the log position it covers, the
 * applied index and the segments it relies on, in one checksummed file.
 *
 *   DIR/ckpt-<16 hex digits>.ckpt, numbered upwards; written as .tmp,
 *   fsync'd, renamed, and the directory fsync'd (so a crash leaves either
 *   the old or the new checkpoint, never half of one).
 *
 *   header (48 bytes): "VSCKPT01", u32 version 1, u32 nsegs,
 *     u64 pos_seg, u64 pos_off, u64 applied, u64 nkeys
 *   nkeys entries in key order: u32 seg, u64 off, u32 vlen, u16 klen, key
 *   nsegs segments: u64 id, u64 used   (every segment below pos_seg)
 *   u32 CRC32C of everything before it
 *
 * A checkpoint that fails its CRC or refers to a segment that is gone is
 * skipped for an older one, and without any, the whole log is replayed.
 */
#include "engine/kv_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/crc32c.h"
#include "engine/record.h"

#define CKPT_MAGIC "VSCKPT01"
#define CKPT_HDR 48u
#define CKPT_ENT 18u
#define CKPT_MAX 64 /* checkpoint files considered at open */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static int buf_grow(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	void *p = realloc(b->p, cap);
	if (p == NULL)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int ent_out(void *arg, const struct kv_ient *e)
{
	struct buf *b = arg;
	if (buf_grow(b, CKPT_ENT + e->klen) != 0)
		return -ENOMEM;
	unsigned char *p = b->p + b->len;
	kv_put_u32(p, e->seg);
	kv_put_u64(p + 4, e->off);
	kv_put_u32(p + 12, e->vlen);
	kv_put_u16(p + 16, e->klen);
	memcpy(p + CKPT_ENT, e->key, e->klen);
	b->len += CKPT_ENT + e->klen;
	return 0;
}

/*
 * Serialises the index with the log position it covers into b (header
 * first, segments not yet).  With rotate, the active segment is sealed
 * first, so the position is the start of a new, empty segment.
 */
static int ckpt_snapshot(struct kv *kv, bool rotate, struct buf *b,
			 struct kv_rlog_pos *pos, uint64_t *lsn,
			 uint64_t *applied)
{
	int rc = buf_grow(b, CKPT_HDR);
	if (rc != 0)
		return rc;
	b->len = CKPT_HDR;
	kv_rlog_lock(kv->log);
	uint64_t active;
	if (rotate)
		rc = kv_rlog_rotate_locked(kv->log, &active);
	*pos = kv_rlog_end_locked(kv->log);
	*lsn = kv_rlog_lsn(kv->log);
	*applied = atomic_load(&kv->applied);
	uint64_t nkeys = 0;
	if (rc == 0) {
		pthread_rwlock_rdlock(&kv->ix_lock);
		nkeys = kv_index_count(kv->ix);
		rc = kv_index_walk(kv->ix, ent_out, b);
		pthread_rwlock_unlock(&kv->ix_lock);
	}
	kv_rlog_unlock(kv->log);
	if (rc != 0)
		return rc;
	ASSERT(!rotate || pos->off == 0);
	memcpy(b->p, CKPT_MAGIC, 8);
	kv_put_u32(b->p + 8, 1);
	kv_put_u64(b->p + 16, pos->seg);
	kv_put_u64(b->p + 24, pos->off);
	kv_put_u64(b->p + 32, *applied);
	kv_put_u64(b->p + 40, nkeys);
	return 0;
}

/* Appends the segment list (those below pos, not excluded) and the CRC. */
static int ckpt_finish(struct kv *kv, struct buf *b, uint64_t pos_seg,
		       const uint64_t *exclude, size_t nexclude,
		       struct kv_rlog_seginfo **segs_out, size_t *nsegs_out)
{
	size_t n = kv_rlog_segments(kv->log, NULL, 0);
	struct kv_rlog_seginfo *segs = calloc(n + 1, sizeof *segs);
	if (segs == NULL)
		return -ENOMEM;
	n = kv_rlog_segments(kv->log, segs, n);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool skip = segs[i].id >= pos_seg;
		for (size_t j = 0; j < nexclude; j++)
			skip |= segs[i].id == exclude[j];
		if (!skip)
			segs[k++] = segs[i];
	}
	int rc = buf_grow(b, k * 16 + 4);
	if (rc != 0) {
		free(segs);
		return rc;
	}
	for (size_t i = 0; i < k; i++) {
		kv_put_u64(b->p + b->len, segs[i].id);
		kv_put_u64(b->p + b->len + 8, segs[i].used);
		b->len += 16;
	}
	kv_put_u32(b->p + 12, (uint32_t)k);
	kv_put_u32(b->p + b->len, kv_crc32c(b->p, b->len));
	b->len += 4;
	*segs_out = segs;
	*nsegs_out = k;
	return 0;
}

static int dir_fsync_path(const struct kv_io *io, const char *dir)
{
	int fd = io->open(io->ctx, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	int rc = io->fsync(io->ctx, fd);
	io->close(io->ctx, fd);
	return rc;
}

/* Sticky read-only after a failed fsync: STYLE.md, never retried. */
static int sync_failed(struct kv *kv, int rc, const char *what)
{
	atomic_store(&kv->err, KV_EREADONLY);
	kv_logf(kv, KV_LOG_ERROR, "%s: fsync of %s failed (%s): read-only until "
		"reopened", kv->dir, what, kv_strerror(rc));
	return rc;
}

/*
 * Writes b as checkpoint seq of dir: temp file, fsync, rename, dir fsync.
 * A failed fsync turns the engine read-only.
 */
static int ckpt_store(struct kv *kv, const char *dir, uint64_t seq,
		      const struct buf *b)
{
	const struct kv_io *io = kv->io;
	char tmp[4096], path[4096];
	snprintf(tmp, sizeof tmp, "%s/ckpt-%016" PRIx64 ".tmp", dir, seq);
	snprintf(path, sizeof path, "%s/ckpt-%016" PRIx64 ".ckpt", dir, seq);
	int fd = io->open(io->ctx, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fd;
	ssize_t n = io->pwrite(io->ctx, fd, b->p, b->len, 0);
	int rc = n == (ssize_t)b->len ? 0 : (n < 0 ? (int)n : -EIO);
	if (rc == 0) {
		rc = io->fsync(io->ctx, fd);
		if (rc != 0)
			sync_failed(kv, rc, "a checkpoint");
	}
	io->close(io->ctx, fd);
	if (rc == 0)
		rc = io->rename(io->ctx, tmp, path);
	if (rc == 0) {
		rc = dir_fsync_path(io, dir);
		return rc ? sync_failed(kv, rc, "a checkpoint's directory") : 0;
	}
	io->unlink(io->ctx, tmp);
	return rc;
}

static int ckpt_name_parse(const char *name, uint64_t *seq)
{
	unsigned long long v;
	char tail[8];
	if (strlen(name) != 5 + 16 + 5 || strncmp(name, "ckpt-", 5) != 0 ||
	    strcmp(name + 21, ".ckpt") != 0 ||
	    sscanf(name + 5, "%16llx%5s", &v, tail) != 2)
		return 0;
	*seq = v;
	return 1;
}

struct seq_list {
	uint64_t seqs[CKPT_MAX];
	size_t n;
	uint64_t max;
};

static int collect_ckpt(void *arg, const char *name)
{
	struct seq_list *sl = arg;
	uint64_t seq;
	if (!ckpt_name_parse(name, &seq))
		return 0;
	if (seq > sl->max)
		sl->max = seq;
	if (sl->n < CKPT_MAX) {
		sl->seqs[sl->n++] = seq;
		return 0;
	}
	/* Keep the newest CKPT_MAX: replace the oldest kept. */
	size_t min = 0;
	for (size_t i = 1; i < sl->n; i++)
		if (sl->seqs[i] < sl->seqs[min])
			min = i;
	if (seq > sl->seqs[min])
		sl->seqs[min] = seq;
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct kv_rlog_seginfo *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Parses a verified checkpoint image into kv->ix and out. */
static int ckpt_parse(struct kv *kv, const unsigned char *p, size_t len,
		      struct kv_ckpt_loaded *out)
{
	uint32_t nsegs = kv_get_u32(p + 12);
	uint64_t nkeys = kv_get_u64(p + 40);
	out->pos.seg = kv_get_u64(p + 16);
	out->pos.off = kv_get_u64(p + 24);
	out->applied = kv_get_u64(p + 32);
	if (kv_get_u32(p + 8) != 1 ||
	    (uint64_t)nsegs * 16 > len - CKPT_HDR - 4)
		return KV_ECORRUPT;
	size_t segs_at = len - 4 - (size_t)nsegs * 16;
	out->segs = calloc((size_t)nsegs + 1, sizeof *out->segs);
	if (out->segs == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < nsegs; i++) {
		out->segs[i].id = kv_get_u64(p + segs_at + 16 * i);
		out->segs[i].used = kv_get_u64(p + segs_at + 16 * i + 8);
		out->segs[i].sealed = true;
		if (out->segs[i].id >= out->pos.seg ||
		    (i > 0 && out->segs[i].id <= out->segs[i - 1].id))
			return KV_ECORRUPT;
	}
	out->nsegs = nsegs;
	size_t at = CKPT_HDR;
	const unsigned char *prev = NULL;
	uint16_t prev_len = 0;
	/* Bounded by nkeys and by the bytes present. */
	for (uint64_t i = 0; i < nkeys; i++) {
		if (at + CKPT_ENT > segs_at)
			return KV_ECORRUPT;
		const unsigned char *e = p + at;
		uint32_t seg = kv_get_u32(e);
		uint64_t off = kv_get_u64(e + 4);
		uint32_t vlen = kv_get_u32(e + 12);
		uint16_t klen = kv_get_u16(e + 16);
		struct kv_rlog_seginfo key = {.id = seg};
		if (klen == 0 || klen > KV_KEY_MAX || vlen > KV_VALUE_MAX ||
		    at + CKPT_ENT + klen > segs_at ||
		    (seg != out->pos.seg &&
		     !bsearch(&key, out->segs, nsegs, sizeof key, cmp_seg)) ||
		    (prev && kv_key_cmp(prev, prev_len, e + CKPT_ENT, klen) >= 0))
			return KV_ECORRUPT;
		int rc = kv_index_put(kv->ix, e + CKPT_ENT, klen, seg, off, vlen,
				      NULL);
		if (rc != 0)
			return rc < 0 ? rc : KV_ECORRUPT;
		prev = e + CKPT_ENT;
		prev_len = klen;
		at += CKPT_ENT + klen;
	}
	return at == segs_at ? 0 : KV_ECORRUPT;
}

/* Reads and verifies checkpoint seq; 0, KV_ECORRUPT, or -errno. */
static int ckpt_read(struct kv *kv, uint64_t seq, struct kv_ckpt_loaded *out)
{
	const struct kv_io *io = kv->io;
	char path[4096];
	snprintf(path, sizeof path, "%s/ckpt-%016" PRIx64 ".ckpt", kv->dir,
		 seq);
	int fd = io->open(io->ctx, path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	uint64_t size;
	unsigned char *p = NULL;
	int rc = io->file_size(io->ctx, fd, &size);
	if (rc == 0 && (size < CKPT_HDR + 4 || size > ((uint64_t)1 << 40)))
		rc = KV_ECORRUPT;
	if (rc == 0 && (p = malloc(size)) == NULL)
		rc = -ENOMEM;
	if (rc == 0) {
		ssize_t n = io->pread(io->ctx, fd, p, size, 0);
		if (n < 0)
			rc = (int)n;
		else if ((uint64_t)n != size || memcmp(p, CKPT_MAGIC, 8) != 0 ||
			 kv_crc32c(p, size - 4) != kv_get_u32(p + size - 4))
			rc = KV_ECORRUPT;
	}
	io->close(io->ctx, fd);
	if (rc == 0) {
		out->seq = seq;
		rc = ckpt_parse(kv, p, size, out);
	}
	free(p);
	if (rc == KV_ECORRUPT)
		kv_logf(kv, KV_LOG_WARN, "%s: checkpoint is corrupt, ignoring it",
			path);
	return rc;
}

int kv_ckpt_discard(struct kv *kv, uint64_t seq)
{
	/*
	 * Renamed rather than skipped: a checkpoint that names missing
	 * segments could become loadable again once new segments reuse those
	 * numbers, and would then hide every later write.  The .bad file
	 * stays for inspection.
	 */
	const struct kv_io *io = kv->io;
	char path[4096], bad[4200];
	snprintf(path, sizeof path, "%s/ckpt-%016" PRIx64 ".ckpt", kv->dir,
		 seq);
	snprintf(bad, sizeof bad, "%s.bad", path);
	int rc = io->rename(io->ctx, path, bad);
	if (rc == 0)
		rc = dir_fsync_path(io, kv->dir);
	if (rc == 0)
		kv_logf(kv, KV_LOG_WARN, "%s: set aside as %s", path, bad);
	return rc;
}

int kv_ckpt_load(struct kv *kv, uint64_t below, struct kv_ckpt_loaded *out)
{
	struct seq_list sl = {.n = 0, .max = 0};
	int rc = kv->io->list_dir(kv->io->ctx, kv->dir, collect_ckpt, &sl);
	if (rc != 0)
		return rc;
	if (sl.max > kv->ckpt_seq)
		kv->ckpt_seq = sl.max;
	/* Newest first; bounded by CKPT_MAX candidates. */
	for (;;) {
		size_t best = sl.n;
		for (size_t i = 0; i < sl.n; i++)
			if (sl.seqs[i] < below &&
			    (best == sl.n || sl.seqs[i] > sl.seqs[best]))
				best = i;
		if (best == sl.n)
			return 0;
		struct kv_ckpt_loaded ck = {0};
		rc = ckpt_read(kv, sl.seqs[best], &ck);
		if (rc == 0) {
			*out = ck;
			return 1;
		}
		free(ck.segs);
		if (rc == KV_ECORRUPT)
			rc = kv_ckpt_discard(kv, sl.seqs[best]);
		if (rc != 0)
			return rc;
		below = sl.seqs[best];
		kv_index_free(kv->ix);
		kv->ix = NULL;
		rc = kv_index_new(&kv->ix);
		if (rc != 0)
			return rc;
	}
}

static int remove_older(void *arg, const char *name)
{
	struct kv *kv = arg;
	uint64_t seq;
	if (ckpt_name_parse(name, &seq) && seq < kv->ckpt_seq) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", kv->dir, name);
		kv->io->unlink(kv->io->ctx, path);
	}
	return 0;
}

int kv_ckpt_write(struct kv *kv, const uint64_t *exclude, size_t nexclude)
{
	struct buf b = {0};
	struct kv_rlog_pos pos;
	uint64_t lsn, applied;
	struct kv_rlog_seginfo *segs = NULL;
	size_t nsegs;
	int rc = ckpt_snapshot(kv, false, &b, &pos, &lsn, &applied);
	/* The values the checkpoint points at must be durable first. */
	if (rc == 0)
		rc = kv_rlog_sync(kv->log, lsn);
	if (rc == 0)
		rc = ckpt_finish(kv, &b, pos.seg, exclude, nexclude, &segs,
				 &nsegs);
	if (rc == 0)
		rc = ckpt_store(kv, kv->dir, kv->ckpt_seq + 1, &b);
	if (rc == 0) {
		kv->ckpt_seq++;
		kv->io->list_dir(kv->io->ctx, kv->dir, remove_older, kv);
		atomic_fetch_add(&kv->checkpoints, 1);
		kv_logf(kv, KV_LOG_INFO, "%s: checkpoint %" PRIu64 " at segment "
			"%016" PRIx64 " offset %" PRIu64, kv->dir, kv->ckpt_seq,
			pos.seg, pos.off);
	}
	free(segs);
	free(b.p);
	return rc;
}

int kv_checkpoint(struct kv *kv)
{
	int rc = atomic_load(&kv->err);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&kv->ckpt_mu);
	rc = kv_ckpt_write(kv, NULL, 0);
	pthread_mutex_unlock(&kv->ckpt_mu);
	return rc;
}

/* Hard-links the listed segments into dest. */
static int link_segments(struct kv *kv, const char *dest,
			 const struct kv_rlog_seginfo *segs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char from[4096], to[4096];
		kv_rlog_seg_path(from, sizeof from, kv->dir, segs[i].id);
		kv_rlog_seg_path(to, sizeof to, dest, segs[i].id);
		int rc = kv->io->link(kv->io->ctx, from, to);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int parent_fsync(const struct kv_io *io, const char *path)
{
	char parent[4096];
	snprintf(parent, sizeof parent, "%s", path);
	char *slash = strrchr(parent, '/');
	if (slash == NULL)
		return dir_fsync_path(io, ".");
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir_fsync_path(io, parent);
}

int kv_checkpoint_to(struct kv *kv, const char *dest_dir,
		     uint64_t *applied_index)
{
	if (kv == NULL || dest_dir == NULL)
		return KV_EINVAL;
	int rc = atomic_load(&kv->err);
	if (rc != 0)
		return rc;
	const struct kv_io *io = kv->io;
	pthread_mutex_lock(&kv->ckpt_mu);
	rc = io->mkdir(io->ctx, dest_dir, 0755);
	struct buf b = {0};
	struct kv_rlog_pos pos;
	uint64_t lsn, applied = 0;
	struct kv_rlog_seginfo *segs = NULL;
	size_t nsegs = 0;
	/* Rotation fdatasyncs the sealed segment: no separate sync needed. */
	if (rc == 0)
		rc = ckpt_snapshot(kv, true, &b, &pos, &lsn, &applied);
	if (rc == 0)
		rc = ckpt_finish(kv, &b, pos.seg, NULL, 0, &segs, &nsegs);
	/*
	 * Compaction cannot retire a segment meanwhile: it takes ckpt_mu.  The
	 * checkpoint's list holds exactly the sealed segments, all of which
	 * are linked (an empty one too, so the list and the files agree).
	 */
	if (rc == 0)
		rc = link_segments(kv, dest_dir, segs, nsegs);
	if (rc == 0)
		rc = ckpt_store(kv, dest_dir, 1, &b);
	if (rc == 0) {
		rc = parent_fsync(io, dest_dir);
		if (rc != 0)
			sync_failed(kv, rc, "the copy's parent directory");
	}
	pthread_mutex_unlock(&kv->ckpt_mu);
	free(segs);
	free(b.p);
	if (rc == 0) {
		kv_logf(kv, KV_LOG_INFO, "%s: consistent copy in %s", kv->dir,
			dest_dir);
		if (applied_index != NULL)
			*applied_index = applied;
	}
	return rc;
}
