/*
 * tagging.h — object tag sets (S3 object tagging): parsing the x-amz-tagging
 * header and the PutObjectTagging body's pairs, S3's limits, and the one
 * canonical string an object record stores.
 *
 * S3's rules (User Guide, "Categorizing your storage using tags"; API
 * reference, PutObjectTagging): at most 10 tags per object, keys 1..128
 * and values 0..256 Unicode characters, keys unique, and the "aws:" key
 * prefix reserved.  Violations are the S3 error InvalidTag.
 *
 * The canonical form is the URL query form the header uses, keys sorted
 * bytewise, every byte outside RFC 3986's unreserved set as %XX:
 * "k1=v1&k2=v2" ("" for no tags).  It is what obj_attrs.tagging holds, so
 * equal tag sets store equal bytes.
 *
 * Nothing here is shared between threads; strings are malloc'd and owned
 * by the caller as each function says.
 */
#ifndef VS_GATEWAY_TAGGING_H
#define VS_GATEWAY_TAGGING_H

#include <stddef.h>

#define GW_TAGS_MAX 10
#define GW_TAG_KEY_CHARS_MAX 128
#define GW_TAG_VALUE_CHARS_MAX 256

/* Errors: a tag set S3 refuses (InvalidTag), or out of memory. */
enum { GW_TAG_ERR_INVALID = -3201 };

/* A decoded tag set; keys and values owned (gw_tag_set_clear). */
struct gw_tag_set {
	size_t count;
	char *keys[GW_TAGS_MAX];
	char *values[GW_TAGS_MAX];
	/* Why a set was refused (static), for the error message. */
	const char *why;
};

void gw_tag_set_clear(struct gw_tag_set *s);

/*
 * Parses URL query form (the x-amz-tagging header, or a stored canonical
 * string): '&'-separated "key=value" or "key" (empty value), %XX escapes
 * and '+' as a space, then validates S3's rules.  0, GW_TAG_ERR_INVALID
 * (s->why says why; s is then cleared) or -ENOMEM.
 */
int gw_tag_set_parse_query(const char *q, size_t len, struct gw_tag_set *s);

/* Adds one decoded pair (from XML); validated later by gw_tag_set_check.
 * GW_TAG_ERR_INVALID beyond GW_TAGS_MAX pairs; -ENOMEM. */
int gw_tag_set_add(struct gw_tag_set *s, const char *key, const char *value);

/* Validates S3's rules on s: 0 or GW_TAG_ERR_INVALID (s->why). */
int gw_tag_set_check(struct gw_tag_set *s);

/* The canonical string of a valid set (sorts s).  *out malloc'd; "" for an
 * empty set.  0 or -ENOMEM. */
int gw_tag_set_canonical(struct gw_tag_set *s, char **out);

/* Number of tags in a canonical string (NULL or "": 0). */
size_t gw_tagging_count(const char *canonical);

#endif /* VS_GATEWAY_TAGGING_H */
