/*
 * object_tagging.c — replacing an object's tag set in place.
 *
 * The tag set lives in the object's record (obj_attrs.tagging), so a
 * tagging change is a metadata rewrite around the same extents, like a
 * copy onto itself: nothing is copied and nothing becomes garbage.  The
 * batch is guarded by "the record is still the one read", so a concurrent
 * overwrite either happens before (and keeps its own tags, rewritten here)
 * or after (and replaces the tags, as an overwrite does in S3).
 */
#include "gateway/object_meta.h"

#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

/* One attempt: read, rewrite, submit.  STORE_ECOND means retry. */
static int tagging_try(struct obj *o, const char *bucket,
		       const struct obj_key *k, const char *tagging,
		       struct store_batch *b, size_t *failed,
		       struct obj_meta **out)
{
	struct obj_rec cur = {0};
	int rc = obj_rec_get(o, k, &cur);
	if (rc == STORE_ENOTFOUND) {
		rc = obj_bucket_require(o, bucket);
		return rc == 0 ? OBJ_ENOKEY : rc;
	}
	if (rc != 0)
		return rc;
	struct obj_meta m = *cur.meta;
	m.attrs.tagging = tagging != NULL && tagging[0] != '\0' ? tagging : NULL;
	void *enc = NULL;
	size_t enc_len = 0;
	rc = obj_meta_encode(&m, &enc, &enc_len);
	store_batch_clear(b);
	if (rc == 0)
		rc = obj_batch_require_bucket(b, bucket);
	if (rc == 0)
		rc = store_batch_cond(b, STORE_COND_EQUALS, k->buf, k->len,
				      cur.raw, cur.raw_len);
	if (rc == 0)
		rc = store_batch_put(b, k->buf, k->len, enc, enc_len);
	if (rc == 0)
		rc = store_submit(o->store, b, failed);
	if (rc == 0 && out != NULL)
		rc = obj_meta_decode(enc, enc_len, out);
	free(enc);
	obj_rec_clear(&cur);
	return rc;
}

int obj_tagging_set(struct obj *o, const char *bucket, const char *key,
		    size_t key_len, const char *tagging, struct obj_meta **out)
{
	int rc = obj_check_names(bucket, key, key_len);
	if (rc != 0)
		return rc == OBJ_EBUCKETNAME ? OBJ_ENOBUCKET : rc;
	struct obj_key k;
	obj_key_object(&k, bucket, key, key_len);
	struct store_batch *b = NULL;
	rc = store_batch_new(&b);
	if (rc != 0)
		return rc;
	rc = OBJ_ECONFLICT;
	for (int t = 0; t < OBJ_COMMIT_TRIES; t++) {
		size_t failed = 0;
		rc = tagging_try(o, bucket, &k, tagging, b, &failed, out);
		if (rc != STORE_ECOND) {
			rc = rc == OBJ_ENOKEY || rc == OBJ_ENOBUCKET ? rc : obj_err_from_store(rc);
			break;
		}
		/* Condition 0 is "bucket exists"; 1 is "record unchanged". */
		rc = failed == 0 ? OBJ_ENOBUCKET : OBJ_ECONFLICT;
		if (failed == 0)
			break;
		obj_stat_add(o, &o->stats.commit_retries, 1);
	}
	store_batch_free(b);
	return rc;
}
