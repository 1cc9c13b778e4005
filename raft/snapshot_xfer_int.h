/*
 * snapshot_xfer_int.h — what the snapshot transfer's files share (the
 * frame layout, big-endian helpers, name rules, directory helpers), and a
 * test hook of the installer.  Used only by raft/snapshot_xfer*.c and
 * their tests.
 */
#ifndef VS_RAFT_SNAPSHOT_XFER_INT_H
#define VS_RAFT_SNAPSHOT_XFER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/snapshot_xfer.h"

enum snap_kind {
	SNAP_KIND_CHUNK = 1,
	SNAP_KIND_FINAL = 2,
	SNAP_KIND_ACK = 3,
};

enum snap_ack_status {
	SNAP_ACK_NEXT = 0,     /* frame accepted; expecting (next_file, off) */
	SNAP_ACK_RESEND = 1,   /* frame not accepted: resume from (file, off) */
	SNAP_ACK_COMPLETE = 2, /* the transfer is ready on the receiver */
	SNAP_ACK_STALE = 3,    /* a newer transfer superseded it: stop */
};

/* Bytes of the common prefix of chunk and final frames. */
#define SNAP_PREFIX_BYTES 36
/* Chunk header before the name (prefix included) and after it (crc). */
#define SNAP_CHUNK_FIXED 66

/* The fields every chunk/final frame starts with. */
struct snap_prefix {
	uint8_t kind;
	uint32_t epoch;
	uint64_t xfer_id;
	uint64_t snap_index;
	uint64_t snap_term;
	uint32_t n_files;
};

/* A decoded chunk: name and data point into the frame (borrowed). */
struct snap_chunk {
	struct snap_prefix p;
	uint32_t file_index;
	uint64_t file_size;
	uint64_t offset;
	uint32_t data_len;
	uint32_t data_crc;
	uint16_t name_len;
	const char *name; /* not NUL-terminated */
	const uint8_t *data;
};

struct snap_final {
	struct snap_prefix p;
	uint32_t manifest_crc;
	struct raft_conf_state conf;
};

struct snap_ack {
	uint8_t status;
	uint32_t epoch;
	uint64_t xfer_id;
	uint32_t next_file;
	uint64_t next_offset;
};

/* A position in the stream: the next byte (file, offset) to send/expect;
 * (n_files, 0) is "the final frame". */
struct snap_pos {
	uint32_t file;
	uint64_t off;
};

/* Big-endian helpers. */
void snap_put_u16(uint8_t *p, uint16_t v);
void snap_put_u32(uint8_t *p, uint32_t v);
void snap_put_u64(uint8_t *p, uint64_t v);
uint16_t snap_get_u16(const uint8_t *p);
uint32_t snap_get_u32(const uint8_t *p);
uint64_t snap_get_u64(const uint8_t *p);

/* Whether name[0..len) is an acceptable snapshot file name (see .h). */
bool snap_name_valid(const char *name, size_t len);

/* Bytes of a chunk frame with a name of name_len and data_len of data. */
size_t snap_chunk_bytes(size_t name_len, size_t data_len);
/*
 * Writes a chunk's header (everything before the data) into buf, which
 * has room for the whole frame; the caller puts the data at
 * buf + snap_chunk_data_off(c->name_len) (it preads it straight there).
 */
void snap_chunk_encode_header(const struct snap_chunk *c, uint8_t *buf);
/* Offset of the data in a chunk frame with a name of name_len. */
size_t snap_chunk_data_off(size_t name_len);
/* Encodes a final frame into buf[0..cap); returns its length, or 0 if cap
 * is too small. */
size_t snap_final_encode(const struct snap_final *f, uint8_t *buf, size_t cap);
void snap_ack_encode(const struct snap_ack *a, uint8_t buf[SNAP_ACK_BYTES]);

/*
 * Decoders: validate the format (lengths, version, CRCs, reserved zeros,
 * conf bounds; for a chunk also the name rule, offset + data_len <=
 * file_size, data CRC).  Return the kind (SNAP_KIND_CHUNK/FINAL) for
 * snap_frame_decode, 0 for snap_ack_decode, or SNAP_ECORRUPT /
 * SNAP_EVERSION.  Pointers in *c borrow frame.
 */
int snap_frame_decode(const uint8_t *frame, size_t len, struct snap_chunk *c,
                      struct snap_final *f);
int snap_ack_decode(const uint8_t *buf, size_t len, struct snap_ack *a);

/* Manifest checksum: extends crc by one file's entry. */
uint32_t snap_manifest_extend(uint32_t crc, const char *name, size_t name_len,
                              uint64_t size, uint32_t file_crc);

/* io, or kv_io_posix() if NULL. */
const struct kv_io *snap_io(const struct kv_io *io);
/* fsync of a directory by path.  0 or -errno. */
int snap_dir_fsync(const struct kv_io *io, const char *path);
/* fsync of the directory holding path.  0 or -errno. */
int snap_parent_fsync(const struct kv_io *io, const char *path);
/* 1 if path is a directory, 0 if absent, else -errno (-ENOTDIR). */
int snap_dir_exists(const struct kv_io *io, const char *path);
/* rm -rf of a tree of plain files and directories (depth-bounded).
 * 0 (also when absent) or -errno. */
int snap_rmtree(const struct kv_io *io, const char *path);

/*
 * The installer, stopping after `steps` of its steps (1..4, see
 * snap_install_dir; 4 = all): crash simulation for tests.
 */
int snap_install_dir_steps(const struct kv_io *io, const char *ready_dir,
                           const char *kv_dir, unsigned steps);

#endif /* VS_RAFT_SNAPSHOT_XFER_INT_H */
