/*
 * object_list.c — ListObjects (V1 and V2) in one function.
 *
 * Object records are keyed 'O' bucket 0x00 key, so a listing is an ordered
 * scan of [base+prefix, successor(base+prefix)).  With a delimiter, a key
 * whose remainder after the prefix contains the delimiter rolls up into a
 * common prefix (S3 ListObjectsV2 "CommonPrefixes"); the cursor then skips
 * everything under that common prefix with ONE seek to its successor, so a
 * common prefix over a million keys costs the same as over one.
 *
 * Paging: the marker is the last key or common prefix returned.  Resuming
 * seeks just past it; a common prefix at or before the marker was already
 * returned and is skipped (again with one seek).
 */
#include "gateway/object_meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

/* memcmp order, shorter first on a tie: the store's key order. */
static int bytes_cmp(const void *a, size_t al, const void *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

/* Finds the common prefix of key (len bytes, already past the prefix
 * scanned) or returns 0 when the key does not roll up. */
static size_t common_prefix_len(const char *key, size_t len, size_t skip,
				const char *delim, size_t dlen)
{
	if (dlen == 0 || len < skip + dlen)
		return 0;
	const char *d = memmem(key + skip, len - skip, delim, dlen);
	return d ? (size_t)(d - key) + dlen : 0;
}

struct list_state {
	struct obj_key base;  /* 'O' bucket 0 */
	struct store_scan *it;
	char last[OBJ_OBJECT_KEY_MAX];
	size_t last_len;
};

/* Seeks just past every key that starts with key[0..len). */
static int seek_past_prefix(struct list_state *s, const char *key, size_t len,
			    bool *end)
{
	struct obj_key k = s->base;
	memcpy(k.buf + k.len, key, len);
	k.len += len;
	*end = !obj_key_successor(&k);
	if (*end)
		return 0;
	return store_scan_seek(s->it, k.buf, k.len);
}

static int list_emit_object(struct list_state *s, const char *key,
			    size_t len, int (*fn)(void *, const struct obj_list_entry *),
			    void *arg)
{
	const void *v = NULL;
	size_t vl = 0;
	int rc = store_scan_value(s->it, &v, &vl);
	if (rc != 0)
		return obj_err_from_store(rc);
	struct obj_meta *m = NULL;
	rc = obj_meta_decode(v, vl, &m);
	if (rc != 0)
		return rc;
	struct obj_list_entry e = {.key = key, .key_len = len, .meta = m};
	rc = fn(arg, &e);
	obj_meta_free(m);
	return rc;
}

/* The listing loop: at most max entries plus one skipped prefix. */
static int list_run(struct list_state *s, const struct obj_list_params *p,
		    uint32_t max,
		    int (*fn)(void *, const struct obj_list_entry *),
		    void *arg, struct obj_list_result *res)
{
	int rc = 0;
	bool end = false;
	uint32_t steps = 0;
	while (rc == 0 && !end && store_scan_valid(s->it) && res->count < max) {
		ASSERT(++steps <= 2 * (uint64_t)max + 2);
		size_t kl = 0;
		const uint8_t *sk = store_scan_key(s->it, &kl);
		ASSERT(kl >= s->base.len);
		const char *key = (const char *)sk + s->base.len;
		size_t len = kl - s->base.len;
		if (len > OBJ_OBJECT_KEY_MAX)
			return OBJ_ECORRUPT;
		size_t cp = common_prefix_len(key, len, p->prefix_len,
					      p->delimiter, p->delimiter_len);
		if (cp > 0) {
			bool seen = p->after != NULL &&
				    bytes_cmp(key, cp, p->after, p->after_len) <= 0;
			if (!seen) {
				struct obj_list_entry e = {.key = key, .key_len = cp,
							   .is_prefix = true};
				rc = fn(arg, &e);
				memcpy(s->last, key, cp);
				s->last_len = cp;
				res->count++;
			}
			if (rc == 0)
				rc = seek_past_prefix(s, key, cp, &end);
			continue;
		}
		rc = list_emit_object(s, key, len, fn, arg);
		if (rc != 0)
			break;
		memcpy(s->last, key, len);
		s->last_len = len;
		res->count++;
		rc = store_scan_next(s->it);
	}
	if (rc == 0)
		res->truncated = !end && res->count == max && max > 0 &&
				 store_scan_valid(s->it);
	return rc;
}

int obj_list(struct obj *o, const char *bucket,
	     const struct obj_list_params *p,
	     int (*fn)(void *arg, const struct obj_list_entry *e), void *arg,
	     struct obj_list_result *res)
{
	if (!obj_bucket_name_valid(bucket))
		return OBJ_ENOBUCKET;
	if (p->prefix_len > OBJ_OBJECT_KEY_MAX ||
	    p->after_len > OBJ_OBJECT_KEY_MAX)
		return OBJ_EARGUMENT;
	int rc = obj_bucket_require(o, bucket);
	if (rc != 0)
		return rc;
	struct list_state *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -ENOMEM;
	obj_key_object_prefix(&s->base, bucket);
	struct obj_key lo = s->base, hi;
	if (p->prefix_len > 0) /* prefix may be NULL when empty */
		memcpy(lo.buf + lo.len, p->prefix, p->prefix_len);
	lo.len += p->prefix_len;
	hi = lo;
	bool bounded = obj_key_successor(&hi);
	rc = store_scan_new(o->store, lo.buf, lo.len, bounded ? hi.buf : NULL,
			    bounded ? hi.len : 0, &s->it);
	if (rc != 0) {
		free(s);
		return obj_err_from_store(rc);
	}
	/* Start at the prefix, or just past the marker if that is later. */
	struct obj_key start = lo;
	if (p->after != NULL) {
		struct obj_key a = s->base;
		if (p->after_len > 0)
			memcpy(a.buf + a.len, p->after, p->after_len);
		a.len += p->after_len;
		a.buf[a.len++] = 0; /* the smallest key after "after" */
		if (bytes_cmp(a.buf, a.len, lo.buf, lo.len) > 0)
			start = a;
	}
	memset(res, 0, sizeof *res);
	uint32_t max = p->max_keys > OBJ_LIST_MAX ? OBJ_LIST_MAX : p->max_keys;
	rc = obj_err_from_store(store_scan_seek(s->it, start.buf, start.len));
	if (rc == 0)
		rc = list_run(s, p, max, fn, arg, res);
	if (rc == 0 && res->count > 0) {
		res->next = malloc(s->last_len + 1);
		if (res->next == NULL) {
			rc = -ENOMEM;
		} else {
			memcpy(res->next, s->last, s->last_len);
			res->next[s->last_len] = '\0';
			res->next_len = s->last_len;
		}
	}
	store_scan_free(s->it);
	free(s);
	return rc;
}
