/*
 * fuzz_xml.c — libFuzzer target for the five request decoders and for the
 * encoders' escaping.  The first byte picks the case (so one corpus covers
 * all; '0'..'3' are the decoders Delete, CompleteMultipartUpload,
 * CreateBucketConfiguration, VersioningConfiguration; '4' and '5' the
 * encoder round trips; exactly '6' the Tagging decoder, whose accepted
 * documents must survive an encode/decode round trip); the rest is the
 * body.  Every decoded result is
 * walked (so ASan sees its strings) and freed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "xml/s3xml.h"
#include "xml/writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk_str(const char *s)
{
	return s ? strlen(s) : 0;
}

static void check_rc(int rc)
{
	ASSERT(rc == 0 ||
	       (rc <= S3XML_ERR_MALFORMED && rc >= S3XML_ERR_ENCODING));
}

/* The body up to its first NUL, as a C string (caller frees). */
static char *body_string(const uint8_t *body, size_t len)
{
	const uint8_t *nul = memchr(body, 0, len);
	size_t n = nul ? (size_t)(nul - body) : len;
	char *s = malloc(n + 1);
	ASSERT(s != NULL);
	memcpy(s, body, n);
	s[n] = '\0';
	return s;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

/* S3 URL encoding decodes back to the original bytes. */
static void url_roundtrip(const char *key)
{
	char *enc = s3xml_url_encode(key);
	if (enc == NULL)
		return; /* invalid UTF-8 */
	size_t n = 0;
	char *dec = malloc(strlen(enc) + 1);
	ASSERT(dec != NULL);
	for (size_t i = 0; enc[i] != '\0'; i++) {
		if (enc[i] == '%') {
			ASSERT(enc[i + 1] && enc[i + 2]);
			dec[n++] = (char)(hexval(enc[i + 1]) * 16 +
			                  hexval(enc[i + 2]));
			i += 2;
		} else {
			dec[n++] = enc[i] == '+' ? ' ' : enc[i];
		}
	}
	dec[n] = '\0';
	ASSERT(strcmp(dec, key) == 0);
	free(dec);
	free(enc);
}

/* True when every character of key can appear in XML 1.0 text. */
static bool xml_representable(const char *key)
{
	const unsigned char *p = (const unsigned char *)key;
	for (size_t i = 0; p[i] != '\0'; i++) {
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
		if (p[i] == 0xEF && p[i + 1] == 0xBF &&
		    (p[i + 2] == 0xBE || p[i + 2] == 0xBF))
			return false;
	}
	return true;
}

/* A key escaped by the encoders' writer decodes back exactly. */
static void escape_roundtrip(const char *key)
{
	struct xw w = {0};
	xw_raw(&w, "", 0);
	xw_str(&w, "<Delete><Object><Key>");
	xw_text(&w, key);
	xw_str(&w, "</Key></Object></Delete>");
	if (w.err != 0) {
		ASSERT(w.err == S3XML_ERR_ENCODING);
		free(w.buf);
		return;
	}
	struct s3xml_delete *d = NULL;
	int rc = s3xml_decode_delete(w.buf, w.len, 0, &d);
	size_t klen = strlen(key);
	if (klen == 0 || !xml_representable(key)) {
		ASSERT(rc != 0);
	} else if (klen > S3XML_KEY_BYTES_MAX) {
		ASSERT(rc == S3XML_ERR_KEY_TOO_LONG);
	} else {
		ASSERT(rc == 0 && d->object_count == 1);
		ASSERT(strcmp(d->objects[0].key, key) == 0);
	}
	s3xml_delete_free(d);
	free(w.buf);
}

/* Tagging: every accepted document re-encodes and decodes to the same
 * tags (when its text is representable; the encoder refuses the rest). */
static void tagging_case(const uint8_t *body, size_t len)
{
	struct s3xml_tagging *t = NULL;
	int rc = s3xml_decode_tagging(body, len, 0, &t);
	check_rc(rc);
	if (rc != 0)
		return;
	ASSERT(t->tag_count <= S3XML_TAGS_MAX);
	const char **keys = calloc(t->tag_count + 1, sizeof(*keys));
	const char **vals = calloc(t->tag_count + 1, sizeof(*vals));
	ASSERT(keys != NULL && vals != NULL);
	for (size_t i = 0; i < t->tag_count; i++) {
		ASSERT(t->tags[i].key != NULL && t->tags[i].value != NULL);
		keys[i] = t->tags[i].key;
		vals[i] = t->tags[i].value;
	}
	char *enc = NULL;
	size_t enc_len = 0;
	rc = s3xml_encode_tagging(keys, vals, t->tag_count, &enc, &enc_len);
	if (rc == 0) {
		struct s3xml_tagging *t2 = NULL;
		int rc2 = s3xml_decode_tagging(enc, enc_len, 0, &t2);
		/* A long tag set may re-encode above the body limit. */
		ASSERT(rc2 == 0 || rc2 == S3XML_ERR_TOO_LARGE || rc2 == S3XML_ERR_LIMIT);
		for (size_t i = 0; rc2 == 0 && i < t->tag_count; i++) {
			ASSERT(t2->tag_count == t->tag_count);
			ASSERT(strcmp(t2->tags[i].key, keys[i]) == 0);
			ASSERT(strcmp(t2->tags[i].value, vals[i]) == 0);
		}
		s3xml_tagging_free(t2);
	} else {
		ASSERT(rc == S3XML_ERR_ENCODING);
	}
	free(enc);
	free(keys);
	free(vals);
	s3xml_tagging_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const uint8_t *body = data + 1;
	size_t len = size - 1;
	size_t sum = 0;
	if (data[0] == '6') {
		tagging_case(body, len);
		return 0;
	}
	switch (data[0] % 6) {
	case 0: {
		struct s3xml_delete *d = NULL;
		int rc = s3xml_decode_delete(body, len, 0, &d);
		check_rc(rc);
		if (rc == 0) {
			ASSERT(d->object_count >= 1 &&
			       d->object_count <= S3XML_DELETE_OBJECTS_MAX);
			for (size_t i = 0; i < d->object_count; i++) {
				size_t k = walk_str(d->objects[i].key);
				ASSERT(k >= 1 && k <= S3XML_KEY_BYTES_MAX);
				sum += k + walk_str(d->objects[i].version_id);
			}
		}
		s3xml_delete_free(d);
		break;
	}
	case 1: {
		struct s3xml_complete *c = NULL;
		int rc = s3xml_decode_complete(body, len, 0, &c);
		check_rc(rc);
		if (rc == 0) {
			ASSERT(c->part_count >= 1 &&
			       c->part_count <= S3XML_PARTS_MAX);
			for (size_t i = 0; i < c->part_count; i++) {
				ASSERT(c->parts[i].part_number >= 1 &&
				       c->parts[i].part_number <=
				           S3XML_PARTS_MAX);
				sum += walk_str(c->parts[i].etag);
				for (int k = 0; k < S3XML_CHECKSUM_COUNT; k++)
					sum +=
					    walk_str(c->parts[i].checksum[k]);
			}
		}
		s3xml_complete_free(c);
		break;
	}
	case 2: {
		struct s3xml_create_bucket *b = NULL;
		int rc = s3xml_decode_create_bucket(body, len, 0, &b);
		check_rc(rc);
		if (rc == 0)
			sum += walk_str(b->location_constraint);
		s3xml_create_bucket_free(b);
		break;
	}
	case 4:
	case 5: {
		char *key = body_string(body, len);
		if (data[0] % 6 == 4)
			url_roundtrip(key);
		else
			escape_roundtrip(key);
		free(key);
		break;
	}
	case 3: {
		struct s3xml_versioning *v = NULL;
		check_rc(s3xml_decode_versioning(body, len, 0, &v));
		s3xml_versioning_free(v);
		break;
	}
	}
	(void)sum;
	return 0;
}
