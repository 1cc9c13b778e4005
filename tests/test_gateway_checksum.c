/*
 * test_gateway_checksum.c — checksums: the CRC catalogue's check values
 * over "123456789", empty input, streaming in random pieces equals
 * one-shot, CRC combine (all three CRCs), base64 (RFC 4648 §10 vectors), the AWS
 * trailer example's CRC32C, the checksum set's S3 errors, and multipart
 * checksums (composite and full-object).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gateway/base64.h"
#include "gateway/checksum.h"
#include "gateway/crc64nvme.h"
#include "tests/test_gateway.h"
#include "tests/testutil.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static const char *check_hex[GW_CKSUM_COUNT] = {
    [GW_CKSUM_MD5] = "25f9e794323b453885f5181f1b624d0b",
    [GW_CKSUM_SHA1] = "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
    [GW_CKSUM_SHA256] =
        "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
    [GW_CKSUM_CRC32] = "cbf43926",
    [GW_CKSUM_CRC32C] = "e3069283",
    [GW_CKSUM_CRC64NVME] = "ae8b14860a799888",
};

static const char *empty_hex[GW_CKSUM_COUNT] = {
    [GW_CKSUM_MD5] = "d41d8cd98f00b204e9800998ecf8427e",
    [GW_CKSUM_SHA1] = "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    [GW_CKSUM_SHA256] =
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    [GW_CKSUM_CRC32] = "00000000",
    [GW_CKSUM_CRC32C] = "00000000",
    [GW_CKSUM_CRC64NVME] = "0000000000000000",
};

START_TEST(test_cksum_check_values)
{
	for (int a = 0; a < GW_CKSUM_COUNT; a++) {
		uint8_t d[GW_CKSUM_DIGEST_MAX];
		char h[2 * GW_CKSUM_DIGEST_MAX + 1];
		ck_assert_int_eq(gw_cksum_oneshot(a, "123456789", 9, d), 0);
		hex(d, gw_cksum_alg_len(a), h);
		ck_assert_msg(strcmp(h, check_hex[a]) == 0, "%s: %s",
		              gw_cksum_alg_name(a), h);
		ck_assert_int_eq(gw_cksum_oneshot(a, "", 0, d), 0);
		hex(d, gw_cksum_alg_len(a), h);
		ck_assert_msg(strcmp(h, empty_hex[a]) == 0, "%s empty: %s",
		              gw_cksum_alg_name(a), h);
	}
	ck_assert_uint_eq(gw_crc64nvme(0, "123456789", 9),
	                  0xae8b14860a799888ULL);
}
END_TEST

START_TEST(test_cksum_streaming_equals_oneshot)
{
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0xc5);
	static uint8_t buf[200003];
	test_rng_bytes(&r, buf, sizeof(buf));
	for (int a = 0; a < GW_CKSUM_COUNT; a++) {
		uint8_t one[GW_CKSUM_DIGEST_MAX], st[GW_CKSUM_DIGEST_MAX];
		/* Unaligned starts exercise the slice-by-8 head and tail. */
		size_t off = test_rng_below(&r, 8);
		ck_assert_int_eq(
		    gw_cksum_oneshot(a, buf + off, sizeof(buf) - off, one), 0);
		struct gw_cksum c;
		ck_assert_int_eq(gw_cksum_init(&c, a), 0);
		for (size_t i = off, steps = 0; i < sizeof(buf); steps++) {
			ck_assert(steps < sizeof(buf));
			size_t n = test_rng_below(&r, 5000);
			if (n > sizeof(buf) - i)
				n = sizeof(buf) - i;
			ck_assert_int_eq(gw_cksum_update(&c, buf + i, n), 0);
			i += n;
		}
		ck_assert_int_eq(gw_cksum_final(&c, st), 0);
		gw_cksum_cleanup(&c);
		ck_assert_mem_eq(one, st, gw_cksum_alg_len(a));
	}
}
END_TEST

START_TEST(test_cksum_crc_combine)
{
	/* Every CRC: combine(crc(A), crc(B), |B|) == crc(A||B), at random
	 * cuts including empty A or B; hashes are refused. */
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0xcc);
	static uint8_t buf[50000];
	test_rng_bytes(&r, buf, sizeof(buf));
	static const enum gw_cksum_alg crcs[] = {
	    GW_CKSUM_CRC32, GW_CKSUM_CRC32C, GW_CKSUM_CRC64NVME};
	for (size_t k = 0; k < 3; k++) {
		enum gw_cksum_alg alg = crcs[k];
		size_t n = gw_cksum_alg_len(alg);
		for (int round = 0; round < 12; round++) {
			size_t cut = round == 0 ? 0
			             : round == 1
			                 ? sizeof(buf)
			                 : test_rng_below(&r, sizeof(buf));
			uint8_t a[8], b[8], whole[8], got[8];
			gw_cksum_oneshot(alg, buf, cut, a);
			gw_cksum_oneshot(alg, buf + cut, sizeof(buf) - cut, b);
			gw_cksum_oneshot(alg, buf, sizeof(buf), whole);
			ck_assert_int_eq(gw_cksum_crc_combine(
			                     alg, a, b, sizeof(buf) - cut, got),
			                 0);
			ck_assert_mem_eq(got, whole, n);
		}
	}
	uint8_t d[32];
	ck_assert_int_eq(gw_cksum_crc_combine(GW_CKSUM_SHA256, d, d, 1, d),
	                 -EINVAL);
}
END_TEST

START_TEST(test_base64)
{
	static const char *plain[] = {"",     "f",     "fo",    "foo",
	                              "foob", "fooba", "foobar"};
	static const char *enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
	                            "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char out[16];
		uint8_t dec[16];
		size_t n = gw_base64_encode((const uint8_t *)plain[i],
		                            strlen(plain[i]), out);
		ck_assert_uint_eq(n, strlen(enc[i]));
		ck_assert_str_eq(out, enc[i]);
		long m =
		    gw_base64_decode(enc[i], strlen(enc[i]), dec, sizeof(dec));
		ck_assert_int_eq(m, (long)strlen(plain[i]));
		ck_assert_mem_eq(dec, plain[i], (size_t)m);
	}
	static const char *bad[] = {
	    "Zg=",      "Zh==", "Zm9=", "Z===", "Zm9v!A==",
	    "Zg==Zg==", "Zm 9", "Zm-_", "=Zg="};
	uint8_t dec[16];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(gw_base64_decode(bad[i], strlen(bad[i]), dec,
		                               sizeof(dec)) < 0,
		              "%s", bad[i]);
	ck_assert_int_eq(gw_base64_decode("Zm9vYmFy", 8, dec, 5), -ENOSPC);
}
END_TEST

START_TEST(test_cksum_aws_examples)
{
	/* sigv4-streaming-trailers: 66560 bytes of 'a' carry
	 * x-amz-checksum-crc32c: sOO8/Q== */
	static uint8_t a[66560];
	memset(a, 'a', sizeof(a));
	struct gw_cksum_set s;
	ck_assert_int_eq(gw_cksum_set_init(&s, GW_CKSUM_BIT(GW_CKSUM_CRC32C)),
	                 0);
	ck_assert_int_eq(gw_cksum_set_expect(&s, GW_CKSUM_CRC32C, "sOO8/Q=="),
	                 0);
	ck_assert_int_eq(gw_cksum_set_update(&s, a, sizeof(a)), 0);
	ck_assert_int_eq(gw_cksum_set_finish(&s), 0);
	char b64[GW_CKSUM_B64_MAX];
	gw_cksum_set_base64(&s, GW_CKSUM_CRC32C, b64);
	ck_assert_str_eq(b64, "sOO8/Q==");
	gw_cksum_set_cleanup(&s);
	/* The PUT example's body "Welcome to Amazon S3." hashes to its
	 * x-amz-content-sha256. */
	uint8_t d[32];
	char h[65];
	ck_assert_int_eq(
	    gw_cksum_oneshot(GW_CKSUM_SHA256, "Welcome to Amazon S3.", 21, d),
	    0);
	hex(d, 32, h);
	ck_assert_str_eq(
	    h,
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
}
END_TEST

START_TEST(test_cksum_set_errors)
{
	struct gw_cksum_set s;
	/* MD5("hello") = 5d41402abc4b2a76b9719d911017c592 →
	 * XUFAKrxLKna5cZ2REBfFkg== ; CRC32("hello") = 0x3610a686 → NhCmhg== */
	const char *body = "hello";
	ck_assert_int_eq(gw_cksum_set_init(&s, 0), 0);
	ck_assert_int_eq(
	    gw_cksum_set_expect_content_md5(&s, "XUFAKrxLKna5cZ2REBfFkg=="), 0);
	ck_assert_int_eq(gw_cksum_set_expect(&s, GW_CKSUM_CRC32, "NhCmhg=="),
	                 0);
	ck_assert_int_eq(gw_cksum_set_update(&s, body, 5), 0);
	ck_assert_int_eq(gw_cksum_set_finish(&s), 0);
	gw_cksum_set_cleanup(&s);

	ck_assert_int_eq(gw_cksum_set_init(&s, 0), 0);
	ck_assert_int_eq(
	    gw_cksum_set_expect_content_md5(&s, "XUFAKrxLKna5cZ2REBfFkg=="), 0);
	ck_assert_int_eq(gw_cksum_set_update(&s, "hellp", 5), 0);
	ck_assert_int_eq(gw_cksum_set_finish(&s), GW_CKSUM_ERR_BAD_DIGEST);
	ck_assert_str_eq(gw_cksum_s3_code(GW_CKSUM_ERR_BAD_DIGEST),
	                 "BadDigest");
	gw_cksum_set_cleanup(&s);

	ck_assert_int_eq(gw_cksum_set_init(&s, 0), 0);
	ck_assert_int_eq(
	    gw_cksum_set_expect_content_md5(&s, "XUFAKrxLKna5cZ2REBfF"),
	    GW_CKSUM_ERR_INVALID_DIGEST);
	ck_assert_int_eq(gw_cksum_set_expect_content_md5(&s, "not base64!"),
	                 GW_CKSUM_ERR_INVALID_DIGEST);
	ck_assert_str_eq(gw_cksum_s3_code(GW_CKSUM_ERR_INVALID_DIGEST),
	                 "InvalidDigest");
	ck_assert_int_eq(gw_cksum_set_expect(&s, GW_CKSUM_CRC32, "NhCmhg"),
	                 GW_CKSUM_ERR_INVALID_VALUE);
	ck_assert_int_eq(
	    gw_cksum_set_expect(&s, GW_CKSUM_CRC64NVME, "NhCmhg=="),
	    GW_CKSUM_ERR_INVALID_VALUE);
	ck_assert_int_eq(gw_cksum_set_expect(&s, GW_CKSUM_CRC32, "NhCmhw=="),
	                 0);
	ck_assert_int_eq(gw_cksum_set_update(&s, body, 5), 0);
	ck_assert_int_eq(gw_cksum_set_finish(&s), GW_CKSUM_ERR_MISMATCH);
	gw_cksum_set_cleanup(&s);

	/* x-amz-content-sha256 mismatch is checked first. */
	uint8_t sha[32] = {0};
	ck_assert_int_eq(gw_cksum_set_init(&s, 0), 0);
	ck_assert_int_eq(gw_cksum_set_expect_payload_sha256(&s, sha), 0);
	ck_assert_int_eq(
	    gw_cksum_set_expect_content_md5(&s, "AAAAAAAAAAAAAAAAAAAAAA=="), 0);
	ck_assert_int_eq(gw_cksum_set_update(&s, body, 5), 0);
	ck_assert_int_eq(gw_cksum_set_finish(&s), GW_CKSUM_ERR_SHA256_MISMATCH);
	ck_assert_str_eq(gw_cksum_s3_code(GW_CKSUM_ERR_SHA256_MISMATCH),
	                 "XAmzContentSHA256Mismatch");
	gw_cksum_set_cleanup(&s);
	gw_cksum_set_cleanup(&s);
}
END_TEST

/*
 * A multipart object's checksum from its parts' (random sizes, seeded):
 * FULL_OBJECT equals the CRC of the whole object for all three CRCs;
 * COMPOSITE equals the digest of the concatenated part digests plus "-N",
 * the value the S3 docs ("Checking object integrity") describe.
 */
START_TEST(test_cksum_multipart)
{
	struct test_rng rng;
	test_rng_init(&rng, test_seed());
	enum { PARTS = 4 };
	static uint8_t data[PARTS * 3000];
	uint64_t sizes[PARTS], total = 0;
	for (int i = 0; i < PARTS; i++) {
		sizes[i] = test_rng_below(&rng, 3000) + (i == 0); /* may be 0 but the first */
		total += sizes[i];
	}
	test_rng_bytes(&rng, data, total);
	static const enum gw_cksum_alg algs[] = {GW_CKSUM_CRC32, GW_CKSUM_CRC32C,
	                                         GW_CKSUM_CRC64NVME, GW_CKSUM_SHA1,
	                                         GW_CKSUM_SHA256};
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		enum gw_cksum_alg alg = algs[a];
		size_t dl = gw_cksum_alg_len(alg);
		char b64[PARTS][GW_CKSUM_B64_MAX];
		const char *vals[PARTS];
		uint8_t raw[PARTS * GW_CKSUM_DIGEST_MAX], d[GW_CKSUM_DIGEST_MAX];
		uint64_t off = 0;
		for (int i = 0; i < PARTS; i++) {
			ck_assert_int_eq(gw_cksum_oneshot(alg, data + off, sizes[i], raw + i * dl), 0);
			gw_base64_encode(raw + i * dl, dl, b64[i]);
			vals[i] = b64[i];
			off += sizes[i];
		}
		char out[80], want[80];
		bool crc = alg != GW_CKSUM_SHA1 && alg != GW_CKSUM_SHA256;
		if (crc) {
			ck_assert_int_eq(gw_cksum_multipart(alg, true, vals, sizes, PARTS, out,
			                                    sizeof(out)), 0);
			ck_assert_int_eq(gw_cksum_oneshot(alg, data, total, d), 0);
			gw_base64_encode(d, dl, want);
			ck_assert_msg(strcmp(out, want) == 0, "%s full: %s vs %s",
			              gw_cksum_alg_name(alg), out, want);
		} else {
			ck_assert_int_eq(gw_cksum_multipart(alg, true, vals, sizes, 1, out,
			                                    sizeof(out)), -EINVAL);
		}
		ck_assert_int_eq(gw_cksum_multipart(alg, false, vals, sizes, PARTS, out,
		                                    sizeof(out)), 0);
		ck_assert_int_eq(gw_cksum_oneshot(alg, raw, PARTS * dl, d), 0);
		char b[GW_CKSUM_B64_MAX];
		gw_base64_encode(d, dl, b);
		snprintf(want, sizeof(want), "%s-%d", b, PARTS);
		ck_assert_str_eq(out, want);
		/* A stored value that is not a digest of alg. */
		const char *bad[1] = {"AAAA"};
		if (dl != 3)
			ck_assert_int_eq(gw_cksum_multipart(alg, false, bad, sizes, 1, out,
			                                    sizeof(out)), -EINVAL);
	}
}
END_TEST

START_TEST(test_cksum_names_and_composite)
{
	enum gw_cksum_alg a;
	ck_assert_int_eq(
	    gw_cksum_alg_from_header("X-Amz-Checksum-CRC64NVME", &a), 0);
	ck_assert_int_eq(a, GW_CKSUM_CRC64NVME);
	ck_assert_int_eq(gw_cksum_alg_from_header("x-amz-checksum-md5", &a),
	                 -EINVAL);
	ck_assert_int_eq(gw_cksum_alg_from_header("x-amz-checksum-mode", &a),
	                 -EINVAL);
	ck_assert_uint_eq(gw_cksum_mask_from_names("x-amz-checksum-crc32"),
	                  GW_CKSUM_BIT(GW_CKSUM_CRC32));
	ck_assert_uint_eq(
	    gw_cksum_mask_from_names(" X-Amz-Checksum-CRC64NVME , x-amz-meta-a,"
	                             "x-amz-checksum-sha1,,"),
	    GW_CKSUM_BIT(GW_CKSUM_CRC64NVME) | GW_CKSUM_BIT(GW_CKSUM_SHA1));
	ck_assert_uint_eq(gw_cksum_mask_from_names(""), 0);
	ck_assert_int_eq(gw_cksum_alg_parse("sha256", 6, &a), 0);
	ck_assert_int_eq(a, GW_CKSUM_SHA256);
	/* Composite of two parts: CRC32 over the two 4-byte part CRCs. */
	uint8_t parts[8];
	ck_assert_int_eq(gw_cksum_oneshot(GW_CKSUM_CRC32, "hello", 5, parts),
	                 0);
	ck_assert_int_eq(
	    gw_cksum_oneshot(GW_CKSUM_CRC32, "world", 5, parts + 4), 0);
	ck_assert_mem_eq(parts, "\x36\x10\xa6\x86", 4);
	char out[64];
	ck_assert_int_eq(
	    gw_cksum_composite(GW_CKSUM_CRC32, parts, 2, out, sizeof(out)), 0);
	uint8_t d[4];
	char b64[16], want[32];
	gw_cksum_oneshot(GW_CKSUM_CRC32, parts, 8, d);
	gw_base64_encode(d, 4, b64);
	snprintf(want, sizeof(want), "%s-2", b64);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(gw_cksum_composite(GW_CKSUM_CRC32, parts, 2, out, 8),
	                 -ENOSPC);
}
END_TEST

Suite *test_gateway_checksum_suite(void)
{
	Suite *s = suite_create("gateway_checksum");
	TCase *tc = tcase_create("checksum");
	tcase_add_test(tc, test_cksum_check_values);
	tcase_add_test(tc, test_cksum_streaming_equals_oneshot);
	tcase_add_test(tc, test_cksum_crc_combine);
	tcase_add_test(tc, test_base64);
	tcase_add_test(tc, test_cksum_aws_examples);
	tcase_add_test(tc, test_cksum_set_errors);
	tcase_add_test(tc, test_cksum_names_and_composite);
	tcase_add_test(tc, test_cksum_multipart);
	suite_add_tcase(s, tc);
	return s;
}
