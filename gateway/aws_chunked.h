/*
 * aws_chunked.h — a streaming decoder for S3's aws-chunked bodies
 * (Content-Encoding: aws-chunked), in the three modes x-amz-content-sha256
 * names (S3 API reference: sigv4-streaming, sigv4-streaming-trailers):
 *
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD: hex-size;chunk-signature=sig CRLF
 *     data CRLF ... then a zero-size chunk; each signature is
 *     HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" date "\n" scope "\n" prev "\n"
 *     sha256("") "\n" sha256(data)), chained from the seed signature;
 *   ...-PAYLOAD-TRAILER: the same, then trailer lines (name:value CRLF),
 *     x-amz-trailer-signature:sig CRLF, CRLF, the trailer signature chained
 *     from the zero chunk's;
 *   STREAMING-UNSIGNED-PAYLOAD-TRAILER: hex-size CRLF data CRLF ..., 0 CRLF,
 *     trailer lines, CRLF (what aws-cli and the SDKs send by default).
 *
 * Bytes go in as they arrive, in pieces of any size; decoded bytes come out
 * through sink->data as soon as they are seen, BEFORE their chunk's
 * signature is checked (it is known only at the chunk's end).  So:
 *
 *   THE CALLER MUST NOT COMMIT what it received until gw_chunked_finish()
 *   returns 0.  sink->verified(total) reports that every byte up to total
 *   passed its chunk signature (signed modes), so the caller may e.g. flush
 *   storage chunks early, but the commit point stays at finish: a later
 *   chunk may still fail, the length may be short, a trailer may be bad.
 *
 * Memory is bounded: one header or trailer line (GW_CHUNKED_LINE_MAX) and
 * up to GW_CHUNKED_TRAILERS_MAX trailers, never a chunk's data.
 * One thread at a time per decoder.
 */
#ifndef VS_GATEWAY_AWS_CHUNKED_H
#define VS_GATEWAY_AWS_CHUNKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/sigv4.h"

enum gw_chunked_mode {
	GW_CHUNKED_SIGNED,
	GW_CHUNKED_SIGNED_TRAILER,
	GW_CHUNKED_UNSIGNED_TRAILER,
};

/* Errors (module range -3200..-3299); gw_chunked_s3_code maps them. */
enum {
	GW_CHUNKED_ERR_FRAMING = -3201, /* malformed framing: IncompleteBody */
	GW_CHUNKED_ERR_INCOMPLETE =
	    -3202,                        /* body ended early: IncompleteBody */
	GW_CHUNKED_ERR_SIGNATURE = -3203, /* SignatureDoesNotMatch */
	GW_CHUNKED_ERR_CHUNK_SIZE = -3204, /* InvalidChunkSizeError */
	GW_CHUNKED_ERR_LENGTH =
	    -3205, /* != X-Amz-Decoded-Content-Length: IncompleteBody */
	GW_CHUNKED_ERR_TRAILER = -3206, /* MalformedTrailerError */
};
const char *gw_chunked_strerror(int err);
const char *gw_chunked_s3_code(int err);

#define GW_CHUNKED_LINE_MAX          1024
#define GW_CHUNKED_TRAILERS_MAX      8
#define GW_CHUNKED_TRAILER_NAME_MAX  64
#define GW_CHUNKED_TRAILER_VALUE_MAX 256
/* S3: every chunk but the last carries at least 8 KiB (sigv4-streaming). */
#define GW_CHUNKED_SIGNED_MIN  8192
#define GW_CHUNKED_DEFAULT_MAX (64u * 1024 * 1024)

struct gw_chunked_config {
	enum gw_chunked_mode mode;
	/* Signed modes: the verified request (key, date, scope, seed);
	 * copied at creation. */
	const struct sigv4_auth *auth;
	/* X-Amz-Decoded-Content-Length, or -1 when absent. */
	int64_t decoded_length;
	/* Smallest size of a chunk that is not the last data chunk; 0 picks
	 * GW_CHUNKED_SIGNED_MIN for signed modes and 1 for unsigned. */
	uint64_t chunk_bytes_min;
	/* Largest chunk accepted; 0 picks GW_CHUNKED_DEFAULT_MAX. */
	uint64_t chunk_bytes_max;
	/* x-amz-trailer: comma-separated trailer names that must arrive
	 * (e.g. "x-amz-checksum-crc32"), or NULL. */
	const char *trailer_names;
};

struct gw_chunked_sink {
	/* Decoded, not yet verified bytes; a non-zero return aborts. */
	int (*data)(void *arg, const uint8_t *p, size_t n);
	/* Every byte up to total passed its chunk signature; may be NULL. */
	int (*verified)(void *arg, uint64_t total);
	void *arg;
};

struct gw_chunked;

/* Creates a decoder; 0, -EINVAL (bad config) or -ENOMEM. */
int gw_chunked_new(const struct gw_chunked_config *cfg,
                   const struct gw_chunked_sink *sink, struct gw_chunked **out);
void gw_chunked_free(struct gw_chunked *d);

/*
 * Feeds len bytes of the body.  Returns 0, a GW_CHUNKED_ERR_*, or the
 * sink's error.  After an error the decoder stays failed (sticky).
 */
int gw_chunked_feed(struct gw_chunked *d, const void *buf, size_t len);

/*
 * The body ended.  Returns 0 when the framing is complete, every chunk and
 * trailer signature verified, the decoded length matches and every
 * declared trailer arrived: only then may the caller commit.
 */
int gw_chunked_finish(struct gw_chunked *d);

/*
 * The decoder mode for a verified request's payload mode: 0, or -EINVAL
 * when the payload is not streamed (SHA256 / UNSIGNED: a plain body).
 */
int gw_chunked_mode_from_payload(enum sigv4_payload payload,
                                 enum gw_chunked_mode *out);

/*
 * Parses an X-Amz-Decoded-Content-Length value strictly (decimal digits
 * only, at most 2^62): 0, or -EINVAL (a missing header is the
 * caller's decoded_length = -1).
 */
int gw_chunked_parse_length(const char *s, int64_t *out);

/* Decoded bytes so far. */
uint64_t gw_chunked_decoded_bytes(const struct gw_chunked *d);

/* After finish: the value of trailer name (case-insensitive), or NULL.
 * Borrowed until gw_chunked_free. */
const char *gw_chunked_trailer(const struct gw_chunked *d, const char *name);
size_t gw_chunked_trailer_count(const struct gw_chunked *d);
void gw_chunked_trailer_at(const struct gw_chunked *d, size_t i,
                           const char **name, const char **value);

#endif /* VS_GATEWAY_AWS_CHUNKED_H */
