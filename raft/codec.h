/*
 * codec.h — binary encoding of raft messages and log entries.
 *
 * Format (all integers little-endian):
 *   frame   = version:u8 (RAFT_CODEC_VERSION) kind:u8 body crc:u32
 *   crc     = CRC32C (Castagnoli, engine/crc32c.h) of version..body.
 *   message body = type:u8 reject:u8 transfer:u8 from to term log_term
 *           index commit reject_hint ctx (u64 each) n_entries:u32 entry*
 *           [if type == SNAPSHOT: snap_index snap_term u64, n_voters u32,
 *            voters u64*, n_learners u32, learners u64*, len u32, bytes]
 *   entry   = term:u64 index:u64 type:u8 len:u32 bytes
 * Decoding validates every length against the bytes that remain, so a
 * decoder never allocates more than a small multiple of its input, and
 * rejects (never asserts on) bad input: RAFT_ERR_CORRUPT or
 * RAFT_ERR_VERSION.
 */
#ifndef VS_RAFT_CODEC_H
#define VS_RAFT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

#define RAFT_CODEC_VERSION 1

/* Exact number of bytes raft_msg_encode writes for m. */
size_t raft_msg_encoded_bytes(const struct raft_msg *m);
/*
 * Encodes m into buf[0..cap).  Returns 0 and *written, or RAFT_ERR_INVALID
 * (cap too small, or a field that does not fit the format).
 */
int raft_msg_encode(const struct raft_msg *m, uint8_t *buf, size_t cap,
		    size_t *written);
/*
 * Decodes one message from buf[0..len) (the whole buffer must be exactly
 * one frame).  On success *m is filled; m->entries is an array allocated
 * for the caller, and every entry's data and m->snapshot.data point INTO
 * buf (borrowed: valid while buf is).  Release with raft_msg_decoded_free.
 * Returns 0, RAFT_ERR_CORRUPT, RAFT_ERR_VERSION or -ENOMEM; *m is untouched
 * on failure.
 */
int raft_msg_decode(const uint8_t *buf, size_t len, struct raft_msg *m);
/* Frees what raft_msg_decode allocated in m (not buf).  NULL ok. */
void raft_msg_decoded_free(struct raft_msg *m);

/* Exact number of bytes raft_entry_encode writes for e. */
size_t raft_entry_encoded_bytes(const struct raft_entry *e);
/* One entry as a frame; as raft_msg_encode. */
int raft_entry_encode(const struct raft_entry *e, uint8_t *buf, size_t cap,
		      size_t *written);
/*
 * Decodes one entry frame; e->data points into buf (borrowed), nothing is
 * allocated.  Returns 0, RAFT_ERR_CORRUPT or RAFT_ERR_VERSION.
 */
int raft_entry_decode(const uint8_t *buf, size_t len, struct raft_entry *e);

#endif /* VS_RAFT_CODEC_H */
