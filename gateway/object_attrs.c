/*
 * object_attrs.c — see object_attrs.h.
 */
#include "gateway/object_attrs.h"

#include <ctype.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/tagging.h"

struct meta_walk {
	struct gw_attrs_buf *b;
	bool too_many;
};

static char *own(struct gw_attrs_buf *b, char *s)
{
	if (s != NULL && b->owned_count < sizeof b->owned / sizeof b->owned[0])
		b->owned[b->owned_count++] = s;
	else if (s != NULL) {
		free(s);
		return NULL;
	}
	return s;
}

static enum MHD_Result collect_meta(void *cls, enum MHD_ValueKind kind, const char *name,
				    const char *value)
{
	(void)kind;
	struct meta_walk *w = cls;
	if (strncasecmp(name, "x-amz-meta-", 11) != 0 || name[11] == '\0')
		return MHD_YES;
	struct gw_attrs_buf *b = w->b;
	if (b->attrs.user_count == GW_USER_META_MAX) {
		w->too_many = true;
		return MHD_NO;
	}
	char *lower = strdup(name + 11);
	if (lower == NULL || own(b, lower) == NULL) {
		w->too_many = true;
		return MHD_NO;
	}
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	const char *v = value ? value : "";
	b->pairs[b->attrs.user_count++] = (struct obj_pair){lower, v};
	b->meta_bytes += strlen(lower) + strlen(v);
	return MHD_YES;
}

/* "aws-chunked" and "aws-chunked, gzip" → NULL and "gzip". */
static const char *strip_aws_chunked(struct gw_attrs_buf *b, const char *enc)
{
	if (enc == NULL || strcasestr(enc, "aws-chunked") == NULL)
		return enc;
	char *out = calloc(1, strlen(enc) + 1);
	if (out == NULL)
		return NULL;
	const char *p = enc;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",");
		size_t t = n;
		while (t > 0 && p[t - 1] == ' ')
			t--;
		if (t > 0 && !(t == 11 && strncasecmp(p, "aws-chunked", 11) == 0)) {
			if (out[0])
				strcat(out, ",");
			strncat(out, p, t);
		}
		p += n;
	}
	if (out[0] == '\0') {
		free(out);
		return NULL;
	}
	return own(b, out);
}

enum s3_error gw_attrs_from_request(struct gw_request *req, struct gw_attrs_buf *b)
{
	memset(b, 0, sizeof *b);
	struct obj_attrs *a = &b->attrs;
	a->content_type = gw_request_header(req, "content-type");
	a->content_encoding = strip_aws_chunked(b, gw_request_header(req, "content-encoding"));
	a->content_disposition = gw_request_header(req, "content-disposition");
	a->content_language = gw_request_header(req, "content-language");
	a->cache_control = gw_request_header(req, "cache-control");
	a->expires = gw_request_header(req, "expires");
	a->user = b->pairs;
	struct meta_walk w = {b, false};
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, collect_meta, &w);
	if (w.too_many || b->meta_bytes > OBJ_USER_META_BYTES_MAX)
		return S3_METADATA_TOO_LARGE;
	return S3_OK;
}

void gw_attrs_release(struct gw_attrs_buf *b)
{
	for (size_t i = 0; i < b->owned_count; i++)
		free(b->owned[i]);
	b->owned_count = 0;
}

enum s3_error gw_tagging_from_header(struct gw_request *req, const char **out)
{
	*out = NULL;
	const char *h = gw_request_header(req, "x-amz-tagging");
	if (h == NULL)
		return S3_OK;
	struct gw_tag_set set;
	int rc = gw_tag_set_parse_query(h, strlen(h), &set);
	char *canon = NULL;
	if (rc == 0)
		rc = gw_tag_set_canonical(&set, &canon);
	if (rc == GW_TAG_ERR_INVALID)
		req->error_message = set.why;
	gw_tag_set_clear(&set);
	if (rc != 0)
		return rc == GW_TAG_ERR_INVALID ? S3_INVALID_TAG : S3_INTERNAL_ERROR;
	*out = canon;
	return S3_OK;
}
