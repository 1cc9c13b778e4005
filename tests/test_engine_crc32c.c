/*
 * test_engine_crc32c.c — CRC32C: the RFC 3720 check value through ISA-L
 * and the table, the two agreeing on random data, extension, and
 * combination checked against direct computation on random splits.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "engine/crc32c.h"

START_TEST(test_check_value)
{
	/* RFC 3720 B.4 / the CRC catalogue's "check" for CRC-32C. */
	ck_assert_uint_eq(kv_crc32c("123456789", 9), 0xE3069283u);
	ck_assert_uint_eq(kv_crc32c_portable(0, "123456789", 9), 0xE3069283u);
	ck_assert_uint_eq(kv_crc32c("", 0), 0);
	/* RFC 3720 B.4: 32 bytes of zeros -> 0x8A9136AA. */
	unsigned char z[32] = {0};
	ck_assert_uint_eq(kv_crc32c(z, sizeof z), 0x8A9136AAu);
	memset(z, 0xff, sizeof z);
	ck_assert_uint_eq(kv_crc32c(z, sizeof z), 0x62A8AB43u);
}
END_TEST

START_TEST(test_isal_matches_table)
{
	struct test_rng r;
	test_rng_init(&r, test_seed());
	static unsigned char buf[70000];
	for (int i = 0; i < 200; i++) {
		size_t len = (size_t)test_rng_below(&r, sizeof buf);
		size_t off = (size_t)test_rng_below(&r, 8);
		if (off + len > sizeof buf)
			len = sizeof buf - off;
		test_rng_bytes(&r, buf + off, len);
		ck_assert_uint_eq(kv_crc32c(buf + off, len),
				  kv_crc32c_portable(0, buf + off, len));
		size_t cut = len ? (size_t)test_rng_below(&r, len) : 0;
		uint32_t a = kv_crc32c(buf + off, cut);
		ck_assert_uint_eq(kv_crc32c_extend(a, buf + off + cut, len - cut),
				  kv_crc32c(buf + off, len));
	}
}
END_TEST

/* crc(a||b) from crc(a), crc(b), |b|, on random splits of random data. */
START_TEST(test_combine_random_splits)
{
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0xc0b1);
	static unsigned char buf[200000];
	test_rng_bytes(&r, buf, sizeof buf);
	for (int i = 0; i < 500; i++) {
		/* Short, medium and long inputs; cuts at 0 and len too. */
		size_t len = (size_t)test_rng_below(&r, i % 3 == 0 ? 40 :
						    i % 3 == 1 ? 5000 : sizeof buf + 1);
		size_t cut = (size_t)test_rng_below(&r, len + 1);
		if (i % 10 == 0)
			cut = i % 20 == 0 ? 0 : len;
		uint32_t a = kv_crc32c(buf, cut);
		uint32_t b = kv_crc32c(buf + cut, len - cut);
		ck_assert_uint_eq(kv_crc32c_combine(a, b, len - cut),
				  kv_crc32c(buf, len));
		ck_assert_uint_eq(kv_crc32c_combine(a, b, len - cut),
				  kv_crc32c_portable(0, buf, len));
	}
}
END_TEST

/* Three pieces, combined left first and right first, give the same. */
START_TEST(test_combine_associative)
{
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0xa55);
	static unsigned char buf[70000];
	for (int i = 0; i < 200; i++) {
		size_t len = (size_t)test_rng_below(&r, sizeof buf + 1);
		test_rng_bytes(&r, buf, len);
		size_t c1 = (size_t)test_rng_below(&r, len + 1);
		size_t c2 = c1 + (size_t)test_rng_below(&r, len - c1 + 1);
		uint32_t x = kv_crc32c(buf, c1), y = kv_crc32c(buf + c1, c2 - c1),
			 z = kv_crc32c(buf + c2, len - c2);
		uint32_t left = kv_crc32c_combine(kv_crc32c_combine(x, y, c2 - c1), z,
						  len - c2);
		uint32_t right = kv_crc32c_combine(x, kv_crc32c_combine(y, z, len - c2),
						   len - c1);
		ck_assert_uint_eq(left, kv_crc32c(buf, len));
		ck_assert_uint_eq(right, kv_crc32c(buf, len));
	}
	/* A long zero tail exercises the high powers of x (16 MiB + 3). */
	size_t big = (16u << 20) + 3;
	unsigned char *z = calloc(1, big);
	ck_assert_ptr_nonnull(z);
	memcpy(z, "123456789", 9);
	uint32_t head = kv_crc32c(z, 9);
	ck_assert_uint_eq(kv_crc32c_combine(head, kv_crc32c(z + 9, big - 9), big - 9),
			  kv_crc32c(z, big));
	free(z);
}
END_TEST

Suite *test_engine_crc32c_suite(void)
{
	Suite *s = suite_create("engine_crc32c");
	TCase *tc = tcase_create("crc32c");
	tcase_add_test(tc, test_check_value);
	tcase_add_test(tc, test_isal_matches_table);
	tcase_add_test(tc, test_combine_random_splits);
	tcase_add_test(tc, test_combine_associative);
	suite_add_tcase(s, tc);
	return s;
}
