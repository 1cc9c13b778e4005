/*
 * object.h — the object layer: buckets, objects, chunk streaming, listing
 * and multipart uploads over the store interface (gateway/store.h).
 *
 * The S3 handlers call this; it knows nothing of HTTP, XML or SigV4.  Every
 * fallible call returns 0 or a negative code: OBJ_E* below (each maps to
 * one S3 error), or a store/system code, which the handlers report as
 * InternalError.  OBJ_EUNAVAILABLE means the outcome is unknown: the
 * handler answers 503 and the client retries.
 *
 * Consistency: each mutation is one atomic store batch; it becomes visible
 * all at once (the commit point) and its preconditions (If-None-Match: *,
 * If-Match, bucket exists, bucket empty) are evaluated atomically with it.
 *
 * Threads: struct obj is shared by every request thread; writers, readers
 * and metas belong to one request.
 */
#ifndef VS_GATEWAY_OBJECT_H
#define VS_GATEWAY_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/store.h"

enum obj_error {
	OBJ_ENOBUCKET = -4001,     /* NoSuchBucket */
	OBJ_ENOKEY = -4002,        /* NoSuchKey */
	OBJ_EBUCKETEXISTS = -4003, /* BucketAlreadyOwnedByYou */
	OBJ_ENOTEMPTY = -4004,     /* BucketNotEmpty */
	OBJ_EBUCKETNAME = -4005,   /* InvalidBucketName */
	OBJ_EKEYNAME = -4006,      /* KeyTooLongError / InvalidArgument */
	OBJ_EPRECONDITION = -4007, /* PreconditionFailed (412) */
	OBJ_ERANGE = -4008,        /* InvalidRange (416) */
	OBJ_EMETATOOLARGE = -4009, /* MetadataTooLarge */
	OBJ_ENOUPLOAD = -4010,     /* NoSuchUpload */
	OBJ_EINVALIDPART = -4011,  /* InvalidPart */
	OBJ_EPARTORDER = -4012,    /* InvalidPartOrder */
	OBJ_ETOOSMALL = -4013,     /* EntityTooSmall */
	OBJ_EARGUMENT = -4014,     /* InvalidArgument (part number, etc.) */
	OBJ_EUNAVAILABLE = -4015,  /* ServiceUnavailable (503): retry */
	OBJ_ECORRUPT = -4016,      /* stored bytes failed validation */
	OBJ_ECONFLICT = -4017,     /* OperationAborted (409): raced too often */
	OBJ_ETOOLARGE = -4018,     /* EntityTooLarge */
};

const char *obj_strerror(int err);

/* Limits (S3's). */
#define OBJ_USER_META_BYTES_MAX 2048 /* names + values of x-amz-meta-* */
#define OBJ_PART_NUMBER_MAX 10000
#define OBJ_PART_BYTES_MIN (5u * 1024 * 1024) /* every part but the last */
#define OBJ_LIST_MAX 1000
#define OBJ_ETAG_MAX 48 /* hex MD5 plus "-10000", NUL included */
#define OBJ_OBJECT_BYTES_MAX (5ull * 1024 * 1024 * 1024 * 1024) /* 5 TiB */
#define OBJ_UPLOAD_ID_LEN_BUF 33 /* 32 hex characters and a NUL */

/* ---- The layer handle ------------------------------------------------------ */

struct obj_options {
	/*
	 * Chunk size: default 1 MiB.  It is the memory one request holds (one
	 * chunk buffer), the size of one store batch (one Raft entry later: etcd
	 * caps requests at 1.5 MiB for the same reason), and 5 GiB is then
	 * 5120 chunk keys — small index overhead against 1 MiB values.
	 */
	uint32_t chunk_bytes;
	/* Wall clock in ns since the epoch (Last-Modified, data id ages);
	 * NULL = CLOCK_REALTIME.  Tests inject their own. */
	uint64_t (*clock_ns)(void *ctx);
	void *clock_ctx;
};
#define OBJ_CHUNK_BYTES_DEFAULT (1u << 20)

void obj_options_init(struct obj_options *o);

struct obj;
/* The store is borrowed; it must outlive the layer. */
int obj_new(struct store *store, const struct obj_options *opts,
	    struct obj **out);
void obj_free(struct obj *o);
struct store *obj_store(struct obj *o);
uint64_t obj_now_ns(struct obj *o);

/* Buffer accounting: bytes of chunk/copy buffers held now and at most. */
struct obj_stats {
	uint64_t buffer_bytes;
	uint64_t buffer_bytes_peak;
	uint64_t chunks_written;
	uint64_t commit_retries;
};
void obj_stats_get(struct obj *o, struct obj_stats *out);

/* ---- Metadata ---------------------------------------------------------------- */

struct obj_pair {
	const char *name; /* x-amz-meta- suffix, as the handler normalised it */
	const char *value;
};

/*
 * What the handler supplies when an object is committed.  Strings are
 * NUL-terminated; NULL means absent.  Borrowed for the call.
 */
struct obj_attrs {
	const char *etag; /* unquoted: 32 hex, or hex "-N" */
	const char *content_type;
	const char *content_encoding;
	const char *content_disposition;
	const char *content_language;
	const char *cache_control;
	const char *expires;
	const char *checksum_algo;  /* "CRC32", "CRC32C", "CRC64NVME", ... */
	const char *checksum_value; /* base64, composite form ends "-N" */
	/* Multipart: "COMPOSITE" or "FULL_OBJECT" (x-amz-checksum-type);
	 * NULL for a single PUT (always full-object). */
	const char *checksum_type;
	/* The tag set, canonical URL query form "k1=v1&k2=v2" (keys sorted,
	 * RFC 3986 escapes; tagging.h); NULL or "" for none. */
	const char *tagging;
	const struct obj_pair *user;
	size_t user_count;
};

/* One data extent: a PUT body or one part. */
struct obj_extent {
	uint8_t id[16];
	uint64_t size;
};

/*
 * A decoded object (or upload, or part) record.  One allocation: every
 * pointer points into it.  Owned by the caller; free with obj_meta_free.
 */
struct obj_meta {
	uint64_t size;
	int64_t mtime_ns; /* Last-Modified, exact and stable */
	uint32_t chunk_bytes;
	uint32_t part_count; /* 0 for a single PUT, N for multipart */
	struct obj_attrs attrs;
	const struct obj_extent *extents;
	uint32_t extent_count;
};
void obj_meta_free(struct obj_meta *m);

/* ---- Buckets ----------------------------------------------------------------- */

/* S3 bucket naming rules (3..63 chars, [a-z0-9.-], starts and ends with a
 * letter or digit, no "..", not an IPv4 address, no xn-- / -s3alias). */
bool obj_bucket_name_valid(const char *name);

struct obj_bucket_info {
	char name[64];
	char region[64];
	int64_t ctime_ns;
};
/* region may be NULL or "" (us-east-1).  OBJ_EBUCKETEXISTS if present. */
int obj_bucket_create(struct obj *o, const char *name, const char *region);
/* OBJ_ENOBUCKET; OBJ_ENOTEMPTY while objects or uploads remain. */
int obj_bucket_delete(struct obj *o, const char *name);
int obj_bucket_head(struct obj *o, const char *name,
		    struct obj_bucket_info *out);
/* Calls fn for each bucket in name order; fn's non-zero return stops. */
int obj_bucket_list(struct obj *o,
		    int (*fn)(void *arg, const struct obj_bucket_info *b),
		    void *arg);

/* ---- PUT and UploadPart: streaming writers ----------------------------------- */

/* Preconditions evaluated atomically with the commit. */
struct obj_cond {
	bool if_none_match_any;  /* If-None-Match: * */
	const char *if_match;    /* If-Match: unquoted ETag, or NULL */
};

struct obj_writer;
/* Starts a PUT of bucket/key (key_len <= 1024, no NUL bytes). */
int obj_writer_new(struct obj *o, const char *bucket, const char *key,
		   size_t key_len, struct obj_writer **out);
/* Starts an UploadPart (1..10000); OBJ_ENOUPLOAD checked now and at finish. */
int obj_part_writer_new(struct obj *o, const char *bucket, const char *key,
			size_t key_len, const char *upload_id, uint32_t part,
			struct obj_writer **out);
/* Appends body bytes; each full chunk is submitted as it fills. */
int obj_writer_write(struct obj_writer *w, const void *buf, size_t len);
/* Commits the PUT: one batch (the commit point).  *out (may be NULL)
 * receives the committed metadata. */
int obj_put_finish(struct obj_writer *w, const struct obj_attrs *attrs,
		   const struct obj_cond *cond, struct obj_meta **out);
/* Commits the part: md5_hex is the part's ETag; checksum_value may be NULL. */
int obj_part_finish(struct obj_writer *w, const char *md5_hex,
		    const char *checksum_value);
/* Frees the writer; chunks of an unfinished one become eager garbage. */
void obj_writer_free(struct obj_writer *w);

/* ---- GET and HEAD --------------------------------------------------------------- */

enum obj_range_kind {
	OBJ_RANGE_NONE,    /* whole object */
	OBJ_RANGE_FROM_TO, /* bytes=a-b */
	OBJ_RANGE_FROM,    /* bytes=a- */
	OBJ_RANGE_SUFFIX,  /* bytes=-n (last n bytes) */
};
struct obj_range {
	enum obj_range_kind kind;
	uint64_t a, b; /* SUFFIX: a = n */
};

/* HEAD: the metadata only.  OBJ_ENOBUCKET / OBJ_ENOKEY. */
int obj_head(struct obj *o, const char *bucket, const char *key,
	     size_t key_len, struct obj_meta **out);

struct obj_reader;
/* Opens a GET; an unsatisfiable range is OBJ_ERANGE (416). */
int obj_reader_new(struct obj *o, const char *bucket, const char *key,
		   size_t key_len, const struct obj_range *range,
		   struct obj_reader **out);
/* Borrowed for the reader's life. */
const struct obj_meta *obj_reader_meta(const struct obj_reader *r);
/* The resolved byte range [*first, *first + *len). */
void obj_reader_span(const struct obj_reader *r, uint64_t *first,
		     uint64_t *len);
/* Reads up to cap bytes into buf; *got == 0 means the range is done. */
int obj_reader_read(struct obj_reader *r, void *buf, size_t cap,
		    size_t *got);
void obj_reader_free(struct obj_reader *r);

/* ---- Delete and copy ---------------------------------------------------------- */

/* Idempotent: a missing key succeeds.  OBJ_ENOBUCKET. */
int obj_delete(struct obj *o, const char *bucket, const char *key,
	       size_t key_len);

/*
 * CopyObject.  replace == NULL copies the source's metadata (COPY);
 * otherwise replace gives the new metadata (REPLACE; its etag is ignored:
 * the data, hence the ETag, is the source's).  Copying onto itself with
 * REPLACE rewrites metadata only and copies no data.  Other copies copy the
 * chunks (streamed, one chunk buffer), so objects never share chunks and
 * the collector needs no reference counts.  cond applies to the
 * destination; the handler checks x-amz-copy-source-if-* with obj_head.
 * Copying onto itself without REPLACE is OBJ_EARGUMENT (InvalidRequest).
 */
int obj_copy(struct obj *o, const char *src_bucket, const char *src_key,
	     size_t src_key_len, const char *dst_bucket, const char *dst_key,
	     size_t dst_key_len, const struct obj_attrs *replace,
	     const struct obj_cond *cond, struct obj_meta **out);

/*
 * PutObjectTagging / DeleteObjectTagging: replaces the object's tag set
 * (canonical form, tagging.h; NULL or "" removes it) and nothing else —
 * S3 keeps the ETag and Last-Modified — in one batch guarded by "the
 * record is still the one read".  OBJ_ENOBUCKET / OBJ_ENOKEY.  *out (may
 * be NULL) receives the new metadata.
 */
int obj_tagging_set(struct obj *o, const char *bucket, const char *key,
		    size_t key_len, const char *tagging, struct obj_meta **out);

/* ---- Listing -------------------------------------------------------------------- */

struct obj_list_params {
	const char *prefix;
	size_t prefix_len;
	const char *delimiter; /* NULL or empty: no grouping */
	size_t delimiter_len;
	/* Start strictly after this key: V1 marker, V2 start-after, or a
	 * continuation token (the gateway passes the larger of the two). */
	const char *after;
	size_t after_len;
	uint32_t max_keys; /* capped at OBJ_LIST_MAX */
};

struct obj_list_entry {
	const char *key; /* borrowed for the callback */
	size_t key_len;
	bool is_prefix; /* a CommonPrefix: no meta */
	const struct obj_meta *meta;
};

struct obj_list_result {
	bool truncated;
	/* The last key or common prefix returned: V1 NextMarker, and the
	 * continuation token (the gateway encodes it).  Owned: free(). */
	char *next;
	size_t next_len;
	uint32_t count;
};

/*
 * Lists bucket in byte order, calling fn for each entry (fn's non-zero
 * return aborts the listing with that value).  A common prefix is skipped
 * with one seek, whatever the number of keys under it.
 */
int obj_list(struct obj *o, const char *bucket,
	     const struct obj_list_params *p,
	     int (*fn)(void *arg, const struct obj_list_entry *e), void *arg,
	     struct obj_list_result *res);

/* ---- Multipart ------------------------------------------------------------------ */

/* Creates an upload; attrs gives the content headers, user metadata and
 * checksum algorithm (etag/checksum_value ignored).  upload_id receives 32
 * hex characters and a NUL. */
int obj_upload_new(struct obj *o, const char *bucket, const char *key,
		   size_t key_len, const struct obj_attrs *attrs,
		   char upload_id[OBJ_UPLOAD_ID_LEN_BUF]);

struct obj_part_ref {
	uint32_t part;
	const char *etag; /* as the client sent it, quotes allowed */
};

/* Room for an object checksum value: base64 of a SHA-256, "-10000", NUL. */
#define OBJ_CHECKSUM_VALUE_MAX 64

/*
 * How CompleteMultipartUpload derives the object's checksum.  fn is called
 * with the upload's record and the listed parts' records (read and
 * validated, in order, the very records the commit is conditioned on), and
 * writes the value (NUL-terminated, at most OBJ_CHECKSUM_VALUE_MAX bytes
 * with the NUL) to out, or "" for none.  A non-zero return aborts the
 * completion with that code.  May be called once per commit attempt.
 */
struct obj_checksum_fn {
	int (*fn)(void *arg, const struct obj_meta *upload,
		  const struct obj_meta *const *parts, size_t n,
		  char out[OBJ_CHECKSUM_VALUE_MAX]);
	void *arg;
};

/*
 * Completes an upload: parts must be strictly ascending (OBJ_EPARTORDER),
 * exist with the given ETag (OBJ_EINVALIDPART) and all but the last be at
 * least 5 MiB (OBJ_ETOOSMALL).  The object references the parts' chunks;
 * nothing is copied.  checksum, if not NULL, computes the object's
 * checksum from the parts' (composite or full-object); the upload's
 * checksum algorithm and type are kept with it.
 */
int obj_upload_complete(struct obj *o, const char *bucket, const char *key,
			size_t key_len, const char *upload_id,
			const struct obj_part_ref *parts, size_t part_count,
			const struct obj_checksum_fn *checksum,
			const struct obj_cond *cond, struct obj_meta **out);
int obj_upload_abort(struct obj *o, const char *bucket, const char *key,
		     size_t key_len, const char *upload_id);
/* The upload's record (attrs, mtime_ns = initiation).  OBJ_ENOUPLOAD. */
int obj_upload_head(struct obj *o, const char *bucket, const char *key,
		    size_t key_len, const char *upload_id,
		    struct obj_meta **out);

struct obj_part_info {
	uint32_t part;
	const struct obj_meta *meta; /* size, mtime, attrs.etag, checksum */
};
/* ListParts: parts after part_marker, at most max_parts (<= 1000). */
int obj_upload_list_parts(struct obj *o, const char *bucket, const char *key,
			  size_t key_len, const char *upload_id,
			  uint32_t part_marker, uint32_t max_parts,
			  int (*fn)(void *arg, const struct obj_part_info *p),
			  void *arg, bool *truncated, uint32_t *next_marker);

struct obj_upload_entry {
	const char *key; /* or the common prefix */
	size_t key_len;
	bool is_prefix;
	const char *upload_id; /* NULL for a prefix */
	int64_t initiated_ns;
};
struct obj_upload_list_params {
	const char *prefix;
	size_t prefix_len;
	const char *delimiter;
	size_t delimiter_len;
	const char *key_marker; /* after (key_marker, upload_id_marker) */
	size_t key_marker_len;
	const char *upload_id_marker; /* NULL: after every upload of marker */
	uint32_t max_uploads;
};
struct obj_upload_list_result {
	bool truncated;
	char *next_key; /* owned: free() */
	size_t next_key_len;
	char next_upload_id[OBJ_UPLOAD_ID_LEN_BUF];
};
int obj_upload_list(struct obj *o, const char *bucket,
		    const struct obj_upload_list_params *p,
		    int (*fn)(void *arg, const struct obj_upload_entry *e),
		    void *arg, struct obj_upload_list_result *res);

#endif /* VS_GATEWAY_OBJECT_H */
