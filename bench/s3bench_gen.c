/*
 * s3bench_gen.c — object content as a function of (seed, name, offset)
 * (s3bench.h), so that every GET is verified byte for byte without keeping
 * what was written, at any offset and for objects of any size.
 */
#include "bench/s3bench.h"

#include <string.h>

#include "engine/assert.h"

#define GOLDEN 0x9e3779b97f4a7c15ull
#define CHECK_BLOCK 4096

/* splitmix64's output function: a bijective mix of one word. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t s3b_gen_hash(uint64_t seed, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed; /* FNV-1a, then mixed */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return mix64(h);
}

static uint64_t word_at(uint64_t h, uint64_t j)
{
	return mix64(h + j * GOLDEN);
}

void s3b_gen_fill(uint64_t h, uint64_t offset, void *buf, size_t len)
{
	/* The words are stored little-endian; x86-64 and arm64 Linux are. */
	_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian");
	unsigned char *p = buf;
	uint64_t j = offset / 8;
	size_t skip = (size_t)(offset % 8);
	if (skip != 0) { /* the partial first word */
		uint64_t w = word_at(h, j++);
		size_t n = 8 - skip < len ? 8 - skip : len;
		memcpy(p, (unsigned char *)&w + skip, n);
		p += n;
		len -= n;
	}
	for (; len >= 8; len -= 8, p += 8) {
		uint64_t w = word_at(h, j++);
		memcpy(p, &w, 8);
	}
	if (len > 0) {
		uint64_t w = word_at(h, j);
		memcpy(p, &w, len);
	}
}

bool s3b_gen_check(uint64_t h, uint64_t offset, const void *buf, size_t len)
{
	unsigned char want[CHECK_BLOCK];
	const unsigned char *p = buf;
	while (len > 0) { /* bounded: len shrinks by up to CHECK_BLOCK */
		size_t n = len < CHECK_BLOCK ? len : CHECK_BLOCK;
		s3b_gen_fill(h, offset, want, n);
		if (memcmp(want, p, n) != 0)
			return false;
		p += n;
		offset += n;
		len -= n;
	}
	return true;
}
