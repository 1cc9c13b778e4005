/*
 * object_meta.h — the record codec and the layer's shared internals.
 * Internal to gateway/'s object layer, its collector and their tests.
 */
#ifndef VS_GATEWAY_OBJECT_META_H
#define VS_GATEWAY_OBJECT_META_H

#include <pthread.h>

#include "gateway/object.h"
#include "gateway/object_keys.h"

/* Encodes m into a malloc'd buffer (caller frees).  OBJ_EMETATOOLARGE if a
 * field does not fit the format. */
int obj_meta_encode(const struct obj_meta *m, void **out, size_t *out_len);
/* Decodes and validates; OBJ_ECORRUPT on any inconsistency.  *out is one
 * allocation owned by the caller (obj_meta_free). */
int obj_meta_decode(const void *buf, size_t len, struct obj_meta **out);
size_t obj_attrs_user_bytes(const struct obj_attrs *a);

/* How many times a commit that lost a race (its EQUALS precondition on the
 * record it read) is retried before OBJ_ECONFLICT. */
#define OBJ_COMMIT_TRIES 16

struct obj {
	struct store *store;
	struct obj_options opts;
	pthread_mutex_t mu; /* stats */
	struct obj_stats stats;
};

/* A record read from the store with its raw bytes (for EQUALS conditions). */
struct obj_rec {
	void *raw;
	size_t raw_len;
	struct obj_meta *meta;
};
/* 0, STORE_ENOTFOUND, OBJ_ECORRUPT or an error. */
int obj_rec_get(struct obj *o, const struct obj_key *k, struct obj_rec *out);
void obj_rec_clear(struct obj_rec *r);

/* Maps a store code to the layer's (ECOND must be handled by the caller). */
int obj_err_from_store(int rc);
/* Validates a bucket name and object key for use in keys. */
int obj_check_names(const char *bucket, const char *key, size_t key_len);
/* OBJ_ENOBUCKET unless bucket exists (a read, not a commit condition). */
int obj_bucket_require(struct obj *o, const char *bucket);
/* Adds "bucket exists" as a precondition. */
int obj_batch_require_bucket(struct store_batch *b, const char *bucket);

/* A fresh data id: creation time then 8 random bytes. */
void obj_data_id_new(struct obj *o, uint8_t id[16]);
/* A fresh upload id: 32 lowercase hex characters and NUL. */
void obj_upload_id_new(char id[OBJ_UPLOAD_ID_LEN_BUF]);
bool obj_upload_id_valid(const char *id);

/* Records the extent as eager garbage in b (collectable after the delay). */
int obj_batch_garbage(struct obj *o, struct store_batch *b,
		      const struct obj_extent *e, uint32_t chunk_bytes);
/* Records every extent of m as garbage. */
int obj_batch_garbage_meta(struct obj *o, struct store_batch *b,
			   const struct obj_meta *m);

void obj_buffer_account(struct obj *o, int64_t delta);
void obj_stat_add(struct obj *o, uint64_t *field, uint64_t n);

/* Number of chunks an extent of size bytes occupies. */
static inline uint32_t obj_chunk_count(uint64_t size, uint32_t chunk_bytes)
{
	return (uint32_t)((size + chunk_bytes - 1) / chunk_bytes);
}

/* Evaluates If-None-Match / If-Match against the current record. */
int obj_cond_check(const struct obj_cond *cond, const struct obj_rec *old);

/*
 * Commits m as bucket/key (object_put.c): reads the current record, checks
 * cond, submits with "bucket exists" (condition 0) and "record unchanged"
 * (condition 1) plus whatever extra_fn adds (conditions after those);
 * retries when another commit won the race.  The replaced object's extents
 * become garbage in the same batch.  b is scratch.
 */
int obj_commit_object(struct obj *o, const char *bucket, const char *key,
		      size_t key_len, const struct obj_meta *m,
		      const struct obj_cond *cond,
		      int (*extra_fn)(void *arg, struct store_batch *b,
				      const struct obj_rec *old),
		      void *arg, struct store_batch *b);

/* Commits a part record (object_multipart.c); data_id's in-flight record
 * is deleted in the same batch. */
int obj_commit_part(struct obj *o, const char *bucket, const char *key,
		    size_t key_len, const char *upload_id, uint32_t part,
		    const struct obj_meta *m, const uint8_t *data_id,
		    struct store_batch *b);

/* Compares ETags ignoring surrounding quotes and hex case. */
bool obj_etag_equal(const char *a, const char *b);

#endif /* VS_GATEWAY_OBJECT_META_H */
