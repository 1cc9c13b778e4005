/*
 * test_engine_crc32c.c — CRC32C: the RFC 3720 check value through ISA-L
 * and the table, the two agreeing on random data, and extension.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

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

Suite *test_engine_crc32c_suite(void)
{
	Suite *s = suite_create("engine_crc32c");
	TCase *tc = tcase_create("crc32c");
	tcase_add_test(tc, test_check_value);
	tcase_add_test(tc, test_isal_matches_table);
	suite_add_tcase(s, tc);
	return s;
}
