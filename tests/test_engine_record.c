/*
 * test_engine_record.c — the record codec (framing) and the batch payload
 * codec: round trips, and rejection of a bad CRC, a bad magic, an absurd
 * length and a truncated payload.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "engine/batch.h"
#include "engine/record.h"
#include "engine/record_log.h"

START_TEST(test_record_round_trip)
{
	struct test_rng r;
	test_rng_init(&r, test_seed() + 1);
	for (int i = 0; i < 100; i++) {
		uint32_t len = (uint32_t)test_rng_below(&r, 3000);
		unsigned char *rec = calloc(1, kv_rec_size(len));
		test_rng_bytes(&r, rec + KV_REC_HDR, len);
		kv_rec_encode(rec, 7, len);
		uint32_t type = 0, got = 0;
		ck_assert_int_eq(kv_rec_decode(rec, kv_rec_size(len), &type, &got),
				 KV_REC_OK);
		ck_assert_uint_eq(type, 7);
		ck_assert_uint_eq(got, len);
		ck_assert(kv_rec_check(rec, len));
		/* Any flipped bit in header or payload fails the CRC. */
		size_t at = 4 + (size_t)test_rng_below(&r, KV_REC_HDR - 4 + len);
		rec[at] ^= (unsigned char)(1u << test_rng_below(&r, 8));
		enum kv_rec_hdr_state st =
			kv_rec_decode(rec, kv_rec_size(len), &type, &got);
		ck_assert(st == KV_REC_BAD || !kv_rec_check(rec, got));
		free(rec);
	}
}
END_TEST

START_TEST(test_record_rejects)
{
	unsigned char rec[64] = {0};
	uint32_t type, len;
	/* Preallocated zeros are the end of data, not an error. */
	ck_assert_int_eq(kv_rec_decode(rec, sizeof rec, &type, &len), KV_REC_END);
	memcpy(rec + KV_REC_HDR, "hello", 5);
	kv_rec_encode(rec, 1, 5);
	ck_assert_int_eq(kv_rec_decode(rec, sizeof rec, &type, &len), KV_REC_OK);
	/* A length beyond the file: rejected before any allocation. */
	ck_assert_int_eq(kv_rec_decode(rec, KV_REC_HDR + 4, &type, &len),
			 KV_REC_BAD);
	/* An absurd length. */
	unsigned char bad[KV_REC_HDR];
	memcpy(bad, rec, sizeof bad);
	kv_put_u32(bad + 4, 0x7fffffffu);
	ck_assert_int_eq(kv_rec_decode(bad, UINT64_MAX, &type, &len), KV_REC_BAD);
	kv_put_u32(bad + 4, KV_REC_PAYLOAD_MAX + 1);
	ck_assert_int_eq(kv_rec_decode(bad, UINT64_MAX, &type, &len), KV_REC_BAD);
	/* Bad magic, type 0. */
	memcpy(bad, rec, sizeof bad);
	bad[9] ^= 1;
	ck_assert_int_eq(kv_rec_decode(bad, sizeof rec, &type, &len), KV_REC_BAD);
	memcpy(bad, rec, sizeof bad);
	kv_put_u32(bad + 12, 0);
	ck_assert_int_eq(kv_rec_decode(bad, sizeof rec, &type, &len), KV_REC_BAD);
	/* A header torn after a few bytes. */
	memset(bad, 0, sizeof bad);
	memcpy(bad, rec, 6);
	ck_assert_int_eq(kv_rec_decode(bad, sizeof rec, &type, &len), KV_REC_BAD);
}
END_TEST

struct seen {
	int n;
	struct kv_ent e[8];
};

static int collect(void *arg, const struct kv_ent *e)
{
	struct seen *s = arg;
	ck_assert_int_lt(s->n, 8);
	s->e[s->n++] = *e;
	return 0;
}

START_TEST(test_batch_codec)
{
	struct kv_batch *b;
	ck_assert_int_eq(kv_batch_new(&b), 0);
	ck_assert_int_eq(kv_batch_put(b, "k1", 2, "value1", 6), 0);
	ck_assert_int_eq(kv_batch_del(b, "k2", 2), 0);
	ck_assert_int_eq(kv_batch_put(b, "k3", 2, "", 0), 0);
	ck_assert_int_eq(kv_batch_put(b, "", 0, "x", 1), KV_EINVAL);
	ck_assert_int_eq(kv_batch_put(b, "k", 1, NULL, KV_VALUE_MAX + 1),
			 KV_EINVAL);
	kv_batch_set_applied_index(b, 42);
	ck_assert_uint_eq(kv_batch_count(b), 3);
	uint32_t len = kv_batch_seal(b);
	const unsigned char *p = kv_batch_payload(b);
	struct seen s = {0};
	uint64_t applied;
	bool has;
	ck_assert_int_eq(kv_batch_decode(p, len, collect, &s, &applied, &has), 0);
	ck_assert(has);
	ck_assert_uint_eq(applied, 42);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(s.e[0].op, KV_ENT_PUT);
	ck_assert(memcmp(s.e[0].val, "value1", 6) == 0);
	ck_assert_int_eq(s.e[1].op, KV_ENT_DEL);
	ck_assert_uint_eq(s.e[2].vlen, 0);
	/* The entry is self-checking, as a get reads it back. */
	const unsigned char *e0 = p + s.e[0].pos;
	ck_assert(kv_ent_verify(e0, kv_ent_size(2, 6), "k1", 2, 6));
	ck_assert(!kv_ent_verify(e0, kv_ent_size(2, 6), "k9", 2, 6));
	unsigned char copy[64];
	memcpy(copy, e0, kv_ent_size(2, 6));
	copy[KV_ENT_HDR + 3] ^= 0x20;
	ck_assert(!kv_ent_verify(copy, kv_ent_size(2, 6), "k1", 2, 6));
	/* Truncated or overlong payloads are malformed. */
	s.n = 0;
	ck_assert_int_eq(kv_batch_decode(p, len - 1, collect, &s, &applied, &has),
			 KV_ECORRUPT);
	kv_batch_clear(b);
	ck_assert_uint_eq(kv_batch_count(b), 0);
	kv_batch_free(b);
}
END_TEST

Suite *test_engine_record_suite(void)
{
	Suite *s = suite_create("engine_record");
	TCase *tc = tcase_create("record");
	tcase_add_test(tc, test_record_round_trip);
	tcase_add_test(tc, test_record_rejects);
	tcase_add_test(tc, test_batch_codec);
	suite_add_tcase(s, tc);
	return s;
}
