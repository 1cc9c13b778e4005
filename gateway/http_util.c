/*
 * http_util.c — HTTP dates, ETags, ranges, conditional requests, and the
 * map from object-layer errors to S3 errors.
 */
#include "gateway/http_util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/assert.h"
#include "gateway/checksum.h"
#include "gateway/tagging.h"

void gw_http_date_format(int64_t unix_s, char out[GW_HTTP_DATE_BYTES])
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)unix_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, GW_HTTP_DATE_BYTES, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int gw_http_date_parse(const char *s, int64_t *unix_s)
{
	/* RFC 7231 §7.1.1.1: IMF-fixdate, then the two obsolete forms. */
	static const char *const formats[] = {"%a, %d %b %Y %H:%M:%S GMT",
					      "%A, %d-%b-%y %H:%M:%S GMT",
					      "%a %b %e %H:%M:%S %Y"};
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		const char *end = strptime(s, formats[i], &tm);
		if (end != NULL && *end == '\0') {
			*unix_s = (int64_t)timegm(&tm);
			return 0;
		}
	}
	return -1;
}

void gw_etag_quote(const char *etag, char *out, size_t out_size)
{
	snprintf(out, out_size, "\"%s\"", etag);
}

bool gw_etag_list_matches(const char *header, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = header;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		bool quoted = *p == '"';
		if (quoted)
			p++;
		const char *end = p;
		while (*end != '\0' && *end != (quoted ? '"' : ',') && !(!quoted && *end == ' '))
			end++;
		if ((size_t)(end - p) == elen && strncmp(p, etag, elen) == 0)
			return true;
		p = *end == '"' ? end + 1 : end;
	}
	return false;
}

static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	if (len == 0 || len > 19)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

enum s3_error gw_range_parse(const char *header, struct obj_range *out)
{
	out->kind = OBJ_RANGE_NONE;
	out->a = out->b = 0;
	if (header == NULL || strncmp(header, "bytes=", 6) != 0)
		return S3_OK;
	const char *spec = header + 6;
	if (strchr(spec, ',') != NULL)
		return S3_OK; /* multiple ranges: S3 serves the whole object */
	const char *dash = strchr(spec, '-');
	if (dash == NULL)
		return S3_OK;
	size_t alen = (size_t)(dash - spec), blen = strlen(dash + 1);
	uint64_t a = 0, b = 0;
	if (alen == 0) {
		if (parse_u64(dash + 1, blen, &a) != 0)
			return S3_OK;
		out->kind = OBJ_RANGE_SUFFIX;
		out->a = a;
		return S3_OK;
	}
	if (parse_u64(spec, alen, &a) != 0)
		return S3_OK;
	if (blen == 0) {
		out->kind = OBJ_RANGE_FROM;
		out->a = a;
		return S3_OK;
	}
	if (parse_u64(dash + 1, blen, &b) != 0)
		return S3_OK;
	if (a > b)
		return S3_OK; /* RFC 7233: an invalid range-spec is ignored */
	out->kind = OBJ_RANGE_FROM_TO;
	out->a = a;
	out->b = b;
	return S3_OK;
}

static const char *cond_header(const struct gw_request *req, const char *prefix,
			       const char *name, char *buf, size_t buf_size)
{
	snprintf(buf, buf_size, "%s%s", prefix, name);
	return gw_request_header(req, buf);
}

enum s3_error gw_conditions_check(const struct gw_request *req, const char *prefix,
				  const char *etag, int64_t mtime_ns)
{
	char name[96];
	bool copy = prefix[0] != '\0';
	int64_t mtime_s = mtime_ns / 1000000000;
	const char *if_match = cond_header(req, prefix, "if-match", name, sizeof name);
	const char *if_none = cond_header(req, prefix, "if-none-match", name, sizeof name);
	const char *if_unmod = cond_header(req, prefix, "if-unmodified-since", name, sizeof name);
	const char *if_mod = cond_header(req, prefix, "if-modified-since", name, sizeof name);
	int64_t t;
	/* RFC 7232 §6 steps 1-4, as S3 documents the combinations. */
	if (if_match != NULL) {
		if (!gw_etag_list_matches(if_match, etag))
			return S3_PRECONDITION_FAILED;
	} else if (if_unmod != NULL && gw_http_date_parse(if_unmod, &t) == 0 && mtime_s > t) {
		return S3_PRECONDITION_FAILED;
	}
	if (if_none != NULL) {
		if (gw_etag_list_matches(if_none, etag))
			return copy ? S3_PRECONDITION_FAILED : S3_NOT_MODIFIED;
	} else if (if_mod != NULL && gw_http_date_parse(if_mod, &t) == 0 && mtime_s <= t) {
		return copy ? S3_PRECONDITION_FAILED : S3_NOT_MODIFIED;
	}
	return S3_OK;
}

enum s3_error gw_obj_error(int rc)
{
	switch (rc) {
	case 0: return S3_OK;
	case OBJ_ENOBUCKET: return S3_NO_SUCH_BUCKET;
	case OBJ_ENOKEY: return S3_NO_SUCH_KEY;
	case OBJ_EBUCKETEXISTS: return S3_BUCKET_ALREADY_OWNED_BY_YOU;
	case OBJ_ENOTEMPTY: return S3_BUCKET_NOT_EMPTY;
	case OBJ_EBUCKETNAME: return S3_INVALID_BUCKET_NAME;
	case OBJ_EKEYNAME: return S3_KEY_TOO_LONG;
	case OBJ_EPRECONDITION: return S3_PRECONDITION_FAILED;
	case OBJ_ERANGE: return S3_INVALID_RANGE;
	case OBJ_EMETATOOLARGE: return S3_METADATA_TOO_LARGE;
	case OBJ_ENOUPLOAD: return S3_NO_SUCH_UPLOAD;
	case OBJ_EINVALIDPART: return S3_INVALID_PART;
	case OBJ_EPARTORDER: return S3_INVALID_PART_ORDER;
	case OBJ_ETOOSMALL: return S3_ENTITY_TOO_SMALL;
	case OBJ_EARGUMENT: return S3_INVALID_ARGUMENT;
	case OBJ_EUNAVAILABLE: return S3_SERVICE_UNAVAILABLE;
	case OBJ_ECONFLICT: return S3_CONDITIONAL_REQUEST_CONFLICT;
	case OBJ_ETOOLARGE: return S3_ENTITY_TOO_LARGE;
	default: return S3_INTERNAL_ERROR;
	}
}

static int add_if(struct gw_response *r, const char *name, const char *value)
{
	return value != NULL ? gw_response_add_header(r, name, value) : 0;
}

int gw_object_headers(struct gw_request *req, const struct obj_meta *m, bool with_checksum)
{
	struct gw_response *r = &req->response;
	char etag[OBJ_ETAG_MAX + 4], date[GW_HTTP_DATE_BYTES];
	gw_etag_quote(m->attrs.etag, etag, sizeof etag);
	gw_http_date_format(m->mtime_ns / 1000000000, date);
	int rc = gw_response_add_header(r, "ETag", etag);
	rc |= gw_response_add_header(r, "Last-Modified", date);
	rc |= gw_response_add_header(r, "Accept-Ranges", "bytes");
	rc |= gw_response_add_header(r, "Content-Type", m->attrs.content_type
							       ? m->attrs.content_type
							       : "binary/octet-stream");
	rc |= add_if(r, "Content-Encoding", m->attrs.content_encoding);
	rc |= add_if(r, "Content-Disposition", m->attrs.content_disposition);
	rc |= add_if(r, "Content-Language", m->attrs.content_language);
	rc |= add_if(r, "Cache-Control", m->attrs.cache_control);
	rc |= add_if(r, "Expires", m->attrs.expires);
	for (size_t i = 0; i < m->attrs.user_count; i++) {
		char name[256];
		snprintf(name, sizeof name, "x-amz-meta-%s", m->attrs.user[i].name);
		rc |= gw_response_add_header(r, name, m->attrs.user[i].value);
	}
	size_t tags = gw_tagging_count(m->attrs.tagging);
	if (tags > 0) {
		char n[24];
		snprintf(n, sizeof n, "%zu", tags);
		rc |= gw_response_add_header(r, "x-amz-tagging-count", n);
	}
	if (m->part_count > 0) {
		char n[16];
		snprintf(n, sizeof n, "%" PRIu32, m->part_count);
		rc |= gw_response_add_header(r, "x-amz-mp-parts-count", n);
	}
	if (with_checksum && m->attrs.checksum_algo != NULL && m->attrs.checksum_value != NULL) {
		char name[64];
		enum gw_cksum_alg alg;
		if (gw_cksum_alg_parse(m->attrs.checksum_algo, strlen(m->attrs.checksum_algo),
				       &alg) == 0 && gw_cksum_alg_header(alg) != NULL) {
			snprintf(name, sizeof name, "%s", gw_cksum_alg_header(alg));
			rc |= gw_response_add_header(r, name, m->attrs.checksum_value);
			/* A single PUT's checksum is always of the full object. */
			rc |= gw_response_add_header(r, "x-amz-checksum-type",
						     m->attrs.checksum_type
							     ? m->attrs.checksum_type
							     : "FULL_OBJECT");
		}
	}
	return rc == 0 ? 0 : -ENOMEM;
}

enum s3_error gw_reply_xml(struct gw_request *req, int rc, char *body, size_t len)
{
	if (rc != 0) {
		free(body);
		return S3_INTERNAL_ERROR;
	}
	req->response.status = 200;
	gw_response_set_body(&req->response, body, len);
	return gw_response_add_header(&req->response, "Content-Type", "application/xml") == 0
		       ? S3_OK
		       : S3_INTERNAL_ERROR;
}

/* If-None-Match: * and If-Match on a write (evaluated at the commit). */
enum s3_error gw_write_conditions(struct gw_request *req, struct obj_cond *c,
				      char *etag_buf, size_t etag_size)
{
	memset(c, 0, sizeof *c);
	const char *inm = gw_request_header(req, "if-none-match");
	if (inm != NULL) {
		if (strcmp(inm, "*") != 0)
			return S3_NOT_IMPLEMENTED; /* S3 supports only '*' on writes */
		c->if_none_match_any = true;
	}
	const char *im = gw_request_header(req, "if-match");
	if (im != NULL) {
		size_t n = strlen(im);
		if (n >= 2 && im[0] == '"' && im[n - 1] == '"') {
			im++;
			n -= 2;
		}
		if (n + 1 > etag_size)
			return S3_PRECONDITION_FAILED;
		memcpy(etag_buf, im, n);
		etag_buf[n] = '\0';
		c->if_match = etag_buf;
	}
	return S3_OK;
}

