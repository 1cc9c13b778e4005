/*
 * http_util.h — small HTTP and S3 formats the handlers share: dates, ETags,
 * ranges, conditional headers, and mapping object-layer errors to S3 ones.
 */
#ifndef VS_GATEWAY_HTTP_UTIL_H
#define VS_GATEWAY_HTTP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/object.h"
#include "gateway/request.h"
#include "gateway/s3_error.h"

/* "Tue, 24 Nov 2026 15:30:01 GMT" (RFC 7231 IMF-fixdate); room for any year. */
#define GW_HTTP_DATE_BYTES 48
void gw_http_date_format(int64_t unix_s, char out[GW_HTTP_DATE_BYTES]);
/* Parses IMF-fixdate, RFC 850 and asctime forms; 0 and *unix_s, or -1. */
int gw_http_date_parse(const char *s, int64_t *unix_s);

/* Writes "\"etag\"" (quoted) into out (OBJ_ETAG_MAX + 2 bytes). */
void gw_etag_quote(const char *etag, char *out, size_t out_size);
/*
 * True if an If-Match / If-None-Match header value matches etag (unquoted):
 * "*" matches anything; a comma-separated list of quoted or bare ETags,
 * W/ weak prefixes ignored, as S3 compares them.
 */
bool gw_etag_list_matches(const char *header, const char *etag);

/*
 * Parses a Range header ("bytes=a-b", "bytes=a-", "bytes=-n").  A header
 * that is not a single byte range is ignored as S3 ignores it (*out kind
 * OBJ_RANGE_NONE); returns S3_OK or S3_INVALID_RANGE for a syntactically
 * valid but impossible one (a > b).
 */
enum s3_error gw_range_parse(const char *header, struct obj_range *out);

/*
 * Evaluates GET/HEAD conditional headers against an object (RFC 7232 §6 as
 * S3 applies it): If-Match / If-Unmodified-Since fail with 412, If-None-Match
 * / If-Modified-Since with 304; If-Match true overrides
 * If-Unmodified-Since false, If-None-Match false overrides
 * If-Modified-Since true.  prefix selects the header family: "" for
 * GET/HEAD, "x-amz-copy-source-" for copies (where every failure is 412).
 */
enum s3_error gw_conditions_check(const struct gw_request *req, const char *prefix,
				  const char *etag, int64_t mtime_ns);

/*
 * Reads a write's preconditions (PutObject, CopyObject, Complete): If-None-
 * Match: * (S3 supports no other value on writes: NotImplemented) and
 * If-Match, whose ETag is unquoted into etag_buf.  The object layer checks
 * them atomically with the commit.
 */
enum s3_error gw_write_conditions(struct gw_request *req, struct obj_cond *c, char *etag_buf,
				  size_t etag_size);

/* The S3 error for an object-layer or store return code. */
enum s3_error gw_obj_error(int rc);

/* Sets the response headers describing an object: ETag, Last-Modified,
 * Content-Type and the other stored content headers, x-amz-meta-*, and, when
 * the request asked (x-amz-checksum-mode: ENABLED), the checksum. */
int gw_object_headers(struct gw_request *req, const struct obj_meta *m, bool with_checksum);



/* The single owner every bucket and object reports (single tenant). */
#define GW_OWNER_ID "7665726973746f7265000000000000000000000000000000000000000000000000"
#define GW_OWNER_NAME "veristore"

/*
 * Makes an encoder's result the 200 response: rc is the s3xml encoder's
 * return, body/len its output (taken over).  Returns S3_OK or
 * S3_INTERNAL_ERROR when the encoder failed.
 */
enum s3_error gw_reply_xml(struct gw_request *req, int rc, char *body, size_t len);
#endif /* VS_GATEWAY_HTTP_UTIL_H */
