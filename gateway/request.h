/*
 * request.h — one S3 request's state, from its first byte to its log line.
 *
 * The server creates a gw_request when libmicrohttpd reports the request
 * line (with the raw, still-encoded target: SigV4 signs the request exactly
 * as sent), fills it as headers and body arrive, hands it to the
 * operation's handler, and frees it in the completion callback, after the
 * response went out and the access log line is written.  Everything a
 * request allocates hangs off this struct, so nothing outlives it.
 */
#ifndef VS_GATEWAY_REQUEST_H
#define VS_GATEWAY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/route.h"
#include "gateway/s3_error.h"
#include "gateway/sigv4.h"

struct MHD_Connection;
struct gw_server;
struct gw_body;

#define GW_BUCKET_NAME_MAX 63
#define GW_KEY_BYTES_MAX 1024
#define GW_REQUEST_ID_LEN 16

/* One response header; name and value are owned by the response. */
struct gw_header {
	char *name;
	char *value;
};

/*
 * Streams a response body: fills buf with up to len bytes at offset pos and
 * returns how many, 0 at the end, or -1 on an error (the connection is then
 * closed: the status line is already out).
 */
typedef long (*gw_body_reader)(void *ctx, uint64_t pos, char *buf, size_t len);

struct gw_response {
	unsigned status;              /* 0 until a handler sets it */
	struct gw_header *headers;
	size_t header_count, header_cap;
	/* Either a buffer ... */
	char *body;                   /* malloc'd, owned; may be NULL */
	size_t body_len;
	/* ... or a stream of body_len bytes (reader != NULL). */
	gw_body_reader reader;
	void *reader_ctx;
	void (*reader_free)(void *ctx);
};

struct gw_request {
	struct gw_server *server;
	struct MHD_Connection *conn;
	char id[GW_REQUEST_ID_LEN + 1];
	uint64_t start_ns;            /* CLOCK_MONOTONIC, for the log's duration */

	/* As received. */
	char *raw_target;             /* path and query exactly as sent; owned */
	size_t raw_path_len;          /* the path part of raw_target */
	const char *method;           /* borrowed from libmicrohttpd */

	/* Parsed.  Query names are decoded; values stay raw (see below). */
	struct gw_query_arg {
		char *name;
		char *value_raw; /* NULL when the parameter has no '=' */
	} *query;
	size_t query_count;
	char bucket[GW_BUCKET_NAME_MAX + 2];
	char key[GW_KEY_BYTES_MAX + 1];
	size_t key_len;
	enum s3_op op;

	/* Authentication (gateway/auth.c) and the body pipeline (body.c). */
	struct sigv4_auth auth;
	struct gw_body *body;

	/* Body accounting. */
	uint64_t body_bytes;          /* received so far (as sent on the wire) */
	char *small_body;             /* buffered body of XML-bodied operations */
	size_t small_body_len, small_body_cap;

	/* Outcome. */
	enum s3_error error;          /* S3_OK, or the error answered */
	const char *error_message;    /* overrides the table's message; static */
	const char *error_field;      /* an extra <Field> in the error, e.g. Region */
	char error_field_value[80];
	bool started;                 /* headers processed, handler begun */
	enum s3_error pending_error;  /* to answer once the body is in */
	uint64_t drained_bytes;       /* body bytes dropped after pending_error */
	bool responded;               /* a response is queued */
	struct gw_response response;
	uint64_t bytes_sent;          /* response body bytes, for the log */

	/* The handler's own state, freed by handler_free if set. */
	void *handler_state;
	void (*handler_free)(void *state);
};

/* Adds a response header (copied).  0 or -ENOMEM. */
int gw_response_add_header(struct gw_response *r, const char *name, const char *value);
/* Replaces the value of header name if present (case-insensitive), else adds it. */
int gw_response_set_header(struct gw_response *r, const char *name, const char *value);
/* Sets a malloc'd body the response takes ownership of. */
void gw_response_set_body(struct gw_response *r, char *body, size_t len);
/* Frees everything the response owns and zeroes it. */
void gw_response_clear(struct gw_response *r);

/* A request header's value (case-insensitive name), or NULL.  Borrowed. */
const char *gw_request_header(const struct gw_request *req, const char *name);
/*
 * Whether query parameter name is present, and its value: raw (still
 * percent-encoded, as SigV4 needs it) or decoded as S3 decodes query values
 * ('+' is a space).  NULL if absent; "" if present without a value.  Raw is
 * borrowed; decoded is malloc'd for the caller to free (NULL also when the
 * escape is malformed: check gw_request_has_query first).
 */
bool gw_request_has_query(const struct gw_request *req, const char *name);
const char *gw_request_query_raw(const struct gw_request *req, const char *name);
char *gw_request_query_decoded(const struct gw_request *req, const char *name);

#endif /* VS_GATEWAY_REQUEST_H */
