/*
 * body.c — decoding and verifying request bodies (see body.h).
 */
#include "gateway/body.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/assert.h"
#include "gateway/aws_chunked.h"

struct gw_body {
	struct gw_request *req;
	gw_body_sink sink;
	enum s3_error sink_error;      /* what the sink answered, if it failed */
	struct gw_chunked *chunked;    /* NULL for a plain body */
	struct gw_cksum_set sums;
	bool has_checksum;             /* a client-named x-amz-checksum algorithm */
	enum gw_cksum_alg checksum_alg;
	bool checksum_in_trailer;      /* its value arrives in a trailer */
	uint64_t decoded;
	bool finished;
};

static enum s3_error deliver(struct gw_body *b, const uint8_t *p, size_t n)
{
	if (gw_cksum_set_update(&b->sums, p, n) != 0)
		return S3_INTERNAL_ERROR;
	b->decoded += n;
	return b->sink ? b->sink(b->req, (const char *)p, n) : S3_OK;
}

static int chunked_data(void *arg, const uint8_t *p, size_t n)
{
	struct gw_body *b = arg;
	enum s3_error e = deliver(b, p, n);
	if (e != S3_OK) {
		b->sink_error = e;
		return -1;
	}
	return 0;
}

static enum s3_error cksum_error(int rc)
{
	switch (rc) {
	case 0: return S3_OK;
	case GW_CKSUM_ERR_BAD_DIGEST: return S3_BAD_DIGEST;
	case GW_CKSUM_ERR_INVALID_DIGEST: return S3_INVALID_DIGEST;
	case GW_CKSUM_ERR_SHA256_MISMATCH: return S3_X_AMZ_CONTENT_SHA256_MISMATCH;
	case GW_CKSUM_ERR_MISMATCH: return S3_BAD_DIGEST;
	case GW_CKSUM_ERR_INVALID_VALUE: return S3_INVALID_REQUEST;
	default: return S3_INTERNAL_ERROR;
	}
}

static enum s3_error chunked_error(struct gw_body *b, int rc)
{
	if (b->sink_error != S3_OK)
		return b->sink_error;
	switch (rc) {
	case 0: return S3_OK;
	case GW_CHUNKED_ERR_SIGNATURE: return S3_SIGNATURE_DOES_NOT_MATCH;
	case GW_CHUNKED_ERR_CHUNK_SIZE: return S3_INVALID_CHUNK_SIZE;
	case GW_CHUNKED_ERR_TRAILER: return S3_MALFORMED_TRAILER;
	case GW_CHUNKED_ERR_FRAMING:
	case GW_CHUNKED_ERR_INCOMPLETE:
	case GW_CHUNKED_ERR_LENGTH: return S3_INCOMPLETE_BODY;
	default: return S3_INTERNAL_ERROR;
	}
}

/*
 * Finds the checksum the client names: an x-amz-checksum-<alg> header
 * (value known now), or x-amz-trailer naming one (value at the end), or
 * x-amz-sdk-checksum-algorithm (compute and store it).  Two different value
 * headers are ambiguous: InvalidRequest, as S3 answers.
 */
static enum s3_error find_declared_checksum(struct gw_body *b)
{
	struct gw_request *req = b->req;
	for (int a = 0; a < GW_CKSUM_COUNT; a++) {
		const char *h = gw_cksum_alg_header((enum gw_cksum_alg)a);
		const char *v = h ? gw_request_header(req, h) : NULL;
		if (v == NULL)
			continue;
		if (b->has_checksum)
			return S3_INVALID_REQUEST;
		b->has_checksum = true;
		b->checksum_alg = (enum gw_cksum_alg)a;
		if (gw_cksum_set_expect(&b->sums, (enum gw_cksum_alg)a, v) != 0)
			return S3_INVALID_REQUEST;
	}
	const char *trailer = gw_request_header(req, "x-amz-trailer");
	enum gw_cksum_alg alg;
	if (!b->has_checksum && trailer != NULL &&
	    gw_cksum_alg_from_header(trailer, &alg) == 0) {
		b->has_checksum = true;
		b->checksum_alg = alg;
		b->checksum_in_trailer = true;
	}
	const char *sdk = gw_request_header(req, "x-amz-sdk-checksum-algorithm");
	if (sdk == NULL)
		sdk = gw_request_header(req, "x-amz-checksum-algorithm");
	if (!b->has_checksum && sdk != NULL) {
		if (gw_cksum_alg_parse(sdk, strlen(sdk), &alg) != 0 || alg == GW_CKSUM_MD5)
			return S3_INVALID_REQUEST;
		b->has_checksum = true;
		b->checksum_alg = alg;
	}
	return S3_OK;
}

static enum s3_error start_decoder(struct gw_body *b)
{
	struct gw_request *req = b->req;
	enum gw_chunked_mode mode;
	switch (req->auth.payload) {
	case SIGV4_PAYLOAD_STREAMING: mode = GW_CHUNKED_SIGNED; break;
	case SIGV4_PAYLOAD_STREAMING_TRAILER: mode = GW_CHUNKED_SIGNED_TRAILER; break;
	case SIGV4_PAYLOAD_STREAMING_UNSIGNED_TRAILER: mode = GW_CHUNKED_UNSIGNED_TRAILER; break;
	default: return S3_OK;
	}
	int64_t decoded = -1;
	const char *dl = gw_request_header(req, "x-amz-decoded-content-length");
	if (dl != NULL) {
		char *end = NULL;
		errno = 0;
		long long v = strtoll(dl, &end, 10);
		if (errno != 0 || end == dl || *end != '\0' || v < 0)
			return S3_INVALID_ARGUMENT;
		decoded = v;
	}
	struct gw_chunked_config cc = {
		.mode = mode,
		.auth = &req->auth,
		.decoded_length = decoded,
		.trailer_names = gw_request_header(req, "x-amz-trailer"),
	};
	struct gw_chunked_sink sink = {.data = chunked_data, .arg = b};
	return gw_chunked_new(&cc, &sink, &b->chunked) == 0 ? S3_OK : S3_INVALID_REQUEST;
}

enum s3_error gw_body_begin(struct gw_request *req, gw_body_sink sink, unsigned extra_mask)
{
	ASSERT(req->body == NULL);
	struct gw_body *b = calloc(1, sizeof *b);
	if (b == NULL)
		return S3_INTERNAL_ERROR;
	b->req = req;
	b->sink = sink;
	req->body = b;
	unsigned mask = extra_mask;
	if (req->auth.payload == SIGV4_PAYLOAD_SHA256)
		mask |= GW_CKSUM_BIT(GW_CKSUM_SHA256);
	/* Trailer-declared algorithms must be computing from byte 0. */
	const char *trailer = gw_request_header(req, "x-amz-trailer");
	enum gw_cksum_alg alg;
	if (trailer != NULL && gw_cksum_alg_from_header(trailer, &alg) == 0)
		mask |= GW_CKSUM_BIT(alg);
	const char *sdk = gw_request_header(req, "x-amz-sdk-checksum-algorithm");
	if (sdk != NULL && gw_cksum_alg_parse(sdk, strlen(sdk), &alg) == 0)
		mask |= GW_CKSUM_BIT(alg);
	if (gw_cksum_set_init(&b->sums, mask) != 0)
		return S3_INTERNAL_ERROR;
	if (req->auth.payload == SIGV4_PAYLOAD_SHA256 &&
	    gw_cksum_set_expect_payload_sha256(&b->sums, req->auth.payload_sha256) != 0)
		return S3_INTERNAL_ERROR;
	const char *md5 = gw_request_header(req, "content-md5");
	if (md5 != NULL && gw_cksum_set_expect_content_md5(&b->sums, md5) != 0)
		return S3_INVALID_DIGEST;
	enum s3_error e = find_declared_checksum(b);
	if (e != S3_OK)
		return e;
	return start_decoder(b);
}

enum s3_error gw_body_require_checksum(struct gw_request *req, enum gw_cksum_alg alg)
{
	struct gw_body *b = req->body;
	ASSERT(b != NULL && !b->finished && b->decoded == 0);
	ASSERT(alg != GW_CKSUM_MD5);
	if (b->has_checksum) {
		if (b->checksum_alg == alg)
			return S3_OK;
		req->error_message = "The checksum algorithm of the part does not match the "
				     "checksum algorithm of the multipart upload.";
		return S3_INVALID_REQUEST;
	}
	if (gw_cksum_set_enable(&b->sums, alg) != 0)
		return S3_INTERNAL_ERROR;
	b->has_checksum = true;
	b->checksum_alg = alg;
	return S3_OK;
}

enum s3_error gw_body_feed(struct gw_request *req, const char *data, size_t len)
{
	struct gw_body *b = req->body;
	ASSERT(b != NULL && !b->finished);
	if (b->chunked == NULL)
		return deliver(b, (const uint8_t *)data, len);
	return chunked_error(b, gw_chunked_feed(b->chunked, data, len));
}

enum s3_error gw_body_finish(struct gw_request *req)
{
	struct gw_body *b = req->body;
	ASSERT(b != NULL && !b->finished);
	b->finished = true;
	if (b->chunked != NULL) {
		enum s3_error e = chunked_error(b, gw_chunked_finish(b->chunked));
		if (e != S3_OK)
			return e;
		if (b->checksum_in_trailer) {
			const char *v = gw_chunked_trailer(b->chunked,
							   gw_cksum_alg_header(b->checksum_alg));
			if (v == NULL)
				return S3_MALFORMED_TRAILER;
			if (gw_cksum_set_expect(&b->sums, b->checksum_alg, v) != 0)
				return S3_INVALID_REQUEST;
		}
	} else if (b->checksum_in_trailer) {
		/* A trailer was announced on a body that cannot carry one. */
		return S3_MALFORMED_TRAILER;
	}
	return cksum_error(gw_cksum_set_finish(&b->sums));
}

void gw_body_free(struct gw_body *b)
{
	if (b == NULL)
		return;
	gw_chunked_free(b->chunked);
	gw_cksum_set_cleanup(&b->sums);
	free(b);
}

uint64_t gw_body_decoded_bytes(const struct gw_request *req)
{
	return req->body ? req->body->decoded : 0;
}

const uint8_t *gw_body_md5(const struct gw_request *req)
{
	ASSERT(req->body != NULL && req->body->finished);
	return gw_cksum_set_digest(&req->body->sums, GW_CKSUM_MD5);
}

void gw_body_md5_hex(const struct gw_request *req, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *d = gw_body_md5(req);
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[32] = '\0';
}

bool gw_body_checksum(const struct gw_request *req, enum gw_cksum_alg *alg, char *b64)
{
	const struct gw_body *b = req->body;
	if (b == NULL || !b->finished || !b->has_checksum)
		return false;
	*alg = b->checksum_alg;
	gw_cksum_set_base64(&b->sums, b->checksum_alg, b64);
	return true;
}

const uint8_t *gw_body_digest(const struct gw_request *req, enum gw_cksum_alg alg)
{
	ASSERT(req->body != NULL && req->body->finished);
	return gw_cksum_set_digest(&req->body->sums, alg);
}
