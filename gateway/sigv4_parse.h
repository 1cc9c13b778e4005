/*
 * sigv4_parse.h — internal to gateway/: parsing what a SigV4 request
 * carries (dates, the Authorization header, presigned query parameters,
 * x-amz-content-sha256) for sigv4.c.  Everything here validates untrusted
 * bytes and fails with an error, never an assertion.
 */
#ifndef VS_GATEWAY_SIGV4_PARSE_H
#define VS_GATEWAY_SIGV4_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/sigv4.h"

#define SIGV4_SIGNED_HEADERS_MAX 4096

/* The components of an Authorization header or presigned query. */
struct sigv4_parsed_auth {
	char access_key[SIGV4_ACCESS_KEY_MAX + 1];
	char date8[9];
	char region[SIGV4_REGION_MAX + 1];
	char service[SIGV4_SERVICE_MAX + 1];
	char signed_headers[SIGV4_SIGNED_HEADERS_MAX + 1];
	char signature[SIGV4_HEX_LEN + 1];
};

/* The presigned query parameters, decoded. */
struct sigv4_presigned_params {
	char algorithm[32];
	char credential[SIGV4_SCOPE_MAX + SIGV4_ACCESS_KEY_MAX + 2];
	char date[20];
	char expires[16];
	struct sigv4_parsed_auth p;
};

/* "20130524T000000Z" → Unix seconds; false if malformed. */
bool sigv4_parse_amz_date(const char *s, int64_t *t);
/* IMF-fixdate "Fri, 24 May 2013 00:00:00 GMT" → "20130524T000000Z". */
bool sigv4_parse_http_date(const char *s, char amz[17]);
/* The first header named name (case-insensitive), or NULL; borrowed. */
const char *sigv4_header_get(const struct sigv4_request *req, const char *name);
/* Authorization: AWS4-HMAC-SHA256 ...; 0, SIGV4_ERR_MALFORMED or
 * SIGV4_ERR_UNSUPPORTED. */
int sigv4_parse_authorization(const char *v, struct sigv4_parsed_auth *p);
/* The presigned parameters of query q; 0 or SIGV4_ERR_QUERY_MALFORMED. */
int sigv4_parse_presigned(const char *q, struct sigv4_presigned_params *pp,
                          int64_t *t, unsigned *expires);
/* Query parameter name's decoded value into buf: 1 found, 0 absent, -1
 * repeated or too long for cap. */
int sigv4_query_get(const char *q, const char *name, char *buf, size_t cap);
/* Is name one of the ';'-separated list? */
bool sigv4_list_has(const char *list, const char *name);
/* An x-amz-content-sha256 value into out->payload (and payload_sha256). */
int sigv4_parse_payload(const char *v, struct sigv4_auth *out);
/* Does the raw (still %-encoded) s[0..n) decode to exactly name? */
bool sigv4_qname_is(const char *s, size_t n, const char *name);

#endif /* VS_GATEWAY_SIGV4_PARSE_H */
