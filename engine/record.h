/*
 * record.h — the framing of one log record (internal to engine/).
 *
 * On disk a record is a 24-byte header, its payload, and zero padding to
 * the next multiple of 8:
 *
 *   0  u32 crc     CRC32C of bytes 4..23 of the header and the payload
 *   4  u32 len     payload bytes
 *   8  u32 magic   KV_REC_MAGIC, so stray bytes rarely look like a header
 *  12  u32 type    caller-defined record type, never 0
 *  16  u64 synced  offset in this segment up to which an fdatasync had
 *                  completed when the record was appended
 *
 * synced lets recovery tell a torn write from corruption: a bad record at
 * X followed by valid records is torn (never made durable, lost in a
 * reordered writeback) if none of those records saw X synced; if one did,
 * the bad record had been durable and is corrupt.
 *
 * All integers are little-endian.  Segments are preallocated with zeros, so
 * an all-zero header marks the end of written data.  A header whose length
 * exceeds KV_REC_PAYLOAD_MAX or the file is rejected before anything is
 * allocated for it.
 */
#ifndef VS_ENGINE_RECORD_H
#define VS_ENGINE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/bytes.h"
#include "engine/kv.h"

#define KV_REC_HDR 24u
#define KV_REC_MAGIC 0x31525356u /* "VSR1" */
/* A batch payload plus room for its own header. */
#define KV_REC_PAYLOAD_MAX (KV_BATCH_BYTES_MAX + 4096u)

/* Outcome of looking at a header. */
enum kv_rec_hdr_state {
	KV_REC_OK = 0,  /* plausible; the payload CRC still has to be checked */
	KV_REC_END = 1, /* all zero: end of written data */
	KV_REC_BAD = 2, /* not a record (torn or corrupt) */
};

static inline uint64_t kv_rec_size(uint32_t payload_len)
{
	return ((uint64_t)KV_REC_HDR + payload_len + 7u) & ~(uint64_t)7u;
}

/*
 * Fills the header in rec[0..KV_REC_HDR) for the payload at
 * rec + KV_REC_HDR of len bytes, CRC included.  type != 0,
 * len <= KV_REC_PAYLOAD_MAX.
 */
void kv_rec_encode(unsigned char *rec, uint32_t type, uint32_t len,
		   uint64_t synced);
/*
 * kv_rec_encode for a payload that is not after the header in memory:
 * payload_crc is the CRC32C of its len bytes, computed by the caller as it
 * built them, and is combined with the header's (crc32c.h) so the payload
 * is not read again.
 */
void kv_rec_encode_crc(unsigned char *hdr, uint32_t type, uint32_t len,
		       uint64_t synced, uint32_t payload_crc);
/* The synced field of a (valid) header. */
static inline uint64_t kv_rec_synced(const unsigned char *hdr)
{
	return kv_get_u64(hdr + 16);
}

/*
 * Classifies the header at hdr for a record starting with room bytes left
 * in its file; on KV_REC_OK sets *type and *len.
 */
enum kv_rec_hdr_state kv_rec_decode(const unsigned char *hdr, uint64_t room,
				    uint32_t *type, uint32_t *len);

/* Whether the CRC of the record at rec (header + len payload bytes) holds. */
int kv_rec_check(const unsigned char *rec, uint32_t len);

#endif /* VS_ENGINE_RECORD_H */
