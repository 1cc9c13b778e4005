/*
 * object_keys.h — the object layer's key space, in one place.  Internal to
 * gateway/ (the object layer, the collector and their tests).
 *
 * Every key starts with a one-byte family tag.  Bucket names never contain
 * 0x00 (validated) and object keys are refused if they do, so 0x00 is a
 * separator that keeps byte order equal to (bucket, key) order.
 *
 *   'B' bucket                          bucket record (ctime, region)
 *   'O' bucket 0x00 key                 object metadata (object_meta.c);
 *                                       listing is an ordered scan of these
 *   'U' bucket 0x00 key 0x00 uploadid   multipart upload record (uploadid is
 *                                       32 lowercase hex: ListMultipartUploads
 *                                       order is key, then upload id)
 *   'P' bucket 0x00 key 0x00 uploadid part(4, BE)
 *                                       one uploaded part (its data extent)
 *   'C' dataid(16) index(4, BE)         one chunk of an extent's bytes
 *   'I' dataid(16)                      an extent being written (PUT or part
 *                                       in flight): value = creation ns
 *   'G' since_ns(8, BE) dataid(16)      eager garbage: the extent became
 *                                       unreachable at since_ns; the
 *                                       collector deletes its chunks after
 *                                       its grace period; value = extent
 *                                       size(8) + chunk bytes(4)
 *
 * A data id is 8 bytes of creation time (ns, BE) then 8 random bytes, so
 * every chunk's age is recognisable from its key (the collector's sweep
 * never deletes a young chunk), and chunks of one extent are contiguous.
 * Each PUT body and each UploadPart attempt gets its own data id, so object
 * metadata holds one (id, size) pair per part, never a list of chunks.
 */
#ifndef VS_GATEWAY_OBJECT_KEYS_H
#define VS_GATEWAY_OBJECT_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OBJ_KEY_BUCKET 'B'
#define OBJ_KEY_OBJECT 'O'
#define OBJ_KEY_UPLOAD 'U'
#define OBJ_KEY_PART 'P'
#define OBJ_KEY_CHUNK 'C'
#define OBJ_KEY_INFLIGHT 'I'
#define OBJ_KEY_GARBAGE 'G'

#define OBJ_DATA_ID_BYTES 16
#define OBJ_UPLOAD_ID_LEN 32 /* hex characters */
#define OBJ_BUCKET_NAME_MAX 63
#define OBJ_OBJECT_KEY_MAX 1024
/* Longest key built here: 'P' bucket 0 key 0 uploadid part. */
#define OBJ_STORE_KEY_MAX                                                   \
	(1 + OBJ_BUCKET_NAME_MAX + 1 + OBJ_OBJECT_KEY_MAX + 1 +              \
	 OBJ_UPLOAD_ID_LEN + 4)
#define OBJ_CHUNK_KEY_LEN (1 + OBJ_DATA_ID_BYTES + 4)
#define OBJ_GARBAGE_KEY_LEN (1 + 8 + OBJ_DATA_ID_BYTES)

/* A key under construction; buf holds OBJ_STORE_KEY_MAX bytes. */
struct obj_key {
	uint8_t buf[OBJ_STORE_KEY_MAX + 8];
	size_t len;
};

void obj_key_bucket(struct obj_key *k, const char *bucket);
/* 'O' bucket 0; with key appended when key != NULL. */
void obj_key_object(struct obj_key *k, const char *bucket, const char *key,
		    size_t key_len);
void obj_key_object_prefix(struct obj_key *k, const char *bucket);
void obj_key_upload(struct obj_key *k, const char *bucket, const char *key,
		    size_t key_len, const char *upload_id);
void obj_key_upload_prefix(struct obj_key *k, const char *bucket);
void obj_key_part(struct obj_key *k, const char *bucket, const char *key,
		  size_t key_len, const char *upload_id, uint32_t part);
/* The parts of one upload: the part key without the part number. */
void obj_key_part_prefix(struct obj_key *k, const char *bucket,
			 const char *key, size_t key_len,
			 const char *upload_id);
void obj_key_chunk(struct obj_key *k, const uint8_t *data_id, uint32_t idx);
void obj_key_inflight(struct obj_key *k, const uint8_t *data_id);
void obj_key_garbage(struct obj_key *k, uint64_t since_ns,
		     const uint8_t *data_id);

/*
 * Sets k to the smallest key greater than every key that starts with k
 * (the "prefix successor"): the exclusive upper bound of a prefix scan and
 * the target of the one seek that skips a whole common prefix.  Returns
 * false when no such key exists (k is all 0xff).
 */
bool obj_key_successor(struct obj_key *k);

void obj_be32_put(uint8_t *p, uint32_t v);
uint32_t obj_be32_get(const uint8_t *p);
void obj_be64_put(uint8_t *p, uint64_t v);
uint64_t obj_be64_get(const uint8_t *p);

/* The creation time embedded in a data id. */
uint64_t obj_data_id_time_ns(const uint8_t *data_id);

#endif /* VS_GATEWAY_OBJECT_KEYS_H */
