/*
 * crc64nvme.h — CRC-64/NVME, the checksum S3 calls CRC64NVME (NVM Express
 * Command Set spec, "CRC64"; AWS uses it as the default full-object
 * checksum).  Parameters: width 64, reflected polynomial 0x9a6c9329ac4bc9b5
 * (0xad93d23594c93659 unreflected), init and xorout all ones, reflected in
 * and out.  Check value over "123456789": 0xae8b14860a799888.
 *
 * Debian 12's ISA-L has no NVMe CRC64, so this one is ours: table-driven,
 * slice-by-8.  The tables are computed once, thread-safely (pthread_once).
 */
#ifndef VS_GATEWAY_CRC64NVME_H
#define VS_GATEWAY_CRC64NVME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Continues a CRC: crc is 0 for a fresh computation or the value returned
 * for the preceding bytes (the all-ones init and xorout are applied inside,
 * like zlib's crc32()).  Safe from any thread.
 */
uint64_t gw_crc64nvme(uint64_t crc, const void *buf, size_t len);

/* Combining CRCs of concatenated data: gw_cksum_crc_combine (checksum.h). */

#endif /* VS_GATEWAY_CRC64NVME_H */
