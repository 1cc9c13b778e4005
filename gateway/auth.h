/*
 * auth.h — authenticating a request with SigV4 (gateway/sigv4.h) against
 * the server's credentials, and mapping every failure to the S3 error real
 * S3 answers, so that clients that branch on codes (s3cmd retrying in the
 * region an AuthorizationHeaderMalformed names) behave.
 */
#ifndef VS_GATEWAY_AUTH_H
#define VS_GATEWAY_AUTH_H

#include "gateway/request.h"

/*
 * Verifies req's Authorization header or presigned query at the current
 * time.  On success fills req->auth; on failure returns the S3 error and
 * may set req->error_message / req->error_field (the expected Region).
 */
enum s3_error gw_auth_verify(struct gw_request *req);

#endif /* VS_GATEWAY_AUTH_H */
