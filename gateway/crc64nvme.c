/*
 * crc64nvme.c — CRC-64/NVME, slice-by-8; see crc64nvme.h.
 *
 * Slice-by-8 (Intel's "Slicing-by-8", Kounavis & Berry 2005): table[0] is
 * the usual byte table of the reflected CRC; table[k][b] is the CRC of byte
 * b followed by k zero bytes, so eight input bytes are folded with eight
 * lookups and no data-dependent shifts between them.
 */
#include "gateway/crc64nvme.h"

#include <pthread.h>
#include <string.h>

#include "engine/assert.h"

#define CRC64NVME_POLY_REFLECTED 0x9a6c9329ac4bc9b5ULL

static uint64_t crc64_table[8][256];
static pthread_once_t crc64_once = PTHREAD_ONCE_INIT;

static void crc64_tables_init(void)
{
	for (unsigned b = 0; b < 256; b++) {
		uint64_t c = b;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC64NVME_POLY_REFLECTED
			            : c >> 1;
		crc64_table[0][b] = c;
	}
	for (unsigned b = 0; b < 256; b++) {
		uint64_t c = crc64_table[0][b];
		for (int t = 1; t < 8; t++) {
			c = crc64_table[0][c & 0xff] ^ (c >> 8);
			crc64_table[t][b] = c;
		}
	}
}

uint64_t gw_crc64nvme(uint64_t crc, const void *buf, size_t len)
{
	ASSERT(buf != NULL || len == 0);
	pthread_once(&crc64_once, crc64_tables_init);
	const uint8_t *p = buf;
	uint64_t c = ~crc;
	/* Byte at a time up to 8-byte alignment, then 8 bytes per step. */
	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		c = crc64_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
		len--;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		c ^= w;
		c = crc64_table[7][c & 0xff] ^ crc64_table[6][(c >> 8) & 0xff] ^
		    crc64_table[5][(c >> 16) & 0xff] ^
		    crc64_table[4][(c >> 24) & 0xff] ^
		    crc64_table[3][(c >> 32) & 0xff] ^
		    crc64_table[2][(c >> 40) & 0xff] ^
		    crc64_table[1][(c >> 48) & 0xff] ^ crc64_table[0][c >> 56];
		p += 8;
		len -= 8;
	}
	while (len > 0) {
		c = crc64_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
		len--;
	}
	return ~c;
}
