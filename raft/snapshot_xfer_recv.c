/*
 * snapshot_xfer_recv.c — the follower's end of a snapshot transfer:
 * validates every frame (they are untrusted bytes), writes each chunk at
 * its offset into staging_root/<xfer id>.part/<name>, accepts chunks only
 * in stream order (so it can checksum every file as it goes, without
 * reading anything back), and on the final frame checks the manifest,
 * fsyncs and renames the directory to <xfer id>.ready.
 *
 * What is not in order is not an error: a duplicate, a reordered chunk or
 * one after a gap is dropped and answered with RESEND naming the position
 * expected; a chunk at offset 0 of the current file restarts that file
 * (the sender resumes there when it no longer knows the CRC of a longer
 * prefix).  What is malformed or inconsistent is an error: the staging is
 * removed and the transfer starts over from (0, 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/crc32c.h"
#include "raft/snapshot_xfer_int.h"

#define PATH_BYTES 4096

struct rfile {
	char name[SNAP_NAME_MAX + 1];
	uint16_t name_len;
	uint64_t size;
	uint32_t crc;
};

struct snap_recv {
	const struct kv_io *io;
	char root[PATH_BYTES];
	uint64_t xfer_id; /* newest transfer seen (0: none) */
	uint64_t done_id; /* last completed transfer (0: none) */
	/* The transfer in progress (xfer_id, unless it completed). */
	uint64_t snap_index, snap_term;
	uint32_t n_files;
	bool started;        /* its .part directory exists */
	struct snap_pos exp; /* next position expected */
	uint32_t exp_crc;    /* CRC of the current file's prefix */
	struct rfile cur;    /* the current file (valid if exp.off > 0) */
	int fd;              /* its descriptor, or -1 */
	struct rfile *files; /* files[0..exp.file): complete */
	uint32_t files_cap;
	char part[PATH_BYTES + 32];
	/* The last completed transfer, until the next feed. */
	bool has_ready;
	char ready[PATH_BYTES + 32];
	struct raft_snapshot_meta ready_meta;
	uint8_t ack[SNAP_ACK_BYTES];
};

struct clean_ctx {
	const struct kv_io *io;
	const char *root;
};

/* Removes one leftover "<16 hex>.part" or ".ready" directory. */
static int clean_one(void *arg, const char *name)
{
	const struct clean_ctx *c = arg;
	size_t n = strlen(name);
	bool ours = n > 16 && strspn(name, "0123456789abcdef") == 16 &&
	            (strcmp(name + 16, ".part") == 0 ||
	             strcmp(name + 16, ".ready") == 0);
	if (!ours)
		return 0;
	char path[PATH_BYTES + 64];
	snprintf(path, sizeof path, "%s/%s", c->root, name);
	return snap_rmtree(c->io, path);
}

int snap_recv_new(const char *staging_root, struct snap_recv **out)
{
	return snap_recv_new_io(NULL, staging_root, out);
}

int snap_recv_new_io(const struct kv_io *io, const char *staging_root,
                     struct snap_recv **out)
{
	if (staging_root == NULL || out == NULL ||
	    strlen(staging_root) >= PATH_BYTES - 64)
		return SNAP_EINVAL;
	io = snap_io(io);
	int rc = io->mkdir(io->ctx, staging_root, 0755);
	if (rc != 0 && rc != -EEXIST)
		return rc;
	struct clean_ctx c = {io, staging_root};
	rc = io->list_dir(io->ctx, staging_root, clean_one, &c);
	if (rc != 0)
		return rc;
	struct snap_recv *r = calloc(1, sizeof *r);
	if (r == NULL)
		return -ENOMEM;
	r->io = io;
	snprintf(r->root, sizeof r->root, "%s", staging_root);
	r->fd = -1;
	*out = r;
	return 0;
}

/* Forgets the transfer in progress and removes its staging. */
static void drop(struct snap_recv *r)
{
	if (r->fd >= 0)
		r->io->close(r->io->ctx, r->fd);
	r->fd = -1;
	if (r->started) /* best effort; new() cleans too */
		(void)snap_rmtree(r->io, r->part);
	r->started = false;
	r->exp = (struct snap_pos){0, 0};
	r->exp_crc = 0;
}

void snap_recv_reset(struct snap_recv *r)
{
	drop(r);
}

void snap_recv_free(struct snap_recv *r)
{
	if (r == NULL)
		return;
	drop(r);
	free(r->files);
	free(r);
}

static void set_ack(struct snap_recv *r, uint8_t status, uint32_t epoch,
                    uint64_t xfer_id, const void **ack, size_t *ack_len)
{
	struct snap_ack a = {status, epoch, xfer_id, r->exp.file, r->exp.off};
	if (status == SNAP_ACK_COMPLETE || status == SNAP_ACK_STALE)
		a.next_file = 0, a.next_offset = 0;
	snap_ack_encode(&a, r->ack);
	*ack = r->ack;
	*ack_len = SNAP_ACK_BYTES;
}

/* Starts transfer p->xfer_id (newer than any seen). */
static void begin(struct snap_recv *r, const struct snap_prefix *p)
{
	drop(r);
	r->xfer_id = p->xfer_id;
	r->snap_index = p->snap_index;
	r->snap_term = p->snap_term;
	r->n_files = p->n_files;
	snprintf(r->part, sizeof r->part, "%s/%016" PRIx64 ".part", r->root,
	         p->xfer_id);
}

/* kv_io's pwrite is a full transfer. */
static int write_full(struct snap_recv *r, const uint8_t *p, size_t len,
                      uint64_t off)
{
	ssize_t n = r->io->pwrite(r->io->ctx, r->fd, p, len, off);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

/* Opens (creating, truncating) the file a chunk at offset 0 starts. */
static int file_start(struct snap_recv *r, const struct snap_chunk *c)
{
	if (c->file_index > 0) {
		/* Sorted, hence distinct, names: a replayed name is refused. */
		const struct rfile *prev = &r->files[c->file_index - 1];
		size_t n =
		    c->name_len < prev->name_len ? c->name_len : prev->name_len;
		int cmp = memcmp(c->name, prev->name, n);
		if (cmp < 0 || (cmp == 0 && c->name_len <= prev->name_len))
			return SNAP_ECORRUPT;
	}
	if (!r->started) {
		int rc = snap_rmtree(r->io, r->part);
		if (rc == 0)
			rc = r->io->mkdir(r->io->ctx, r->part, 0755);
		if (rc != 0)
			return rc;
		r->started = true;
	}
	if (r->fd >= 0)
		r->io->close(r->io->ctx, r->fd);
	r->fd = -1;
	memset(&r->cur, 0, sizeof r->cur);
	memcpy(r->cur.name, c->name, c->name_len);
	r->cur.name_len = c->name_len;
	r->cur.size = c->file_size;
	char path[2 * PATH_BYTES];
	snprintf(path, sizeof path, "%s/%s", r->part, r->cur.name);
	int fd =
	    r->io->open(r->io->ctx, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fd;
	r->fd = fd;
	r->exp.off = 0;
	r->exp_crc = 0;
	return 0;
}

/* Records the complete current file and moves to the next one. */
static int file_finish(struct snap_recv *r)
{
	int rc = r->io->fsync(r->io->ctx, r->fd);
	if (rc != 0)
		return rc;
	r->io->close(r->io->ctx, r->fd);
	r->fd = -1;
	if (r->exp.file == r->files_cap) {
		uint32_t ncap = r->files_cap ? r->files_cap * 2 : 16;
		struct rfile *nf = realloc(r->files, ncap * sizeof *nf);
		if (nf == NULL)
			return -ENOMEM;
		r->files = nf;
		r->files_cap = ncap;
	}
	r->cur.crc = r->exp_crc;
	r->files[r->exp.file] = r->cur;
	r->exp = (struct snap_pos){r->exp.file + 1, 0};
	r->exp_crc = 0;
	return 0;
}

/* Writes an in-order chunk.  0, SNAP_ECORRUPT or -errno. */
static int accept_chunk(struct snap_recv *r, const struct snap_chunk *c)
{
	int rc;
	if (c->offset == 0) {
		rc = file_start(r, c);
		if (rc != 0)
			return rc;
	} else if (c->name_len != r->cur.name_len ||
	           memcmp(c->name, r->cur.name, c->name_len) != 0 ||
	           c->file_size != r->cur.size) {
		return SNAP_ECORRUPT; /* a file changed name or size midway */
	}
	ASSERT(r->fd >= 0 && c->offset == r->exp.off);
	rc = write_full(r, c->data, c->data_len, c->offset);
	if (rc != 0)
		return rc;
	r->exp_crc = kv_crc32c_combine(r->exp_crc, c->data_crc, c->data_len);
	r->exp.off += c->data_len;
	if (r->exp.off == r->cur.size)
		rc = file_finish(r);
	return rc;
}

/* The final frame, in order: manifest, fsync, rename. */
static int accept_final(struct snap_recv *r, const struct snap_final *f)
{
	uint32_t m = 0;
	for (uint32_t i = 0; i < r->n_files; i++) {
		const struct rfile *rf = &r->files[i];
		m = snap_manifest_extend(m, rf->name, rf->name_len, rf->size,
		                         rf->crc);
	}
	if (m != f->manifest_crc)
		return SNAP_ECORRUPT;
	ASSERT(r->started);
	char ready[PATH_BYTES + 32];
	snprintf(ready, sizeof ready, "%s/%016" PRIx64 ".ready", r->root,
	         r->xfer_id);
	const struct kv_io *io = r->io;
	int rc = snap_dir_fsync(io, r->part);
	if (rc == 0)
		rc = snap_rmtree(io, ready);
	if (rc == 0)
		rc = io->rename(io->ctx, r->part, ready);
	if (rc == 0)
		rc = snap_dir_fsync(io, r->root);
	if (rc != 0)
		return rc;
	r->started = false; /* the .part is gone: nothing to drop */
	r->done_id = r->xfer_id;
	r->has_ready = true;
	snprintf(r->ready, sizeof r->ready, "%s", ready);
	r->ready_meta.index = r->snap_index;
	r->ready_meta.term = r->snap_term;
	r->ready_meta.conf = f->conf;
	return SNAP_RECV_COMPLETE;
}

/* A frame of the transfer in progress; decides accept or resend. */
static int feed_current(struct snap_recv *r, int kind,
                        const struct snap_chunk *c, const struct snap_final *f,
                        const void **ack, size_t *ack_len)
{
	const struct snap_prefix *p = kind == SNAP_KIND_CHUNK ? &c->p : &f->p;
	if (p->snap_index != r->snap_index || p->snap_term != r->snap_term ||
	    p->n_files != r->n_files)
		return SNAP_ECORRUPT;
	bool in_order;
	if (kind == SNAP_KIND_FINAL)
		in_order = r->exp.file == r->n_files;
	else
		in_order = c->file_index == r->exp.file &&
		           (c->offset == r->exp.off || c->offset == 0);
	if (!in_order) {
		set_ack(r, SNAP_ACK_RESEND, p->epoch, p->xfer_id, ack, ack_len);
		return SNAP_RECV_CONTINUE;
	}
	int rc =
	    kind == SNAP_KIND_CHUNK ? accept_chunk(r, c) : accept_final(r, f);
	if (rc < 0)
		return rc;
	set_ack(r, rc == SNAP_RECV_COMPLETE ? SNAP_ACK_COMPLETE : SNAP_ACK_NEXT,
	        p->epoch, p->xfer_id, ack, ack_len);
	return rc;
}

int snap_recv_feed(struct snap_recv *r, const void *frame, size_t len,
                   const void **ack, size_t *ack_len)
{
	*ack = NULL;
	*ack_len = 0;
	r->has_ready = false;
	struct snap_chunk c;
	struct snap_final f;
	int kind = snap_frame_decode(frame, len, &c, &f);
	if (kind < 0) {
		drop(r);
		return kind;
	}
	const struct snap_prefix *p = kind == SNAP_KIND_CHUNK ? &c.p : &f.p;
	if (p->xfer_id == r->done_id) {
		/* A duplicate after completion: say so again, idempotently. */
		set_ack(r, SNAP_ACK_COMPLETE, p->epoch, p->xfer_id, ack,
		        ack_len);
		return SNAP_RECV_CONTINUE;
	}
	if (p->xfer_id < r->xfer_id) {
		set_ack(r, SNAP_ACK_STALE, p->epoch, p->xfer_id, ack, ack_len);
		return SNAP_RECV_CONTINUE;
	}
	if (p->xfer_id > r->xfer_id)
		begin(r, p);
	int rc = feed_current(r, kind, &c, &f, ack, ack_len);
	if (rc < 0) {
		drop(r);
		/* Ask the sender to start over (it may also give up). */
		set_ack(r, SNAP_ACK_RESEND, p->epoch, p->xfer_id, ack, ack_len);
	}
	return rc;
}

const char *snap_recv_ready(const struct snap_recv *r,
                            struct raft_snapshot_meta *meta)
{
	if (!r->has_ready)
		return NULL;
	if (meta != NULL)
		*meta = r->ready_meta;
	return r->ready;
}
