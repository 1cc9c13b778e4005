/*
 * test_object_meta.c — the record codec (round trip, every truncation and
 * random corruption rejected or decoded consistently), key helpers and
 * bucket name rules.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/object_meta.h"
#include "tests/test_object.h"
#include "tests/testutil.h"

static void sample_meta(struct obj_meta *m, struct obj_extent *ext,
			struct obj_pair *pairs)
{
	pairs[0] = (struct obj_pair){"mtime", "1700000000.123"};
	pairs[1] = (struct obj_pair){"empty", ""};
	for (int i = 0; i < 3; i++) {
		memset(ext[i].id, 0x10 + i, 16);
		ext[i].size = 5u * 1024 * 1024 + (uint64_t)i;
	}
	*m = (struct obj_meta){
		.size = ext[0].size + ext[1].size + ext[2].size,
		.mtime_ns = 1700000000123456789,
		.chunk_bytes = 1u << 20,
		.part_count = 3,
		.attrs = {.etag = "0123456789abcdef0123456789abcdef-3",
			  .content_type = "text/plain",
			  .cache_control = "no-cache",
			  .checksum_algo = "CRC32",
			  .checksum_value = "AAAAAA==-3",
			  .user = pairs,
			  .user_count = 2},
		.extents = ext,
		.extent_count = 3,
	};
}

static int streq_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

START_TEST(meta_round_trip)
{
	struct obj_meta m;
	struct obj_extent ext[3];
	struct obj_pair pairs[2];
	sample_meta(&m, ext, pairs);
	void *enc = NULL;
	size_t len = 0;
	ck_assert_int_eq(obj_meta_encode(&m, &enc, &len), 0);
	struct obj_meta *d = NULL;
	ck_assert_int_eq(obj_meta_decode(enc, len, &d), 0);
	ck_assert_uint_eq(d->size, m.size);
	ck_assert(d->mtime_ns == m.mtime_ns);
	ck_assert_uint_eq(d->chunk_bytes, m.chunk_bytes);
	ck_assert_uint_eq(d->part_count, 3);
	ck_assert_str_eq(d->attrs.etag, m.attrs.etag);
	ck_assert_str_eq(d->attrs.content_type, "text/plain");
	ck_assert_ptr_null(d->attrs.content_encoding);
	ck_assert_ptr_null(d->attrs.expires);
	ck_assert_str_eq(d->attrs.checksum_value, "AAAAAA==-3");
	ck_assert_uint_eq(d->attrs.user_count, 2);
	ck_assert_str_eq(d->attrs.user[0].name, "mtime");
	ck_assert_str_eq(d->attrs.user[1].value, "");
	ck_assert_uint_eq(d->extent_count, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_mem_eq(d->extents[i].id, ext[i].id, 16);
		ck_assert_uint_eq(d->extents[i].size, ext[i].size);
	}
	/* Re-encoding the decoded record gives the same bytes. */
	void *enc2 = NULL;
	size_t len2 = 0;
	ck_assert_int_eq(obj_meta_encode(d, &enc2, &len2), 0);
	ck_assert_uint_eq(len2, len);
	ck_assert_mem_eq(enc2, enc, len);
	free(enc2);
	obj_meta_free(d);
	free(enc);
}
END_TEST

/* Version 2 carries the tag set and the checksum type; a record with
 * neither is still written as version 1 (old records stay byte-identical),
 * and every truncation of a version 2 record is rejected. */
START_TEST(meta_version2_tags_and_checksum_type)
{
	struct obj_meta m;
	struct obj_extent ext[3];
	struct obj_pair pairs[2];
	sample_meta(&m, ext, pairs);
	void *v1 = NULL, *v2 = NULL;
	size_t l1 = 0, l2 = 0;
	ck_assert_int_eq(obj_meta_encode(&m, &v1, &l1), 0);
	ck_assert_uint_eq(((uint8_t *)v1)[0], 1);
	m.attrs.tagging = "a=1&b=two%20words";
	m.attrs.checksum_type = "FULL_OBJECT";
	ck_assert_int_eq(obj_meta_encode(&m, &v2, &l2), 0);
	ck_assert_uint_eq(((uint8_t *)v2)[0], 2);
	struct obj_meta *d = NULL;
	ck_assert_int_eq(obj_meta_decode(v2, l2, &d), 0);
	ck_assert_str_eq(d->attrs.tagging, "a=1&b=two%20words");
	ck_assert_str_eq(d->attrs.checksum_type, "FULL_OBJECT");
	ck_assert_str_eq(d->attrs.checksum_value, "AAAAAA==-3");
	ck_assert_str_eq(d->attrs.user[0].name, "mtime");
	ck_assert_uint_eq(d->extent_count, 3);
	obj_meta_free(d);
	ck_assert_int_eq(obj_meta_decode(v1, l1, &d), 0);
	ck_assert_ptr_null(d->attrs.tagging);
	ck_assert_ptr_null(d->attrs.checksum_type);
	obj_meta_free(d);
	for (size_t n = 0; n < l2; n++)
		ck_assert_int_eq(obj_meta_decode(v2, n, &d), OBJ_ECORRUPT);
	/* Version 1 bytes relabelled 2 (two strings short) are rejected. */
	((uint8_t *)v1)[0] = 2;
	ck_assert_int_eq(obj_meta_decode(v1, l1, &d), OBJ_ECORRUPT);
	((uint8_t *)v1)[0] = 3;
	ck_assert_int_eq(obj_meta_decode(v1, l1, &d), OBJ_ECORRUPT);
	free(v1);
	free(v2);
}
END_TEST

START_TEST(meta_truncations_rejected)
{
	struct obj_meta m;
	struct obj_extent ext[3];
	struct obj_pair pairs[2];
	sample_meta(&m, ext, pairs);
	void *enc = NULL;
	size_t len = 0;
	ck_assert_int_eq(obj_meta_encode(&m, &enc, &len), 0);
	for (size_t n = 0; n < len; n++) {
		struct obj_meta *d = NULL;
		ck_assert_int_eq(obj_meta_decode(enc, n, &d), OBJ_ECORRUPT);
	}
	/* A trailing byte is rejected too. */
	uint8_t *longer = malloc(len + 1);
	memcpy(longer, enc, len);
	longer[len] = 0;
	struct obj_meta *d = NULL;
	ck_assert_int_eq(obj_meta_decode(longer, len + 1, &d), OBJ_ECORRUPT);
	free(longer);
	free(enc);
}
END_TEST

START_TEST(meta_corruption_never_crashes)
{
	struct test_rng r;
	test_rng_init(&r, test_seed());
	struct obj_meta m;
	struct obj_extent ext[3];
	struct obj_pair pairs[2];
	sample_meta(&m, ext, pairs);
	void *enc = NULL;
	size_t len = 0;
	ck_assert_int_eq(obj_meta_encode(&m, &enc, &len), 0);
	uint8_t *buf = malloc(len);
	int accepted = 0;
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(buf, enc, len);
		int flips = 1 + (int)test_rng_below(&r, 4);
		for (int f = 0; f < flips; f++)
			buf[test_rng_below(&r, len)] ^=
				(uint8_t)(1 + test_rng_below(&r, 255));
		struct obj_meta *d = NULL;
		int rc = obj_meta_decode(buf, len, &d);
		ck_assert(rc == 0 || rc == OBJ_ECORRUPT);
		if (rc == 0) { /* whatever was accepted is self-consistent */
			uint64_t sum = 0;
			for (uint32_t i = 0; i < d->extent_count; i++)
				sum += d->extents[i].size;
			ck_assert_uint_eq(sum, d->size);
			ck_assert_uint_ne(d->chunk_bytes, 0);
			accepted++;
			obj_meta_free(d);
		}
	}
	ck_assert_int_lt(accepted, 20000); /* the checks do reject */
	free(buf);
	free(enc);
}
END_TEST

START_TEST(meta_empty_strings_and_absent)
{
	struct obj_meta m = {.chunk_bytes = 1, .attrs = {.etag = ""}};
	void *enc = NULL;
	size_t len = 0;
	ck_assert_int_eq(obj_meta_encode(&m, &enc, &len), 0);
	struct obj_meta *d = NULL;
	ck_assert_int_eq(obj_meta_decode(enc, len, &d), 0);
	ck_assert_str_eq(d->attrs.etag, "");
	ck_assert_ptr_null(d->attrs.content_type);
	ck_assert_uint_eq(d->extent_count, 0);
	obj_meta_free(d);
	free(enc);
}
END_TEST

START_TEST(key_successor)
{
	struct obj_key k = {.buf = {'a', 'b', 0xff, 0xff}, .len = 4};
	ck_assert(obj_key_successor(&k));
	ck_assert_uint_eq(k.len, 2);
	ck_assert_int_eq(k.buf[1], 'c');
	struct obj_key z = {.buf = {0xff, 0xff}, .len = 2};
	ck_assert(!obj_key_successor(&z));
	struct obj_key c;
	uint8_t id[16] = {1, 2, 3};
	obj_key_chunk(&c, id, 0x01020304);
	ck_assert_uint_eq(c.len, OBJ_CHUNK_KEY_LEN);
	ck_assert_uint_eq(obj_be32_get(c.buf + 17), 0x01020304);
}
END_TEST

START_TEST(bucket_names)
{
	const char *good[] = {"abc", "my-bucket", "my.bucket.1", "1bucket",
			      "a23456789012345678901234567890123456789012345678901234567890123"};
	const char *bad[] = {"ab", "", "Abc", "my_bucket", "-abc", "abc-",
			     "a..b", "a.-b", "192.168.1.1", "xn--abc",
			     "abc-s3alias", "a b c", "bucket/",
			     "a234567890123456789012345678901234567890123456789012345678901234"};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ck_assert_msg(obj_bucket_name_valid(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!obj_bucket_name_valid(bad[i]), "%s", bad[i]);
}
END_TEST

Suite *suite_object_meta(void)
{
	Suite *s = suite_create("object_meta");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, meta_round_trip);
	tcase_add_test(tc, meta_truncations_rejected);
	tcase_add_test(tc, meta_version2_tags_and_checksum_type);
	tcase_add_test(tc, meta_corruption_never_crashes);
	tcase_add_test(tc, meta_empty_strings_and_absent);
	tcase_add_test(tc, key_successor);
	tcase_add_test(tc, bucket_names);
	suite_add_tcase(s, tc);
	(void)streq_null;
	return s;
}
