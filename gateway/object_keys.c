/*
 * object_keys.c — building the object layer's store keys (the key space is
 * documented in object_keys.h).  Callers validate names first; these
 * functions assert the lengths they were promised.
 */
#include "gateway/object_keys.h"

#include <string.h>

#include "engine/assert.h"

static void key_add(struct obj_key *k, const void *p, size_t len)
{
	ASSERT(k->len + len <= sizeof k->buf);
	memcpy(k->buf + k->len, p, len);
	k->len += len;
}

static void key_byte(struct obj_key *k, uint8_t b)
{
	key_add(k, &b, 1);
}

static void key_bucket_part(struct obj_key *k, uint8_t tag,
			    const char *bucket)
{
	size_t n = strlen(bucket);
	ASSERT(n > 0 && n <= OBJ_BUCKET_NAME_MAX);
	k->len = 0;
	key_byte(k, tag);
	key_add(k, bucket, n);
}

void obj_key_bucket(struct obj_key *k, const char *bucket)
{
	key_bucket_part(k, OBJ_KEY_BUCKET, bucket);
}

void obj_key_object(struct obj_key *k, const char *bucket, const char *key,
		    size_t key_len)
{
	ASSERT(key_len <= OBJ_OBJECT_KEY_MAX);
	key_bucket_part(k, OBJ_KEY_OBJECT, bucket);
	key_byte(k, 0);
	if (key != NULL)
		key_add(k, key, key_len);
}

void obj_key_object_prefix(struct obj_key *k, const char *bucket)
{
	obj_key_object(k, bucket, NULL, 0);
}

static void key_upload_like(struct obj_key *k, uint8_t tag,
			    const char *bucket, const char *key,
			    size_t key_len, const char *upload_id)
{
	ASSERT(key_len <= OBJ_OBJECT_KEY_MAX);
	ASSERT(strlen(upload_id) == OBJ_UPLOAD_ID_LEN);
	key_bucket_part(k, tag, bucket);
	key_byte(k, 0);
	key_add(k, key, key_len);
	key_byte(k, 0);
	key_add(k, upload_id, OBJ_UPLOAD_ID_LEN);
}

void obj_key_upload(struct obj_key *k, const char *bucket, const char *key,
		    size_t key_len, const char *upload_id)
{
	key_upload_like(k, OBJ_KEY_UPLOAD, bucket, key, key_len, upload_id);
}

void obj_key_upload_prefix(struct obj_key *k, const char *bucket)
{
	key_bucket_part(k, OBJ_KEY_UPLOAD, bucket);
	key_byte(k, 0);
}

void obj_key_part_prefix(struct obj_key *k, const char *bucket,
			 const char *key, size_t key_len,
			 const char *upload_id)
{
	key_upload_like(k, OBJ_KEY_PART, bucket, key, key_len, upload_id);
}

void obj_key_part(struct obj_key *k, const char *bucket, const char *key,
		  size_t key_len, const char *upload_id, uint32_t part)
{
	obj_key_part_prefix(k, bucket, key, key_len, upload_id);
	uint8_t be[4];
	obj_be32_put(be, part);
	key_add(k, be, 4);
}

void obj_key_chunk(struct obj_key *k, const uint8_t *data_id, uint32_t idx)
{
	k->len = 0;
	key_byte(k, OBJ_KEY_CHUNK);
	key_add(k, data_id, OBJ_DATA_ID_BYTES);
	uint8_t be[4];
	obj_be32_put(be, idx);
	key_add(k, be, 4);
}

void obj_key_inflight(struct obj_key *k, const uint8_t *data_id)
{
	k->len = 0;
	key_byte(k, OBJ_KEY_INFLIGHT);
	key_add(k, data_id, OBJ_DATA_ID_BYTES);
}

void obj_key_garbage(struct obj_key *k, uint64_t since_ns,
		     const uint8_t *data_id)
{
	k->len = 0;
	key_byte(k, OBJ_KEY_GARBAGE);
	uint8_t be[8];
	obj_be64_put(be, since_ns);
	key_add(k, be, 8);
	key_add(k, data_id, OBJ_DATA_ID_BYTES);
}

bool obj_key_successor(struct obj_key *k)
{
	while (k->len > 0) {
		if (k->buf[k->len - 1] != 0xff) {
			k->buf[k->len - 1]++;
			return true;
		}
		k->len--;
	}
	return false;
}

void obj_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t obj_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

void obj_be64_put(uint8_t *p, uint64_t v)
{
	obj_be32_put(p, (uint32_t)(v >> 32));
	obj_be32_put(p + 4, (uint32_t)v);
}

uint64_t obj_be64_get(const uint8_t *p)
{
	return (uint64_t)obj_be32_get(p) << 32 | obj_be32_get(p + 4);
}

uint64_t obj_data_id_time_ns(const uint8_t *data_id)
{
	return obj_be64_get(data_id);
}
