/*
 * crc32c.c — CRC32C through ISA-L, with a portable table for comparison,
 * and combination of two CRCs.  See crc32c.h for the inversion convention.
 */
#include "engine/crc32c.h"

#include <isa-l/crc.h>
#include <pthread.h>

#include "engine/assert.h"

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

/*
 * Combination (crc32c.h).  Polynomials over GF(2) are held reflected, as the
 * CRC register is: bit 31 is x^0, bit 0 is x^31.  For the pre/post-inverted
 * CRC, crc(a||b) = crc(a) * x^(8|b|) mod P  xor  crc(b): the inversions of
 * the two halves cancel (zlib 1.2.12's crc32_combine derives the same).
 */
#define CRC32C_POLY_REFLECTED 0x82F63B78u

/* a * b modulo P; a and b reflected, below x^32. */
static uint32_t crc_multmodp(uint32_t a, uint32_t b)
{
	uint32_t m = 1u << 31, p = 0;
	/* Bounded: m walks the 32 bits of a once. */
	while (m != 0) {
		if (a & m)
			p ^= b;
		m >>= 1;
		b = (b & 1) ? (b >> 1) ^ CRC32C_POLY_REFLECTED : b >> 1;
	}
	return p;
}

/* x2n[k] = x^(2^k) mod P. */
static uint32_t crc_x2n[64];
static pthread_once_t crc_x2n_once = PTHREAD_ONCE_INIT;

static void crc_x2n_init(void)
{
	uint32_t p = 1u << 30; /* x^1 */
	crc_x2n[0] = p;
	for (int k = 1; k < 64; k++)
		crc_x2n[k] = p = crc_multmodp(p, p);
}

/* x^(8 n) mod P. */
static uint32_t crc_x8nmodp(uint64_t n)
{
	uint32_t xp = 1u << 31; /* x^0 */
	/* x^(8n) = product of x^(2^(k+3)) over the set bits k of n. */
	for (int k = 3; n != 0 && k < 64; k++, n >>= 1)
		if (n & 1)
			xp = crc_multmodp(crc_x2n[k], xp);
	return xp;
}

uint32_t kv_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
	/* x2n covers n below 2^61 bytes, far beyond any record. */
	ASSERT(len_b >> 60 == 0);
	if (len_b == 0)
		return crc_a;
	pthread_once(&crc_x2n_once, crc_x2n_init);
	return crc_multmodp(crc_x8nmodp(len_b), crc_a) ^ crc_b;
}
