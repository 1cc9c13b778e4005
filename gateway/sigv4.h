/*
 * sigv4.h — AWS Signature Version 4 for S3: verifying a request as it was
 * received (Authorization header or presigned query), and signing one (for
 * our tests and the benchmark's load tool).
 *
 * Pure and HTTP-library independent: the server hands in a view of the
 * request (method, raw request target, headers) and the current time; no
 * clock is read and nothing is logged here.  Specs: "Authenticating
 * Requests (AWS Signature Version 4)" in the S3 API reference — header auth
 * (sig-v4-header-based-auth), chunked upload (sigv4-streaming), trailers
 * (sigv4-streaming-trailers) and query auth (sigv4-query-string-auth).
 *
 * How a request handler uses this module with checksum.h and
 * aws_chunked.h (the commit point is always the end):
 *   1. sigv4_verify(); on error answer sigv4_s3_code(rc) (with
 *      <Region>cfg.region</Region> for SIGV4_ERR_REGION).
 *   2. gw_cksum_set_init(gw_cksum_mask_from_names(X-Amz-Trailer)), then
 *      declare x-amz-checksum-* / Content-MD5 headers;
 *      for SIGV4_PAYLOAD_SHA256 also gw_cksum_set_expect_payload_sha256(
 *      auth.payload_sha256).
 *   3. Plain body: feed it to the set.  Streaming payload modes
 *      (gw_chunked_mode_from_payload): feed the raw body to a gw_chunked
 *      decoder whose sink feeds the set; after gw_chunked_finish() == 0
 *      declare trailer checksums (gw_chunked_trailer) to the set.
 *   4. gw_cksum_set_finish() == 0: only now commit the object.
 *
 * S3 canonicalisation, which differs from other services: the path is NOT
 * normalised ("." / ".." / "//" kept) and is URI-encoded once.  We decode
 * the raw path's %XX escapes and re-encode every byte except the unreserved
 * set A-Za-z0-9-._~ and the literal '/' separators, so "/a%20b", "/a b" and
 * "/a%7eb" canonicalise as clients sign them ("/a%20b", "/a~b"); an encoded
 * slash "%2F" stays "%2F" (it is part of a segment, not a separator); a '+'
 * in the path is a literal plus ("%2B").  In the query, '+' means a space
 * (form encoding, as S3 decodes it) and canonicalises as "%20".
 */
#ifndef VS_GATEWAY_SIGV4_H
#define VS_GATEWAY_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One request header as received; names compare case-insensitively. */
struct sigv4_header {
	const char *name;
	const char *value;
};

/*
 * A view of a request; every pointer is borrowed for the call only.
 * target is the raw request-target exactly as on the request line
 * ("/bucket/key?uploads&x-id=Put"), not decoded: with libmicrohttpd take it
 * from MHD_OPTION_URI_LOG_CALLBACK, since the url argument is unescaped.
 */
struct sigv4_request {
	const char *method;
	const char *target;
	const struct sigv4_header *headers;
	size_t header_count;
};

/* What x-amz-content-sha256 (or a presigned URL) says about the body. */
enum sigv4_payload {
	SIGV4_PAYLOAD_SHA256,    /* hex SHA-256 of the body: verify it */
	SIGV4_PAYLOAD_UNSIGNED,  /* UNSIGNED-PAYLOAD, presigned URLs, and no
	                          * x-amz-content-sha256 at all (curl 7.88) */
	SIGV4_PAYLOAD_STREAMING, /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
	SIGV4_PAYLOAD_STREAMING_TRAILER,          /* ...-PAYLOAD-TRAILER */
	SIGV4_PAYLOAD_STREAMING_UNSIGNED_TRAILER, /* STREAMING-UNSIGNED-PAYLOAD-TRAILER
	                                           */
};

/*
 * Errors (module range -3000..-3099).  sigv4_s3_code maps each to the S3
 * error code the gateway answers; the S3 error table gives the status.
 */
enum {
	SIGV4_ERR_ANONYMOUS = -3001, /* no auth at all: AccessDenied */
	SIGV4_ERR_MALFORMED = -3002, /* AuthorizationHeaderMalformed */
	SIGV4_ERR_QUERY_MALFORMED =
	    -3003,                /* AuthorizationQueryParametersError */
	SIGV4_ERR_REGION = -3004, /* AuthorizationHeaderMalformed + <Region> */
	SIGV4_ERR_UNSUPPORTED =
	    -3005, /* other algorithms, SigV2: InvalidRequest */
	SIGV4_ERR_ACCESS_KEY = -3006, /* InvalidAccessKeyId */
	SIGV4_ERR_SIGNATURE = -3007,  /* SignatureDoesNotMatch */
	SIGV4_ERR_SKEW = -3008,       /* RequestTimeTooSkewed */
	SIGV4_ERR_EXPIRED = -3009,    /* AccessDenied "Request has expired" */
	SIGV4_ERR_DATE = -3010,       /* no valid date: AccessDenied */
	SIGV4_ERR_UNSIGNED_HEADER =
	    -3011, /* host / date not signed: AccessDenied */
	/* Not returned by sigv4_verify (a missing x-amz-content-sha256 is
	 * accepted for curl 7.88, see sigv4.c); kept for the gateway's use. */
	SIGV4_ERR_CONTENT_SHA256_MISSING = -3012, /* InvalidRequest */
	SIGV4_ERR_CONTENT_SHA256_INVALID = -3013, /* InvalidArgument */
	SIGV4_ERR_TOO_LARGE =
	    -3014, /* request too large to canonicalise: InvalidRequest */
};
const char *sigv4_strerror(int err);
const char *sigv4_s3_code(int err);

#define SIGV4_HEX_LEN        64
#define SIGV4_ACCESS_KEY_MAX 128
#define SIGV4_SECRET_MAX     128
#define SIGV4_REGION_MAX     64
#define SIGV4_SERVICE_MAX    32
#define SIGV4_SCOPE_MAX                                                        \
	(8 + 1 + SIGV4_REGION_MAX + 1 + SIGV4_SERVICE_MAX + 1 + 12)
/* Presigned URLs live at most 7 days (sigv4-query-string-auth). */
#define SIGV4_EXPIRES_MAX 604800
/* Allowed clock difference: 15 minutes (RequestTimeTooSkewed). */
#define SIGV4_SKEW_MAX_S 900

/*
 * Looks up the secret of an access key: writes it NUL-terminated into
 * secret (capacity SIGV4_SECRET_MAX + 1) and returns 0, or -ENOENT.
 * Called from the verifying thread; must be thread-safe if verification is.
 */
typedef int (*sigv4_lookup_fn)(void *arg, const char *access_key, char *secret);

struct sigv4_key_cache;

struct sigv4_config {
	const char *region;  /* required region, or NULL: accept any */
	const char *service; /* scope service, NULL means "s3" */
	sigv4_lookup_fn lookup;
	void *lookup_arg;
	struct sigv4_key_cache *cache; /* optional signing-key cache */
};

/* The result of a successful verification; plain data, copyable. */
struct sigv4_auth {
	char access_key[SIGV4_ACCESS_KEY_MAX + 1];
	char amz_date[17]; /* 20130524T000000Z */
	char
	    scope[SIGV4_SCOPE_MAX + 1]; /* 20130524/us-east-1/s3/aws4_request */
	char region[SIGV4_REGION_MAX + 1];
	char seed_signature[SIGV4_HEX_LEN + 1]; /* chunk 1's "previous" */
	uint8_t signing_key[32];
	enum sigv4_payload payload;
	uint8_t payload_sha256[32]; /* when payload == SIGV4_PAYLOAD_SHA256 */
	bool presigned;
};

/*
 * Verifies req at time now (Unix seconds, from the caller's clock).
 * Returns 0 and fills *out, or a SIGV4_ERR_* / -ENOMEM.  On
 * SIGV4_ERR_REGION the expected region is cfg->region.  Thread-safe when
 * the lookup is.  Memory: O(size of the request's target and headers),
 * bounded by SIGV4_CANONICAL_MAX.
 */
int sigv4_verify(const struct sigv4_config *cfg,
                 const struct sigv4_request *req, int64_t now,
                 struct sigv4_auth *out);

#define SIGV4_CANONICAL_MAX (256 * 1024)

/*
 * The canonical request (SigV4 step 1) for req, signing the headers named
 * in signed_headers ("host;x-amz-date", lowercase, ';'-separated), with
 * payload_hash as its last line; presigned drops X-Amz-Signature from the
 * query.  Returns a malloc'd NUL-terminated string (caller frees) in *out,
 * or an error.  Exposed for tests and the signer.
 */
int sigv4_canonical_request(const struct sigv4_request *req,
                            const char *signed_headers,
                            const char *payload_hash, bool presigned,
                            char **out);

/* Step 2: the string to sign, written into out (capacity out_cap). */
int sigv4_string_to_sign(const char *amz_date, const char *scope,
                         const char *canonical_request, char *out,
                         size_t out_cap);

/* Step 3: the signing key HMAC chain ("AWS4"+secret, date, region, service). */
void sigv4_signing_key(const char *secret, const char *date8,
                       const char *region, const char *service,
                       uint8_t key[32]);

/* Step 4: hex HMAC-SHA256(key, string_to_sign) into hex (65 bytes). */
void sigv4_signature(const uint8_t key[32], const char *string_to_sign,
                     char *hex);

/* Lowercase hex SHA-256 of buf into hex (65 bytes). */
void sigv4_sha256_hex(const void *buf, size_t len, char *hex);

/*
 * The signing-key cache: at most `entries` keys, keyed by (SHA-256 of the
 * secret, date, region, service), so the four-HMAC derivation runs once
 * per key and day.  Thread-safe (one mutex).  sigv4_key_cache_free accepts
 * NULL.
 */
int sigv4_key_cache_new(size_t entries, struct sigv4_key_cache **out);
void sigv4_key_cache_free(struct sigv4_key_cache *c);

/* What to sign with. */
struct sigv4_signer {
	const char *access_key;
	const char *secret;
	const char *region;
	const char *service;  /* NULL means "s3" */
	const char *amz_date; /* 20130524T000000Z */
};

/*
 * Signs req (which must already carry host, x-amz-date and, for S3,
 * x-amz-content-sha256 headers; every header in req is signed, so pass only
 * the ones to sign) and writes the Authorization header value into out.
 * payload_hash is the x-amz-content-sha256 value.  Also returns the hex
 * signature in sig_hex (65 bytes) when not NULL: the seed for chunks.
 */
int sigv4_sign_header(const struct sigv4_signer *s,
                      const struct sigv4_request *req, const char *payload_hash,
                      char *out, size_t out_cap, char *sig_hex);

/*
 * Presigns: given req whose target has no X-Amz-* auth parameters yet,
 * writes the full target with X-Amz-Algorithm, -Credential, -Date,
 * -Expires, -SignedHeaders (every header in req, at least host) and
 * -Signature appended into out.  Payload UNSIGNED-PAYLOAD.
 */
int sigv4_presign(const struct sigv4_signer *s, const struct sigv4_request *req,
                  unsigned expires_s, char *out, size_t out_cap);

/*
 * Chunk signature (sigv4-streaming): HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n"
 * amz_date "\n" scope "\n" prev "\n" sha256("") "\n" hex(chunk_sha256)).
 */
void sigv4_chunk_signature(const uint8_t key[32], const char *amz_date,
                           const char *scope, const char *prev_hex,
                           const uint8_t chunk_sha256[32], char *hex);
/*
 * Trailer signature (sigv4-streaming-trailers): HMAC(key,
 * "AWS4-HMAC-SHA256-TRAILER\n" amz_date "\n" scope "\n" prev "\n"
 * hex(sha256(canonical trailers))), canonical trailers being
 * "name:value\n" per trailer in order received.
 */
void sigv4_trailer_signature(const uint8_t key[32], const char *amz_date,
                             const char *scope, const char *prev_hex,
                             const uint8_t trailers_sha256[32], char *hex);

/* Constant-time comparison of two equal-length strings. */
bool sigv4_equal(const char *a, const char *b, size_t len);

#endif /* VS_GATEWAY_SIGV4_H */
