/*
 * encode_bucket.c — response bodies about the service and buckets: the Error
 * document, ListAllMyBucketsResult, LocationConstraint and
 * VersioningConfiguration (S3 API reference, "Response Syntax" of ListBuckets,
 * GetBucketLocation, GetBucketVersioning; "Error responses").
 */
#include <string.h>

#include "engine/assert.h"
#include "xml/s3xml.h"
#include "xml/writer.h"

int s3xml_encode_error(const struct s3xml_error *e, char **body,
                       size_t *body_len)
{
	ASSERT(e != NULL && e->code != NULL && e->message != NULL);
	ASSERT(e->extra_count == 0 || e->extra != NULL);
	struct xw w;
	xw_init(&w, 512);
	/* S3's <Error> carries no namespace. */
	xw_open_root(&w, "Error", false);
	xw_elem(&w, "Code", e->code);
	xw_elem(&w, "Message", e->message);
	for (size_t i = 0; i < e->extra_count; i++)
		xw_elem(&w, e->extra[i].name, e->extra[i].value);
	xw_elem_opt(&w, "Resource", e->resource);
	xw_elem_opt(&w, "RequestId", e->request_id);
	xw_close(&w, "Error");
	return xw_finish(&w, body, body_len);
}

int s3xml_encode_list_buckets(const struct s3xml_owner *owner,
                              const struct s3xml_bucket *buckets, size_t count,
                              char **body, size_t *body_len)
{
	ASSERT(owner != NULL && (count == 0 || buckets != NULL));
	struct xw w;
	xw_init(&w, 256 + count * 128);
	xw_open_root(&w, "ListAllMyBucketsResult", true);
	xw_owner(&w, "Owner", owner);
	xw_open(&w, "Buckets");
	for (size_t i = 0; i < count; i++) {
		xw_open(&w, "Bucket");
		xw_elem(&w, "Name", buckets[i].name);
		xw_elem_time(&w, "CreationDate", buckets[i].created_ms);
		xw_close(&w, "Bucket");
	}
	xw_close(&w, "Buckets");
	xw_close(&w, "ListAllMyBucketsResult");
	return xw_finish(&w, body, body_len);
}

int s3xml_encode_location(const char *region, char **body, size_t *body_len)
{
	struct xw w;
	xw_init(&w, 256);
	/* GetBucketLocation: "Buckets in Region us-east-1 have a
	 * LocationConstraint of null", sent as an empty element. */
	if (region == NULL || region[0] == '\0' ||
	    strcmp(region, "us-east-1") == 0) {
		xw_str(&w, "<LocationConstraint xmlns=\"" S3XML_NS "\"/>");
	} else {
		xw_open_root(&w, "LocationConstraint", true);
		xw_text(&w, region);
		xw_close(&w, "LocationConstraint");
	}
	return xw_finish(&w, body, body_len);
}

int s3xml_encode_versioning(char **body, size_t *body_len)
{
	struct xw w;
	xw_init(&w, 256);
	/* GetBucketVersioning: a bucket that was never versioned has no
	 * Status element at all. */
	xw_str(&w, "<VersioningConfiguration xmlns=\"" S3XML_NS "\"/>");
	return xw_finish(&w, body, body_len);
}
