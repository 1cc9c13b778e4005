/*
 * batch.h — the payload of a KV batch record (internal to engine/).
 *
 *   batch header (KV_BATCH_HDR bytes):
 *     0 u32 count   entries that follow
 *     4 u32 flags   KV_BATCH_F_APPLIED: applied_index is set
 *     8 u64 applied_index
 *   entries, each (KV_ENT_HDR bytes, then key, then value):
 *     0 u8  op      KV_ENT_PUT or KV_ENT_DEL (a delete has no value)
 *     1 u8  0
 *     2 u16 klen
 *     4 u32 vlen
 *     8 u32 crc     CRC32C of bytes 0..7, the key and the value
 *
 * The index points at an entry header, so a get is one pread of header +
 * key + value that verifies the key and the value's own checksum without
 * reading the rest of the record.  An entry's bytes do not depend on where
 * they are, so compaction copies them verbatim.
 */
#ifndef VS_ENGINE_BATCH_H
#define VS_ENGINE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/kv.h"

#define KV_BATCH_HDR 16u
#define KV_ENT_HDR 12u
#define KV_BATCH_F_APPLIED 1u
#define KV_REC_TYPE_BATCH 1u

enum { KV_ENT_PUT = 1, KV_ENT_DEL = 2 };

struct kv_batch {
	/* KV_RLOG_HDR room, KV_BATCH_HDR, then encoded entries. */
	unsigned char *buf;
	size_t len; /* bytes used in buf */
	size_t cap;
	uint32_t count;
	bool has_applied;
	uint64_t applied;
};

/* One decoded entry; pointers borrowed from the payload. */
struct kv_ent {
	int op;
	const unsigned char *key;
	uint16_t klen;
	const unsigned char *val;
	uint32_t vlen;
	uint32_t pos; /* offset of the entry header in the payload */
};

/* Payload bytes of an entry. */
static inline uint64_t kv_ent_size(uint32_t klen, uint32_t vlen)
{
	return (uint64_t)KV_ENT_HDR + klen + vlen;
}

/* Encodes an entry at p (kv_ent_size bytes). */
void kv_ent_encode(unsigned char *p, int op, const void *key, uint16_t klen,
		   const void *val, uint32_t vlen);
/*
 * Checks an entry read back from disk (header + key + value, len bytes)
 * against what the index expects: op PUT, the key, the lengths, the CRC.
 */
bool kv_ent_verify(const unsigned char *p, size_t len, const void *key,
		   size_t klen, uint32_t vlen);

/*
 * Walks a batch payload: calls fn for each entry, sets *applied and
 * *has_applied.  KV_ECORRUPT if the payload is malformed (it passed its
 * record CRC, so this means a bug or a forged record).
 */
int kv_batch_decode(const unsigned char *payload, uint32_t len,
		    int (*fn)(void *arg, const struct kv_ent *e), void *arg,
		    uint64_t *applied, bool *has_applied);

/* Fills the batch header in b->buf; returns the payload length. */
uint32_t kv_batch_seal(const struct kv_batch *b);
/* A batch's payload start (after the record header room). */
unsigned char *kv_batch_payload(const struct kv_batch *b);

#endif /* VS_ENGINE_BATCH_H */
