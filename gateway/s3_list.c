/*
 * s3_list.c — ListObjectsV2, ListObjects (v1) and ListObjectVersions: one
 * parameter parser and one collector over obj_list(), three encodings.
 *
 * The continuation token is opaque to clients (S3 says so): base64 of the
 * last key or common prefix returned, which obj_list resumes after.
 */
#include "gateway/s3_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/app.h"
#include "gateway/base64.h"
#include "gateway/http_util.h"
#include "xml/s3xml.h"

enum list_kind { LIST_V1, LIST_V2, LIST_VERSIONS };

struct list_params {
	char *prefix, *delimiter, *after, *token_in, *start_after, *marker;
	size_t after_len;
	uint32_t max_keys;
	bool encoding_url;
	bool fetch_owner;
};

struct list_collect {
	struct s3xml_object *objects;
	char **prefixes;
	size_t object_count, prefix_count, cap;
	char **owned; /* keys and quoted etags */
	size_t owned_count, owned_cap;
};

static void params_free(struct list_params *p)
{
	free(p->prefix);
	free(p->delimiter);
	free(p->after);
	free(p->token_in);
	free(p->start_after);
	free(p->marker);
}

static enum s3_error decoded_query(struct gw_request *req, const char *name, char **out)
{
	*out = NULL;
	if (!gw_request_has_query(req, name))
		return S3_OK;
	*out = gw_request_query_decoded(req, name);
	return *out ? S3_OK : S3_INVALID_ARGUMENT;
}

static enum s3_error parse_max(struct gw_request *req, const char *name, uint32_t *out)
{
	*out = OBJ_LIST_MAX;
	const char *v = gw_request_query_raw(req, name);
	if (v == NULL)
		return S3_OK;
	char *end = NULL;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 0) {
		return S3_INVALID_ARGUMENT;
	}
	*out = n > OBJ_LIST_MAX ? OBJ_LIST_MAX : (uint32_t)n;
	return S3_OK;
}

/* The larger of two resume points (start-after vs token, for instance). */
static void take_after(struct list_params *p, const char *key, size_t len)
{
	if (key == NULL)
		return;
	if (p->after != NULL) {
		size_t m = len < p->after_len ? len : p->after_len;
		int c = memcmp(key, p->after, m);
		if (c < 0 || (c == 0 && len <= p->after_len))
			return;
	}
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return;
	memcpy(copy, key, len);
	copy[len] = '\0';
	free(p->after);
	p->after = copy;
	p->after_len = len;
}

static enum s3_error parse_params(struct gw_request *req, enum list_kind kind,
				  struct list_params *p)
{
	memset(p, 0, sizeof *p);
	enum s3_error e = decoded_query(req, "prefix", &p->prefix);
	if (e == S3_OK)
		e = decoded_query(req, "delimiter", &p->delimiter);
	if (e == S3_OK)
		e = parse_max(req, "max-keys", &p->max_keys);
	const char *enc = gw_request_query_raw(req, "encoding-type");
	if (e == S3_OK && enc != NULL) {
		if (strcasecmp(enc, "url") != 0) {
			req->error_message = "Invalid Encoding Method specified in Request";
			return S3_INVALID_ARGUMENT;
		}
		p->encoding_url = true;
	}
	if (e != S3_OK)
		return e;
	if (kind == LIST_V2) {
		const char *fo = gw_request_query_raw(req, "fetch-owner");
		p->fetch_owner = fo != NULL && strcasecmp(fo, "true") == 0;
		e = decoded_query(req, "start-after", &p->start_after);
		if (e == S3_OK && p->start_after)
			take_after(p, p->start_after, strlen(p->start_after));
		const char *tok = gw_request_query_raw(req, "continuation-token");
		if (e == S3_OK && tok != NULL) {
			e = decoded_query(req, "continuation-token", &p->token_in);
			size_t n = p->token_in ? strlen(p->token_in) : 0;
			uint8_t *raw = malloc(n + 1);
			long got = raw ? gw_base64_decode(p->token_in, n, raw, n + 1) : -1;
			if (e == S3_OK && (got < 0 || n == 0)) {
				req->error_message = "The continuation token provided is incorrect";
				e = S3_INVALID_ARGUMENT;
			}
			if (e == S3_OK)
				take_after(p, (const char *)raw, (size_t)got);
			free(raw);
		}
	} else {
		const char *name = kind == LIST_V1 ? "marker" : "key-marker";
		e = decoded_query(req, name, &p->marker);
		if (e == S3_OK && p->marker)
			take_after(p, p->marker, strlen(p->marker));
	}
	return e;
}

static char *keep(struct list_collect *c, char *s)
{
	if (s == NULL)
		return NULL;
	if (c->owned_count == c->owned_cap) {
		size_t cap = c->owned_cap ? c->owned_cap * 2 : 64;
		char **n = realloc(c->owned, cap * sizeof *n);
		if (n == NULL) {
			free(s);
			return NULL;
		}
		c->owned = n;
		c->owned_cap = cap;
	}
	c->owned[c->owned_count++] = s;
	return s;
}

static int collect(void *arg, const struct obj_list_entry *e)
{
	struct list_collect *c = arg;
	if (c->object_count + c->prefix_count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct s3xml_object *o = realloc(c->objects, cap * sizeof *o);
		if (o == NULL)
			return -ENOMEM;
		c->objects = o;
		char **p = realloc(c->prefixes, cap * sizeof *p);
		if (p == NULL)
			return -ENOMEM;
		c->prefixes = p;
		c->cap = cap;
	}
	char *key = keep(c, strndup(e->key, e->key_len));
	if (key == NULL)
		return -ENOMEM;
	if (e->is_prefix) {
		c->prefixes[c->prefix_count++] = key;
		return 0;
	}
	char quoted[OBJ_ETAG_MAX + 4];
	gw_etag_quote(e->meta->attrs.etag, quoted, sizeof quoted);
	char *etag = keep(c, strdup(quoted));
	char *algo = e->meta->attrs.checksum_algo ? keep(c, strdup(e->meta->attrs.checksum_algo))
						  : NULL;
	if (etag == NULL)
		return -ENOMEM;
	c->objects[c->object_count++] = (struct s3xml_object){
		.key = key,
		.last_modified_ms = e->meta->mtime_ns / 1000000,
		.etag = etag,
		.size = e->meta->size,
		.checksum_algorithm = algo,
	};
	return 0;
}

static void collect_free(struct list_collect *c)
{
	for (size_t i = 0; i < c->owned_count; i++)
		free(c->owned[i]);
	free(c->owned);
	free(c->objects);
	free(c->prefixes);
}

static enum s3_error list_finish(struct gw_request *req, enum list_kind kind)
{
	struct list_params p;
	enum s3_error e = parse_params(req, kind, &p);
	struct list_collect c = {0};
	struct obj_list_result res = {0};
	if (e == S3_OK) {
		struct obj_list_params lp = {
			.prefix = p.prefix, .prefix_len = p.prefix ? strlen(p.prefix) : 0,
			.delimiter = p.delimiter,
			.delimiter_len = p.delimiter ? strlen(p.delimiter) : 0,
			.after = p.after, .after_len = p.after_len, .max_keys = p.max_keys,
		};
		e = gw_obj_error(obj_list(gw_app_of(req)->obj, req->bucket, &lp, collect, &c, &res));
	}
	char *next = NULL;
	if (e == S3_OK && res.truncated && res.next != NULL) {
		if (kind == LIST_V2) {
			next = malloc(GW_BASE64_ENCODED_LEN(res.next_len) + 1);
			if (next == NULL)
				e = S3_INTERNAL_ERROR;
			else
				next[gw_base64_encode((const uint8_t *)res.next, res.next_len, next)] = '\0';
		} else {
			next = strndup(res.next, res.next_len);
		}
	}
	if (e == S3_OK) {
		static const struct s3xml_owner owner = {GW_OWNER_ID, GW_OWNER_NAME};
		struct s3xml_list l = {
			.bucket = req->bucket, .prefix = p.prefix, .delimiter = p.delimiter,
			.max_keys = p.max_keys, .is_truncated = res.truncated,
			.encoding_url = p.encoding_url, .owner = &owner,
			.fetch_owner = p.fetch_owner,
			.continuation_token = p.token_in, .next_continuation_token = next,
			.start_after = p.start_after, .marker = p.marker, .next_marker = next,
			.key_marker = p.marker, .version_id_marker = NULL,
			.next_key_marker = next, .next_version_id_marker = next ? "null" : NULL,
			.objects = c.objects, .object_count = c.object_count,
			.common_prefixes = (const char *const *)c.prefixes,
			.common_prefix_count = c.prefix_count,
		};
		char *body = NULL;
		size_t len = 0;
		int rc = kind == LIST_V2 ? s3xml_encode_list_objects_v2(&l, &body, &len)
			 : kind == LIST_V1 ? s3xml_encode_list_objects_v1(&l, &body, &len)
					   : s3xml_encode_list_versions(&l, &body, &len);
		e = gw_reply_xml(req, rc, body, len);
	}
	free(next);
	free(res.next);
	collect_free(&c);
	params_free(&p);
	return e;
}

static enum s3_error list_v1_finish(struct gw_request *req)
{
	return list_finish(req, LIST_V1);
}

static enum s3_error list_v2_finish(struct gw_request *req)
{
	return list_finish(req, LIST_V2);
}

static enum s3_error list_versions_finish(struct gw_request *req)
{
	return list_finish(req, LIST_VERSIONS);
}

const struct gw_handler gw_handler_list_objects = {.finish = list_v1_finish};
const struct gw_handler gw_handler_list_objects_v2 = {.finish = list_v2_finish};
const struct gw_handler gw_handler_list_object_versions = {.finish = list_versions_finish};
