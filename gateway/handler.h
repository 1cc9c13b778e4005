/*
 * handler.h — what an S3 operation's handler is to the server.
 *
 * The server owns the HTTP exchange: it parses the request, authenticates
 * it, feeds the body, renders errors and logs.  A handler owns the
 * operation's meaning.  Handlers return an s3_error; they never write error
 * XML (STYLE: S3 errors are data).
 */
#ifndef VS_GATEWAY_HANDLER_H
#define VS_GATEWAY_HANDLER_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/request.h"

struct gw_handler {
	/*
	 * How the body is delivered: not at all (it is still verified against
	 * its signature and checksums, then dropped), buffered whole
	 * into req->small_body up to small_body_max bytes (XML bodies), or
	 * streamed to body() piece by piece (object data).
	 */
	size_t small_body_max;
	bool streams_body;
	/* Digests to compute over the body besides MD5 and what the client
	 * declares (GW_CKSUM_BIT mask; see body.h). */
	unsigned body_checksums;
	/* Called once the headers are in and the request is authenticated. */
	enum s3_error (*begin)(struct gw_request *req);
	/* Streamed body bytes (already decoded from aws-chunked). */
	enum s3_error (*body)(struct gw_request *req, const char *data, size_t len);
	/* After the whole body arrived: set req->response. */
	enum s3_error (*finish)(struct gw_request *req);
};

/* The handler of op, or NULL if VeriStore does not implement it. */
const struct gw_handler *gw_handler_for(enum s3_op op);

/*
 * Called once per authenticated request before its handler begins: starts
 * the store's read session on this thread (gateway/store.h), so a request
 * pays for one linearizable read point, not one per store read.
 */
void gw_handler_request_begin(struct gw_request *req);

#endif /* VS_GATEWAY_HANDLER_H */
