/*
 * object.c — the object layer's handle and the helpers every operation
 * shares: reading records, error mapping, name checks, ids, garbage
 * records and buffer accounting.
 */
#include "gateway/object_meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "engine/assert.h"

static uint64_t clock_realtime_ns(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void obj_options_init(struct obj_options *o)
{
	memset(o, 0, sizeof *o);
	o->chunk_bytes = OBJ_CHUNK_BYTES_DEFAULT;
}

int obj_new(struct store *store, const struct obj_options *opts,
	    struct obj **out)
{
	struct obj *o = calloc(1, sizeof *o);
	if (o == NULL)
		return -ENOMEM;
	o->store = store;
	if (opts != NULL)
		o->opts = *opts;
	else
		obj_options_init(&o->opts);
	if (o->opts.chunk_bytes == 0)
		o->opts.chunk_bytes = OBJ_CHUNK_BYTES_DEFAULT;
	if (o->opts.chunk_bytes > STORE_VALUE_MAX) {
		free(o);
		return OBJ_EARGUMENT;
	}
	if (o->opts.clock_ns == NULL)
		o->opts.clock_ns = clock_realtime_ns;
	pthread_mutex_init(&o->mu, NULL);
	*out = o;
	return 0;
}

void obj_free(struct obj *o)
{
	if (o == NULL)
		return;
	pthread_mutex_destroy(&o->mu);
	free(o);
}

struct store *obj_store(struct obj *o)
{
	return o->store;
}

uint64_t obj_now_ns(struct obj *o)
{
	return o->opts.clock_ns(o->opts.clock_ctx);
}

void obj_stats_get(struct obj *o, struct obj_stats *out)
{
	pthread_mutex_lock(&o->mu);
	*out = o->stats;
	pthread_mutex_unlock(&o->mu);
}

void obj_buffer_account(struct obj *o, int64_t delta)
{
	pthread_mutex_lock(&o->mu);
	ASSERT(delta >= 0 || o->stats.buffer_bytes >= (uint64_t)-delta);
	o->stats.buffer_bytes += (uint64_t)delta;
	if (o->stats.buffer_bytes > o->stats.buffer_bytes_peak)
		o->stats.buffer_bytes_peak = o->stats.buffer_bytes;
	pthread_mutex_unlock(&o->mu);
}

void obj_stat_add(struct obj *o, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&o->mu);
	*field += n;
	pthread_mutex_unlock(&o->mu);
}

int obj_err_from_store(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case STORE_EINDETERMINATE:
	case STORE_EUNAVAILABLE: /* Raft: no leader or quorum in time */
	case STORE_ECLOSED:
		return OBJ_EUNAVAILABLE;
	default:
		ASSERT(rc != STORE_ECOND);
		return rc;
	}
}

int obj_rec_get(struct obj *o, const struct obj_key *k, struct obj_rec *out)
{
	struct obj_rec r = {0};
	int rc = store_get(o->store, k->buf, k->len, &r.raw, &r.raw_len);
	if (rc != 0)
		return rc == STORE_ENOTFOUND ? rc : obj_err_from_store(rc);
	rc = obj_meta_decode(r.raw, r.raw_len, &r.meta);
	if (rc != 0) {
		free(r.raw);
		return rc;
	}
	*out = r;
	return 0;
}

void obj_rec_clear(struct obj_rec *r)
{
	free(r->raw);
	obj_meta_free(r->meta);
	memset(r, 0, sizeof *r);
}

int obj_check_names(const char *bucket, const char *key, size_t key_len)
{
	if (!obj_bucket_name_valid(bucket))
		return OBJ_EBUCKETNAME;
	if (key != NULL &&
	    (key_len == 0 || key_len > OBJ_OBJECT_KEY_MAX ||
	     memchr(key, 0, key_len) != NULL))
		return OBJ_EKEYNAME;
	return 0;
}

int obj_bucket_require(struct obj *o, const char *bucket)
{
	struct obj_key k;
	obj_key_bucket(&k, bucket);
	void *v = NULL;
	size_t vlen = 0;
	int rc = store_get(o->store, k.buf, k.len, &v, &vlen);
	free(v);
	if (rc == STORE_ENOTFOUND)
		return OBJ_ENOBUCKET;
	return obj_err_from_store(rc);
}

int obj_batch_require_bucket(struct store_batch *b, const char *bucket)
{
	struct obj_key k;
	obj_key_bucket(&k, bucket);
	return store_batch_cond(b, STORE_COND_EXISTS, k.buf, k.len, NULL, 0);
}

void obj_data_id_new(struct obj *o, uint8_t id[16])
{
	obj_be64_put(id, obj_now_ns(o));
	/* getrandom on a booted Linux does not fail for 8 bytes. */
	ssize_t n = getrandom(id + 8, 8, 0);
	ASSERT(n == 8);
}

void obj_upload_id_new(char id[OBJ_UPLOAD_ID_LEN_BUF])
{
	uint8_t r[16];
	ssize_t n = getrandom(r, sizeof r, 0);
	ASSERT(n == (ssize_t)sizeof r);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		id[2 * i] = hex[r[i] >> 4];
		id[2 * i + 1] = hex[r[i] & 15];
	}
	id[OBJ_UPLOAD_ID_LEN] = '\0';
}

bool obj_upload_id_valid(const char *id)
{
	if (id == NULL || strlen(id) != OBJ_UPLOAD_ID_LEN)
		return false;
	for (int i = 0; i < OBJ_UPLOAD_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

int obj_batch_garbage(struct obj *o, struct store_batch *b,
		      const struct obj_extent *e, uint32_t chunk_bytes)
{
	if (e->size == 0)
		return 0; /* an empty extent has no chunks */
	struct obj_key k;
	obj_key_garbage(&k, obj_now_ns(o), e->id);
	uint8_t v[12];
	obj_be64_put(v, e->size);
	obj_be32_put(v + 8, chunk_bytes);
	return store_batch_put(b, k.buf, k.len, v, sizeof v);
}

int obj_batch_garbage_meta(struct obj *o, struct store_batch *b,
			   const struct obj_meta *m)
{
	for (uint32_t i = 0; i < m->extent_count; i++) {
		int rc = obj_batch_garbage(o, b, &m->extents[i], m->chunk_bytes);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static const char *etag_trim(const char *s, size_t *len)
{
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	*len = n;
	return s;
}

bool obj_etag_equal(const char *a, const char *b)
{
	size_t al, bl;
	a = etag_trim(a, &al);
	b = etag_trim(b, &bl);
	return al == bl && strncasecmp(a, b, al) == 0;
}

const char *obj_strerror(int err)
{
	switch (err) {
	case OBJ_ENOBUCKET:
		return "no such bucket";
	case OBJ_ENOKEY:
		return "no such key";
	case OBJ_EBUCKETEXISTS:
		return "bucket already owned by you";
	case OBJ_ENOTEMPTY:
		return "bucket not empty";
	case OBJ_EBUCKETNAME:
		return "invalid bucket name";
	case OBJ_EKEYNAME:
		return "invalid object key";
	case OBJ_EPRECONDITION:
		return "precondition failed";
	case OBJ_ERANGE:
		return "range not satisfiable";
	case OBJ_EMETATOOLARGE:
		return "metadata too large";
	case OBJ_ENOUPLOAD:
		return "no such upload";
	case OBJ_EINVALIDPART:
		return "invalid part";
	case OBJ_EPARTORDER:
		return "invalid part order";
	case OBJ_ETOOSMALL:
		return "entity too small";
	case OBJ_EARGUMENT:
		return "invalid argument";
	case OBJ_EUNAVAILABLE:
		return "service unavailable";
	case OBJ_ECORRUPT:
		return "stored record is corrupt";
	case OBJ_ECONFLICT:
		return "conflicting concurrent operation";
	case OBJ_ETOOLARGE:
		return "entity too large";
	default:
		return store_strerror(err);
	}
}
