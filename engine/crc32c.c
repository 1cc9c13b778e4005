/*
 * crc32c.c — CRC32C through ISA-L, with a portable table for comparison.
 * See crc32c.h for the inversion convention.
 */
#include "engine/crc32c.h"

#include <isa-l/crc.h>
#include <pthread.h>

uint32_t kv_crc32c_extend(uint32_t crc, const void *buf, size_t len)
{
	/* crc32_iscsi takes an int length; feed huge buffers in slices. */
	const unsigned char *p = buf;
	uint32_t reg = ~crc;
	while (len > 0) {
		size_t n = len > (1u << 30) ? (1u << 30) : len;
		reg = crc32_iscsi((unsigned char *)p, (int)n, reg);
		p += n;
		len -= n;
	}
	return ~reg;
}

uint32_t kv_crc32c(const void *buf, size_t len)
{
	return kv_crc32c_extend(0, buf, len);
}

static uint32_t crc_table[256];
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

static void crc_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t kv_crc32c_portable(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc_table_once, crc_table_init);
	const unsigned char *p = buf;
	uint32_t reg = ~crc;
	for (size_t i = 0; i < len; i++)
		reg = crc_table[(reg ^ p[i]) & 0xff] ^ (reg >> 8);
	return ~reg;
}
