/*
 * sigv4_sign.c — the signing side of SigV4 (sigv4.h): the Authorization
 * header and presigned URLs, for our tests and the benchmark's load tool.
 * Verification (sigv4.c) is the server side; both share the public steps
 * sigv4_canonical_request / _string_to_sign / _signing_key / _signature.
 */
#include "gateway/sigv4.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine/assert.h"
#include "gateway/sigv4_parse.h"

#define ALGORITHM          "AWS4-HMAC-SHA256"
#define SIGNED_HEADERS_MAX SIGV4_SIGNED_HEADERS_MAX

/* "20130524T000000Z": digits where digits belong. */
static bool amz_date_shaped(const char *s)
{
	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return false;
	for (int i = 0; i < 15; i++)
		if (i != 8 && !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int lower_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted, de-duplicated, lowercased names of req's headers. */
static int signed_header_list(const struct sigv4_request *req, char *out,
                              size_t cap)
{
	if (req->header_count == 0 || req->header_count > 256)
		return -EINVAL;
	char *names[256];
	char store[256][64];
	for (size_t i = 0; i < req->header_count; i++) {
		const char *n = req->headers[i].name;
		size_t l = strlen(n);
		if (l == 0 || l >= 64)
			return -EINVAL;
		for (size_t k = 0; k <= l; k++)
			store[i][k] = (char)tolower((unsigned char)n[k]);
		names[i] = store[i];
	}
	qsort(names, req->header_count, sizeof(names[0]), lower_cmp);
	size_t o = 0;
	for (size_t i = 0; i < req->header_count; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		int n =
		    snprintf(out + o, cap - o, "%s%s", o ? ";" : "", names[i]);
		if (n < 0 || (size_t)n >= cap - o)
			return -ENOSPC;
		o += (size_t)n;
	}
	return 0;
}

static int sign_common(const struct sigv4_signer *s,
                       const struct sigv4_request *req, const char *signed_list,
                       const char *payload_hash, bool presigned, char *scope,
                       char *sig)
{
	const char *service = s->service ? s->service : "s3";
	if (!amz_date_shaped(s->amz_date) ||
	    strlen(s->secret) > SIGV4_SECRET_MAX)
		return -EINVAL;
	char date8[9];
	memcpy(date8, s->amz_date, 8);
	date8[8] = '\0';
	snprintf(scope, SIGV4_SCOPE_MAX + 1, "%s/%s/%s/aws4_request", date8,
	         s->region, service);
	char *creq = NULL;
	int rc = sigv4_canonical_request(req, signed_list, payload_hash,
	                                 presigned, &creq);
	if (rc != 0)
		return rc;
	char sts[256];
	rc = sigv4_string_to_sign(s->amz_date, scope, creq, sts, sizeof(sts));
	free(creq);
	if (rc != 0)
		return rc;
	uint8_t key[32];
	sigv4_signing_key(s->secret, date8, s->region, service, key);
	sigv4_signature(key, sts, sig);
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

int sigv4_sign_header(const struct sigv4_signer *s,
                      const struct sigv4_request *req, const char *payload_hash,
                      char *out, size_t out_cap, char *sig_hex)
{
	char list[SIGNED_HEADERS_MAX + 1];
	int rc = signed_header_list(req, list, sizeof(list));
	if (rc != 0)
		return rc;
	char scope[SIGV4_SCOPE_MAX + 1], sig[SIGV4_HEX_LEN + 1];
	rc = sign_common(s, req, list, payload_hash, false, scope, sig);
	if (rc != 0)
		return rc;
	int n = snprintf(out, out_cap,
	                 ALGORITHM
	                 " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
	                 s->access_key, scope, list, sig);
	if (n < 0 || (size_t)n >= out_cap)
		return -ENOSPC;
	if (sig_hex != NULL)
		memcpy(sig_hex, sig, sizeof(sig));
	return 0;
}

/* Appends s URI-encoded (unreserved bytes kept) at out[*o], bounded. */
static void enc_append(char *out, size_t cap, size_t *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (*o + 4 > cap) {
			*o = cap;
			return;
		}
		if (isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			out[(*o)++] = (char)c;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[c >> 4];
			out[(*o)++] = hex[c & 15];
		}
	}
	out[*o] = '\0';
}

static void raw_append(char *out, size_t cap, size_t *o, const char *s)
{
	size_t n = strlen(s);
	if (*o + n + 1 > cap) {
		*o = cap;
		return;
	}
	memcpy(out + *o, s, n + 1);
	*o += n;
}

int sigv4_presign(const struct sigv4_signer *s, const struct sigv4_request *req,
                  unsigned expires_s, char *out, size_t out_cap)
{
	if (expires_s > SIGV4_EXPIRES_MAX)
		return -EINVAL;
	char list[SIGNED_HEADERS_MAX + 1];
	int rc = signed_header_list(req, list, sizeof(list));
	if (rc != 0)
		return rc;
	const char *service = s->service ? s->service : "s3";
	char cred[SIGV4_SCOPE_MAX + SIGV4_ACCESS_KEY_MAX + 2];
	snprintf(cred, sizeof(cred), "%s/%.8s/%s/%s/aws4_request",
	         s->access_key, s->amz_date, s->region, service);
	char exp[16];
	snprintf(exp, sizeof(exp), "%u", expires_s);
	/* The target with every auth parameter but the signature; the
	 * signature is appended after signing it. */
	size_t cap = strlen(req->target) + 1024, o = 0;
	char *t = malloc(cap);
	if (t == NULL)
		return -ENOMEM;
	t[0] = '\0';
	raw_append(t, cap, &o, req->target);
	raw_append(t, cap, &o, strchr(req->target, '?') ? "&" : "?");
	raw_append(t, cap, &o,
	           "X-Amz-Algorithm=" ALGORITHM "&X-Amz-Credential=");
	enc_append(t, cap, &o, cred);
	raw_append(t, cap, &o, "&X-Amz-Date=");
	enc_append(t, cap, &o, s->amz_date);
	raw_append(t, cap, &o, "&X-Amz-Expires=");
	raw_append(t, cap, &o, exp);
	raw_append(t, cap, &o, "&X-Amz-SignedHeaders=");
	enc_append(t, cap, &o, list);
	if (o >= cap) {
		free(t);
		return -ENOSPC;
	}
	struct sigv4_request r = *req;
	r.target = t;
	char scope[SIGV4_SCOPE_MAX + 1], sig[SIGV4_HEX_LEN + 1];
	rc = sign_common(s, &r, list, "UNSIGNED-PAYLOAD", true, scope, sig);
	if (rc == 0) {
		int n = snprintf(out, out_cap, "%s&X-Amz-Signature=%s", t, sig);
		if (n < 0 || (size_t)n >= out_cap)
			rc = -ENOSPC;
	}
	free(t);
	return rc;
}
