/*
 * s3xml.h — the S3 XML codec: every response body the gateway sends and every
 * request body it reads.  The only public header of xml/; no libxml2 type
 * appears here, so gateway code never includes libxml2.
 *
 * Encoders take plain C structs of borrowed strings and return a malloc'd,
 * NUL-terminated document (`*body`, length `*body_len` without the NUL) that
 * the caller owns and releases with free(); on failure nothing is returned.
 * Output is byte-exact S3 style: the `<?xml version="1.0" encoding="UTF-8"?>`
 * prolog and a newline, then the root element on one line, in S3's element
 * order (from the API reference's examples and published real responses),
 * with the namespace http://s3.amazonaws.com/doc/2006-03-01/ on every
 * root S3 gives one (not on <Error>).  Every encoder is one linear pass over
 * its input into a doubling buffer, so 1000-entry listings cost O(n).
 *
 * Text escaping (all encoders): & < > " are written as entities, so an ETag
 * "abc" becomes &quot;abc&quot; as real S3 sends it.  Characters XML 1.0
 * cannot carry (C0 controls other than TAB and LF, U+FFFE, U+FFFF) and CR
 * (which a parser would normalise away) are written as hexadecimal character
 * references (&#x1;, &#xD;).  Our decision: CR and TAB/LF round-trip
 * through any parser; C0 controls make the document unacceptable to a strict
 * XML 1.0 parser, which is the case S3's documentation sends clients to
 * encoding-type=url for (botocore and minio-go always ask for it, and then
 * every such byte is %XX).  We never drop or alter a key silently.  (Real
 * S3's exact bytes for such keys were not observed here.)  Invalid UTF-8 in
 * any string is refused (S3XML_ERR_ENCODING): S3 keys are UTF-8, and the
 * gateway validates them at PUT.
 *
 * Decoders are hardened against hostile bodies: no network, no DTD at all (a
 * DOCTYPE is refused before libxml2 starts, so entity bombs and XXE never
 * start), no entity expansion, a byte limit, a depth limit, element,
 * attribute and text length limits (libxml2 2.9 is quadratic in a tag's
 * attribute count), all checked as the document is read.  The S3 namespace is
 * optional; whitespace between elements is ignored; unknown child elements are
 * ignored as S3 ignores them. Results are heap structs the caller frees with
 * the paired _free function.
 *
 * Threads: every function may be called from any thread concurrently.  Call
 * s3xml_init() once at startup before starting threads (decoders also call
 * it, through pthread_once); s3xml_cleanup() only at process exit, after all
 * threads stopped using the codec.
 */
#ifndef VS_XML_S3XML_H
#define VS_XML_S3XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Errors: 0 or one of these (or -ENOMEM).  Each names the S3 error code the
 * gateway answers with (s3xml_err_s3code returns it).
 */
enum s3xml_err {
	/* Not well-formed, wrong root, a missing or duplicate element, a bad
	 * value: MalformedXML. */
	S3XML_ERR_MALFORMED = -3001,
	/* A DOCTYPE (DTD, entities, XXE): MalformedXML. */
	S3XML_ERR_DTD = -3002,
	/* Body over the byte limit: MaxMessageLengthExceeded. */
	S3XML_ERR_TOO_LARGE = -3003,
	/* Deeper than S3XML_DEPTH_MAX, more than S3XML_ELEMENTS_MAX elements,
	 * attributes over S3XML_TAG_ATTRS_MAX or S3XML_ATTRS_MAX, or a text
	 * over its limit: MalformedXML. */
	S3XML_ERR_LIMIT = -3004,
	/* Over 1000 objects to delete or 10000 parts: MalformedXML. */
	S3XML_ERR_TOO_MANY = -3005,
	/* A key over S3XML_KEY_BYTES_MAX: KeyTooLongError. */
	S3XML_ERR_KEY_TOO_LONG = -3006,
	/* PartNumber an integer outside 1..10000: InvalidArgument. */
	S3XML_ERR_PART_NUMBER = -3007,
	/* Encoder given invalid UTF-8 or a time outside years 0..9999:
	 * InternalError (a caller bug). */
	S3XML_ERR_ENCODING = -3008,
};

/* The S3 namespace. */
#define S3XML_NS "http://s3.amazonaws.com/doc/2006-03-01/"
/* Default request body limit (a 10000-part Complete is about 1 MiB). */
#define S3XML_BODY_BYTES_MAX (2u * 1024 * 1024)
/* Element nesting, the root being 1. */
#define S3XML_DEPTH_MAX 32u
/* Elements in one request document. */
#define S3XML_ELEMENTS_MAX 100000u
/* Any text value other than a key. */
#define S3XML_TEXT_BYTES_MAX 4096u
/* Attributes and xmlns declarations on one tag, and in one document. */
#define S3XML_TAG_ATTRS_MAX 16u
#define S3XML_ATTRS_MAX     256u
/* S3's object key limit, in UTF-8 bytes. */
#define S3XML_KEY_BYTES_MAX      1024u
#define S3XML_DELETE_OBJECTS_MAX 1000u
#define S3XML_PARTS_MAX          10000u

/* A message for logs; static storage, never NULL. */
const char *s3xml_strerror(int err);
/* The S3 error code (e.g. "MalformedXML") the gateway answers for err;
 * static storage; "InternalError" for anything not an s3xml code. */
const char *s3xml_err_s3code(int err);

/* Initialises libxml2 (xmlInitParser) exactly once; thread-safe, idempotent. */
void s3xml_init(void);
/* Releases libxml2's global state (xmlCleanupParser); once, at exit. */
void s3xml_cleanup(void);

/* ---- time ---- */

/* "2009-10-12T17:50:30.000Z" plus NUL. */
#define S3XML_TIME_BYTES 25u
/* Formats a unix time in milliseconds (or nanoseconds, truncated toward the
 * past to whole ms) as ISO 8601 UTC with milliseconds into buf.  Returns 0 or
 * S3XML_ERR_ENCODING when the year is outside 0000..9999. */
int s3xml_time_format_ms(int64_t unix_ms, char buf[S3XML_TIME_BYTES]);
int s3xml_time_format_ns(int64_t unix_ns, char buf[S3XML_TIME_BYTES]);
/* Unix ns to ms, rounding toward negative infinity. */
int64_t s3xml_ms_from_ns(int64_t unix_ns);

/* ---- checksums named in multipart bodies ---- */
enum s3xml_checksum {
	S3XML_CHECKSUM_CRC32,
	S3XML_CHECKSUM_CRC32C,
	S3XML_CHECKSUM_CRC64NVME,
	S3XML_CHECKSUM_SHA1,
	S3XML_CHECKSUM_SHA256,
	S3XML_CHECKSUM_COUNT
};
/* "CRC32", "CRC32C", ...; the element is "Checksum" followed by this name. */
const char *s3xml_checksum_name(enum s3xml_checksum c);

/* ---- URL encoding as S3 applies it for encoding-type=url ---- */

/* S3 encodes like Java's URLEncoder but keeps '/': A-Z a-z 0-9 - _ . * / are
 * kept, space becomes '+', every other byte %XX (upper-case hex), so
 * "a b+c/é" -> "a+b%2Bc/%C3%A9".  Returns a malloc'd string the caller frees,
 * or NULL when out of memory. */
char *s3xml_url_encode(const char *s);

/* ================= encoders (responses) ================= */

struct s3xml_owner {
	const char *id;
	const char *display_name;
};

/* <Error>: no namespace, as S3.  code and message are required; resource and
 * request_id are omitted when NULL.  extra fields (Region, Key, BucketName,
 * UploadId, PartNumber, HostId...) go between Message and Resource in the
 * order given; their names must be plain element names (asserted). */
struct s3xml_error_field {
	const char *name;
	const char *value;
};
struct s3xml_error {
	const char *code;
	const char *message;
	const char *resource;
	const char *request_id;
	const struct s3xml_error_field *extra;
	size_t extra_count;
};
int s3xml_encode_error(const struct s3xml_error *e, char **body,
                       size_t *body_len);

/* ListAllMyBucketsResult. */
struct s3xml_bucket {
	const char *name;
	int64_t created_ms;
};
int s3xml_encode_list_buckets(const struct s3xml_owner *owner,
                              const struct s3xml_bucket *buckets, size_t count,
                              char **body, size_t *body_len);

/* LocationConstraint: an empty element when region is NULL, "" or
 * "us-east-1" (S3's answer for us-east-1), else the region. */
int s3xml_encode_location(const char *region, char **body, size_t *body_len);
/* VersioningConfiguration of a bucket that never had versioning: empty. */
int s3xml_encode_versioning(char **body, size_t *body_len);

/* One entry of a listing: <Contents> (ListObjects) or <Version>. */
struct s3xml_object {
	const char *key;
	int64_t last_modified_ms;
	const char *etag; /* as stored, with its quotes */
	uint64_t size;
	const char *storage_class;      /* NULL: "STANDARD" */
	const char *checksum_algorithm; /* NULL: no <ChecksumAlgorithm> */
};

/* ListBucketResult (v1 and v2) and ListVersionsResult.  All strings are
 * borrowed for the call.  prefix NULL is written as an empty <Prefix>;
 * delimiter NULL or "" is omitted; other optional strings are omitted when
 * NULL.  With encoding_url, Key, Prefix, Delimiter, StartAfter, Marker,
 * NextMarker, KeyMarker, NextKeyMarker and CommonPrefixes/Prefix are URL-
 * encoded (s3xml_url_encode) and <EncodingType>url</EncodingType> is echoed.
 * owner: the (single) owner of every object; v1 and versions write it in
 * every entry, v2 only when fetch_owner; NULL writes none. */
struct s3xml_list {
	const char *bucket;
	const char *prefix;
	const char *delimiter;
	uint32_t max_keys;
	bool is_truncated;
	bool encoding_url;
	const struct s3xml_owner *owner;
	/* v2 */
	bool fetch_owner;
	const char *continuation_token;
	const char *next_continuation_token;
	const char *start_after;
	/* v1: marker is always written (empty when NULL) */
	const char *marker;
	const char *next_marker;
	/* versions: key_marker and version_id_marker always written */
	const char *key_marker;
	const char *version_id_marker;
	const char *next_key_marker;
	const char *next_version_id_marker;

	const struct s3xml_object *objects;
	size_t object_count;
	const char *const *common_prefixes;
	size_t common_prefix_count;
};
int s3xml_encode_list_objects_v2(const struct s3xml_list *l, char **body,
                                 size_t *body_len);
int s3xml_encode_list_objects_v1(const struct s3xml_list *l, char **body,
                                 size_t *body_len);
/* Every object as its only, latest version: VersionId null, IsLatest true. */
int s3xml_encode_list_versions(const struct s3xml_list *l, char **body,
                               size_t *body_len);

/* InitiateMultipartUploadResult. */
int s3xml_encode_initiate_upload(const char *bucket, const char *key,
                                 const char *upload_id, char **body,
                                 size_t *body_len);

/* CompleteMultipartUploadResult; checksum[i] NULL omits ChecksumX. */
struct s3xml_complete_result {
	const char *location;
	const char *bucket;
	const char *key;
	const char *etag;
	const char *checksum[S3XML_CHECKSUM_COUNT];
};
int s3xml_encode_complete_upload(const struct s3xml_complete_result *r,
                                 char **body, size_t *body_len);

/* ListPartsResult; owner is written as both Initiator and Owner. */
struct s3xml_part_info {
	uint32_t part_number;
	int64_t last_modified_ms;
	const char *etag;
	uint64_t size;
};
struct s3xml_list_parts {
	const char *bucket;
	const char *key;
	const char *upload_id;
	const struct s3xml_owner *owner;
	const char *storage_class; /* NULL: "STANDARD" */
	uint32_t part_number_marker;
	uint32_t next_part_number_marker;
	uint32_t max_parts;
	bool is_truncated;
	const struct s3xml_part_info *parts;
	size_t part_count;
};
int s3xml_encode_list_parts(const struct s3xml_list_parts *l, char **body,
                            size_t *body_len);

/* ListMultipartUploadsResult; owner is each upload's Initiator and Owner.
 * key_marker and upload_id_marker are always written (empty when NULL). */
struct s3xml_upload {
	const char *key;
	const char *upload_id;
	int64_t initiated_ms;
	const char *storage_class; /* NULL: "STANDARD" */
};
struct s3xml_list_uploads {
	const char *bucket;
	const char *key_marker;
	const char *upload_id_marker;
	const char *next_key_marker;
	const char *next_upload_id_marker;
	const char *prefix;    /* NULL: omitted */
	const char *delimiter; /* NULL or "": omitted */
	uint32_t max_uploads;
	bool is_truncated;
	bool encoding_url; /* encodes Key, markers, Prefix, Delimiter,
	                      CommonPrefixes */
	const struct s3xml_owner *owner;
	const struct s3xml_upload *uploads;
	size_t upload_count;
	const char *const *common_prefixes;
	size_t common_prefix_count;
};
int s3xml_encode_list_uploads(const struct s3xml_list_uploads *l, char **body,
                              size_t *body_len);

/* CopyObjectResult / CopyPartResult: LastModified then ETag. */
int s3xml_encode_copy_object(const char *etag, int64_t last_modified_ms,
                             char **body, size_t *body_len);
int s3xml_encode_copy_part(const char *etag, int64_t last_modified_ms,
                           char **body, size_t *body_len);

/* DeleteResult: Deleted entries (none in quiet mode, the caller's choice)
 * then Error entries.  version_id NULL omits VersionId. */
struct s3xml_deleted {
	const char *key;
	const char *version_id;
};
struct s3xml_delete_error {
	const char *key;
	const char *version_id;
	const char *code;
	const char *message;
};
int s3xml_encode_delete_result(const struct s3xml_deleted *deleted,
                               size_t deleted_count,
                               const struct s3xml_delete_error *errors,
                               size_t error_count, char **body,
                               size_t *body_len);

/* Tagging (GetObjectTagging): the tags in the order given. */
int s3xml_encode_tagging(const char *const *keys, const char *const *values,
                         size_t count, char **body, size_t *body_len);

/* ================= decoders (requests) =================
 * Each takes the body (any bytes, not NUL-terminated) and the most bytes the
 * caller allows (0: S3XML_BODY_BYTES_MAX).  On success *out is a heap struct
 * the caller owns and frees with the paired _free (which accepts NULL); on
 * failure *out is untouched and the return is an s3xml_err or -ENOMEM. */

/* CreateBucketConfiguration.  An empty (or all-whitespace) body is valid.
 * location_constraint is NULL when absent or empty. */
struct s3xml_create_bucket {
	char *location_constraint;
};
int s3xml_decode_create_bucket(const void *body, size_t len,
                               size_t body_bytes_max,
                               struct s3xml_create_bucket **out);
void s3xml_create_bucket_free(struct s3xml_create_bucket *c);

/* Delete (DeleteObjects): 1..1000 objects, keys 1..1024 bytes, kept in the
 * order given; version_id NULL when absent. */
struct s3xml_delete_object {
	char *key;
	char *version_id;
};
struct s3xml_delete {
	bool quiet;
	size_t object_count;
	struct s3xml_delete_object *objects;
};
int s3xml_decode_delete(const void *body, size_t len, size_t body_bytes_max,
                        struct s3xml_delete **out);
void s3xml_delete_free(struct s3xml_delete *d);

/* CompleteMultipartUpload: 1..10000 parts in the order given (the gateway
 * checks ascending order: InvalidPartOrder).  etag exactly as sent.
 * checksum[i] NULL when absent. */
struct s3xml_complete_part {
	uint32_t part_number;
	char *etag;
	char *checksum[S3XML_CHECKSUM_COUNT];
};
struct s3xml_complete {
	size_t part_count;
	struct s3xml_complete_part *parts;
};
int s3xml_decode_complete(const void *body, size_t len, size_t body_bytes_max,
                          struct s3xml_complete **out);
void s3xml_complete_free(struct s3xml_complete *c);

/* VersioningConfiguration (PutBucketVersioning).  Status and MfaDelete are
 * UNSET when absent; any other value than Enabled/Suspended (Status) or
 * Enabled/Disabled (MfaDelete) is S3XML_ERR_MALFORMED. */
enum s3xml_versioning_value {
	S3XML_VERSIONING_UNSET,
	S3XML_VERSIONING_ENABLED,
	S3XML_VERSIONING_SUSPENDED,
	S3XML_VERSIONING_DISABLED, /* MfaDelete only */
};
struct s3xml_versioning {
	enum s3xml_versioning_value status;
	enum s3xml_versioning_value mfa_delete;
};
int s3xml_decode_versioning(const void *body, size_t len, size_t body_bytes_max,
                            struct s3xml_versioning **out);
void s3xml_versioning_free(struct s3xml_versioning *v);

/* Tagging (PutObjectTagging): <Tagging><TagSet><Tag><Key/><Value/></Tag>
 * ...</TagSet></Tagging>, tags in the order given.  A Tag without Key or
 * Value, a duplicate element or a missing TagSet is MalformedXML; more than
 * S3XML_TAGS_MAX tags is S3XML_ERR_TOO_MANY.  S3's own limits (10 tags,
 * key and value lengths, unique keys: InvalidTag) are the gateway's. */
#define S3XML_TAGS_MAX 1000u
struct s3xml_tag {
	char *key;
	char *value;
};
struct s3xml_tagging {
	size_t tag_count;
	struct s3xml_tag *tags;
};
int s3xml_decode_tagging(const void *body, size_t len, size_t body_bytes_max,
                         struct s3xml_tagging **out);
void s3xml_tagging_free(struct s3xml_tagging *t);

#endif /* VS_XML_S3XML_H */
