/*
 * encode_list.c — listing responses: ListBucketResult for ListObjectsV2 and
 * ListObjects (v1), and ListVersionsResult.  Element order is S3's as its
 * responses show it (header fields, then every Contents/Version, then every
 * CommonPrefixes).  With encoding-type=url, S3 encodes exactly the key-like
 * fields the API reference lists for each operation (ListObjectsV2: Delimiter,
 * Prefix, Key, StartAfter; ListObjects: Delimiter, Marker, Prefix, NextMarker,
 * Key; ListObjectVersions: KeyMarker, NextKeyMarker, Prefix, Key, Delimiter),
 * plus CommonPrefixes/Prefix, as observed.  Tokens and version ids are opaque
 * and never encoded.
 */
#include <stddef.h>

#include "engine/assert.h"
#include "xml/s3xml.h"
#include "xml/writer.h"

static size_t list_hint(const struct s3xml_list *l)
{
	return 512 + l->object_count * 320 + l->common_prefix_count * 96;
}

static void list_check(const struct s3xml_list *l)
{
	ASSERT(l != NULL && l->bucket != NULL);
	ASSERT(l->object_count == 0 || l->objects != NULL);
	ASSERT(l->common_prefix_count == 0 || l->common_prefixes != NULL);
}

static bool has_delimiter(const struct s3xml_list *l)
{
	return l->delimiter != NULL && l->delimiter[0] != '\0';
}

/* Key, LastModified, ETag, ChecksumAlgorithm?, Size, Owner?, StorageClass. */
static void object_fields(struct xw *w, const struct s3xml_object *o,
                          const struct s3xml_owner *owner)
{
	xw_elem_time(w, "LastModified", o->last_modified_ms);
	xw_elem(w, "ETag", o->etag);
	xw_elem_opt(w, "ChecksumAlgorithm", o->checksum_algorithm);
	xw_elem_u64(w, "Size", o->size);
	if (owner != NULL)
		xw_owner(w, "Owner", owner);
	xw_elem(w, "StorageClass",
	        o->storage_class ? o->storage_class : "STANDARD");
}

static void contents(struct xw *w, const struct s3xml_list *l,
                     const struct s3xml_owner *owner)
{
	for (size_t i = 0; i < l->object_count; i++) {
		const struct s3xml_object *o = &l->objects[i];
		xw_open(w, "Contents");
		xw_elem_key(w, "Key", o->key, l->encoding_url);
		object_fields(w, o, owner);
		xw_close(w, "Contents");
	}
}

static void common_prefixes(struct xw *w, const char *const *p, size_t n,
                            bool url)
{
	for (size_t i = 0; i < n; i++) {
		xw_open(w, "CommonPrefixes");
		xw_elem_key(w, "Prefix", p[i], url);
		xw_close(w, "CommonPrefixes");
	}
}

/* Delimiter? EncodingType? IsTruncated — shared tail of every header. */
static void header_tail(struct xw *w, const struct s3xml_list *l)
{
	if (has_delimiter(l))
		xw_elem_key(w, "Delimiter", l->delimiter, l->encoding_url);
	if (l->encoding_url)
		xw_elem(w, "EncodingType", "url");
	xw_elem_bool(w, "IsTruncated", l->is_truncated);
}

int s3xml_encode_list_objects_v2(const struct s3xml_list *l, char **body,
                                 size_t *body_len)
{
	list_check(l);
	struct xw w;
	xw_init(&w, list_hint(l));
	xw_open_root(&w, "ListBucketResult", true);
	xw_elem(&w, "Name", l->bucket);
	xw_elem_key(&w, "Prefix", l->prefix, l->encoding_url);
	xw_elem_opt(&w, "ContinuationToken", l->continuation_token);
	xw_elem_opt(&w, "NextContinuationToken", l->next_continuation_token);
	if (l->start_after != NULL)
		xw_elem_key(&w, "StartAfter", l->start_after, l->encoding_url);
	/* KeyCount counts Contents and CommonPrefixes alike (each rolled-up
	 * prefix is one return against MaxKeys). */
	xw_elem_u64(&w, "KeyCount",
	            (uint64_t)(l->object_count + l->common_prefix_count));
	xw_elem_u64(&w, "MaxKeys", l->max_keys);
	header_tail(&w, l);
	contents(&w, l, l->fetch_owner ? l->owner : NULL);
	common_prefixes(&w, l->common_prefixes, l->common_prefix_count,
	                l->encoding_url);
	xw_close(&w, "ListBucketResult");
	return xw_finish(&w, body, body_len);
}

int s3xml_encode_list_objects_v1(const struct s3xml_list *l, char **body,
                                 size_t *body_len)
{
	list_check(l);
	struct xw w;
	xw_init(&w, list_hint(l));
	xw_open_root(&w, "ListBucketResult", true);
	xw_elem(&w, "Name", l->bucket);
	xw_elem_key(&w, "Prefix", l->prefix, l->encoding_url);
	xw_elem_key(&w, "Marker", l->marker, l->encoding_url);
	if (l->next_marker != NULL)
		xw_elem_key(&w, "NextMarker", l->next_marker, l->encoding_url);
	xw_elem_u64(&w, "MaxKeys", l->max_keys);
	header_tail(&w, l);
	contents(&w, l, l->owner);
	common_prefixes(&w, l->common_prefixes, l->common_prefix_count,
	                l->encoding_url);
	xw_close(&w, "ListBucketResult");
	return xw_finish(&w, body, body_len);
}

int s3xml_encode_list_versions(const struct s3xml_list *l, char **body,
                               size_t *body_len)
{
	list_check(l);
	struct xw w;
	xw_init(&w, list_hint(l));
	xw_open_root(&w, "ListVersionsResult", true);
	xw_elem(&w, "Name", l->bucket);
	xw_elem_key(&w, "Prefix", l->prefix, l->encoding_url);
	xw_elem_key(&w, "KeyMarker", l->key_marker, l->encoding_url);
	xw_elem(&w, "VersionIdMarker", l->version_id_marker);
	if (l->next_key_marker != NULL)
		xw_elem_key(&w, "NextKeyMarker", l->next_key_marker,
		            l->encoding_url);
	xw_elem_opt(&w, "NextVersionIdMarker", l->next_version_id_marker);
	xw_elem_u64(&w, "MaxKeys", l->max_keys);
	header_tail(&w, l);
	for (size_t i = 0; i < l->object_count; i++) {
		const struct s3xml_object *o = &l->objects[i];
		xw_open(&w, "Version");
		xw_elem_key(&w, "Key", o->key, l->encoding_url);
		/* An unversioned bucket: each object is its only version,
		 * whose id S3 spells "null". */
		xw_elem(&w, "VersionId", "null");
		xw_elem_bool(&w, "IsLatest", true);
		object_fields(&w, o, l->owner);
		xw_close(&w, "Version");
	}
	common_prefixes(&w, l->common_prefixes, l->common_prefix_count,
	                l->encoding_url);
	xw_close(&w, "ListVersionsResult");
	return xw_finish(&w, body, body_len);
}
