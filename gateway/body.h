/*
 * body.h — the request body pipeline: what arrives on the wire becomes the
 * bytes the handler stores, verified on the way.
 *
 *   wire bytes -> [aws-chunked decoder: framing, chunk signatures, trailers]
 *              -> checksum set (MD5 always; the payload SHA-256, Content-MD5
 *                 and x-amz-checksum-* the client declared, in a header or a
 *                 trailer) -> the handler's sink
 *
 * Nothing may be committed before gw_body_finish() returns S3_OK: decoded
 * bytes reach the sink before their chunk signature, the payload hash or the
 * declared checksums can be checked (aws_chunked.h).  Memory is bounded: the
 * decoder holds one line, the digests a few hundred bytes.
 */
#ifndef VS_GATEWAY_BODY_H
#define VS_GATEWAY_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/checksum.h"
#include "gateway/request.h"

/* Receives decoded body bytes; a non-OK return stops the request. */
typedef enum s3_error (*gw_body_sink)(struct gw_request *req, const char *data, size_t len);

/*
 * Sets up req->body for the authenticated request req (req->auth filled):
 * decoding per the payload mode, and the digests the headers declare.
 * extra_mask adds algorithms to compute (GW_CKSUM_BIT(...)), e.g. the
 * checksum algorithm of a multipart upload.  Errors: InvalidDigest,
 * InvalidRequest (two checksum headers, a malformed one), InvalidArgument.
 */
enum s3_error gw_body_begin(struct gw_request *req, gw_body_sink sink, unsigned extra_mask);
/*
 * Before any body byte: makes alg the body's checksum (computed, and
 * returned by gw_body_checksum) unless the client declared one.  A declared
 * checksum of another algorithm is InvalidRequest (UploadPart into an
 * upload created with a checksum algorithm: S3 keeps one per upload).
 */
enum s3_error gw_body_require_checksum(struct gw_request *req, enum gw_cksum_alg alg);
/* Feeds wire bytes (only after gw_body_begin). */
enum s3_error gw_body_feed(struct gw_request *req, const char *data, size_t len);
/* The body ended: verify everything.  S3_OK means the body may be committed. */
enum s3_error gw_body_finish(struct gw_request *req);
/* Frees req->body; NULL-safe (called when the request is freed). */
void gw_body_free(struct gw_body *b);

/* Decoded bytes delivered so far. */
uint64_t gw_body_decoded_bytes(const struct gw_request *req);
/* After finish: the body's MD5 as 32 lowercase hex digits and a NUL. */
void gw_body_md5_hex(const struct gw_request *req, char out[33]);
/* After finish: the body's raw MD5 (16 bytes). */
const uint8_t *gw_body_md5(const struct gw_request *req);
/*
 * After finish: the x-amz-checksum the client declared or asked for
 * (x-amz-checksum-<alg>, x-amz-sdk-checksum-algorithm, x-amz-trailer), with
 * its computed value in base64 (GW_CKSUM_B64_MAX bytes).  false if none.
 */
bool gw_body_checksum(const struct gw_request *req, enum gw_cksum_alg *alg, char *b64);
/* After finish: the raw digest of alg, which must have been computed. */
const uint8_t *gw_body_digest(const struct gw_request *req, enum gw_cksum_alg alg);

#endif /* VS_GATEWAY_BODY_H */
