/*
 * s3_bucket.c — the bucket operations: ListBuckets, CreateBucket,
 * HeadBucket, DeleteBucket, GetBucketLocation, GetBucketVersioning.
 */
#include "gateway/s3_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/app.h"
#include "gateway/http_util.h"
#include "xml/s3xml.h"

static const struct s3xml_owner owner = {GW_OWNER_ID, GW_OWNER_NAME};

/* ---- ListBuckets ---- */

struct bucket_list {
	struct s3xml_bucket *items;
	struct obj_bucket_info *infos;
	size_t count, cap;
};

static int collect_bucket(void *arg, const struct obj_bucket_info *b)
{
	struct bucket_list *l = arg;
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct obj_bucket_info *n = realloc(l->infos, cap * sizeof *n);
		if (n == NULL)
			return -1;
		l->infos = n;
		l->cap = cap;
	}
	l->infos[l->count++] = *b;
	return 0;
}

static enum s3_error list_buckets_finish(struct gw_request *req)
{
	struct bucket_list l = {0};
	int rc = obj_bucket_list(gw_app_of(req)->obj, collect_bucket, &l);
	enum s3_error e = gw_obj_error(rc);
	if (e == S3_OK) {
		l.items = calloc(l.count ? l.count : 1, sizeof *l.items);
		if (l.items == NULL)
			e = S3_INTERNAL_ERROR;
	}
	if (e == S3_OK) {
		for (size_t i = 0; i < l.count; i++)
			l.items[i] = (struct s3xml_bucket){l.infos[i].name,
							   l.infos[i].ctime_ns / 1000000};
		char *body = NULL;
		size_t len = 0;
		rc = s3xml_encode_list_buckets(&owner, l.items, l.count, &body, &len);
		e = gw_reply_xml(req, rc, body, len);
	}
	free(l.items);
	free(l.infos);
	return e;
}

const struct gw_handler gw_handler_list_buckets = {.finish = list_buckets_finish};

/* ---- CreateBucket ---- */

static enum s3_error create_bucket_finish(struct gw_request *req)
{
	struct gw_app *app = gw_app_of(req);
	if (!obj_bucket_name_valid(req->bucket))
		return S3_INVALID_BUCKET_NAME;
	struct s3xml_create_bucket *cfg = NULL;
	int rc = s3xml_decode_create_bucket(req->small_body, req->small_body_len, 0, &cfg);
	if (rc != 0)
		return S3_MALFORMED_XML;
	const char *region = cfg->location_constraint;
	/* A bucket must be created in this server's region (S3 answers
	 * IllegalLocationConstraintException for another one) — unless no
	 * region was configured, when any name is accepted and remembered. */
	enum s3_error e = S3_OK;
	if (app->cfg->region_configured && region != NULL &&
	    strcmp(region, app->cfg->region) != 0 &&
	    !(strcmp(region, "US") == 0 && strcmp(app->cfg->region, "us-east-1") == 0))
		e = S3_ILLEGAL_LOCATION_CONSTRAINT;
	if (e == S3_OK) {
		rc = obj_bucket_create(app->obj, req->bucket, region);
		e = gw_obj_error(rc);
	}
	s3xml_create_bucket_free(cfg);
	if (e != S3_OK)
		return e;
	char location[GW_BUCKET_NAME_MAX + 4];
	snprintf(location, sizeof location, "/%s", req->bucket);
	req->response.status = 200;
	return gw_response_add_header(&req->response, "Location", location) == 0
		       ? S3_OK : S3_INTERNAL_ERROR;
}

const struct gw_handler gw_handler_create_bucket = {
	.small_body_max = 64 * 1024,
	.finish = create_bucket_finish,
};

/* ---- HeadBucket, DeleteBucket ---- */

static enum s3_error head_bucket_finish(struct gw_request *req)
{
	struct obj_bucket_info info;
	enum s3_error e = gw_obj_error(obj_bucket_head(gw_app_of(req)->obj, req->bucket, &info));
	if (e != S3_OK)
		return e;
	req->response.status = 200;
	const char *region = info.region[0] ? info.region : "us-east-1";
	return gw_response_add_header(&req->response, "x-amz-bucket-region", region) == 0
		       ? S3_OK : S3_INTERNAL_ERROR;
}

const struct gw_handler gw_handler_head_bucket = {.finish = head_bucket_finish};

static enum s3_error delete_bucket_finish(struct gw_request *req)
{
	enum s3_error e = gw_obj_error(obj_bucket_delete(gw_app_of(req)->obj, req->bucket));
	if (e == S3_OK)
		req->response.status = 204;
	return e;
}

const struct gw_handler gw_handler_delete_bucket = {.finish = delete_bucket_finish};

/* ---- GetBucketLocation, GetBucketVersioning ---- */

static enum s3_error get_location_finish(struct gw_request *req)
{
	struct obj_bucket_info info;
	enum s3_error e = gw_obj_error(obj_bucket_head(gw_app_of(req)->obj, req->bucket, &info));
	if (e != S3_OK)
		return e;
	char *body = NULL;
	size_t len = 0;
	int rc = s3xml_encode_location(info.region[0] ? info.region : NULL, &body, &len);
	return gw_reply_xml(req, rc, body, len);
}

const struct gw_handler gw_handler_get_bucket_location = {.finish = get_location_finish};

static enum s3_error get_versioning_finish(struct gw_request *req)
{
	struct obj_bucket_info info;
	enum s3_error e = gw_obj_error(obj_bucket_head(gw_app_of(req)->obj, req->bucket, &info));
	if (e != S3_OK)
		return e;
	char *body = NULL;
	size_t len = 0;
	int rc = s3xml_encode_versioning(&body, &len);
	return gw_reply_xml(req, rc, body, len);
}

const struct gw_handler gw_handler_get_bucket_versioning = {.finish = get_versioning_finish};
