/*
 * encode_multipart.c — multipart upload responses (S3 API reference:
 * CreateMultipartUpload, CompleteMultipartUpload, ListParts,
 * ListMultipartUploads), in S3's element order.
 */
#include <stdio.h>

#include "engine/assert.h"
#include "xml/s3xml.h"
#include "xml/writer.h"

int s3xml_encode_initiate_upload(const char *bucket, const char *key,
                                 const char *upload_id, char **body,
                                 size_t *body_len)
{
	ASSERT(bucket != NULL && key != NULL && upload_id != NULL);
	struct xw w;
	xw_init(&w, 512);
	xw_open_root(&w, "InitiateMultipartUploadResult", true);
	xw_elem(&w, "Bucket", bucket);
	xw_elem(&w, "Key", key);
	xw_elem(&w, "UploadId", upload_id);
	xw_close(&w, "InitiateMultipartUploadResult");
	return xw_finish(&w, body, body_len);
}

int s3xml_encode_complete_upload(const struct s3xml_complete_result *r,
                                 char **body, size_t *body_len)
{
	ASSERT(r != NULL && r->bucket != NULL && r->key != NULL &&
	       r->etag != NULL);
	struct xw w;
	xw_init(&w, 768);
	xw_open_root(&w, "CompleteMultipartUploadResult", true);
	xw_elem_opt(&w, "Location", r->location);
	xw_elem(&w, "Bucket", r->bucket);
	xw_elem(&w, "Key", r->key);
	xw_elem(&w, "ETag", r->etag);
	for (int i = 0; i < S3XML_CHECKSUM_COUNT; i++) {
		if (r->checksum[i] == NULL)
			continue;
		char name[32];
		snprintf(name, sizeof(name), "Checksum%s",
		         s3xml_checksum_name(i));
		xw_elem(&w, name, r->checksum[i]);
	}
	xw_close(&w, "CompleteMultipartUploadResult");
	return xw_finish(&w, body, body_len);
}

int s3xml_encode_list_parts(const struct s3xml_list_parts *l, char **body,
                            size_t *body_len)
{
	ASSERT(l != NULL && l->bucket != NULL && l->key != NULL &&
	       l->upload_id != NULL);
	ASSERT(l->owner != NULL && (l->part_count == 0 || l->parts != NULL));
	struct xw w;
	xw_init(&w, 768 + l->part_count * 192);
	xw_open_root(&w, "ListPartsResult", true);
	xw_elem(&w, "Bucket", l->bucket);
	xw_elem(&w, "Key", l->key);
	xw_elem(&w, "UploadId", l->upload_id);
	xw_owner(&w, "Initiator", l->owner);
	xw_owner(&w, "Owner", l->owner);
	xw_elem(&w, "StorageClass",
	        l->storage_class ? l->storage_class : "STANDARD");
	xw_elem_u64(&w, "PartNumberMarker", l->part_number_marker);
	xw_elem_u64(&w, "NextPartNumberMarker", l->next_part_number_marker);
	xw_elem_u64(&w, "MaxParts", l->max_parts);
	xw_elem_bool(&w, "IsTruncated", l->is_truncated);
	for (size_t i = 0; i < l->part_count; i++) {
		const struct s3xml_part_info *p = &l->parts[i];
		xw_open(&w, "Part");
		xw_elem_u64(&w, "PartNumber", p->part_number);
		xw_elem_time(&w, "LastModified", p->last_modified_ms);
		xw_elem(&w, "ETag", p->etag);
		xw_elem_u64(&w, "Size", p->size);
		xw_close(&w, "Part");
	}
	xw_close(&w, "ListPartsResult");
	return xw_finish(&w, body, body_len);
}

int s3xml_encode_list_uploads(const struct s3xml_list_uploads *l, char **body,
                              size_t *body_len)
{
	ASSERT(l != NULL && l->bucket != NULL && l->owner != NULL);
	ASSERT(l->upload_count == 0 || l->uploads != NULL);
	ASSERT(l->common_prefix_count == 0 || l->common_prefixes != NULL);
	bool url = l->encoding_url;
	struct xw w;
	xw_init(&w, 768 + l->upload_count * 512 + l->common_prefix_count * 96);
	xw_open_root(&w, "ListMultipartUploadsResult", true);
	xw_elem(&w, "Bucket", l->bucket);
	xw_elem_key(&w, "KeyMarker", l->key_marker, url);
	xw_elem(&w, "UploadIdMarker", l->upload_id_marker);
	if (l->next_key_marker != NULL)
		xw_elem_key(&w, "NextKeyMarker", l->next_key_marker, url);
	xw_elem_opt(&w, "NextUploadIdMarker", l->next_upload_id_marker);
	if (l->delimiter != NULL && l->delimiter[0] != '\0')
		xw_elem_key(&w, "Delimiter", l->delimiter, url);
	if (l->prefix != NULL)
		xw_elem_key(&w, "Prefix", l->prefix, url);
	xw_elem_u64(&w, "MaxUploads", l->max_uploads);
	if (url)
		xw_elem(&w, "EncodingType", "url");
	xw_elem_bool(&w, "IsTruncated", l->is_truncated);
	for (size_t i = 0; i < l->upload_count; i++) {
		const struct s3xml_upload *u = &l->uploads[i];
		xw_open(&w, "Upload");
		xw_elem_key(&w, "Key", u->key, url);
		xw_elem(&w, "UploadId", u->upload_id);
		xw_owner(&w, "Initiator", l->owner);
		xw_owner(&w, "Owner", l->owner);
		xw_elem(&w, "StorageClass",
		        u->storage_class ? u->storage_class : "STANDARD");
		xw_elem_time(&w, "Initiated", u->initiated_ms);
		xw_close(&w, "Upload");
	}
	for (size_t i = 0; i < l->common_prefix_count; i++) {
		xw_open(&w, "CommonPrefixes");
		xw_elem_key(&w, "Prefix", l->common_prefixes[i], url);
		xw_close(&w, "CommonPrefixes");
	}
	xw_close(&w, "ListMultipartUploadsResult");
	return xw_finish(&w, body, body_len);
}
