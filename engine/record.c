/*
 * record.c — encoding and validating the framing of one log record
 * (format in record.h).
 */
#include "engine/record.h"

#include "engine/assert.h"
#include "engine/crc32c.h"

static uint32_t rec_crc(const unsigned char *rec, uint32_t len)
{
	/* The header after the CRC field, then the payload, in one pass. */
	return kv_crc32c(rec + 4, (size_t)KV_REC_HDR - 4 + len);
}

static void rec_fields(unsigned char *rec, uint32_t type, uint32_t len,
		       uint64_t synced)
{
	ASSERT(type != 0);
	ASSERT(len <= KV_REC_PAYLOAD_MAX);
	kv_put_u32(rec + 4, len);
	kv_put_u32(rec + 8, KV_REC_MAGIC);
	kv_put_u32(rec + 12, type);
	kv_put_u64(rec + 16, synced);
}

void kv_rec_encode(unsigned char *rec, uint32_t type, uint32_t len,
		   uint64_t synced)
{
	rec_fields(rec, type, len, synced);
	kv_put_u32(rec, rec_crc(rec, len));
}

void kv_rec_encode_crc(unsigned char *hdr, uint32_t type, uint32_t len,
		       uint64_t synced, uint32_t payload_crc)
{
	rec_fields(hdr, type, len, synced);
	uint32_t h = kv_crc32c(hdr + 4, (size_t)KV_REC_HDR - 4);
	kv_put_u32(hdr, kv_crc32c_combine(h, payload_crc, len));
}

enum kv_rec_hdr_state kv_rec_decode(const unsigned char *hdr, uint64_t room,
				    uint32_t *type, uint32_t *len)
{
	int zero = 1;
	for (unsigned i = 0; i < KV_REC_HDR; i++)
		zero &= hdr[i] == 0;
	if (zero)
		return KV_REC_END;
	if (room < KV_REC_HDR)
		return KV_REC_BAD;
	uint32_t l = kv_get_u32(hdr + 4);
	uint32_t t = kv_get_u32(hdr + 12);
	if (kv_get_u32(hdr + 8) != KV_REC_MAGIC || t == 0)
		return KV_REC_BAD;
	/* An absurd length is refused before anything is allocated for it. */
	if (l > KV_REC_PAYLOAD_MAX || (uint64_t)KV_REC_HDR + l > room)
		return KV_REC_BAD;
	*type = t;
	*len = l;
	return KV_REC_OK;
}

int kv_rec_check(const unsigned char *rec, uint32_t len)
{
	return kv_get_u32(rec) == rec_crc(rec, len);
}
