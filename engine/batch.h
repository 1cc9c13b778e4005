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
 *
 * In memory a batch is one buffer (record header room, batch header,
 * entries) except for referenced values (kv_batch_put_ref): their bytes
 * stay in the caller's memory and the record is written from pieces
 * (kv_batch_iov, pwritev).  Each value is read once, for one CRC32C pass
 * over key||value; the entry CRC and the running CRC of all entries (from
 * which the record CRC follows, kv_batch_crc) are derived from it by CRC
 * combination (crc32c.h).
 */
#ifndef VS_ENGINE_BATCH_H
#define VS_ENGINE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "engine/kv.h"

#define KV_BATCH_HDR 16u
#define KV_ENT_HDR 12u
#define KV_BATCH_F_APPLIED 1u
#define KV_REC_TYPE_BATCH 1u

enum { KV_ENT_PUT = 1, KV_ENT_DEL = 2 };

/*
 * kv_put references values of at least this many bytes instead of copying
 * them: below it the copy is cheaper than an extra iovec.
 */
#define KV_BATCH_REF_MIN (64u * 1024)
/* Bound on referenced values per batch; later ones are copied. */
#define KV_BATCH_REFS_MAX 64u
/* Pieces kv_batch_iov may produce. */
#define KV_BATCH_IOV_MAX (2u + 2u * KV_BATCH_REFS_MAX)

/* A value left in the caller's memory; it belongs at buf offset at. */
struct kv_batch_ref {
	size_t at;
	const unsigned char *val;
	uint32_t len;
};

struct kv_batch {
	/* KV_RLOG_HDR room, KV_BATCH_HDR, then encoded entries (minus the
	 * bytes of referenced values). */
	unsigned char *buf;
	size_t len; /* bytes used in buf */
	size_t cap;
	uint32_t count;
	bool has_applied;
	uint64_t applied;
	uint32_t ents_crc;  /* CRC32C of the entries' payload bytes so far */
	uint64_t ref_bytes; /* payload bytes held by refs, not in buf */
	uint32_t nrefs;
	struct kv_batch_ref refs[KV_BATCH_REFS_MAX]; /* by increasing at */
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

/*
 * Encodes an entry at p: header and key, and the value too unless
 * val_inline is false (then the value's bytes go elsewhere and p holds
 * KV_ENT_HDR + klen bytes).  Extends *ents_crc (the CRC32C of the payload
 * bytes before the entry) over the entry's bytes.  A value not inline or of
 * KV_BATCH_REF_MIN bytes or more is read once: the entry CRC and *ents_crc
 * are both derived from one CRC of key||value.  Returns the entry's CRC.
 */
uint32_t kv_ent_encode(unsigned char *p, int op, const void *key, uint16_t klen,
		       const void *val, uint32_t vlen, bool val_inline,
		       uint32_t *ents_crc);
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

/*
 * Fills the batch header in b->buf; returns the payload length (referenced
 * values included).
 */
uint32_t kv_batch_seal(const struct kv_batch *b);
/* CRC32C of the payload of a sealed batch (no pass over the values). */
uint32_t kv_batch_crc(const struct kv_batch *b);
/*
 * The record as pieces: iov[0] starts with the KV_RLOG_HDR bytes of header
 * room in b->buf, then the payload in order.  Returns the count (at most
 * KV_BATCH_IOV_MAX); the pieces borrow b's buffer and referenced values.
 */
int kv_batch_iov(const struct kv_batch *b, struct iovec *iov);
/*
 * Calls fn for each entry in order, as kv_batch_decode would for the
 * written payload (e.pos is the entry's payload offset, e.val points at
 * the value wherever it is).  Returns 0 or fn's first non-zero value.
 */
int kv_batch_walk(const struct kv_batch *b,
		  int (*fn)(void *arg, const struct kv_ent *e), void *arg);
/* A contiguous batch's payload start (after the record header room). */
unsigned char *kv_batch_payload(const struct kv_batch *b);

#endif /* VS_ENGINE_BATCH_H */
