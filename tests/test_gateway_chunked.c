/*
 * test_gateway_chunked.c — the aws-chunked decoder: AWS's published
 * chunked-upload and trailer examples (sigv4-streaming,
 * sigv4-streaming-trailers) fed in random pieces, bodies of our own signer
 * with random chunk sizes, and every error: bad chunk or trailer
 * signature, truncation, length mismatch, chunk size, framing, trailers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gateway/aws_chunked.h"
#include "gateway/checksum.h"
#include "tests/test_gateway.h"
#include "tests/testutil.h"

#define SEED_SIG                                                               \
	"4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define TRAILER_SEED_SIG                                                       \
	"106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
#define BODY_MAX (200 * 1024)

struct out {
	uint8_t *buf;
	size_t len;
	uint64_t verified;
	size_t verified_calls;
};

static int out_data(void *arg, const uint8_t *p, size_t n)
{
	struct out *o = arg;
	ck_assert(o->len + n <= BODY_MAX);
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

static int out_verified(void *arg, uint64_t total)
{
	struct out *o = arg;
	/* Verified never runs ahead of what was handed out, nor backwards. */
	ck_assert_uint_le(total, o->len);
	ck_assert_uint_ge(total, o->verified);
	o->verified = total;
	o->verified_calls++;
	return 0;
}

static void example_auth(struct sigv4_auth *a, const char *seed)
{
	memset(a, 0, sizeof(*a));
	sigv4_signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	                  "20130524", "us-east-1", "s3", a->signing_key);
	strcpy(a->amz_date, "20130524T000000Z");
	strcpy(a->scope, "20130524/us-east-1/s3/aws4_request");
	strcpy(a->seed_signature, seed);
}

struct body {
	char *p;
	size_t len;
};

static void put(struct body *b, const void *s, size_t n)
{
	ck_assert(b->len + n <= BODY_MAX + 4096);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void puts_(struct body *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Encodes data as signed chunks of the given sizes (then the zero chunk),
 * as a client would; returns the final chunk's signature in last. */
static void encode_signed(struct body *b, const struct sigv4_auth *a,
                          const uint8_t *data, const size_t *sizes, size_t n,
                          char *last)
{
	char prev[65];
	strcpy(prev, a->seed_signature);
	size_t off = 0;
	for (size_t i = 0; i <= n; i++) {
		size_t sz = i < n ? sizes[i] : 0;
		uint8_t h[32];
		EVP_Digest(data + off, sz, h, NULL, EVP_sha256(), NULL);
		char sig[65], line[128];
		sigv4_chunk_signature(a->signing_key, a->amz_date, a->scope,
		                      prev, h, sig);
		snprintf(line, sizeof(line), "%zx;chunk-signature=%s\r\n", sz,
		         sig);
		puts_(b, line);
		if (sz > 0) {
			put(b, data + off, sz);
			puts_(b, "\r\n");
		}
		off += sz;
		strcpy(prev, sig);
	}
	strcpy(last, prev);
}

/* Feeds the body in random pieces; returns the first error or finish's. */
static int decode(const struct gw_chunked_config *cfg, const struct body *b,
                  struct test_rng *r, struct out *o, struct gw_chunked **keep)
{
	struct gw_chunked_sink sink = {out_data, out_verified, o};
	struct gw_chunked *d = NULL;
	ck_assert_int_eq(gw_chunked_new(cfg, &sink, &d), 0);
	int rc = 0;
	for (size_t i = 0; i < b->len && rc == 0;) {
		size_t n = 1 + test_rng_below(r, 9000);
		if (n > b->len - i)
			n = b->len - i;
		rc = gw_chunked_feed(d, b->p + i, n);
		i += n;
	}
	if (rc == 0)
		rc = gw_chunked_finish(d);
	if (keep)
		*keep = d;
	else
		gw_chunked_free(d);
	return rc;
}

static struct body aws_example_body(const char *sigs[3], const char *tail)
{
	struct body b = {malloc(BODY_MAX + 4096), 0};
	static uint8_t a[65536];
	memset(a, 'a', sizeof(a));
	char line[128];
	snprintf(line, sizeof(line), "10000;chunk-signature=%s\r\n", sigs[0]);
	puts_(&b, line);
	put(&b, a, 65536);
	snprintf(line, sizeof(line), "\r\n400;chunk-signature=%s\r\n", sigs[1]);
	puts_(&b, line);
	put(&b, a, 1024);
	snprintf(line, sizeof(line), "\r\n0;chunk-signature=%s\r\n", sigs[2]);
	puts_(&b, line);
	puts_(&b, tail);
	return b;
}

START_TEST(test_chunked_aws_example)
{
	static const char *sigs[3] = {
	    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
	    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
	    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"};
	struct body b = aws_example_body(sigs, "\r\n");
	ck_assert_uint_eq(b.len, 66824); /* the example's Content-Length */
	struct sigv4_auth a;
	example_auth(&a, SEED_SIG);
	struct gw_chunked_config cfg = {
	    GW_CHUNKED_SIGNED, &a, 66560, 0, 0, NULL};
	struct test_rng r;
	test_rng_init(&r, test_seed());
	struct out o = {malloc(BODY_MAX), 0, 0, 0};
	for (int round = 0; round < 5; round++) {
		o.len = 0;
		o.verified = 0;
		o.verified_calls = 0;
		ck_assert_int_eq(decode(&cfg, &b, &r, &o, NULL), 0);
		ck_assert_uint_eq(o.len, 66560);
		ck_assert_uint_eq(o.verified, 66560);
		ck_assert_uint_eq(o.verified_calls, 3);
		for (size_t i = 0; i < o.len; i++)
			ck_assert_int_eq(o.buf[i], 'a');
	}
	/* Without the final empty line it is still complete. */
	b.len -= 2;
	o.len = 0;
	o.verified = 0;
	ck_assert_int_eq(decode(&cfg, &b, &r, &o, NULL), 0);
	/* One changed data byte: the first chunk fails, and nothing of it
	 * was reported verified. */
	b.len += 2;
	b.p[200] = 'b';
	o.len = 0;
	o.verified = 0;
	ck_assert_int_eq(decode(&cfg, &b, &r, &o, NULL),
	                 GW_CHUNKED_ERR_SIGNATURE);
	ck_assert_uint_eq(o.verified, 0);
	ck_assert_str_eq(gw_chunked_s3_code(GW_CHUNKED_ERR_SIGNATURE),
	                 "SignatureDoesNotMatch");
	/* A wrong seed breaks the chain at the first chunk. */
	b.p[200] = 'a';
	example_auth(&a, TRAILER_SEED_SIG);
	o.len = 0;
	o.verified = 0;
	ck_assert_int_eq(decode(&cfg, &b, &r, &o, NULL),
	                 GW_CHUNKED_ERR_SIGNATURE);
	free(o.buf);
	free(b.p);
}
END_TEST

START_TEST(test_chunked_aws_trailer_example)
{
	static const char *sigs[3] = {
	    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
	    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
	    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"};
	struct body b =
	    aws_example_body(sigs, "x-amz-checksum-crc32c:sOO8/Q==\r\n"
	                           "x-amz-trailer-signature:"
	                           "d81f82fc3505edab99d459891051a732e8730629a2e"
	                           "4a59689829ca17fe2e435\r\n\r\n");
	struct sigv4_auth a;
	example_auth(&a, TRAILER_SEED_SIG);
	struct gw_chunked_config cfg = {
	    GW_CHUNKED_SIGNED_TRAILER, &a, 66560, 0, 0,
	    "x-amz-checksum-crc32c"};
	struct test_rng r;
	test_rng_init(&r, test_seed() + 1);
	struct out o = {malloc(BODY_MAX), 0, 0, 0};
	struct gw_chunked *d = NULL;
	ck_assert_int_eq(decode(&cfg, &b, &r, &o, &d), 0);
	ck_assert_uint_eq(o.len, 66560);
	ck_assert_str_eq(gw_chunked_trailer(d, "X-Amz-Checksum-CRC32C"),
	                 "sOO8/Q==");
	ck_assert_uint_eq(gw_chunked_trailer_count(d), 1);
	gw_chunked_free(d);
	/* A changed trailer value fails the trailer signature. */
	char *v = memmem(b.p, b.len, "sOO8/Q==", 8);
	v[0] = 't';
	o.len = 0;
	o.verified = 0;
	ck_assert_int_eq(decode(&cfg, &b, &r, &o, NULL),
	                 GW_CHUNKED_ERR_SIGNATURE);
	/* A missing trailer signature is a malformed trailer. */
	v[0] = 's';
	char *ts = memmem(b.p, b.len, "x-amz-trailer-signature", 23);
	memcpy(ts, "\r\n", 2);
	b.len = (size_t)(ts - b.p) + 2;
	o.len = 0;
	o.verified = 0;
	ck_assert_int_eq(decode(&cfg, &b, &r, &o, NULL),
	                 GW_CHUNKED_ERR_TRAILER);
	ck_assert_str_eq(gw_chunked_s3_code(GW_CHUNKED_ERR_TRAILER),
	                 "MalformedTrailerError");
	free(o.buf);
	free(b.p);
}
END_TEST

START_TEST(test_chunked_signed_random)
{
	struct test_rng r;
	test_rng_init(&r, test_seed() + 2);
	struct sigv4_auth a;
	example_auth(&a, SEED_SIG);
	static uint8_t data[BODY_MAX - 8192];
	struct out o = {malloc(BODY_MAX), 0, 0, 0};
	for (int round = 0; round < 20; round++) {
		size_t sizes[32], n = 0, total = 0;
		size_t want = test_rng_below(&r, sizeof(data) - 70000);
		while (total < want && n < 31) {
			size_t sz = 8192 + test_rng_below(&r, 60000);
			sizes[n++] = sz;
			total += sz;
		}
		if (n > 0 && test_rng_below(&r, 2)) /* a short last chunk */
			sizes[n - 1] = 1 + test_rng_below(&r, 8191);
		total = 0;
		for (size_t i = 0; i < n; i++)
			total += sizes[i];
		ck_assert_uint_le(total, sizeof(data));
		test_rng_bytes(&r, data, total);
		struct body b = {malloc(BODY_MAX + 4096), 0};
		char last[65];
		encode_signed(&b, &a, data, sizes, n, last);
		puts_(&b, "\r\n");
		struct gw_chunked_config cfg = {
		    GW_CHUNKED_SIGNED, &a, (int64_t)total, 0, 0, NULL};
		o.len = 0;
		o.verified = 0;
		o.verified_calls = 0;
		ck_assert_int_eq(decode(&cfg, &b, &r, &o, NULL), 0);
		ck_assert_uint_eq(o.len, total);
		ck_assert_mem_eq(o.buf, data, total);
		ck_assert_uint_eq(o.verified_calls, n + 1);
		/* Truncated anywhere: IncompleteBody or, cut inside a chunk
		 * line, still incomplete at finish. */
		struct body t = b;
		t.len = test_rng_below(&r, b.len);
		o.len = 0;
		o.verified = 0;
		int rc = decode(&cfg, &t, &r, &o, NULL);
		ck_assert_msg(rc == GW_CHUNKED_ERR_INCOMPLETE ||
		                  (t.len == b.len - 2 && rc == 0),
		              "cut at %zu of %zu: %s", t.len, b.len,
		              gw_chunked_strerror(rc));
		free(b.p);
	}
	free(o.buf);
}
END_TEST

static int unsigned_decode(const char *body, int64_t len, const char *trailers,
                           struct out *o, char *crc_out)
{
	struct gw_chunked_config cfg = {
	    GW_CHUNKED_UNSIGNED_TRAILER, NULL, len, 0, 0, trailers};
	struct body b = {(char *)body, strlen(body)};
	struct test_rng r;
	test_rng_init(&r, test_seed() + 3);
	struct gw_chunked *d = NULL;
	o->len = 0;
	o->verified = 0;
	int rc = decode(&cfg, &b, &r, o, &d);
	if (rc == 0 && crc_out) {
		const char *v = gw_chunked_trailer(d, "x-amz-checksum-crc32");
		strcpy(crc_out, v ? v : "");
	}
	gw_chunked_free(d);
	return rc;
}

START_TEST(test_chunked_unsigned_trailer)
{
	struct out o = {malloc(BODY_MAX), 0, 0, 0};
	char crc[64];
	/* What aws-cli sends: STREAMING-UNSIGNED-PAYLOAD-TRAILER. */
	ck_assert_int_eq(
	    unsigned_decode("5\r\nhello\r\n6\r\n world\r\n0\r\n"
	                    "x-amz-checksum-crc32:DUoRhQ==\r\n\r\n",
	                    11, "x-amz-checksum-crc32", &o, crc),
	    0);
	ck_assert_mem_eq(o.buf, "hello world", 11);
	ck_assert_str_eq(crc, "DUoRhQ==");
	/* The trailer value checks out against the body's CRC32. */
	struct gw_cksum_set s;
	ck_assert_int_eq(gw_cksum_set_init(&s, 0), 0);
	ck_assert_int_eq(gw_cksum_set_expect(&s, GW_CKSUM_CRC32, crc), 0);
	ck_assert_int_eq(gw_cksum_set_update(&s, o.buf, o.len), 0);
	ck_assert_int_eq(gw_cksum_set_finish(&s), 0);
	gw_cksum_set_cleanup(&s);
	/* Spaces around the trailer value, chunk extensions, a blank line
	 * before the trailers, no declared length. */
	ck_assert_int_eq(
	    unsigned_decode("5;foo=bar\r\nhello\r\n0\r\n\r\n"
	                    "x-amz-checksum-crc32 : NhCmhg== \r\n\r\n",
	                    -1, "x-amz-checksum-crc32", &o, crc),
	    0);
	ck_assert_str_eq(crc, "NhCmhg==");
	/* No trailers at all. */
	ck_assert_int_eq(
	    unsigned_decode("5\r\nhello\r\n0\r\n\r\n", 5, NULL, &o, NULL), 0);
	/* Errors. */
	ck_assert_int_eq(unsigned_decode("5\r\nhello\r\n0\r\n\r\n", 5,
	                                 "x-amz-checksum-crc32", &o, NULL),
	                 GW_CHUNKED_ERR_TRAILER);
	ck_assert_int_eq(unsigned_decode("5\r\nhello\r\n0\r\nbogus\r\n\r\n", 5,
	                                 NULL, &o, NULL),
	                 GW_CHUNKED_ERR_TRAILER);
	ck_assert_int_eq(
	    unsigned_decode("5\r\nhello\r\n0\r\n\r\n", 6, NULL, &o, NULL),
	    GW_CHUNKED_ERR_LENGTH);
	ck_assert_int_eq(
	    unsigned_decode("5\r\nhello\r\n0\r\n\r\n", 4, NULL, &o, NULL),
	    GW_CHUNKED_ERR_LENGTH);
	ck_assert_int_eq(unsigned_decode("5\r\nhello\r\n", 5, NULL, &o, NULL),
	                 GW_CHUNKED_ERR_INCOMPLETE);
	ck_assert_int_eq(unsigned_decode("5\r\nhel", 5, NULL, &o, NULL),
	                 GW_CHUNKED_ERR_INCOMPLETE);
	ck_assert_str_eq(gw_chunked_s3_code(GW_CHUNKED_ERR_INCOMPLETE),
	                 "IncompleteBody");
	ck_assert_int_eq(
	    unsigned_decode("5\nhello\r\n0\r\n\r\n", 5, NULL, &o, NULL),
	    GW_CHUNKED_ERR_FRAMING);
	ck_assert_int_eq(
	    unsigned_decode("5\r\nhelloX\r\n0\r\n\r\n", 5, NULL, &o, NULL),
	    GW_CHUNKED_ERR_FRAMING);
	ck_assert_int_eq(
	    unsigned_decode("x5\r\nhello\r\n0\r\n\r\n", 5, NULL, &o, NULL),
	    GW_CHUNKED_ERR_FRAMING);
	ck_assert_int_eq(
	    unsigned_decode("5\r\nhello\r\n0\r\n\r\nextra", 5, NULL, &o, NULL),
	    GW_CHUNKED_ERR_FRAMING);
	ck_assert_int_eq(
	    unsigned_decode("12345678123456789\r\n", -1, NULL, &o, NULL),
	    GW_CHUNKED_ERR_CHUNK_SIZE);
	ck_assert_int_eq(unsigned_decode("4000001\r\n", -1, NULL, &o, NULL),
	                 GW_CHUNKED_ERR_CHUNK_SIZE);
	ck_assert_str_eq(gw_chunked_s3_code(GW_CHUNKED_ERR_CHUNK_SIZE),
	                 "InvalidChunkSizeError");
	free(o.buf);
}
END_TEST

START_TEST(test_chunked_signed_errors)
{
	struct sigv4_auth a;
	example_auth(&a, SEED_SIG);
	static uint8_t data[20000];
	memset(data, 'z', sizeof(data));
	struct test_rng r;
	test_rng_init(&r, test_seed() + 4);
	struct out o = {malloc(BODY_MAX), 0, 0, 0};
	/* A non-final chunk under 8 KiB: InvalidChunkSizeError. */
	size_t small[] = {100, 8192};
	struct body b = {malloc(BODY_MAX + 4096), 0};
	char last[65];
	encode_signed(&b, &a, data, small, 2, last);
	puts_(&b, "\r\n");
	struct gw_chunked_config cfg = {GW_CHUNKED_SIGNED, &a, -1, 0, 0, NULL};
	ck_assert_int_eq(decode(&cfg, &b, &r, &o, NULL),
	                 GW_CHUNKED_ERR_CHUNK_SIZE);
	/* The same with the minimum configured down: fine. */
	cfg.chunk_bytes_min = 64;
	o.len = 0;
	o.verified = 0;
	ck_assert_int_eq(decode(&cfg, &b, &r, &o, NULL), 0);
	/* Unsigned chunk lines in signed mode; trailers in signed mode. */
	char plain[] = "5\r\nhello\r\n0\r\n\r\n";
	ck_assert_int_eq(
	    decode(&cfg, &(struct body){plain, strlen(plain)}, &r, &o, NULL),
	    GW_CHUNKED_ERR_FRAMING);
	b.len -= 2;
	puts_(&b, "x-amz-checksum-crc32:NhCmhg==\r\n\r\n");
	o.len = 0;
	o.verified = 0;
	ck_assert_int_eq(decode(&cfg, &b, &r, &o, NULL),
	                 GW_CHUNKED_ERR_TRAILER);
	/* Signed modes need the request's auth. */
	struct gw_chunked_sink sink = {out_data, NULL, &o};
	struct gw_chunked *d = NULL;
	cfg.auth = NULL;
	ck_assert_int_eq(gw_chunked_new(&cfg, &sink, &d), -EINVAL);
	free(b.p);
	free(o.buf);
}
END_TEST

START_TEST(test_chunked_helpers)
{
	enum gw_chunked_mode m;
	ck_assert_int_eq(
	    gw_chunked_mode_from_payload(SIGV4_PAYLOAD_STREAMING, &m), 0);
	ck_assert_int_eq(m, GW_CHUNKED_SIGNED);
	ck_assert_int_eq(
	    gw_chunked_mode_from_payload(SIGV4_PAYLOAD_STREAMING_TRAILER, &m),
	    0);
	ck_assert_int_eq(m, GW_CHUNKED_SIGNED_TRAILER);
	ck_assert_int_eq(gw_chunked_mode_from_payload(
	                     SIGV4_PAYLOAD_STREAMING_UNSIGNED_TRAILER, &m),
	                 0);
	ck_assert_int_eq(m, GW_CHUNKED_UNSIGNED_TRAILER);
	ck_assert_int_eq(
	    gw_chunked_mode_from_payload(SIGV4_PAYLOAD_UNSIGNED, &m), -EINVAL);
	ck_assert_int_eq(gw_chunked_mode_from_payload(SIGV4_PAYLOAD_SHA256, &m),
	                 -EINVAL);
	int64_t v = 7;
	ck_assert_int_eq(gw_chunked_parse_length("66560", &v), 0);
	ck_assert_int_eq(v, 66560);
	ck_assert_int_eq(gw_chunked_parse_length("0", &v), 0);
	ck_assert_int_eq(v, 0);
	static const char *bad[] = {"",
	                            "-1",
	                            "+1",
	                            " 1",
	                            "1 ",
	                            "0x10",
	                            "99999999999999999999",
	                            "9223372036854775807"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(gw_chunked_parse_length(bad[i], &v) == -EINVAL,
		              "%s", bad[i]);
}
END_TEST

Suite *test_gateway_chunked_suite(void)
{
	Suite *s = suite_create("gateway_chunked");
	TCase *tc = tcase_create("chunked");
	tcase_add_test(tc, test_chunked_aws_example);
	tcase_add_test(tc, test_chunked_aws_trailer_example);
	tcase_add_test(tc, test_chunked_signed_random);
	tcase_add_test(tc, test_chunked_unsigned_trailer);
	tcase_add_test(tc, test_chunked_signed_errors);
	tcase_add_test(tc, test_chunked_helpers);
	suite_add_tcase(s, tc);
	return s;
}
