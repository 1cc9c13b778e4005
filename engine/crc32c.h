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
/* The same function computed by a byte-wise table (no ISA-L). */
uint32_t kv_crc32c_portable(uint32_t crc, const void *buf, size_t len);

#endif /* VS_ENGINE_CRC32C_H */
