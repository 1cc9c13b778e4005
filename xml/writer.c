/*
 * writer.c — the encoders' output buffer: XML text escaping, S3's URL
 * encoding, ISO 8601 times, all appended in one pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Appends S3's URL encoding of s to w; see s3xml_url_encode. */
void xw_url(struct xw *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
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
	for (; *p != '\0' && w->err == 0; p++) {
		if (url_keep(*p)) {
			xw_raw(w, (const char *)p, 1);
		} else if (*p == ' ') {
			xw_raw(w, "+", 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			xw_raw(w, e, 3);
		}
	}
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
	time_t t = (time_t)secs;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL)
		return S3XML_ERR_ENCODING;
	int n = snprintf(buf, S3XML_TIME_BYTES,
	                 "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
	ASSERT(n == (int)S3XML_TIME_BYTES - 1);
	return 0;
}

int s3xml_time_format_ns(int64_t unix_ns, char buf[S3XML_TIME_BYTES])
{
	return s3xml_time_format_ms(s3xml_ms_from_ns(unix_ns), buf);
}
