/*
 * snapshot_xfer.h — streaming a Raft snapshot (an engine checkpoint
 * directory made by kv_checkpoint_to: a flat directory of regular files)
 * from the leader to a follower in chunks, receiving it into a staging
 * directory, and swapping it in for the follower's engine directory.
 *
 * The node driver carries the bytes: the sender's frames go out as bulk
 * RAFT_FRAME_SNAP_CHUNK frames (raft/net.h), the receiver's acks come back
 * as RAFT_FRAME_SNAP_ACK.  This module owns the format of both and never
 * touches the network itself.
 *
 * Flow (one transfer = one xfer id):
 *   leader:   snap_send_open(dir, meta, xfer_id, chunk_bytes, &s);
 *             loop: while the peer's bulk_room() is at least
 *                   snap_send_frame_bytes_max(s), snap_send_next()
 *                   gives a frame: send it (bulk);
 *                   on an ack: snap_send_ack();
 *                   on a send error, reconnect or no ack progress for a
 *                   while: snap_send_rewind();
 *             until snap_send_ack() returns SNAP_SEND_COMPLETE.
 *   follower: snap_recv_new(staging_root, &r); for each chunk frame:
 *             snap_recv_feed() -> an ack to send back; when it returns
 *             SNAP_RECV_COMPLETE, snap_recv_ready() names the verified
 *             directory and the snapshot's meta; the state machine installs
 *             it (snap_install_dir on the engine's directory).
 *
 * Files go in sorted name order, each as chunks of chunk_bytes (an empty
 * file as one empty chunk); a final frame carries the raft_snapshot_meta
 * and a manifest checksum over every file's name, size and CRC32C.  The
 * receiver accepts chunks only in order; a gap (a lost frame), a
 * duplicate or a reordered chunk is not written but answered with an ack
 * naming the next (file, offset) it expects, and the sender resumes from
 * exactly there (a multi-GB transfer survives a broken connection).  The
 * sender keeps at most `window` chunks unacknowledged, so a transfer never
 * floods the bulk queue, and holds one chunk in memory whatever the
 * snapshot's size; so does the receiver (it writes each chunk at its
 * offset as it arrives).  Writes are contiguous (a chunk lands only at the
 * next expected offset), so the disk used is bounded by the bytes
 * actually received, whatever sizes a frame claims.
 *
 * A malformed or corrupt frame (any CRC, length or field wrong) drops the
 * transfer's staging and makes the receiver start over from (0, 0): a
 * checksum failure means something is badly wrong, and a restart is the
 * simple safe answer.
 *
 * Wire format, all integers big-endian, version 1 (SNAP_XFER_VERSION):
 *   chunk  = version:u8 kind:u8(1) flags:u16(0) epoch:u32 xfer_id:u64
 *            snap_index:u64 snap_term:u64 n_files:u32 file_index:u32
 *            file_size:u64 offset:u64 data_len:u32 data_crc:u32
 *            name_len:u16 name[name_len] hdr_crc:u32 data[data_len]
 *   final  = version:u8 kind:u8(2) flags:u16(0) epoch:u32 xfer_id:u64
 *            snap_index:u64 snap_term:u64 n_files:u32 manifest_crc:u32
 *            n_voters:u32 voter:u64* n_learners:u32 learner:u64* crc:u32
 *   ack    = version:u8 kind:u8(3) status:u8 pad:u8(0) epoch:u32
 *            xfer_id:u64 next_file:u32 next_offset:u64 crc:u32
 *            status: 0 accepted, next expected is (next_file,
 *            next_offset); 1 not accepted (gap, duplicate, reorder, or a
 *            bad frame that restarted the transfer): resume from there;
 *            2 complete; 3 stale (a newer transfer superseded it).
 *            (n_files, 0) means "everything but the final frame".
 *   hdr_crc / crc: CRC32C (engine/crc32c.h) of every byte before it;
 *   data_crc: CRC32C of data; manifest_crc: CRC32C over, for each file in
 *   order, name_len:u16 name size:u64 file_crc:u32 (file_crc = CRC32C of
 *   the whole file).
 *   epoch: bumped by the sender at every rewind and echoed in acks, so
 *   acks that answer frames sent before a rewind do not rewind it again.
 *
 * Names are validated on both ends: 1..SNAP_NAME_MAX bytes of
 * [A-Za-z0-9._-], not starting with '.', so never "..", never a '/', never
 * absolute; names strictly ascending (no duplicates).
 *
 * xfer ids: nonzero, and increasing over time for a given follower, so
 * the receiver can tell a newer transfer (discard the unfinished older
 * one) from a stale frame (ignored; its sender is told to stop).  Make
 * them with snap_xfer_id(leader_term, seq): a new leader's ids exceed an
 * old one's.
 *
 * File I/O goes through a struct kv_io (engine/kv_io.h): the *_io
 * variants take one (NULL = kv_io_posix()), the plain ones use POSIX; the
 * tests run both ends and the installer on tests/fault_io's simulated
 * disk, crashing it at every call.
 *
 * Threads: a snap_send or snap_recv is used by one thread at a time (the
 * driver thread); distinct ones are independent.
 */
#ifndef VS_RAFT_SNAPSHOT_XFER_H
#define VS_RAFT_SNAPSHOT_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/kv_io.h"
#include "raft/raft.h"

#define SNAP_XFER_VERSION 1
#define SNAP_NAME_MAX     255
/*
 * Largest chunk of file data in one frame: small enough that the largest
 * frame (SNAP_FRAME_MAX) fits a 16 MiB bulk queue (raft/transport's
 * default) with room to spare, and far under RAFT_NET_FRAME_MAX.
 */
#define SNAP_CHUNK_MAX     (8u * 1024 * 1024)
#define SNAP_CHUNK_DEFAULT (1u * 1024 * 1024)
/* Most files in one snapshot (a checkpoint has one per segment, plus one). */
#define SNAP_FILES_MAX 65536u
/* Largest single file accepted (guards offset arithmetic). */
#define SNAP_FILE_BYTES_MAX (1ull << 42)
#define SNAP_WINDOW_DEFAULT 4u
#define SNAP_WINDOW_MAX     64u
/* Largest frame: a full chunk plus its header. */
#define SNAP_FRAME_MAX (SNAP_CHUNK_MAX + 128 + SNAP_NAME_MAX)
#define SNAP_ACK_BYTES 32

/* Error codes of this module, beside -errno. */
enum snap_err {
	SNAP_ECORRUPT = -1201, /* a malformed or inconsistent frame */
	SNAP_EVERSION = -1202, /* a frame of an unknown format version */
	SNAP_ESTALE = -1203,   /* a frame/ack of another (older) transfer */
	SNAP_EABORTED = -1204, /* the receiver refused this transfer: stop */
	SNAP_EINVAL = -1205,   /* bad argument or unusable snapshot dir */
};
const char *snap_strerror(int err);

/* A transfer id from the sending leader's term and its own counter. */
static inline uint64_t snap_xfer_id(uint64_t leader_term, uint32_t seq)
{
	return (leader_term << 24) | (seq & 0xffffffu);
}

/* ---- Sender ------------------------------------------------------------ */

struct snap_send;

enum snap_send_result {
	SNAP_SEND_WAIT = 0,     /* nothing to send now: wait for an ack */
	SNAP_SEND_FRAME = 1,    /* snap_send_next produced a frame */
	SNAP_SEND_COMPLETE = 2, /* the receiver has the snapshot ready */
};

/*
 * Opens the snapshot directory dir (regular files only, valid names; it
 * must stay unchanged while the sender is open) for transfer xfer_id with
 * meta (copied).  chunk_bytes 0 means SNAP_CHUNK_DEFAULT, else 1..
 * SNAP_CHUNK_MAX.  Lists and stats the files, reads nothing yet.  On
 * success *out is owned by the caller (snap_send_close).  0, SNAP_EINVAL,
 * -ENOMEM or -errno.
 */
int snap_send_open(const char *dir, const struct raft_snapshot_meta *meta,
                   uint64_t xfer_id, size_t chunk_bytes,
                   struct snap_send **out);
/* The same through io (borrowed for s's life; NULL = POSIX). */
int snap_send_open_io(const struct kv_io *io, const char *dir,
                      const struct raft_snapshot_meta *meta, uint64_t xfer_id,
                      size_t chunk_bytes, struct snap_send **out);
/* The largest frame s produces (a full chunk with a longest name). */
size_t snap_send_frame_bytes_max(const struct snap_send *s);
/* Sets the number of unacknowledged chunks allowed (1..SNAP_WINDOW_MAX;
 * default SNAP_WINDOW_DEFAULT). */
void snap_send_set_window(struct snap_send *s, unsigned window);
/*
 * Produces the next frame when the window allows: SNAP_SEND_FRAME with
 * *frame and *len borrowed (valid until the next call on s; the network copies
 * it), SNAP_SEND_WAIT when the window is full or everything is sent, or
 * SNAP_SEND_COMPLETE once done.  A read error (-errno, or SNAP_EINVAL if
 * a file changed size) fails the transfer: close it and start another.
 */
int snap_send_next(struct snap_send *s, const void **frame, size_t *len);
/*
 * Takes an ack from the receiver: 0 (progress, or a rewind to the
 * position it asks for), SNAP_SEND_COMPLETE, SNAP_EABORTED (the receiver
 * refused this transfer: close it), SNAP_ESTALE (an ack of another
 * transfer: ignore it) or SNAP_ECORRUPT (malformed: ignore it).
 */
int snap_send_ack(struct snap_send *s, const void *ack, size_t len);
/*
 * Goes back to the last acknowledged position, to resend what may have
 * been lost (a dropped frame, a broken connection, no ack for long).
 */
void snap_send_rewind(struct snap_send *s);
bool snap_send_done(const struct snap_send *s);
uint64_t snap_send_xfer_id(const struct snap_send *s);
/* Data bytes acknowledged so far, and the snapshot's total (progress). */
void snap_send_progress(const struct snap_send *s, uint64_t *acked_bytes,
                        uint64_t *total_bytes);
/* Frees s and closes its file.  NULL ok. */
void snap_send_close(struct snap_send *s);

/* ---- Receiver ---------------------------------------------------------- */

struct snap_recv;

enum snap_recv_result {
	SNAP_RECV_CONTINUE = 0, /* accepted (or ignored): send the ack */
	SNAP_RECV_COMPLETE = 1, /* verified and ready: see snap_recv_ready */
};

/*
 * A receiver staging into staging_root (created if missing; it should be
 * a directory only receivers use, e.g. DATA/raft/snap/recv).  Leftover
 * "<hex>.part" and "<hex>.ready" directories of an earlier run are
 * removed.  On success *out is owned by the caller (snap_recv_free).
 * 0, -ENOMEM or -errno.
 */
int snap_recv_new(const char *staging_root, struct snap_recv **out);
/* The same through io (borrowed for r's life; NULL = POSIX). */
int snap_recv_new_io(const struct kv_io *io, const char *staging_root,
                     struct snap_recv **out);
/*
 * Feeds one received SNAP_CHUNK payload (untrusted bytes, borrowed).
 * Sets *ack and *ack_len to the ack to send back (borrowed from r, valid
 * until the next call on r), or *ack = NULL when there is none to send.
 * Returns:
 *   SNAP_RECV_CONTINUE  the chunk was written, or was a duplicate, out of
 *                       order or of an older transfer (not written; the
 *                       ack tells the sender where to resume or to stop);
 *   SNAP_RECV_COMPLETE  the final frame: every file was received, its
 *                       size and CRC32C match the manifest, the files and
 *                       directory are fsync'd and the directory renamed to
 *                       staging_root/<xfer id in hex>.ready;
 *   SNAP_ECORRUPT, SNAP_EVERSION  malformed: the transfer in progress
 *                       is dropped and its staging removed (the ack, if
 *                       any, asks the sender to start over);
 *   -errno              a write/fsync failed: the transfer is dropped.
 * A frame of a newer xfer id discards an unfinished older transfer.
 */
int snap_recv_feed(struct snap_recv *r, const void *frame, size_t len,
                   const void **ack, size_t *ack_len);
/*
 * After SNAP_RECV_COMPLETE: the ready directory's path (borrowed, valid
 * until the next feed or free; the caller may rename or remove the
 * directory) and the snapshot's meta.  NULL if no transfer is complete.
 */
const char *snap_recv_ready(const struct snap_recv *r,
                            struct raft_snapshot_meta *meta);
/* Drops the transfer in progress (e.g. the leader changed).  */
void snap_recv_reset(struct snap_recv *r);
/* Frees r; removes an unfinished transfer's staging (not a ready one). */
void snap_recv_free(struct snap_recv *r);

/* ---- Install ----------------------------------------------------------- */

/*
 * Replaces the engine directory kv_dir by ready_dir (a directory made by a
 * receiver, on the same file system), while no engine has kv_dir open.
 * Steps, each followed by an fsync of the parent directories it changed:
 *   1. rename ready_dir -> kv_dir.new
 *   2. rename kv_dir -> kv_dir.old      (skipped if kv_dir does not exist)
 *   3. rename kv_dir.new -> kv_dir
 *   4. remove kv_dir.old
 * A crash at any point leaves a state snap_install_recover resolves.
 * 0 or -errno (the state is then one snap_install_recover resolves too).
 */
int snap_install_dir(const char *ready_dir, const char *kv_dir);
int snap_install_dir_io(const struct kv_io *io, const char *ready_dir,
                        const char *kv_dir);
/*
 * Resolves what a crashed snap_install_dir left, deterministically and
 * rolling forward (a complete kv_dir.new is a verified snapshot of
 * committed state, never worse than the old engine):
 *   kv, no .new, no .old       nothing to do
 *   kv + .new  (crash in 1-2)  .new is complete: steps 2-4
 *   .new + .old, no kv (2-3)   steps 3-4
 *   .new only                  step 3 (a first install)
 *   kv + .old  (crash in 3-4)  step 4
 *   .old only (not produced by snap_install_dir) rename .old back to kv
 * Call it before kv_open(kv_dir) at every start.  0 or -errno.
 */
int snap_install_recover(const char *kv_dir);
int snap_install_recover_io(const struct kv_io *io, const char *kv_dir);

/*
 * Removes a snapshot directory (a flat tree: an old local snapshot, an
 * unused ready directory) and fsyncs its parent.  0 (also when absent) or
 * -errno.
 */
int snap_dir_remove(const char *dir);
int snap_dir_remove_io(const struct kv_io *io, const char *dir);

#endif /* VS_RAFT_SNAPSHOT_XFER_H */
