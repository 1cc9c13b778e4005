/*
 * writer.c — the encoders' output buffer: XML text escaping, S3's URL
 * encoding, ISO 8601 times, all appended in one pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "xml/s3xml.h"
#include "xml/writer.h"

static bool xw_reserve(struct xw *w, size_t extra)
{
	if (w->err != 0)
		return false;
	if (w->cap - w->len > extra)
		return true;
	size_t cap = w->cap ? w->cap : 256;
	while (cap - w->len <= extra) {
		if (cap > SIZE_MAX / 2) {
			w->err = -ENOMEM;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(w->buf, cap);
	if (p == NULL) {
		w->err = -ENOMEM;
		return false;
	}
	w->buf = p;
	w->cap = cap;
	return true;
}

void xw_raw(struct xw *w, const char *s, size_t n)
{
	if (!xw_reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

void xw_str(struct xw *w, const char *s)
{
	xw_raw(w, s, strlen(s));
}

void xw_init(struct xw *w, size_t hint)
{
	w->buf = NULL;
	w->len = 0;
	w->cap = 0;
	w->err = 0;
	xw_reserve(w, hint < 256 ? 256 : hint);
	xw_str(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
}

int xw_finish(struct xw *w, char **body, size_t *body_len)
{
	if (w->err != 0) {
		free(w->buf);
		w->buf = NULL;
		return w->err;
	}
	ASSERT(w->buf != NULL && w->buf[w->len] == '\0');
	*body = w->buf;
	*body_len = w->len;
	w->buf = NULL;
	return 0;
}

/*
 * Length of the UTF-8 sequence at s (RFC 3629: shortest form, no surrogates,
 * at most U+10FFFF) and its code point, or 0 when invalid.
 */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2, v = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, v = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0; /* also stops at the NUL terminator */
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* XML 1.0 §2.2 Char, minus CR which parsers normalise (§2.11). */
static bool xml_char_literal(uint32_t cp)
{
	if (cp < 0x20)
		return cp == '\t' || cp == '\n';
	return cp != 0xFFFE && cp != 0xFFFF;
}

void xw_text(struct xw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p != '\0' && w->err == 0) {
		/* Copy the longest run that needs nothing done in one go. */
		size_t run = 0;
		while (p[run] >= 0x20 && p[run] < 0x80 && p[run] != '&' &&
		       p[run] != '<' && p[run] != '>' && p[run] != '"')
			run++;
		if (run > 0) {
			xw_raw(w, (const char *)p, run);
			p += run;
			continue;
		}
		uint32_t cp;
		size_t n = utf8_decode(p, &cp);
		if (n == 0) {
			w->err = S3XML_ERR_ENCODING;
			return;
		}
		if (cp == '&') {
			xw_raw(w, "&amp;", 5);
		} else if (cp == '<') {
			xw_raw(w, "&lt;", 4);
		} else if (cp == '>') {
			xw_raw(w, "&gt;", 4);
		} else if (cp == '"') {
			xw_raw(w, "&quot;", 6);
		} else if (!xml_char_literal(cp)) {
			char ref[16];
			int k =
			    snprintf(ref, sizeof(ref), "&#x%X;", (unsigned)cp);
			xw_raw(w, ref, (size_t)k);
		} else {
			xw_raw(w, (const char *)p, n);
		}
		p += n;
	}
}

static bool url_keep(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '*' || c == '/';
}

static const unsigned char *q_end(const unsigned char *p)
{
	return p + strlen((const char *)p);
}

/* Appends S3's URL encoding of s to w; see s3xml_url_encode. */
void xw_url(struct xw *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	if (w->err != 0)
		return;
	/* Validate first: the encoded form must still decode to UTF-8. */
	for (const unsigned char *q = p; *q != '\0';) {
		uint32_t cp;
		size_t n = utf8_decode(q, &cp);
		if (n == 0) {
			if (w->err == 0)
				w->err = S3XML_ERR_ENCODING;
			return;
		}
		q += n;
	}
	size_t len = (size_t)(q_end(p) - p);
	if (len > (SIZE_MAX - 1) / 3 || !xw_reserve(w, 3 * len))
		return;
	/* Worst case reserved: write straight into the buffer. */
	char *out = w->buf + w->len;
	for (; *p != '\0'; p++) {
		if (url_keep(*p)) {
			*out++ = (char)*p;
		} else if (*p == ' ') {
			*out++ = '+';
		} else {
			*out++ = '%';
			*out++ = hex[*p >> 4];
			*out++ = hex[*p & 15];
		}
	}
	w->len = (size_t)(out - w->buf);
	w->buf[w->len] = '\0';
}

char *s3xml_url_encode(const char *s)
{
	struct xw w = {0};
	xw_raw(&w, "", 0);
	xw_url(&w, s);
	if (w.err != 0) {
		free(w.buf);
		return NULL;
	}
	return w.buf;
}

/* A plain element name: asserted, since names come from code, not input. */
static void assert_name(const char *name)
{
	ASSERT(name != NULL && ((name[0] >= 'A' && name[0] <= 'Z') ||
	                        (name[0] >= 'a' && name[0] <= 'z')));
	for (const char *p = name; *p; p++)
		ASSERT((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		       (*p >= '0' && *p <= '9'));
}

void xw_open(struct xw *w, const char *name)
{
	assert_name(name);
	xw_raw(w, "<", 1);
	xw_str(w, name);
	xw_raw(w, ">", 1);
}

void xw_open_root(struct xw *w, const char *name, bool ns)
{
	assert_name(name);
	xw_raw(w, "<", 1);
	xw_str(w, name);
	if (ns)
		xw_str(w, " xmlns=\"" S3XML_NS "\"");
	xw_raw(w, ">", 1);
}

void xw_close(struct xw *w, const char *name)
{
	xw_raw(w, "</", 2);
	xw_str(w, name);
	xw_raw(w, ">", 1);
}

void xw_elem(struct xw *w, const char *name, const char *value)
{
	xw_open(w, name);
	if (value != NULL)
		xw_text(w, value);
	xw_close(w, name);
}

void xw_elem_opt(struct xw *w, const char *name, const char *value)
{
	if (value != NULL)
		xw_elem(w, name, value);
}

void xw_elem_key(struct xw *w, const char *name, const char *value, bool url)
{
	xw_open(w, name);
	if (value != NULL) {
		if (url)
			xw_url(w, value);
		else
			xw_text(w, value);
	}
	xw_close(w, name);
}

void xw_elem_u64(struct xw *w, const char *name, uint64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	xw_elem(w, name, num);
}

void xw_elem_bool(struct xw *w, const char *name, bool v)
{
	xw_elem(w, name, v ? "true" : "false");
}

void xw_elem_time(struct xw *w, const char *name, int64_t unix_ms)
{
	char t[S3XML_TIME_BYTES];
	int rc = s3xml_time_format_ms(unix_ms, t);
	if (rc != 0) {
		if (w->err == 0)
			w->err = rc;
		return;
	}
	xw_elem(w, name, t);
}

void xw_owner(struct xw *w, const char *name, const struct s3xml_owner *o)
{
	xw_open(w, name);
	xw_elem(w, "ID", o->id);
	xw_elem(w, "DisplayName", o->display_name);
	xw_close(w, name);
}

int64_t s3xml_ms_from_ns(int64_t unix_ns)
{
	int64_t ms = unix_ns / 1000000;
	if (unix_ns % 1000000 < 0)
		ms--; /* C division truncates toward zero; times round down */
	return ms;
}

/*
 * Proleptic Gregorian date of a day count from 1970-01-01 (the "civil from
 * days" computation over 400-year eras of 146097 days, each era starting on
 * 1 March so that the leap day falls last).  Pure arithmetic: no gmtime_r,
 * no time zone, no locale, and fast enough for 1000-entry listings.
 */
static void civil_from_days(int64_t z, int *year, int *month, int *day)
{
	z += 719468; /* days from 0000-03-01 to 1970-01-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097; /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                      /* March = 0 */
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = (int)(yoe + era * 400 + (*month <= 2));
}

/* Writes v as exactly width decimal digits (v fits, asserted). */
static void put_digits(char *buf, int *n, int v, int width)
{
	ASSERT(v >= 0);
	for (int i = width - 1; i >= 0; i--) {
		buf[*n + i] = (char)('0' + v % 10);
		v /= 10;
	}
	ASSERT(v == 0);
	*n += width;
}

int s3xml_time_format_ms(int64_t unix_ms, char buf[S3XML_TIME_BYTES])
{
	int64_t secs = unix_ms / 1000;
	int64_t ms = unix_ms % 1000;
	if (ms < 0) {
		ms += 1000;
		secs--;
	}
	/* Years 0000..9999 only: ISO 8601's four-digit form (-62167219200 is
	 * 0000-01-01T00:00:00Z, 253402300799 is 9999-12-31T23:59:59Z). */
	if (secs < -62167219200LL || secs > 253402300799LL)
		return S3XML_ERR_ENCODING;
	int64_t days = secs / 86400;
	int64_t sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	int n = 0;
	put_digits(buf, &n, y, 4);
	buf[n++] = '-';
	put_digits(buf, &n, m, 2);
	buf[n++] = '-';
	put_digits(buf, &n, d, 2);
	buf[n++] = 'T';
	put_digits(buf, &n, (int)(sod / 3600), 2);
	buf[n++] = ':';
	put_digits(buf, &n, (int)(sod / 60 % 60), 2);
	buf[n++] = ':';
	put_digits(buf, &n, (int)(sod % 60), 2);
	buf[n++] = '.';
	put_digits(buf, &n, (int)ms, 3);
	buf[n++] = 'Z';
	buf[n] = '\0';
	ASSERT(n == (int)S3XML_TIME_BYTES - 1);
	return 0;
}

int s3xml_time_format_ns(int64_t unix_ns, char buf[S3XML_TIME_BYTES])
{
	return s3xml_time_format_ms(s3xml_ms_from_ns(unix_ns), buf);
}
