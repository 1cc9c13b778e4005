/*
 * snapshot_xfer.c — the snapshot transfer's wire format (chunk, final and
 * ack frames; see snapshot_xfer.h for the layout) and the small file
 * system helpers the sender, receiver and installer share.
 *
 * Decoding treats the frame as hostile, as raft/codec.c does: the exact
 * length is checked against the header's lengths before anything else is
 * read, the header CRC before any field is trusted, and every field
 * against its bounds; a bad frame is an error code, never an assertion.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/crc32c.h"
#include "raft/net.h"
#include "raft/snapshot_xfer_int.h"

#define FINAL_FIXED 52 /* prefix, manifest_crc, two counts, crc */

_Static_assert(SNAP_CHUNK_FIXED + SNAP_NAME_MAX + 4 + SNAP_CHUNK_MAX <=
                   SNAP_FRAME_MAX,
               "a chunk frame fits SNAP_FRAME_MAX");
_Static_assert(FINAL_FIXED + 16 * RAFT_NODES_MAX <= SNAP_FRAME_MAX,
               "a final frame fits SNAP_FRAME_MAX");
_Static_assert(SNAP_FRAME_MAX <= RAFT_NET_FRAME_MAX,
               "every frame fits the network's frame limit");

const char *snap_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case SNAP_ECORRUPT:
		return "malformed snapshot frame";
	case SNAP_EVERSION:
		return "unknown snapshot frame version";
	case SNAP_ESTALE:
		return "frame of another snapshot transfer";
	case SNAP_EABORTED:
		return "snapshot transfer refused by the receiver";
	case SNAP_EINVAL:
		return "invalid argument or snapshot directory";
	default:
		return err < 0 && err > -4096 ? strerror(-err)
		                              : "unknown error";
	}
}

void snap_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void snap_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

void snap_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

uint16_t snap_get_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t snap_get_u32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = (v << 8) | p[i];
	return v;
}

uint64_t snap_get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * A conservative alphabet: the engine's own names (seg-<hex>.log,
 * ckpt-<hex>.ckpt) fit, and no name can climb out of the staging
 * directory (no '/', nothing starting with '.', so no "." or "..").
 */
bool snap_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > SNAP_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		          c == '-';
		if (!ok)
			return false;
	}
	return true;
}

size_t snap_chunk_data_off(size_t name_len)
{
	return SNAP_CHUNK_FIXED + name_len + 4;
}

size_t snap_chunk_bytes(size_t name_len, size_t data_len)
{
	return snap_chunk_data_off(name_len) + data_len;
}

static void prefix_encode(const struct snap_prefix *p, uint8_t *b)
{
	b[0] = SNAP_XFER_VERSION;
	b[1] = p->kind;
	snap_put_u16(b + 2, 0);
	snap_put_u32(b + 4, p->epoch);
	snap_put_u64(b + 8, p->xfer_id);
	snap_put_u64(b + 16, p->snap_index);
	snap_put_u64(b + 24, p->snap_term);
	snap_put_u32(b + 32, p->n_files);
}

void snap_chunk_encode_header(const struct snap_chunk *c, uint8_t *buf)
{
	ASSERT(c->p.kind == SNAP_KIND_CHUNK);
	ASSERT(snap_name_valid(c->name, c->name_len));
	ASSERT(c->data_len <= SNAP_CHUNK_MAX);
	ASSERT(c->offset + c->data_len <= c->file_size);
	prefix_encode(&c->p, buf);
	snap_put_u32(buf + 36, c->file_index);
	snap_put_u64(buf + 40, c->file_size);
	snap_put_u64(buf + 48, c->offset);
	snap_put_u32(buf + 56, c->data_len);
	snap_put_u32(buf + 60, c->data_crc);
	snap_put_u16(buf + 64, c->name_len);
	memcpy(buf + SNAP_CHUNK_FIXED, c->name, c->name_len);
	size_t n = SNAP_CHUNK_FIXED + c->name_len;
	snap_put_u32(buf + n, kv_crc32c(buf, n));
}

size_t snap_final_encode(const struct snap_final *f, uint8_t *buf, size_t cap)
{
	const struct raft_conf_state *c = &f->conf;
	ASSERT(f->p.kind == SNAP_KIND_FINAL);
	ASSERT(c->n_voters <= RAFT_NODES_MAX &&
	       c->n_learners <= RAFT_NODES_MAX);
	size_t n = FINAL_FIXED + 8 * ((size_t)c->n_voters + c->n_learners);
	if (cap < n)
		return 0;
	prefix_encode(&f->p, buf);
	snap_put_u32(buf + 36, f->manifest_crc);
	size_t o = 40;
	snap_put_u32(buf + o, c->n_voters);
	o += 4;
	for (uint32_t i = 0; i < c->n_voters; i++, o += 8)
		snap_put_u64(buf + o, c->voters[i]);
	snap_put_u32(buf + o, c->n_learners);
	o += 4;
	for (uint32_t i = 0; i < c->n_learners; i++, o += 8)
		snap_put_u64(buf + o, c->learners[i]);
	snap_put_u32(buf + o, kv_crc32c(buf, o));
	ASSERT(o + 4 == n);
	return n;
}

void snap_ack_encode(const struct snap_ack *a, uint8_t buf[SNAP_ACK_BYTES])
{
	buf[0] = SNAP_XFER_VERSION;
	buf[1] = SNAP_KIND_ACK;
	buf[2] = a->status;
	buf[3] = 0;
	snap_put_u32(buf + 4, a->epoch);
	snap_put_u64(buf + 8, a->xfer_id);
	snap_put_u32(buf + 16, a->next_file);
	snap_put_u64(buf + 20, a->next_offset);
	snap_put_u32(buf + 28, kv_crc32c(buf, 28));
}

static int prefix_decode(const uint8_t *b, size_t len, struct snap_prefix *p)
{
	if (len < SNAP_PREFIX_BYTES + 4)
		return SNAP_ECORRUPT;
	if (b[0] != SNAP_XFER_VERSION)
		return SNAP_EVERSION;
	p->kind = b[1];
	p->epoch = snap_get_u32(b + 4);
	p->xfer_id = snap_get_u64(b + 8);
	p->snap_index = snap_get_u64(b + 16);
	p->snap_term = snap_get_u64(b + 24);
	p->n_files = snap_get_u32(b + 32);
	if (snap_get_u16(b + 2) != 0 || p->xfer_id == 0 || p->n_files == 0 ||
	    p->n_files > SNAP_FILES_MAX)
		return SNAP_ECORRUPT;
	return 0;
}

static int chunk_decode(const uint8_t *b, size_t len, struct snap_chunk *c)
{
	if (len < SNAP_CHUNK_FIXED + 4)
		return SNAP_ECORRUPT;
	c->name_len = snap_get_u16(b + 64);
	c->data_len = snap_get_u32(b + 56);
	if (c->name_len > SNAP_NAME_MAX || c->data_len > SNAP_CHUNK_MAX ||
	    len != snap_chunk_bytes(c->name_len, c->data_len))
		return SNAP_ECORRUPT;
	size_t hn = SNAP_CHUNK_FIXED + c->name_len;
	if (snap_get_u32(b + hn) != kv_crc32c(b, hn))
		return SNAP_ECORRUPT;
	c->file_index = snap_get_u32(b + 36);
	c->file_size = snap_get_u64(b + 40);
	c->offset = snap_get_u64(b + 48);
	c->data_crc = snap_get_u32(b + 60);
	c->name = (const char *)b + SNAP_CHUNK_FIXED;
	c->data = b + snap_chunk_data_off(c->name_len);
	if (c->file_index >= c->p.n_files ||
	    c->file_size > SNAP_FILE_BYTES_MAX || c->offset > c->file_size ||
	    c->data_len > c->file_size - c->offset ||
	    (c->data_len == 0 && c->file_size != 0) ||
	    !snap_name_valid(c->name, c->name_len))
		return SNAP_ECORRUPT;
	if (kv_crc32c(c->data, c->data_len) != c->data_crc)
		return SNAP_ECORRUPT;
	return SNAP_KIND_CHUNK;
}

/* Reads n ids at b (already length-checked): ascending, nonzero. */
static int ids_decode(const uint8_t *b, uint32_t n, uint64_t *ids)
{
	for (uint32_t i = 0; i < n; i++) {
		ids[i] = snap_get_u64(b + 8 * (size_t)i);
		if (ids[i] == 0 || (i > 0 && ids[i] <= ids[i - 1]))
			return SNAP_ECORRUPT;
	}
	return 0;
}

static int final_decode(const uint8_t *b, size_t len, struct snap_final *f)
{
	if (len < FINAL_FIXED || len > FINAL_FIXED + 16 * RAFT_NODES_MAX)
		return SNAP_ECORRUPT;
	if (snap_get_u32(b + len - 4) != kv_crc32c(b, len - 4))
		return SNAP_ECORRUPT;
	struct raft_conf_state *c = &f->conf;
	memset(c, 0, sizeof *c);
	f->manifest_crc = snap_get_u32(b + 36);
	uint32_t nv = snap_get_u32(b + 40);
	if (nv > RAFT_NODES_MAX || 44 + 8 * (size_t)nv + 4 > len - 4)
		return SNAP_ECORRUPT;
	size_t o = 44 + 8 * (size_t)nv;
	uint32_t nl = snap_get_u32(b + o);
	if (nl > RAFT_NODES_MAX || len != FINAL_FIXED + 8 * ((size_t)nv + nl))
		return SNAP_ECORRUPT;
	c->n_voters = nv;
	c->n_learners = nl;
	if (ids_decode(b + 44, nv, c->voters) != 0 ||
	    ids_decode(b + o + 4, nl, c->learners) != 0)
		return SNAP_ECORRUPT;
	for (uint32_t i = 0; i < nv; i++)
		for (uint32_t j = 0; j < nl; j++)
			if (c->voters[i] == c->learners[j])
				return SNAP_ECORRUPT;
	return SNAP_KIND_FINAL;
}

int snap_frame_decode(const uint8_t *frame, size_t len, struct snap_chunk *c,
                      struct snap_final *f)
{
	struct snap_prefix p;
	int rc = prefix_decode(frame, len, &p);
	if (rc != 0)
		return rc;
	if (p.kind == SNAP_KIND_CHUNK) {
		c->p = p;
		return chunk_decode(frame, len, c);
	}
	if (p.kind == SNAP_KIND_FINAL) {
		f->p = p;
		return final_decode(frame, len, f);
	}
	return SNAP_ECORRUPT;
}

int snap_ack_decode(const uint8_t *b, size_t len, struct snap_ack *a)
{
	if (len != SNAP_ACK_BYTES)
		return SNAP_ECORRUPT;
	if (b[0] != SNAP_XFER_VERSION)
		return SNAP_EVERSION;
	if (b[1] != SNAP_KIND_ACK || b[2] > SNAP_ACK_STALE || b[3] != 0 ||
	    snap_get_u32(b + 28) != kv_crc32c(b, 28))
		return SNAP_ECORRUPT;
	a->status = b[2];
	a->epoch = snap_get_u32(b + 4);
	a->xfer_id = snap_get_u64(b + 8);
	a->next_file = snap_get_u32(b + 16);
	a->next_offset = snap_get_u64(b + 20);
	if (a->xfer_id == 0)
		return SNAP_ECORRUPT;
	return 0;
}

uint32_t snap_manifest_extend(uint32_t crc, const char *name, size_t name_len,
                              uint64_t size, uint32_t file_crc)
{
	uint8_t b[14];
	ASSERT(name_len <= SNAP_NAME_MAX);
	snap_put_u16(b, (uint16_t)name_len);
	crc = kv_crc32c_extend(crc, b, 2);
	crc = kv_crc32c_extend(crc, name, name_len);
	snap_put_u64(b, size);
	snap_put_u32(b + 8, file_crc);
	return kv_crc32c_extend(crc, b, 12);
}

const struct kv_io *snap_io(const struct kv_io *io)
{
	return io != NULL ? io : kv_io_posix();
}

int snap_dir_fsync(const struct kv_io *io, const char *path)
{
	int fd = io->open(io->ctx, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	int rc = io->fsync(io->ctx, fd);
	io->close(io->ctx, fd);
	return rc;
}

int snap_parent_fsync(const struct kv_io *io, const char *path)
{
	char parent[4096];
	int n = snprintf(parent, sizeof parent, "%s", path);
	if (n < 0 || (size_t)n >= sizeof parent)
		return -ENAMETOOLONG;
	/* Trailing slashes name the same directory. */
	while (n > 1 && parent[n - 1] == '/')
		parent[--n] = '\0';
	char *slash = strrchr(parent, '/');
	if (slash == NULL)
		return snap_dir_fsync(io, ".");
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	return snap_dir_fsync(io, parent);
}

int snap_dir_exists(const struct kv_io *io, const char *path)
{
	int fd = io->open(io->ctx, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd >= 0) {
		io->close(io->ctx, fd);
		return 1;
	}
	return fd == -ENOENT ? 0 : fd;
}

/* A snapshot tree is flat; staging and install add one level. */
#define RMTREE_DEPTH_MAX 4

struct rm_ctx {
	const struct kv_io *io;
	const char *dir;
	unsigned depth;
};

static int rmtree_depth(const struct kv_io *io, const char *path,
                        unsigned depth);

static int rm_entry(void *arg, const char *name)
{
	const struct rm_ctx *c = arg;
	char child[4096 + SNAP_NAME_MAX + 2];
	int n = snprintf(child, sizeof child, "%s/%s", c->dir, name);
	if (n < 0 || (size_t)n >= sizeof child)
		return -ENAMETOOLONG;
	int rc = c->io->unlink(c->io->ctx, child);
	if (rc == -EISDIR || rc == -EPERM)
		rc = rmtree_depth(c->io, child, c->depth + 1);
	return rc == -ENOENT ? 0 : rc;
}

static int rmtree_depth(const struct kv_io *io, const char *path,
                        unsigned depth)
{
	if (depth > RMTREE_DEPTH_MAX)
		return -ELOOP;
	struct rm_ctx c = {io, path, depth};
	int rc = io->list_dir(io->ctx, path, rm_entry, &c);
	if (rc == -ENOENT)
		return 0;
	if (rc == -ENOTDIR) {
		rc = io->unlink(io->ctx, path);
		return rc == -ENOENT ? 0 : rc;
	}
	if (rc == 0)
		rc = io->rmdir(io->ctx, path);
	return rc == -ENOENT ? 0 : rc;
}

int snap_rmtree(const struct kv_io *io, const char *path)
{
	return rmtree_depth(io, path, 0);
}

int snap_dir_remove_io(const struct kv_io *io, const char *dir)
{
	io = snap_io(io);
	int rc = snap_rmtree(io, dir);
	if (rc == 0)
		rc = snap_parent_fsync(io, dir);
	return rc;
}

int snap_dir_remove(const char *dir)
{
	return snap_dir_remove_io(NULL, dir);
}
