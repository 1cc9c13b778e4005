/*
 * decode.c — the request bodies S3 clients send: CreateBucketConfiguration,
 * Delete (DeleteObjects), CompleteMultipartUpload, VersioningConfiguration
 * and Tagging
 * (S3 API reference, "Request Syntax" of each).  The tree comes from
 * xp_parse (hardened); here every element is checked for presence, duplicates,
 * type and range, unknown elements are skipped as S3 skips them, and the
 * result is copied into plain C structs that owe nothing to libxml2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "engine/assert.h"
#include "xml/parse.h"
#include "xml/s3xml.h"

/* Sets *slot from element n once; a second occurrence is MalformedXML. */
static int take_text(const xmlNode *n, size_t max, bool trim, char **slot)
{
	if (*slot != NULL)
		return S3XML_ERR_MALFORMED;
	return xp_text(n, max, trim, slot);
}

static bool body_blank(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	return true;
}

/* ---- CreateBucketConfiguration ---- */

void s3xml_create_bucket_free(struct s3xml_create_bucket *c)
{
	if (c == NULL)
		return;
	free(c->location_constraint);
	free(c);
}

int s3xml_decode_create_bucket(const void *body, size_t len,
                               size_t body_bytes_max,
                               struct s3xml_create_bucket **out)
{
	struct s3xml_create_bucket *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	/* CreateBucket's body is optional (us-east-1 sends none). */
	if (len <= (body_bytes_max ? body_bytes_max : S3XML_BODY_BYTES_MAX) &&
	    body_blank(body, len)) {
		*out = c;
		return 0;
	}
	xmlDocPtr doc;
	int rc = xp_parse(body, len, body_bytes_max,
	                  "CreateBucketConfiguration", &doc);
	if (rc != 0) {
		free(c);
		return rc;
	}
	xmlNodePtr root = xmlDocGetRootElement(doc);
	rc = xp_container_check(root);
	for (xmlNodePtr n = root->children; n != NULL && rc == 0; n = n->next) {
		if (xp_is(n, "LocationConstraint"))
			rc = take_text(n, S3XML_TEXT_BYTES_MAX, true,
			               &c->location_constraint);
	}
	xmlFreeDoc(doc);
	if (rc == 0 && c->location_constraint != NULL &&
	    c->location_constraint[0] == '\0') {
		free(c->location_constraint);
		c->location_constraint = NULL;
	}
	if (rc != 0) {
		s3xml_create_bucket_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* ---- Delete ---- */

void s3xml_delete_free(struct s3xml_delete *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->object_count; i++) {
		free(d->objects[i].key);
		free(d->objects[i].version_id);
	}
	free(d->objects);
	free(d);
}

static int parse_bool(const char *s, bool *v)
{
	if (strcasecmp(s, "true") == 0)
		*v = true;
	else if (strcasecmp(s, "false") == 0)
		*v = false;
	else
		return S3XML_ERR_MALFORMED;
	return 0;
}

static int delete_object(const xmlNode *n, struct s3xml_delete_object *o)
{
	int rc = xp_container_check(n);
	for (const xmlNode *c = n->children; c != NULL && rc == 0;
	     c = c->next) {
		if (xp_is(c, "Key")) {
			/* Keys are taken verbatim: spaces are part of a key. */
			rc = take_text(c, S3XML_KEY_BYTES_MAX, false, &o->key);
			if (rc == S3XML_ERR_LIMIT)
				rc = S3XML_ERR_KEY_TOO_LONG;
		} else if (xp_is(c, "VersionId")) {
			rc = take_text(c, S3XML_TEXT_BYTES_MAX, true,
			               &o->version_id);
		}
	}
	if (rc == 0 && (o->key == NULL || o->key[0] == '\0'))
		rc = S3XML_ERR_MALFORMED;
	return rc;
}

static int delete_walk(const xmlNode *root, struct s3xml_delete *d)
{
	size_t objects = 0;
	bool quiet_seen = false;
	for (const xmlNode *n = root->children; n != NULL; n = n->next)
		if (xp_is(n, "Object") && ++objects > S3XML_DELETE_OBJECTS_MAX)
			return S3XML_ERR_TOO_MANY; /* S3: MalformedXML */
	if (objects == 0)
		return S3XML_ERR_MALFORMED;
	d->objects = calloc(objects, sizeof(*d->objects));
	if (d->objects == NULL)
		return -ENOMEM;
	int rc = xp_container_check(root);
	for (const xmlNode *n = root->children; n != NULL && rc == 0;
	     n = n->next) {
		if (xp_is(n, "Object")) {
			ASSERT(d->object_count < objects);
			rc = delete_object(n, &d->objects[d->object_count++]);
		} else if (xp_is(n, "Quiet")) {
			char *q = NULL;
			rc = quiet_seen
			         ? S3XML_ERR_MALFORMED
			         : xp_text(n, S3XML_TEXT_BYTES_MAX, true, &q);
			if (rc == 0)
				rc = parse_bool(q, &d->quiet);
			free(q);
			quiet_seen = true;
		}
	}
	return rc;
}

int s3xml_decode_delete(const void *body, size_t len, size_t body_bytes_max,
                        struct s3xml_delete **out)
{
	xmlDocPtr doc;
	int rc = xp_parse(body, len, body_bytes_max, "Delete", &doc);
	if (rc != 0)
		return rc;
	struct s3xml_delete *d = calloc(1, sizeof(*d));
	rc = d == NULL ? -ENOMEM : delete_walk(xmlDocGetRootElement(doc), d);
	xmlFreeDoc(doc);
	if (rc != 0) {
		s3xml_delete_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* ---- CompleteMultipartUpload ---- */

void s3xml_complete_free(struct s3xml_complete *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->part_count; i++) {
		free(c->parts[i].etag);
		for (int k = 0; k < S3XML_CHECKSUM_COUNT; k++)
			free(c->parts[i].checksum[k]);
	}
	free(c->parts);
	free(c);
}

/* A decimal part number: not a number is MalformedXML, a number outside
 * 1..10000 is InvalidArgument (S3: "Part number must be an integer between 1
 * and 10000, inclusive"). */
static int parse_part_number(const char *s, uint32_t *v)
{
	size_t len = strlen(s);
	if (len == 0)
		return S3XML_ERR_MALFORMED;
	uint64_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return S3XML_ERR_MALFORMED;
		if (n <= S3XML_PARTS_MAX) /* stop growing; stays out of range */
			n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n < 1 || n > S3XML_PARTS_MAX)
		return S3XML_ERR_PART_NUMBER;
	*v = (uint32_t)n;
	return 0;
}

static int complete_checksum(const xmlNode *c, struct s3xml_complete_part *p,
                             bool *matched)
{
	*matched = false;
	for (int k = 0; k < S3XML_CHECKSUM_COUNT; k++) {
		char name[32];
		snprintf(name, sizeof(name), "Checksum%s",
		         s3xml_checksum_name(k));
		if (xp_is(c, name)) {
			*matched = true;
			return take_text(c, S3XML_TEXT_BYTES_MAX, true,
			                 &p->checksum[k]);
		}
	}
	return 0;
}

static int complete_part(const xmlNode *n, struct s3xml_complete_part *p)
{
	char *num = NULL;
	int rc = xp_container_check(n);
	for (const xmlNode *c = n->children; c != NULL && rc == 0;
	     c = c->next) {
		bool matched;
		if (xp_is(c, "PartNumber"))
			rc = take_text(c, S3XML_TEXT_BYTES_MAX, true, &num);
		else if (xp_is(c, "ETag"))
			rc = take_text(c, S3XML_TEXT_BYTES_MAX, true, &p->etag);
		else
			rc = complete_checksum(c, p, &matched);
	}
	if (rc == 0 && (num == NULL || p->etag == NULL || p->etag[0] == '\0'))
		rc = S3XML_ERR_MALFORMED;
	if (rc == 0)
		rc = parse_part_number(num, &p->part_number);
	free(num);
	return rc;
}

static int complete_walk(const xmlNode *root, struct s3xml_complete *c)
{
	size_t parts = 0;
	for (const xmlNode *n = root->children; n != NULL; n = n->next)
		if (xp_is(n, "Part") && ++parts > S3XML_PARTS_MAX)
			return S3XML_ERR_TOO_MANY;
	if (parts == 0)
		return S3XML_ERR_MALFORMED;
	c->parts = calloc(parts, sizeof(*c->parts));
	if (c->parts == NULL)
		return -ENOMEM;
	int rc = xp_container_check(root);
	for (const xmlNode *n = root->children; n != NULL && rc == 0;
	     n = n->next) {
		if (xp_is(n, "Part")) {
			ASSERT(c->part_count < parts);
			rc = complete_part(n, &c->parts[c->part_count++]);
		}
	}
	return rc;
}

int s3xml_decode_complete(const void *body, size_t len, size_t body_bytes_max,
                          struct s3xml_complete **out)
{
	xmlDocPtr doc;
	int rc = xp_parse(body, len, body_bytes_max, "CompleteMultipartUpload",
	                  &doc);
	if (rc != 0)
		return rc;
	struct s3xml_complete *c = calloc(1, sizeof(*c));
	rc = c == NULL ? -ENOMEM : complete_walk(xmlDocGetRootElement(doc), c);
	xmlFreeDoc(doc);
	if (rc != 0) {
		s3xml_complete_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* ---- VersioningConfiguration ---- */

void s3xml_versioning_free(struct s3xml_versioning *v)
{
	free(v);
}

/* Values are case-sensitive, as in S3's request syntax. */
static int versioning_value(const xmlNode *n, bool mfa,
                            enum s3xml_versioning_value *v)
{
	if (*v != S3XML_VERSIONING_UNSET)
		return S3XML_ERR_MALFORMED;
	char *s = NULL;
	int rc = xp_text(n, S3XML_TEXT_BYTES_MAX, true, &s);
	if (rc != 0)
		return rc;
	if (strcmp(s, "Enabled") == 0)
		*v = S3XML_VERSIONING_ENABLED;
	else if (!mfa && strcmp(s, "Suspended") == 0)
		*v = S3XML_VERSIONING_SUSPENDED;
	else if (mfa && strcmp(s, "Disabled") == 0)
		*v = S3XML_VERSIONING_DISABLED;
	else
		rc = S3XML_ERR_MALFORMED;
	free(s);
	return rc;
}

int s3xml_decode_versioning(const void *body, size_t len, size_t body_bytes_max,
                            struct s3xml_versioning **out)
{
	xmlDocPtr doc;
	int rc = xp_parse(body, len, body_bytes_max, "VersioningConfiguration",
	                  &doc);
	if (rc != 0)
		return rc;
	struct s3xml_versioning v = {S3XML_VERSIONING_UNSET,
	                             S3XML_VERSIONING_UNSET};
	xmlNodePtr root = xmlDocGetRootElement(doc);
	rc = xp_container_check(root);
	for (xmlNodePtr n = root->children; n != NULL && rc == 0; n = n->next) {
		if (xp_is(n, "Status"))
			rc = versioning_value(n, false, &v.status);
		else if (xp_is(n, "MfaDelete"))
			rc = versioning_value(n, true, &v.mfa_delete);
	}
	xmlFreeDoc(doc);
	if (rc != 0)
		return rc;
	struct s3xml_versioning *p = malloc(sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	*p = v;
	*out = p;
	return 0;
}

/* ---- Tagging ---- */

void s3xml_tagging_free(struct s3xml_tagging *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->tag_count; i++) {
		free(t->tags[i].key);
		free(t->tags[i].value);
	}
	free(t->tags);
	free(t);
}

static int tagging_tag(const xmlNode *n, struct s3xml_tag *t)
{
	int rc = xp_container_check(n);
	for (const xmlNode *c = n->children; c != NULL && rc == 0; c = c->next) {
		/* Verbatim: spaces are part of a tag. */
		if (xp_is(c, "Key"))
			rc = take_text(c, S3XML_TEXT_BYTES_MAX, false, &t->key);
		else if (xp_is(c, "Value"))
			rc = take_text(c, S3XML_TEXT_BYTES_MAX, false, &t->value);
	}
	if (rc == 0 && (t->key == NULL || t->value == NULL))
		rc = S3XML_ERR_MALFORMED;
	return rc;
}

static int tagging_walk(const xmlNode *root, struct s3xml_tagging *t)
{
	const xmlNode *set = NULL;
	int rc = xp_container_check(root);
	for (const xmlNode *n = root->children; n != NULL && rc == 0; n = n->next) {
		if (xp_is(n, "TagSet")) {
			if (set != NULL)
				return S3XML_ERR_MALFORMED;
			set = n;
		}
	}
	if (rc != 0 || set == NULL)
		return rc != 0 ? rc : S3XML_ERR_MALFORMED;
	size_t tags = 0;
	for (const xmlNode *n = set->children; n != NULL; n = n->next)
		if (xp_is(n, "Tag") && ++tags > S3XML_TAGS_MAX)
			return S3XML_ERR_TOO_MANY;
	t->tags = calloc(tags ? tags : 1, sizeof(*t->tags));
	if (t->tags == NULL)
		return -ENOMEM;
	rc = xp_container_check(set);
	for (const xmlNode *n = set->children; n != NULL && rc == 0; n = n->next) {
		if (xp_is(n, "Tag")) {
			ASSERT(t->tag_count < tags);
			rc = tagging_tag(n, &t->tags[t->tag_count++]);
		}
	}
	return rc;
}

int s3xml_decode_tagging(const void *body, size_t len, size_t body_bytes_max,
                         struct s3xml_tagging **out)
{
	xmlDocPtr doc;
	int rc = xp_parse(body, len, body_bytes_max, "Tagging", &doc);
	if (rc != 0)
		return rc;
	struct s3xml_tagging *t = calloc(1, sizeof(*t));
	rc = t == NULL ? -ENOMEM : tagging_walk(xmlDocGetRootElement(doc), t);
	xmlFreeDoc(doc);
	if (rc != 0) {
		s3xml_tagging_free(t);
		return rc;
	}
	*out = t;
	return 0;
}
