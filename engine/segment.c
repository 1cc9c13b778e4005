/*
 * segment.c — segment files: create preallocated, open, and scan records
 * through a bounded read window (so replay is a few large preads, not two
 * per record).
 */
#include "engine/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/record.h"

#define SEG_WINDOW (1u << 20) /* bytes per scan read */

void kv_rlog_seg_path(char *buf, size_t len, const char *dir, uint64_t id)
{
	int n = snprintf(buf, len, "%s/seg-%016llx.log", dir,
			 (unsigned long long)id);
	ASSERT(n > 0 && (size_t)n < len);
}

int kv_rlog_seg_name_parse(const char *name, uint64_t *id)
{
	if (strlen(name) != 4 + 16 + 4 || strncmp(name, "seg-", 4) != 0 ||
	    strcmp(name + 20, ".log") != 0)
		return 0;
	uint64_t v = 0;
	for (int i = 4; i < 20; i++) {
		char c = name[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
					       : -1;
		if (d < 0)
			return 0;
		v = v << 4 | (uint64_t)d;
	}
	*id = v;
	return 1;
}

static struct kv_rlog_seg *seg_alloc(const char *dir, uint64_t id)
{
	size_t plen = strlen(dir) + 32;
	struct kv_rlog_seg *s = calloc(1, sizeof *s + plen);
	if (s == NULL)
		return NULL;
	s->id = id;
	s->fd = -1;
	s->refs = 1;
	kv_rlog_seg_path(s->path, plen, dir, id);
	return s;
}

int kv_seg_create(const struct kv_io *io, const char *dir, uint64_t id,
		  uint64_t size, struct kv_rlog_seg **out, bool *synced)
{
	*synced = true;
	struct kv_rlog_seg *s = seg_alloc(dir, id);
	if (s == NULL)
		return -ENOMEM;
	int fd = io->open(io->ctx, s->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		free(s);
		return fd;
	}
	s->fd = fd;
	int rc = io->fallocate(io->ctx, fd, 0, size);
	if (rc == 0) {
		rc = io->fsync(io->ctx, fd); /* the size is metadata */
		*synced = rc == 0;
	}
	if (rc != 0) {
		io->close(io->ctx, fd);
		io->unlink(io->ctx, s->path);
		free(s);
		return rc;
	}
	s->size = size;
	*out = s;
	return 0;
}

int kv_seg_open(const struct kv_io *io, const char *dir, uint64_t id,
		struct kv_rlog_seg **out)
{
	struct kv_rlog_seg *s = seg_alloc(dir, id);
	if (s == NULL)
		return -ENOMEM;
	int fd = io->open(io->ctx, s->path, O_RDWR, 0);
	if (fd < 0) {
		free(s);
		return fd;
	}
	s->fd = fd;
	int rc = io->file_size(io->ctx, fd, &s->size);
	if (rc != 0) {
		io->close(io->ctx, fd);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void kv_seg_free(const struct kv_io *io, struct kv_rlog_seg *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		io->close(io->ctx, s->fd);
	free(s);
}

/* A read window over a segment: [base, base + have) is in buf. */
struct window {
	const struct kv_io *io;
	const struct kv_rlog_seg *s;
	unsigned char *buf;
	uint64_t base;
	size_t have;
};

/*
 * Makes [off, off + len) available: *p points at it, either inside the
 * window or in *big (a malloc'd buffer the caller frees) for records larger
 * than the window.  Returns 0, -errno, or 1 if the file is shorter.
 */
static int window_get(struct window *w, uint64_t off, size_t len,
		      const unsigned char **p, unsigned char **big)
{
	if (off + len > w->s->size)
		return 1;
	if (off >= w->base && off + len <= w->base + w->have) {
		*p = w->buf + (off - w->base);
		return 0;
	}
	if (len > SEG_WINDOW) {
		unsigned char *b = malloc(len);
		if (b == NULL)
			return -ENOMEM;
		ssize_t n = w->io->pread(w->io->ctx, w->s->fd, b, len, off);
		if (n < 0 || (size_t)n < len) {
			free(b);
			return n < 0 ? (int)n : 1;
		}
		*big = b;
		*p = b;
		return 0;
	}
	uint64_t want = w->s->size - off;
	if (want > SEG_WINDOW)
		want = SEG_WINDOW;
	ssize_t n = w->io->pread(w->io->ctx, w->s->fd, w->buf, want, off);
	if (n < 0)
		return (int)n;
	w->base = off;
	w->have = (size_t)n;
	if ((size_t)n < len)
		return 1;
	*p = w->buf;
	return 0;
}

static int window_init(struct window *w, const struct kv_io *io,
		       const struct kv_rlog_seg *s)
{
	w->io = io;
	w->s = s;
	w->base = 0;
	w->have = 0;
	w->buf = malloc(SEG_WINDOW);
	return w->buf == NULL ? -ENOMEM : 0;
}

/*
 * Examines the record at off: KV_REC_END, KV_REC_BAD, or KV_REC_OK with
 * *rec (header + payload) and *len.  Returns < 0 on I/O error.
 */
static int record_at(struct window *w, uint64_t off, const unsigned char **rec,
		     uint32_t *type, uint32_t *len, unsigned char **big)
{
	const unsigned char *h = NULL;
	*big = NULL;
	if (off + KV_REC_HDR > w->s->size)
		return KV_REC_END; /* no room for another header */
	int rc = window_get(w, off, KV_REC_HDR, &h, big);
	if (rc != 0)
		return rc < 0 ? rc : KV_REC_END;
	enum kv_rec_hdr_state st = kv_rec_decode(h, w->s->size - off, type, len);
	if (st != KV_REC_OK)
		return (int)st;
	rc = window_get(w, off, KV_REC_HDR + (size_t)*len, rec, big);
	if (rc != 0)
		return rc < 0 ? rc : KV_REC_BAD;
	if (!kv_rec_check(*rec, *len)) {
		free(*big);
		*big = NULL;
		return KV_REC_BAD;
	}
	return KV_REC_OK;
}

int kv_seg_scan(const struct kv_io *io, const struct kv_rlog_seg *s,
		uint64_t off, kv_rlog_replay_fn fn, void *arg, uint64_t *end,
		bool *bad)
{
	struct window w;
	int rc = window_init(&w, io, s);
	if (rc != 0)
		return rc;
	*bad = false;
	/* Bounded: every iteration advances off by at least 16 bytes. */
	for (;;) {
		const unsigned char *rec;
		unsigned char *big;
		uint32_t type, len;
		rc = record_at(&w, off, &rec, &type, &len, &big);
		if (rc < 0)
			break;
		if (rc == KV_REC_END || rc == KV_REC_BAD) {
			*bad = rc == KV_REC_BAD;
			rc = 0;
			break;
		}
		struct kv_rlog_pos at = {s->id, off};
		rc = fn ? fn(arg, &at, type, rec + KV_REC_HDR, len) : 0;
		free(big);
		if (rc != 0)
			break;
		off += kv_rec_size(len);
	}
	*end = off;
	free(w.buf);
	return rc;
}

int kv_seg_valid_after(const struct kv_io *io, const struct kv_rlog_seg *s,
		       uint64_t off, bool *found, uint64_t *at)
{
	struct window w;
	int rc = window_init(&w, io, s);
	if (rc != 0)
		return rc;
	*found = false;
	for (uint64_t o = off + 8; o + KV_REC_HDR <= s->size; o += 8) {
		const unsigned char *rec;
		unsigned char *big;
		uint32_t type, len;
		rc = record_at(&w, o, &rec, &type, &len, &big);
		free(big);
		if (rc < 0)
			break;
		if (rc == KV_REC_OK) {
			*found = true;
			*at = o;
			rc = 0;
			break;
		}
		rc = 0;
	}
	free(w.buf);
	return rc;
}
