/*
 * object_upload_list.c — ListParts and ListMultipartUploads.
 *
 * Parts are keyed by big-endian part number under their upload, so
 * ListParts is an ordered scan starting after the part marker.  Uploads are
 * keyed 'U' bucket 0 key 0 uploadid, so ListMultipartUploads is ordered by
 * key then upload id (S3's order); a delimiter rolls keys up into common
 * prefixes skipped with one seek each, as in object_list.c.
 */
#include "gateway/object_meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

int obj_upload_list_parts(struct obj *o, const char *bucket, const char *key,
			  size_t key_len, const char *upload_id,
			  uint32_t part_marker, uint32_t max_parts,
			  int (*fn)(void *arg, const struct obj_part_info *p),
			  void *arg, bool *truncated, uint32_t *next_marker)
{
	struct obj_meta *up = NULL;
	int rc = obj_upload_head(o, bucket, key, key_len, upload_id, &up);
	obj_meta_free(up);
	if (rc != 0)
		return rc;
	if (max_parts > OBJ_LIST_MAX)
		max_parts = OBJ_LIST_MAX;
	struct obj_key lo, hi, start;
	obj_key_part_prefix(&lo, bucket, key, key_len, upload_id);
	hi = lo;
	bool bounded = obj_key_successor(&hi);
	ASSERT(bounded);
	obj_key_part(&start, bucket, key, key_len, upload_id,
		     part_marker < OBJ_PART_NUMBER_MAX ? part_marker + 1
						       : OBJ_PART_NUMBER_MAX + 1);
	struct store_scan *it = NULL;
	rc = store_scan_new(o->store, lo.buf, lo.len, hi.buf, hi.len, &it);
	if (rc != 0)
		return obj_err_from_store(rc);
	rc = obj_err_from_store(store_scan_seek(it, start.buf, start.len));
	uint32_t count = 0, last = part_marker;
	while (rc == 0 && count < max_parts && store_scan_valid(it)) {
		size_t kl = 0;
		const uint8_t *k = store_scan_key(it, &kl);
		const void *v = NULL;
		size_t vl = 0;
		struct obj_meta *m = NULL;
		if (kl != lo.len + 4) {
			rc = OBJ_ECORRUPT;
			break;
		}
		uint32_t part = obj_be32_get(k + lo.len);
		rc = obj_err_from_store(store_scan_value(it, &v, &vl));
		if (rc == 0)
			rc = obj_meta_decode(v, vl, &m);
		if (rc == 0) {
			struct obj_part_info pi = {.part = part, .meta = m};
			rc = fn(arg, &pi);
		}
		obj_meta_free(m);
		last = part;
		count++;
		if (rc == 0)
			rc = obj_err_from_store(store_scan_next(it));
	}
	if (rc == 0) {
		*truncated = count == max_parts && max_parts > 0 &&
			     store_scan_valid(it);
		*next_marker = last;
	}
	store_scan_free(it);
	return rc;
}

static int keycmp(const void *a, size_t al, const void *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

struct ulist {
	struct obj_key base; /* 'U' bucket 0 */
	struct store_scan *it;
	const struct obj_upload_list_params *p;
	struct obj_upload_list_result *res;
	char last[OBJ_OBJECT_KEY_MAX];
	size_t last_len;
	uint32_t count;
	bool end;
};

/* Splits a store key into object key and upload id. */
static int ulist_parse(const struct ulist *u, const uint8_t *k, size_t kl,
		       const char **key, size_t *len, char id[33])
{
	size_t tail = 1 + OBJ_UPLOAD_ID_LEN;
	if (kl < u->base.len + 1 + tail || k[kl - tail] != 0)
		return OBJ_ECORRUPT;
	*key = (const char *)k + u->base.len;
	*len = kl - u->base.len - tail;
	memcpy(id, k + kl - OBJ_UPLOAD_ID_LEN, OBJ_UPLOAD_ID_LEN);
	id[OBJ_UPLOAD_ID_LEN] = '\0';
	return *len <= OBJ_OBJECT_KEY_MAX ? 0 : OBJ_ECORRUPT;
}

static int ulist_step(struct ulist *u,
		      int (*fn)(void *, const struct obj_upload_entry *),
		      void *arg)
{
	const struct obj_upload_list_params *p = u->p;
	size_t kl = 0;
	const uint8_t *k = store_scan_key(u->it, &kl);
	const char *key = NULL;
	size_t len = 0;
	char id[OBJ_UPLOAD_ID_LEN_BUF];
	int rc = ulist_parse(u, k, kl, &key, &len, id);
	if (rc != 0)
		return rc;
	const char *d = NULL;
	if (p->delimiter_len > 0 && len >= p->prefix_len + p->delimiter_len)
		d = memmem(key + p->prefix_len, len - p->prefix_len,
			   p->delimiter, p->delimiter_len);
	if (d != NULL) {
		size_t cp = (size_t)(d - key) + p->delimiter_len;
		bool seen = p->key_marker != NULL &&
			    keycmp(key, cp, p->key_marker, p->key_marker_len) <= 0;
		if (!seen) {
			struct obj_upload_entry e = {.key = key, .key_len = cp,
						     .is_prefix = true};
			rc = fn(arg, &e);
			memcpy(u->last, key, cp);
			u->last_len = cp;
			u->res->next_upload_id[0] = '\0';
			u->count++;
		}
		struct obj_key s = u->base;
		memcpy(s.buf + s.len, key, cp);
		s.len += cp;
		u->end = !obj_key_successor(&s);
		if (rc == 0 && !u->end)
			rc = obj_err_from_store(store_scan_seek(u->it, s.buf, s.len));
		return rc;
	}
	const void *v = NULL;
	size_t vl = 0;
	struct obj_meta *m = NULL;
	rc = obj_err_from_store(store_scan_value(u->it, &v, &vl));
	if (rc == 0)
		rc = obj_meta_decode(v, vl, &m);
	if (rc == 0) {
		struct obj_upload_entry e = {.key = key, .key_len = len,
					     .upload_id = id,
					     .initiated_ns = m->mtime_ns};
		rc = fn(arg, &e);
	}
	obj_meta_free(m);
	memcpy(u->last, key, len);
	u->last_len = len;
	memcpy(u->res->next_upload_id, id, sizeof id);
	u->count++;
	if (rc == 0)
		rc = obj_err_from_store(store_scan_next(u->it));
	return rc;
}

/* Where to start: after (key_marker, upload_id_marker). */
static void ulist_start(const struct ulist *u, const struct obj_key *lo,
			struct obj_key *start)
{
	const struct obj_upload_list_params *p = u->p;
	*start = *lo;
	if (p->key_marker == NULL)
		return;
	struct obj_key a = u->base;
	if (p->key_marker_len > 0)
		memcpy(a.buf + a.len, p->key_marker, p->key_marker_len);
	a.len += p->key_marker_len;
	if (p->upload_id_marker != NULL &&
	    strlen(p->upload_id_marker) == OBJ_UPLOAD_ID_LEN) {
		a.buf[a.len++] = 0;
		memcpy(a.buf + a.len, p->upload_id_marker, OBJ_UPLOAD_ID_LEN);
		a.len += OBJ_UPLOAD_ID_LEN;
		a.buf[a.len++] = 0; /* just after that upload */
	} else {
		a.buf[a.len++] = 1; /* after every upload of the marker key */
	}
	if (keycmp(a.buf, a.len, lo->buf, lo->len) > 0)
		*start = a;
}

int obj_upload_list(struct obj *o, const char *bucket,
		    const struct obj_upload_list_params *p,
		    int (*fn)(void *arg, const struct obj_upload_entry *e),
		    void *arg, struct obj_upload_list_result *res)
{
	if (!obj_bucket_name_valid(bucket))
		return OBJ_ENOBUCKET;
	if (p->prefix_len > OBJ_OBJECT_KEY_MAX ||
	    p->key_marker_len > OBJ_OBJECT_KEY_MAX)
		return OBJ_EARGUMENT;
	int rc = obj_bucket_require(o, bucket);
	if (rc != 0)
		return rc;
	struct ulist *u = calloc(1, sizeof *u);
	if (u == NULL)
		return -ENOMEM;
	memset(res, 0, sizeof *res);
	u->p = p;
	u->res = res;
	obj_key_upload_prefix(&u->base, bucket);
	struct obj_key lo = u->base, hi, start;
	if (p->prefix_len > 0) /* prefix may be NULL when empty */
		memcpy(lo.buf + lo.len, p->prefix, p->prefix_len);
	lo.len += p->prefix_len;
	hi = lo;
	bool bounded = obj_key_successor(&hi);
	rc = store_scan_new(o->store, lo.buf, lo.len, bounded ? hi.buf : NULL,
			    bounded ? hi.len : 0, &u->it);
	if (rc != 0) {
		free(u);
		return obj_err_from_store(rc);
	}
	ulist_start(u, &lo, &start);
	uint32_t max = p->max_uploads > OBJ_LIST_MAX ? OBJ_LIST_MAX
						     : p->max_uploads;
	rc = obj_err_from_store(store_scan_seek(u->it, start.buf, start.len));
	uint32_t steps = 0;
	while (rc == 0 && !u->end && u->count < max && store_scan_valid(u->it)) {
		ASSERT(++steps <= 2 * (uint64_t)max + 2);
		rc = ulist_step(u, fn, arg);
	}
	if (rc == 0) {
		res->truncated = !u->end && u->count == max && max > 0 &&
				 store_scan_valid(u->it);
		if (u->count > 0 && (res->next_key = malloc(u->last_len + 1))) {
			memcpy(res->next_key, u->last, u->last_len);
			res->next_key[u->last_len] = '\0';
			res->next_key_len = u->last_len;
		} else if (u->count > 0) {
			rc = -ENOMEM;
		}
	}
	store_scan_free(u->it);
	free(u);
	return rc;
}
