/*
 * fuzz_aws_chunked.c — the aws-chunked decoder on arbitrary bodies fed in
 * random piece sizes.
 *
 * Input: byte 0 picks the mode (and whether a decoded length is declared),
 * bytes 1-4 seed the piece sizes, the rest is the body.  The decoder must
 * never crash, never hand out more bytes than it counts, and must give the
 * same answer whatever the piece sizes (checked against one-shot feeding).
 */
#include <stdint.h>
#include <string.h>

#include "engine/assert.h"
#include "gateway/aws_chunked.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_sink {
	uint64_t bytes;
	uint64_t verified;
};

static int fuzz_data(void *arg, const uint8_t *p, size_t n)
{
	struct fuzz_sink *s = arg;
	ASSERT(p != NULL && n > 0);
	s->bytes += n;
	return 0;
}

static int fuzz_verified(void *arg, uint64_t total)
{
	struct fuzz_sink *s = arg;
	ASSERT(total <= s->bytes && total >= s->verified);
	s->verified = total;
	return 0;
}

static int run(const uint8_t *body, size_t len, uint8_t sel, uint32_t seed,
               struct fuzz_sink *s)
{
	struct sigv4_auth a;
	memset(&a, 0, sizeof(a));
	sigv4_signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	                  "20130524", "us-east-1", "s3", a.signing_key);
	strcpy(a.amz_date, "20130524T000000Z");
	strcpy(a.scope, "20130524/us-east-1/s3/aws4_request");
	strcpy(
	    a.seed_signature,
	    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
	struct gw_chunked_config cfg = {
	    .mode = (enum gw_chunked_mode)(sel % 3),
	    .auth = &a,
	    .decoded_length = (sel & 4) ? 5 : -1,
	    .chunk_bytes_min = (sel & 8) ? 1 : 0,
	    .trailer_names = (sel & 16) ? "x-amz-checksum-crc32" : NULL,
	};
	struct gw_chunked_sink sink = {fuzz_data, fuzz_verified, s};
	struct gw_chunked *d = NULL;
	int rc = gw_chunked_new(&cfg, &sink, &d);
	ASSERT(rc == 0);
	size_t i = 0;
	for (size_t steps = 0; i < len && rc == 0; steps++) {
		ASSERT(steps <= len);
		seed = seed * 1103515245u + 12345u;
		size_t n = 1 + (seed >> 16) % 64;
		if (n > len - i)
			n = len - i;
		rc = gw_chunked_feed(d, body + i, n);
		i += n;
	}
	if (rc == 0)
		rc = gw_chunked_finish(d);
	ASSERT(gw_chunked_decoded_bytes(d) == s->bytes);
	if (rc == 0) {
		for (size_t k = 0; k < gw_chunked_trailer_count(d); k++) {
			const char *nm, *v;
			gw_chunked_trailer_at(d, k, &nm, &v);
			ASSERT(gw_chunked_trailer(d, nm) == v);
		}
	}
	gw_chunked_free(d);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5 || size > 1 << 20)
		return 0;
	uint32_t seed = (uint32_t)data[1] | (uint32_t)data[2] << 8 |
	                (uint32_t)data[3] << 16 | (uint32_t)data[4] << 24;
	struct fuzz_sink s1 = {0, 0}, s2 = {0, 0};
	int r1 = run(data + 5, size - 5, data[0], seed, &s1);
	int r2 = run(data + 5, size - 5, data[0], ~seed, &s2);
	/* The outcome does not depend on how the body was split. */
	ASSERT(r1 == r2);
	if (r1 == 0)
		ASSERT(s1.bytes == s2.bytes);
	return 0;
}
