/*
 * crc32c.h — CRC32C (Castagnoli, iSCSI polynomial 0x1EDC6F41, reflected),
 * the checksum of every log record, value and checkpoint.
 *
 * The hardware path is ISA-L's crc32_iscsi.  ISA-L's function neither
 * pre- nor post-inverts: crc32_iscsi(buf, len, init) continues a raw
 * register, so the standard CRC32C is ~crc32_iscsi(buf, len, ~crc).  With
 * that, kv_crc32c("123456789", 9) == 0xE3069283 (RFC 3720 B.4 check value).
 * A portable table implementation is kept so tests can compare the two.
 */
#ifndef VS_ENGINE_CRC32C_H
#define VS_ENGINE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC32C of len bytes at buf. */
uint32_t kv_crc32c(const void *buf, size_t len);
/*
 * Continues a CRC32C: kv_crc32c_extend(kv_crc32c(a), b) == kv_crc32c(a||b).
 * Start from 0 for an empty prefix.
 */
uint32_t kv_crc32c_extend(uint32_t crc, const void *buf, size_t len);
/*
 * The CRC32C of a||b from crc_a = kv_crc32c(a), crc_b = kv_crc32c(b) and
 * len_b = |b|, without reading a or b: crc_a is multiplied by x^(8 len_b)
 * modulo the polynomial in GF(2) (zlib's crc32_combine method, for the
 * Castagnoli polynomial), O(log len_b).  Lets a writer checksum a large
 * value once and derive every checksum that covers it.
 */
uint32_t kv_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
/* The same function computed by a byte-wise table (no ISA-L). */
uint32_t kv_crc32c_portable(uint32_t crc, const void *buf, size_t len);

#endif /* VS_ENGINE_CRC32C_H */
