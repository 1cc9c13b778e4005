/*
 * auth.c — SigV4 verification of a libmicrohttpd request.
 */
#include "gateway/auth.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/app.h"
#include "gateway/sigv4.h"

/* More headers than this is no S3 client; refusing bounds the work. */
#define AUTH_HEADERS_MAX 128

struct header_list {
	struct sigv4_header h[AUTH_HEADERS_MAX];
	size_t n;
	bool overflow;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *name,
				      const char *value)
{
	(void)kind;
	struct header_list *l = cls;
	if (l->n == AUTH_HEADERS_MAX) {
		l->overflow = true;
		return MHD_NO;
	}
	l->h[l->n++] = (struct sigv4_header){name, value ? value : ""};
	return MHD_YES;
}

/* The single key pair from the configuration; constant-time compare. */
static int lookup_secret(void *arg, const char *access_key, char *secret)
{
	const struct gw_config *cfg = arg;
	size_t n = strlen(cfg->access_key);
	if (strlen(access_key) != n || !sigv4_equal(access_key, cfg->access_key, n))
		return -ENOENT;
	size_t sn = strlen(cfg->secret_key);
	if (sn > SIGV4_SECRET_MAX)
		return -ENOENT;
	memcpy(secret, cfg->secret_key, sn + 1);
	return 0;
}

static enum s3_error map_error(struct gw_request *req, int rc, const struct gw_config *cfg)
{
	switch (rc) {
	case SIGV4_ERR_ANONYMOUS:
	case SIGV4_ERR_DATE:
	case SIGV4_ERR_UNSIGNED_HEADER:
		return S3_ACCESS_DENIED;
	case SIGV4_ERR_EXPIRED:
		req->error_message = "Request has expired";
		return S3_ACCESS_DENIED;
	case SIGV4_ERR_MALFORMED:
		return S3_AUTHORIZATION_HEADER_MALFORMED;
	case SIGV4_ERR_REGION:
		/* S3 names the right region; s3cmd retries there. */
		req->error_message = "The authorization header is malformed; the region is wrong.";
		req->error_field = "Region";
		snprintf(req->error_field_value, sizeof req->error_field_value, "%s", cfg->region);
		return S3_AUTHORIZATION_HEADER_MALFORMED;
	case SIGV4_ERR_QUERY_MALFORMED:
		return S3_AUTHORIZATION_QUERY_PARAMETERS_ERROR;
	case SIGV4_ERR_ACCESS_KEY:
		return S3_INVALID_ACCESS_KEY_ID;
	case SIGV4_ERR_SIGNATURE:
		return S3_SIGNATURE_DOES_NOT_MATCH;
	case SIGV4_ERR_SKEW:
		return S3_REQUEST_TIME_TOO_SKEWED;
	case SIGV4_ERR_CONTENT_SHA256_INVALID:
		req->error_message = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
				     "STREAMING-*-PAYLOAD* or a valid sha256 value.";
		return S3_INVALID_ARGUMENT;
	case SIGV4_ERR_CONTENT_SHA256_MISSING:
		req->error_message = "Missing required header for this request: x-amz-content-sha256";
		return S3_INVALID_REQUEST;
	case SIGV4_ERR_UNSUPPORTED:
		req->error_message = "Please use AWS4-HMAC-SHA256.";
		return S3_INVALID_REQUEST;
	case SIGV4_ERR_TOO_LARGE:
		return S3_REQUEST_HEADER_TOO_LARGE;
	default:
		return S3_INTERNAL_ERROR;
	}
}

enum s3_error gw_auth_verify(struct gw_request *req)
{
	struct gw_app *app = gw_app_of(req);
	const struct gw_config *cfg = app->cfg;
	struct header_list *headers = malloc(sizeof *headers);
	if (headers == NULL)
		return S3_INTERNAL_ERROR;
	headers->n = 0;
	headers->overflow = false;
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, collect_header, headers);
	if (headers->overflow) {
		free(headers);
		return S3_REQUEST_HEADER_TOO_LARGE;
	}
	struct sigv4_config sc = {
		.region = cfg->region_configured ? cfg->region : NULL,
		.service = "s3",
		.lookup = lookup_secret,
		.lookup_arg = (void *)cfg,
		.cache = app->key_cache,
	};
	struct sigv4_request sr = {
		.method = req->method,
		.target = req->raw_target,
		.headers = headers->h,
		.header_count = headers->n,
	};
	int rc = sigv4_verify(&sc, &sr, (int64_t)time(NULL), &req->auth);
	free(headers);
	return rc == 0 ? S3_OK : map_error(req, rc, cfg);
}
