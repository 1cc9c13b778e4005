/*
 * object_bucket.c — buckets: name validation, create, delete, head, list.
 *
 * A bucket record is 'B' name -> u8 version, i64 ctime_ns, u8 region
 * length, region.  Single tenant: creating an existing bucket is
 * BucketAlreadyOwnedByYou.  DeleteBucket is one batch whose preconditions
 * say "no object and no upload key under this bucket", so a PUT or
 * CreateMultipartUpload that commits concurrently either lands first (and
 * the delete fails BucketNotEmpty) or fails on its own "bucket exists"
 * precondition.
 */
#include "gateway/object_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

#define BUCKET_REC_VERSION 1

static bool is_ipv4(const char *s)
{
	int dots = 0, digits = 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (digits == 0)
				return false;
			dots++;
			digits = 0;
		} else if (*s >= '0' && *s <= '9') {
			if (++digits > 3)
				return false;
		} else {
			return false;
		}
	}
	return dots == 3 && digits > 0;
}

/* S3 "General purpose bucket naming rules". */
bool obj_bucket_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 3 || n > OBJ_BUCKET_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '-';
		if (!ok)
			return false;
	}
	if (!((name[0] >= 'a' && name[0] <= 'z') ||
	      (name[0] >= '0' && name[0] <= '9')))
		return false;
	char last = name[n - 1];
	if (!((last >= 'a' && last <= 'z') || (last >= '0' && last <= '9')))
		return false;
	if (strstr(name, "..") != NULL || strstr(name, ".-") != NULL ||
	    strstr(name, "-.") != NULL)
		return false;
	if (is_ipv4(name) || strncmp(name, "xn--", 4) == 0 ||
	    strncmp(name, "sthree-", 7) == 0)
		return false;
	if (n >= 8 && strcmp(name + n - 8, "-s3alias") == 0)
		return false;
	if (n >= 6 && strcmp(name + n - 6, "--ol-s3") == 0)
		return false;
	return true;
}

static int bucket_decode(const char *name, const uint8_t *v, size_t len,
			 struct obj_bucket_info *out)
{
	if (len < 10 || v[0] != BUCKET_REC_VERSION || v[9] >= 64 ||
	    (size_t)10 + v[9] != len)
		return OBJ_ECORRUPT;
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", name);
	out->ctime_ns = (int64_t)obj_be64_get(v + 1);
	memcpy(out->region, v + 10, v[9]);
	out->region[v[9]] = '\0';
	return 0;
}

int obj_bucket_create(struct obj *o, const char *name, const char *region)
{
	if (!obj_bucket_name_valid(name))
		return OBJ_EBUCKETNAME;
	size_t rl = region ? strlen(region) : 0;
	if (rl >= 64)
		return OBJ_EARGUMENT;
	uint8_t v[10 + 64];
	v[0] = BUCKET_REC_VERSION;
	obj_be64_put(v + 1, obj_now_ns(o));
	v[9] = (uint8_t)rl;
	if (rl > 0)
		memcpy(v + 10, region, rl);
	struct obj_key k;
	obj_key_bucket(&k, name);
	struct store_batch *b = NULL;
	int rc = store_batch_new(&b);
	if (rc != 0)
		return rc;
	rc = store_batch_cond(b, STORE_COND_ABSENT, k.buf, k.len, NULL, 0);
	if (rc == 0)
		rc = store_batch_put(b, k.buf, k.len, v, 10 + rl);
	if (rc == 0)
		rc = store_submit(o->store, b, NULL);
	store_batch_free(b);
	if (rc == STORE_ECOND)
		return OBJ_EBUCKETEXISTS;
	return obj_err_from_store(rc);
}

int obj_bucket_delete(struct obj *o, const char *name)
{
	if (!obj_bucket_name_valid(name))
		return OBJ_EBUCKETNAME;
	struct obj_key kb, ko, ku;
	obj_key_bucket(&kb, name);
	obj_key_object_prefix(&ko, name);
	obj_key_upload_prefix(&ku, name);
	struct store_batch *b = NULL;
	int rc = store_batch_new(&b);
	if (rc != 0)
		return rc;
	rc = store_batch_cond(b, STORE_COND_EXISTS, kb.buf, kb.len, NULL, 0);
	if (rc == 0)
		rc = store_batch_cond(b, STORE_COND_PREFIX_EMPTY, ko.buf, ko.len,
				      NULL, 0);
	if (rc == 0)
		rc = store_batch_cond(b, STORE_COND_PREFIX_EMPTY, ku.buf, ku.len,
				      NULL, 0);
	if (rc == 0)
		rc = store_batch_del(b, kb.buf, kb.len);
	size_t failed = 0;
	if (rc == 0)
		rc = store_submit(o->store, b, &failed);
	store_batch_free(b);
	if (rc == STORE_ECOND)
		return failed == 0 ? OBJ_ENOBUCKET : OBJ_ENOTEMPTY;
	return obj_err_from_store(rc);
}

int obj_bucket_head(struct obj *o, const char *name,
		    struct obj_bucket_info *out)
{
	if (!obj_bucket_name_valid(name))
		return OBJ_ENOBUCKET; /* no such bucket can exist */
	struct obj_key k;
	obj_key_bucket(&k, name);
	void *v = NULL;
	size_t len = 0;
	int rc = store_get(o->store, k.buf, k.len, &v, &len);
	if (rc == STORE_ENOTFOUND)
		return OBJ_ENOBUCKET;
	if (rc != 0)
		return obj_err_from_store(rc);
	struct obj_bucket_info info;
	rc = bucket_decode(name, v, len, &info);
	free(v);
	if (rc == 0 && out != NULL)
		*out = info;
	return rc;
}

int obj_bucket_list(struct obj *o,
		    int (*fn)(void *arg, const struct obj_bucket_info *b),
		    void *arg)
{
	uint8_t lo = OBJ_KEY_BUCKET, hi = OBJ_KEY_BUCKET + 1;
	struct store_scan *it = NULL;
	int rc = store_scan_new(o->store, &lo, 1, &hi, 1, &it);
	if (rc != 0)
		return obj_err_from_store(rc);
	rc = store_scan_seek(it, &lo, 1);
	/* Bounded by the number of buckets: each step moves forward. */
	while (rc == 0 && store_scan_valid(it)) {
		size_t kl = 0;
		const uint8_t *key = store_scan_key(it, &kl);
		const void *v = NULL;
		size_t vl = 0;
		char name[OBJ_BUCKET_NAME_MAX + 1];
		if (kl < 2 || kl - 1 > OBJ_BUCKET_NAME_MAX) {
			rc = OBJ_ECORRUPT;
			break;
		}
		memcpy(name, key + 1, kl - 1);
		name[kl - 1] = '\0';
		rc = store_scan_value(it, &v, &vl);
		struct obj_bucket_info info;
		if (rc == 0)
			rc = bucket_decode(name, v, vl, &info);
		if (rc == 0)
			rc = fn(arg, &info);
		if (rc == 0)
			rc = store_scan_next(it);
	}
	store_scan_free(it);
	return rc;
}
