/*
 * tagging.c — object tag sets: parse, validate, canonicalise (tagging.h).
 */
#include "gateway/tagging.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

void gw_tag_set_clear(struct gw_tag_set *s)
{
	for (size_t i = 0; i < s->count; i++) {
		free(s->keys[i]);
		free(s->values[i]);
	}
	s->count = 0;
}

int gw_tag_set_add(struct gw_tag_set *s, const char *key, const char *value)
{
	if (s->count >= GW_TAGS_MAX) {
		s->why = "Object tags cannot be greater than 10";
		return GW_TAG_ERR_INVALID;
	}
	char *k = strdup(key), *v = strdup(value ? value : "");
	if (k == NULL || v == NULL) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	s->keys[s->count] = k;
	s->values[s->count] = v;
	s->count++;
	return 0;
}

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

/* Form-decodes p[0..len) into a malloc'd string; NULL on a bad escape, an
 * escaped NUL or no memory (*nomem tells which). */
static char *form_decode(const char *p, size_t len, bool *nomem)
{
	char *out = malloc(len + 1);
	*nomem = out == NULL;
	size_t o = 0;
	for (size_t i = 0; out != NULL && i < len; i++) {
		char c = p[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 2 < len ? hexval(p[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(p[i + 2]) : -1;
			c = (char)(hi * 16 + lo);
			if (hi < 0 || lo < 0 || c == '\0') {
				free(out);
				return NULL;
			}
			i += 2;
		}
		out[o++] = c;
	}
	if (out != NULL)
		out[o] = '\0';
	return out;
}

int gw_tag_set_parse_query(const char *q, size_t len, struct gw_tag_set *s)
{
	memset(s, 0, sizeof *s);
	size_t i = 0;
	int rc = 0;
	while (rc == 0 && i < len) { /* bounded: i advances by >= 1 */
		const char *amp = memchr(q + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - q) : len;
		const char *eq = memchr(q + i, '=', end - i);
		size_t kend = eq ? (size_t)(eq - q) : end;
		bool nomem = false, nomem2 = false;
		char *k = NULL, *v = NULL;
		if (end > i) {
			k = form_decode(q + i, kend - i, &nomem);
			v = eq ? form_decode(eq + 1, end - kend - 1, &nomem2) : strdup("");
			if (k == NULL || v == NULL) {
				bool oom = nomem || nomem2 || (eq == NULL && v == NULL);
				rc = oom ? -ENOMEM : GW_TAG_ERR_INVALID;
				s->why = "The tag set is not well-formed URL query encoding";
			} else {
				rc = gw_tag_set_add(s, k, v);
			}
		}
		free(k);
		free(v);
		i = end + 1;
	}
	if (rc == 0)
		rc = gw_tag_set_check(s);
	if (rc != 0)
		gw_tag_set_clear(s);
	return rc;
}

/* Counts UTF-8 characters; -1 if s is not valid UTF-8 or has a control
 * character (a tag is text). */
static long utf8_chars(const char *s)
{
	long n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) { /* bounded by the NUL */
		unsigned c = *p;
		size_t extra = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
				 : (c & 0xf8) == 0xf0 ? 3 : 4;
		if (extra == 4 || (extra == 0 && (c < 0x20 || c == 0x7f)) ||
		    (extra == 1 && c < 0xc2))
			return -1;
		for (size_t j = 1; j <= extra; j++)
			if ((p[j] & 0xc0) != 0x80)
				return -1;
		p += 1 + extra;
		n++;
	}
	return n;
}

int gw_tag_set_check(struct gw_tag_set *s)
{
	ASSERT(s->count <= GW_TAGS_MAX);
	for (size_t i = 0; i < s->count; i++) {
		long kc = utf8_chars(s->keys[i]), vc = utf8_chars(s->values[i]);
		if (kc < 1 || kc > GW_TAG_KEY_CHARS_MAX) {
			s->why = "The TagKey you have provided is invalid";
			return GW_TAG_ERR_INVALID;
		}
		if (vc < 0 || vc > GW_TAG_VALUE_CHARS_MAX) {
			s->why = "The TagValue you have provided is invalid";
			return GW_TAG_ERR_INVALID;
		}
		if (strncmp(s->keys[i], "aws:", 4) == 0) {
			s->why = "Your TagKey cannot be prefixed with aws:";
			return GW_TAG_ERR_INVALID;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(s->keys[i], s->keys[j]) == 0) {
				s->why = "Cannot provide multiple Tags with the same key";
				return GW_TAG_ERR_INVALID;
			}
		}
	}
	return 0;
}

static size_t escaped_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += strchr("-_.~", *s) || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
				     (*s >= '0' && *s <= '9')
			     ? 1
			     : 3;
	return n;
}

static char *escape_to(char *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (strchr("-_.~", c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	return o;
}

int gw_tag_set_canonical(struct gw_tag_set *s, char **out)
{
	/* Insertion sort by key: at most 10 entries. */
	for (size_t i = 1; i < s->count; i++) {
		for (size_t j = i; j > 0 && strcmp(s->keys[j - 1], s->keys[j]) > 0; j--) {
			char *k = s->keys[j], *v = s->values[j];
			s->keys[j] = s->keys[j - 1];
			s->values[j] = s->values[j - 1];
			s->keys[j - 1] = k;
			s->values[j - 1] = v;
		}
	}
	size_t cap = 1;
	for (size_t i = 0; i < s->count; i++)
		cap += escaped_len(s->keys[i]) + escaped_len(s->values[i]) + 2;
	char *buf = malloc(cap), *o = buf;
	if (buf == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->count; i++) {
		if (i > 0)
			*o++ = '&';
		o = escape_to(o, s->keys[i]);
		*o++ = '=';
		o = escape_to(o, s->values[i]);
	}
	*o = '\0';
	ASSERT((size_t)(o - buf) < cap);
	*out = buf;
	return 0;
}

size_t gw_tagging_count(const char *canonical)
{
	if (canonical == NULL || canonical[0] == '\0')
		return 0;
	size_t n = 1;
	for (const char *p = canonical; *p; p++)
		n += *p == '&';
	return n;
}
