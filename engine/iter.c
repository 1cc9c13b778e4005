/*
 * iter.c — ordered iterators: a cursor over the live index (see kv.h for
 * what it sees of concurrent writes).  Each step takes the index lock for
 * one O(log n) seek, copies the key and pins the value's segment, so the
 * value it then reads can be neither torn nor deleted by compaction.
 */
#include "engine/kv_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

struct kv_iter {
	struct kv *kv;
	unsigned char *prefix, *lower, *upper; /* owned copies or NULL */
	size_t prefix_len, lower_len, upper_len;
	bool valid;
	struct kv_rlog_seg *seg; /* pinned while valid */
	uint64_t off;
	uint32_t vlen;
	unsigned char *ent; /* loaded entry (header + key + value) or NULL */
	size_t klen;
	unsigned char key[KV_KEY_MAX];
};

static int dup_bytes(const void *src, size_t len, unsigned char **dst)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = malloc(len ? len : 1);
	if (*dst == NULL)
		return -ENOMEM;
	memcpy(*dst, src, len);
	return 0;
}

int kv_iter_new(struct kv *kv, const struct kv_iter_options *opts,
		struct kv_iter **out)
{
	if (kv == NULL || out == NULL)
		return KV_EINVAL;
	struct kv_iter *it = calloc(1, sizeof *it);
	if (it == NULL)
		return -ENOMEM;
	it->kv = kv;
	int rc = 0;
	if (opts != NULL) {
		it->prefix_len = opts->prefix_len;
		it->lower_len = opts->lower_len;
		it->upper_len = opts->upper_len;
		rc = dup_bytes(opts->prefix, opts->prefix_len, &it->prefix);
		if (rc == 0)
			rc = dup_bytes(opts->lower, opts->lower_len, &it->lower);
		if (rc == 0)
			rc = dup_bytes(opts->upper, opts->upper_len, &it->upper);
	}
	if (rc != 0) {
		kv_iter_free(it);
		return rc;
	}
	*out = it;
	return 0;
}

static void iter_clear(struct kv_iter *it)
{
	if (it->seg != NULL)
		kv_rlog_seg_put(it->kv->log, it->seg);
	it->seg = NULL;
	free(it->ent);
	it->ent = NULL;
	it->valid = false;
}

void kv_iter_free(struct kv_iter *it)
{
	if (it == NULL)
		return;
	iter_clear(it);
	free(it->prefix);
	free(it->lower);
	free(it->upper);
	free(it);
}

/* Whether e is inside the upper bound and prefix (it is >= the lower). */
static bool in_bounds(const struct kv_iter *it, const struct kv_ient *e)
{
	if (it->upper != NULL &&
	    kv_key_cmp(e->key, e->klen, it->upper, it->upper_len) >= 0)
		return false;
	if (it->prefix != NULL &&
	    (e->klen < it->prefix_len ||
	     memcmp(e->key, it->prefix, it->prefix_len) != 0))
		return false;
	return true;
}

/* Moves to the first key >= key (> key if after); key NULL: the first. */
static int iter_step(struct kv_iter *it, const void *key, size_t klen,
		     bool after)
{
	struct kv *kv = it->kv;
	struct kv_rlog_seg *seg = NULL;
	int rc = 0;
	pthread_rwlock_rdlock(&kv->ix_lock);
	const struct kv_ient *e = kv_index_seek(kv->ix, key, klen, after);
	if (e != NULL && in_bounds(it, e)) {
		seg = kv_rlog_seg_get(kv->log, e->seg);
		if (seg == NULL) {
			rc = KV_ECORRUPT;
		} else {
			/* key may point into it->key: copy after the seek. */
			memcpy(it->key, e->key, e->klen);
			it->klen = e->klen;
			it->off = e->off;
			it->vlen = e->vlen;
		}
	}
	pthread_rwlock_unlock(&kv->ix_lock);
	struct kv_rlog_seg *keep = seg;
	if (it->seg != NULL)
		kv_rlog_seg_put(kv->log, it->seg);
	it->seg = NULL;
	free(it->ent);
	it->ent = NULL;
	it->seg = keep;
	it->valid = keep != NULL;
	return rc;
}

/* The larger of key and the iterator's lower bound and prefix. */
static void start_at(const struct kv_iter *it, const void **key, size_t *klen)
{
	if (it->lower != NULL &&
	    (*key == NULL ||
	     kv_key_cmp(it->lower, it->lower_len, *key, *klen) > 0)) {
		*key = it->lower;
		*klen = it->lower_len;
	}
	if (it->prefix != NULL && it->prefix_len > 0 &&
	    (*key == NULL ||
	     kv_key_cmp(it->prefix, it->prefix_len, *key, *klen) > 0)) {
		*key = it->prefix;
		*klen = it->prefix_len;
	}
}

int kv_iter_seek(struct kv_iter *it, const void *key, size_t key_len)
{
	if (key == NULL && key_len > 0)
		return KV_EINVAL;
	if (key_len == 0)
		key = NULL;
	start_at(it, &key, &key_len);
	return iter_step(it, key, key_len, false);
}

int kv_iter_first(struct kv_iter *it)
{
	return kv_iter_seek(it, NULL, 0);
}

bool kv_iter_valid(const struct kv_iter *it)
{
	return it != NULL && it->valid;
}

int kv_iter_next(struct kv_iter *it)
{
	if (!it->valid)
		return KV_EINVAL;
	return iter_step(it, it->key, it->klen, true);
}

const void *kv_iter_key(const struct kv_iter *it, size_t *key_len)
{
	ASSERT(it->valid);
	if (key_len != NULL)
		*key_len = it->klen;
	return it->key;
}

uint64_t kv_iter_value_len(const struct kv_iter *it)
{
	ASSERT(it->valid);
	return it->vlen;
}

int kv_iter_value(struct kv_iter *it, const void **val, size_t *val_len)
{
	if (!it->valid)
		return KV_EINVAL;
	if (it->ent == NULL) {
		int rc = kv_read_entry(it->kv, it->seg, it->off, it->key,
				       it->klen, it->vlen, &it->ent);
		if (rc != 0)
			return rc;
	}
	*val = it->ent + KV_ENT_HDR + it->klen;
	*val_len = it->vlen;
	return 0;
}
