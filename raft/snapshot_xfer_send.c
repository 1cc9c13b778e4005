/*
 * snapshot_xfer_send.c — the leader's end of a snapshot transfer: reads
 * the snapshot directory's files in sorted order, one chunk at a time
 * (pread into one frame buffer: memory is bounded by the chunk size, not
 * the snapshot's), and frames them; keeps at most `window` chunks
 * unacknowledged; resumes from wherever the receiver says it is.
 *
 * Chunking is deterministic (chunk k of a file starts at k * chunk_bytes),
 * so every stream position is identified by (file, offset) and has a
 * global sequence number seq = first chunk of the file + offset / chunk.
 * To resume mid-file the sender needs the CRC32C of the file's prefix up
 * to that point (the manifest carries whole-file CRCs); it remembers it
 * for the last few positions (a ring covering the window) and otherwise
 * resumes from the start of that file, whose prefix CRC is 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/crc32c.h"
#include "raft/snapshot_xfer_int.h"

#define RING_CAP (2 * SNAP_WINDOW_MAX + 2)

struct sfile {
	char name[SNAP_NAME_MAX + 1];
	uint64_t size;
	uint64_t chunk0; /* global sequence number of its first chunk */
	uint64_t bytes0; /* data bytes of all files before it */
	uint32_t crc;    /* whole-file CRC32C, once crc_known */
	bool crc_known;
};

/* A stream position with the CRC of its file's prefix before it. */
struct mark {
	struct snap_pos pos;
	uint32_t crc;
};

struct snap_send {
	const struct kv_io *io;
	char dir[4096];
	struct raft_snapshot_meta meta;
	uint64_t xfer_id;
	size_t chunk;
	unsigned window;
	uint32_t n_files;
	struct sfile *files;
	uint64_t total_chunks, total_bytes;
	struct mark next;  /* next position to send */
	bool final_sent;   /* the final frame is out (next == end) */
	struct mark acked; /* the receiver's last reported position */
	bool acked_final;  /* receiver's ack said complete */
	bool aborted;
	uint32_t epoch;
	struct mark ring[RING_CAP]; /* recent positions, for exact resume */
	unsigned ring_next;
	int fd; /* open file (-1 if none) */
	uint32_t fd_file;
	uint8_t *buf; /* one frame */
	size_t buf_cap;
};

static int sfile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sfile *)a)->name,
	              ((const struct sfile *)b)->name);
}

/* The size of regular file dir/name; SNAP_EINVAL for anything else. */
static int file_stat(const struct snap_send *s, const char *name,
                     uint64_t *size)
{
	const struct kv_io *io = s->io;
	char path[4096 + SNAP_NAME_MAX + 2];
	snprintf(path, sizeof path, "%s/%s", s->dir, name);
	int fd = io->open(io->ctx, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd >= 0) {
		io->close(io->ctx, fd);
		return SNAP_EINVAL; /* a checkpoint is flat */
	}
	fd = io->open(io->ctx, path, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd == -ELOOP ? SNAP_EINVAL : fd;
	int rc = io->file_size(io->ctx, fd, size);
	io->close(io->ctx, fd);
	if (rc == 0 && *size > SNAP_FILE_BYTES_MAX)
		rc = SNAP_EINVAL;
	return rc;
}

struct list_ctx {
	struct snap_send *s;
	uint32_t cap;
};

/* Adds one directory entry to s->files (growing it), after checks. */
static int list_add(void *arg, const char *name)
{
	struct list_ctx *lc = arg;
	struct snap_send *s = lc->s;
	if (!snap_name_valid(name, strlen(name)))
		return SNAP_EINVAL;
	uint64_t size;
	int rc = file_stat(s, name, &size);
	if (rc != 0)
		return rc;
	if (s->n_files == SNAP_FILES_MAX)
		return SNAP_EINVAL;
	if (s->n_files == lc->cap) {
		uint32_t ncap = lc->cap ? lc->cap * 2 : 16;
		struct sfile *nf = realloc(s->files, ncap * sizeof *nf);
		if (nf == NULL)
			return -ENOMEM;
		s->files = nf;
		lc->cap = ncap;
	}
	struct sfile *f = &s->files[s->n_files++];
	memset(f, 0, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	f->size = size;
	return 0;
}

/* Lists dir's files, sorted, with their sizes and sequence numbers. */
static int list_files(struct snap_send *s)
{
	struct list_ctx lc = {s, 0};
	/* Bounded: list_add refuses more than SNAP_FILES_MAX files. */
	int rc = s->io->list_dir(s->io->ctx, s->dir, list_add, &lc);
	if (rc != 0)
		return rc;
	if (s->n_files == 0)
		return SNAP_EINVAL;
	qsort(s->files, s->n_files, sizeof *s->files, sfile_cmp);
	for (uint32_t i = 0; i < s->n_files; i++) {
		struct sfile *f = &s->files[i];
		f->chunk0 = s->total_chunks;
		f->bytes0 = s->total_bytes;
		s->total_chunks +=
		    f->size == 0 ? 1 : (f->size + s->chunk - 1) / s->chunk;
		s->total_bytes += f->size;
	}
	return 0;
}

int snap_send_open(const char *dir, const struct raft_snapshot_meta *meta,
                   uint64_t xfer_id, size_t chunk_bytes, struct snap_send **out)
{
	return snap_send_open_io(NULL, dir, meta, xfer_id, chunk_bytes, out);
}

int snap_send_open_io(const struct kv_io *io, const char *dir,
                      const struct raft_snapshot_meta *meta, uint64_t xfer_id,
                      size_t chunk_bytes, struct snap_send **out)
{
	if (dir == NULL || meta == NULL || out == NULL || xfer_id == 0 ||
	    chunk_bytes > SNAP_CHUNK_MAX || strlen(dir) >= 3800 ||
	    meta->conf.n_voters > RAFT_NODES_MAX ||
	    meta->conf.n_learners > RAFT_NODES_MAX)
		return SNAP_EINVAL;
	struct snap_send *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -ENOMEM;
	s->io = snap_io(io);
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	s->meta = *meta;
	s->xfer_id = xfer_id;
	s->chunk = chunk_bytes ? chunk_bytes : SNAP_CHUNK_DEFAULT;
	s->window = SNAP_WINDOW_DEFAULT;
	s->fd = -1;
	int rc = list_files(s);
	if (rc == 0) {
		s->buf_cap = snap_chunk_bytes(SNAP_NAME_MAX, s->chunk);
		s->buf = malloc(s->buf_cap);
		if (s->buf == NULL)
			rc = -ENOMEM;
	}
	if (rc != 0) {
		snap_send_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

size_t snap_send_frame_bytes_max(const struct snap_send *s)
{
	return s->buf_cap;
}

void snap_send_set_window(struct snap_send *s, unsigned window)
{
	ASSERT(window >= 1 && window <= SNAP_WINDOW_MAX);
	s->window = window;
}

/* Sequence number of a position; the end (n_files, 0) is total_chunks. */
static uint64_t pos_seq(const struct snap_send *s, struct snap_pos p)
{
	if (p.file == s->n_files)
		return s->total_chunks;
	ASSERT(p.file < s->n_files);
	return s->files[p.file].chunk0 + p.off / s->chunk;
}

static uint64_t next_seq(const struct snap_send *s)
{
	return pos_seq(s, s->next.pos) + (s->final_sent ? 1 : 0);
}

static uint64_t acked_seq(const struct snap_send *s)
{
	return pos_seq(s, s->acked.pos) + (s->acked_final ? 1 : 0);
}

static void ring_push(struct snap_send *s, struct mark m)
{
	s->ring[s->ring_next % RING_CAP] = m;
	s->ring_next++;
}

/* Makes s->fd the open descriptor of file i; checks its size held. */
static int file_open(struct snap_send *s, uint32_t i)
{
	const struct kv_io *io = s->io;
	if (s->fd >= 0 && s->fd_file == i)
		return 0;
	if (s->fd >= 0)
		io->close(io->ctx, s->fd);
	s->fd = -1;
	char path[4096 + SNAP_NAME_MAX + 2];
	snprintf(path, sizeof path, "%s/%s", s->dir, s->files[i].name);
	int fd = io->open(io->ctx, path, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	uint64_t size;
	int rc = io->file_size(io->ctx, fd, &size);
	if (rc == 0 && size != s->files[i].size)
		rc = SNAP_EINVAL; /* a snapshot's files never change */
	if (rc != 0) {
		io->close(io->ctx, fd);
		return rc;
	}
	s->fd = fd;
	s->fd_file = i;
	return 0;
}

/* kv_io's pread is a full transfer: short only at end of file. */
static int read_full(struct snap_send *s, uint8_t *p, size_t len, uint64_t off)
{
	ssize_t n = s->io->pread(s->io->ctx, s->fd, p, len, off);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : SNAP_EINVAL; /* the file shrank */
}

/* Frames the chunk at s->next and advances it. */
static int make_chunk(struct snap_send *s, size_t *len)
{
	struct snap_pos p = s->next.pos;
	struct sfile *f = &s->files[p.file];
	uint64_t left = f->size - p.off;
	size_t n = left < s->chunk ? (size_t)left : s->chunk;
	size_t name_len = strlen(f->name);
	uint8_t *data = s->buf + snap_chunk_data_off(name_len);
	int rc = file_open(s, p.file);
	if (rc == 0)
		rc = read_full(s, data, n, p.off);
	if (rc != 0)
		return rc;
	uint32_t crc = kv_crc32c(data, n);
	struct snap_chunk c = {
	    .p = {SNAP_KIND_CHUNK, s->epoch, s->xfer_id, s->meta.index,
	          s->meta.term, s->n_files},
	    .file_index = p.file,
	    .file_size = f->size,
	    .offset = p.off,
	    .data_len = (uint32_t)n,
	    .data_crc = crc,
	    .name_len = (uint16_t)name_len,
	    .name = f->name,
	};
	snap_chunk_encode_header(&c, s->buf);
	*len = snap_chunk_bytes(name_len, n);
	s->next.crc = kv_crc32c_combine(s->next.crc, crc, n);
	s->next.pos.off += n;
	if (s->next.pos.off == f->size) {
		f->crc = s->next.crc;
		f->crc_known = true;
		s->next = (struct mark){{p.file + 1, 0}, 0};
	}
	ring_push(s, s->next);
	return 0;
}

static size_t make_final(struct snap_send *s)
{
	uint32_t m = 0;
	for (uint32_t i = 0; i < s->n_files; i++) {
		const struct sfile *f = &s->files[i];
		ASSERT(f->crc_known);
		m = snap_manifest_extend(m, f->name, strlen(f->name), f->size,
		                         f->crc);
	}
	struct snap_final fin = {
	    .p = {SNAP_KIND_FINAL, s->epoch, s->xfer_id, s->meta.index,
	          s->meta.term, s->n_files},
	    .manifest_crc = m,
	    .conf = s->meta.conf,
	};
	size_t n = snap_final_encode(&fin, s->buf, s->buf_cap);
	ASSERT(n > 0);
	s->final_sent = true;
	return n;
}

int snap_send_next(struct snap_send *s, const void **frame, size_t *len)
{
	if (s->aborted)
		return SNAP_EABORTED;
	if (s->acked_final)
		return SNAP_SEND_COMPLETE;
	uint64_t ns = next_seq(s), as = acked_seq(s);
	ASSERT(ns >= as && ns <= s->total_chunks + 1);
	if (s->final_sent || ns - as >= s->window)
		return SNAP_SEND_WAIT;
	size_t n = 0;
	if (s->next.pos.file == s->n_files) {
		n = make_final(s);
	} else {
		int rc = make_chunk(s, &n);
		if (rc != 0)
			return rc;
	}
	*frame = s->buf;
	*len = n;
	return SNAP_SEND_FRAME;
}

/*
 * The mark for a position the receiver reported: exact if remembered, the
 * start of its file otherwise.  SNAP_ECORRUPT for a position this sender
 * never reached or that is not a chunk boundary.
 */
static int resolve(const struct snap_send *s, struct snap_pos p,
                   struct mark *out)
{
	if (p.file > s->n_files || (p.file == s->n_files && p.off != 0))
		return SNAP_ECORRUPT;
	if (p.file < s->n_files) {
		const struct sfile *f = &s->files[p.file];
		if ((p.off >= f->size && p.off != 0) || p.off % s->chunk != 0)
			return SNAP_ECORRUPT;
	}
	for (uint32_t i = 0; i < p.file; i++)
		if (!s->files[i].crc_known)
			return SNAP_ECORRUPT;
	*out = (struct mark){{p.file, 0}, 0};
	if (p.off == 0)
		return 0;
	if (p.file == s->acked.pos.file && p.off == s->acked.pos.off) {
		*out = s->acked;
		return 0;
	}
	unsigned n = s->ring_next < RING_CAP ? s->ring_next : RING_CAP;
	for (unsigned i = 0; i < n; i++) {
		const struct mark *m = &s->ring[i];
		if (m->pos.file == p.file && m->pos.off == p.off) {
			*out = *m;
			return 0;
		}
	}
	return 0; /* from the start of the file */
}

int snap_send_ack(struct snap_send *s, const void *ack, size_t len)
{
	struct snap_ack a;
	int rc = snap_ack_decode(ack, len, &a);
	if (rc != 0)
		return rc == SNAP_EVERSION ? SNAP_ECORRUPT : rc;
	if (a.xfer_id != s->xfer_id)
		return SNAP_ESTALE;
	if (a.status == SNAP_ACK_STALE) {
		s->aborted = true;
		return SNAP_EABORTED;
	}
	if (a.status == SNAP_ACK_COMPLETE) {
		s->acked_final = true;
		s->acked = s->next = (struct mark){{s->n_files, 0}, 0};
		s->final_sent = true;
		return SNAP_SEND_COMPLETE;
	}
	if (s->acked_final)
		return 0; /* a late ack after completion */
	struct mark m;
	rc = resolve(s, (struct snap_pos){a.next_file, a.next_offset}, &m);
	if (rc != 0)
		return rc;
	/*
	 * The receiver's word is the truth about what it holds.  A RESEND
	 * answering a frame of this epoch moves the sender to where the
	 * receiver is; one answering an older epoch was already acted on.  A
	 * receiver ahead of the sender (after a rewind) is caught up with.
	 */
	s->acked = m;
	bool rewind = a.status == SNAP_ACK_RESEND && a.epoch == s->epoch;
	if (rewind || pos_seq(s, m.pos) > next_seq(s)) {
		s->next = m;
		s->final_sent = false;
		s->epoch++;
	}
	ASSERT(next_seq(s) >= acked_seq(s));
	return 0;
}

void snap_send_rewind(struct snap_send *s)
{
	if (s->acked_final || s->aborted)
		return;
	s->next = s->acked;
	s->final_sent = false;
	s->epoch++;
}

bool snap_send_done(const struct snap_send *s)
{
	return s->acked_final;
}

uint64_t snap_send_xfer_id(const struct snap_send *s)
{
	return s->xfer_id;
}

void snap_send_progress(const struct snap_send *s, uint64_t *acked_bytes,
                        uint64_t *total_bytes)
{
	uint64_t b = s->total_bytes;
	if (s->acked.pos.file < s->n_files)
		b = s->files[s->acked.pos.file].bytes0 + s->acked.pos.off;
	if (acked_bytes != NULL)
		*acked_bytes = b;
	if (total_bytes != NULL)
		*total_bytes = s->total_bytes;
}

void snap_send_close(struct snap_send *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		s->io->close(s->io->ctx, s->fd);
	free(s->files);
	free(s->buf);
	free(s);
}
