/*
 * sigv4_parse.c — parsing the SigV4 parts of a request: dates, the
 * Authorization header, presigned query parameters and the payload hash
 * header.  See sigv4_parse.h; the S3 API reference pages cited in sigv4.h
 * define the formats.
 */
#include "gateway/sigv4_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/assert.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- dates ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil), so no libc time zone state is touched. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

static bool civil_valid(unsigned y, unsigned mo, unsigned d, unsigned h,
                        unsigned mi, unsigned s)
{
	return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 &&
	       d <= 31 && h <= 23 && mi <= 59 && s <= 60;
}

/* "20130524T000000Z" → Unix seconds; false if malformed. */
bool sigv4_parse_amz_date(const char *s, int64_t *t)
{
	unsigned y, mo, d, h, mi, se;
	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' ||
	    !digits(s, 4, &y) || !digits(s + 4, 2, &mo) ||
	    !digits(s + 6, 2, &d) || !digits(s + 9, 2, &h) ||
	    !digits(s + 11, 2, &mi) || !digits(s + 13, 2, &se) ||
	    !civil_valid(y, mo, d, h, mi, se))
		return false;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

/* RFC 7231 IMF-fixdate "Fri, 24 May 2013 00:00:00 GMT" → amz form. */
bool sigv4_parse_http_date(const char *s, char amz[17])
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned d, y, h, mi, se;
	if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
	    strcmp(s + 25, " GMT") != 0 || !digits(s + 5, 2, &d) ||
	    !digits(s + 12, 4, &y) || !digits(s + 17, 2, &h) ||
	    !digits(s + 20, 2, &mi) || !digits(s + 23, 2, &se))
		return false;
	unsigned mo = 0;
	for (unsigned i = 0; i < 12; i++)
		if (strncmp(months + 3 * i, s + 8, 3) == 0)
			mo = i + 1;
	if (mo == 0 || !civil_valid(y, mo, d, h, mi, se))
		return false;
	snprintf(amz, 17, "%04u%02u%02uT%02u%02u%02uZ", y % 10000u, mo % 100u,
	         d % 100u, h % 100u, mi % 100u, se % 100u);
	return true;
}

/* ---- request parsing ---- */

const char *sigv4_header_get(const struct sigv4_request *req, const char *name)
{
	for (size_t i = 0; i < req->header_count; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

static bool copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	if (n == 0 || n >= cap)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* "AK/20130524/us-east-1/s3/aws4_request"; the access key is what precedes
 * the last four components. */
static bool parse_credential(const char *s, size_t n,
                             struct sigv4_parsed_auth *p)
{
	const char *slash[4];
	size_t k = 0;
	for (size_t i = n; i-- > 0 && k < 4;)
		if (s[i] == '/')
			slash[k++] = s + i;
	if (k != 4)
		return false;
	const char *end = s + n;
	unsigned dummy;
	if ((size_t)(end - slash[0] - 1) != 12 ||
	    memcmp(slash[0] + 1, "aws4_request", 12) != 0)
		return false;
	if (!copy_field(p->service, sizeof(p->service), slash[1] + 1,
	                (size_t)(slash[0] - slash[1] - 1)) ||
	    !copy_field(p->region, sizeof(p->region), slash[2] + 1,
	                (size_t)(slash[1] - slash[2] - 1)) ||
	    !copy_field(p->date8, sizeof(p->date8), slash[3] + 1,
	                (size_t)(slash[2] - slash[3] - 1)) ||
	    strlen(p->date8) != 8 || !digits(p->date8, 8, &dummy) ||
	    !copy_field(p->access_key, sizeof(p->access_key), s,
	                (size_t)(slash[3] - s)))
		return false;
	return true;
}

static bool valid_signed_headers(const char *s)
{
	if (*s == '\0' || *s == ';')
		return false;
	for (const char *c = s; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') ||
		          (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
		          *c == '.' ||
		          (*c == ';' && c[1] != ';' && c[1] != '\0');
		if (!ok)
			return false;
	}
	return true;
}

static bool valid_hex_sig(const char *s)
{
	if (strlen(s) != SIGV4_HEX_LEN)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	return true;
}

/*
 * Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
 * Signature=...  Real clients vary the separators (", " or ","; extra
 * spaces); the three components may come in any order, once each.
 */
int sigv4_parse_authorization(const char *v, struct sigv4_parsed_auth *p)
{
	while (*v == ' ')
		v++;
	size_t alen = strlen(ALGORITHM);
	if (strncmp(v, ALGORITHM, alen) != 0 ||
	    (v[alen] != ' ' && v[alen] != '\t'))
		return strncmp(v, "AWS4-", 5) == 0 ? SIGV4_ERR_MALFORMED
		                                   : SIGV4_ERR_UNSUPPORTED;
	v += alen;
	unsigned seen = 0;
	for (int guard = 0; guard < 16; guard++) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		if (*v == '\0')
			break;
		const char *eq = strchr(v, '=');
		if (eq == NULL)
			return SIGV4_ERR_MALFORMED;
		const char *val = eq + 1;
		const char *end = val;
		while (*end && *end != ',')
			end++;
		const char *vend = end;
		while (vend > val && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		size_t klen = (size_t)(eq - v), vlen = (size_t)(vend - val);
		unsigned bit;
		bool ok;
		if (klen == 10 && memcmp(v, "Credential", 10) == 0) {
			bit = 1;
			ok = parse_credential(val, vlen, p);
		} else if (klen == 13 && memcmp(v, "SignedHeaders", 13) == 0) {
			bit = 2;
			ok = copy_field(p->signed_headers,
			                sizeof(p->signed_headers), val, vlen) &&
			     valid_signed_headers(p->signed_headers);
		} else if (klen == 9 && memcmp(v, "Signature", 9) == 0) {
			bit = 4;
			ok = copy_field(p->signature, sizeof(p->signature), val,
			                vlen) &&
			     valid_hex_sig(p->signature);
		} else {
			return SIGV4_ERR_MALFORMED;
		}
		if (!ok || (seen & bit))
			return SIGV4_ERR_MALFORMED;
		seen |= bit;
		v = end;
	}
	return seen == 7 ? 0 : SIGV4_ERR_MALFORMED;
}

/*
 * Finds query parameter name (exact, after decoding the name) and decodes
 * its value into buf.  Returns 1 if found, 0 if absent, -1 if present
 * twice or its value does not fit.
 */
int sigv4_query_get(const char *q, const char *name, char *buf, size_t cap)
{
	int found = 0;
	size_t qlen = strlen(q);
	for (size_t i = 0; i < qlen;) {
		size_t j = i;
		while (j < qlen && q[j] != '&')
			j++;
		const char *eq = memchr(q + i, '=', j - i);
		size_t nlen = eq ? (size_t)(eq - (q + i)) : j - i;
		if (j > i && sigv4_qname_is(q + i, nlen, name)) {
			if (found++)
				return -1;
			const char *v = eq ? eq + 1 : q + j;
			size_t vlen = eq ? (size_t)(q + j - v) : 0, o = 0;
			for (size_t k = 0; k < vlen; k++, o++) {
				if (o + 1 >= cap)
					return -1;
				char c = v[k];
				if (c == '%' && k + 2 < vlen &&
				    hexval(v[k + 1]) >= 0 &&
				    hexval(v[k + 2]) >= 0) {
					c = (char)(hexval(v[k + 1]) << 4 |
					           hexval(v[k + 2]));
					k += 2;
				} else if (c == '+') {
					c = ' ';
				}
				buf[o] = c;
			}
			buf[o] = '\0';
		}
		i = j + 1;
	}
	return found;
}

bool sigv4_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ';');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && memcmp(p, name, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

int sigv4_parse_payload(const char *v, struct sigv4_auth *out)
{
	static const struct {
		const char *s;
		enum sigv4_payload mode;
	} modes[] = {
	    {"UNSIGNED-PAYLOAD", SIGV4_PAYLOAD_UNSIGNED},
	    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", SIGV4_PAYLOAD_STREAMING},
	    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
	     SIGV4_PAYLOAD_STREAMING_TRAILER},
	    {"STREAMING-UNSIGNED-PAYLOAD-TRAILER",
	     SIGV4_PAYLOAD_STREAMING_UNSIGNED_TRAILER},
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(v, modes[i].s) == 0) {
			out->payload = modes[i].mode;
			return 0;
		}
	}
	if (strlen(v) != 64)
		return SIGV4_ERR_CONTENT_SHA256_INVALID;
	for (size_t i = 0; i < 32; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return SIGV4_ERR_CONTENT_SHA256_INVALID;
		out->payload_sha256[i] = (uint8_t)(hi << 4 | lo);
	}
	out->payload = SIGV4_PAYLOAD_SHA256;
	return 0;
}

int sigv4_parse_presigned(const char *q, struct sigv4_presigned_params *pp,
                          int64_t *t, unsigned *expires)
{
	struct sigv4_parsed_auth *p = &pp->p;
	if (sigv4_query_get(q, "X-Amz-Algorithm", pp->algorithm,
	                    sizeof(pp->algorithm)) != 1 ||
	    sigv4_query_get(q, "X-Amz-Credential", pp->credential,
	                    sizeof(pp->credential)) != 1 ||
	    sigv4_query_get(q, "X-Amz-Date", pp->date, sizeof(pp->date)) != 1 ||
	    sigv4_query_get(q, "X-Amz-Expires", pp->expires,
	                    sizeof(pp->expires)) != 1 ||
	    sigv4_query_get(q, "X-Amz-SignedHeaders", p->signed_headers,
	                    sizeof(p->signed_headers)) != 1 ||
	    sigv4_query_get(q, "X-Amz-Signature", p->signature,
	                    sizeof(p->signature)) != 1)
		return SIGV4_ERR_QUERY_MALFORMED;
	if (strcmp(pp->algorithm, ALGORITHM) != 0)
		return SIGV4_ERR_QUERY_MALFORMED;
	size_t elen = strlen(pp->expires);
	if (!parse_credential(pp->credential, strlen(pp->credential), p) ||
	    !sigv4_parse_amz_date(pp->date, t) ||
	    !valid_signed_headers(p->signed_headers) ||
	    !valid_hex_sig(p->signature) || elen == 0 || elen > 7 ||
	    !digits(pp->expires, elen, expires) || *expires > SIGV4_EXPIRES_MAX)
		return SIGV4_ERR_QUERY_MALFORMED;
	return 0;
}

/* Is the raw (still encoded) parameter name equal to name, case-sensitively
 * after decoding?  Used to drop X-Amz-Signature from presigned queries. */
bool sigv4_qname_is(const char *s, size_t n, const char *name)
{
	size_t k = 0, want = strlen(name);
	for (size_t i = 0; i < n; i++, k++) {
		char c = s[i];
		if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		}
		if (k >= want || name[k] != c)
			return false;
	}
	return k == want;
}
