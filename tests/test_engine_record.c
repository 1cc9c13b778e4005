/*
 * test_engine_record.c — the record codec (framing) and the batch payload
 * codec: round trips, and rejection of a bad CRC, a bad magic, an absurd
 * length and a truncated payload; batches with referenced values.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/batch.h"
#include "engine/crc32c.h"
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
		kv_rec_encode(rec, 7, len, 0);
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
	kv_rec_encode(rec, 1, 5, 0);
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

/* Gathers a batch's pieces into one record buffer (malloc'd). */
static unsigned char *gather(const struct kv_batch *b, size_t *len)
{
	struct iovec iov[KV_BATCH_IOV_MAX];
	int n = kv_batch_iov(b, iov);
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	unsigned char *p = malloc(total), *q = p;
	ck_assert_ptr_nonnull(p);
	for (int i = 0; i < n; i++) {
		memcpy(q, iov[i].iov_base, iov[i].iov_len);
		q += iov[i].iov_len;
	}
	*len = total;
	return p;
}

struct walk_cmp {
	struct seen want;
	int i;
};

/* Each walked entry equals the decoded one: op, key, value, position. */
static int walk_check(void *arg, const struct kv_ent *e)
{
	struct walk_cmp *w = arg;
	ck_assert_int_lt(w->i, w->want.n);
	const struct kv_ent *d = &w->want.e[w->i++];
	ck_assert_int_eq(e->op, d->op);
	ck_assert_uint_eq(e->pos, d->pos);
	ck_assert_uint_eq(e->klen, d->klen);
	ck_assert_uint_eq(e->vlen, d->vlen);
	ck_assert(memcmp(e->key, d->key, e->klen) == 0);
	ck_assert(e->vlen == 0 || memcmp(e->val, d->val, e->vlen) == 0);
	return 0;
}

/*
 * A batch with referenced values (kv_batch_put_ref) is, once gathered, the
 * very bytes of the same batch built by copying, and its running CRC is the
 * CRC of those bytes: the checksums derived by combination are the ones a
 * reader computes.  Random mixes of sizes around KV_BATCH_REF_MIN, and more
 * refs than a batch holds (the rest are copied).
 */
START_TEST(test_batch_refs_match_copies)
{
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0x4ef);
	enum { VALS = 80 };
	static unsigned char vals[VALS][KV_BATCH_REF_MIN + 100];
	size_t vlen[VALS];
	for (int round = 0; round < 20; round++) {
		struct kv_batch *ref, *copy;
		ck_assert_int_eq(kv_batch_new(&ref), 0);
		ck_assert_int_eq(kv_batch_new(&copy), 0);
		int n = round == 0 ? VALS : 1 + (int)test_rng_below(&r, 8);
		for (int i = 0; i < n; i++) {
			char k[16];
			size_t kl = (size_t)snprintf(k, sizeof k, "key%d", i);
			unsigned pick = (unsigned)test_rng_below(&r, 4);
			vlen[i] = pick == 0 ? 0 : pick == 1 ? (size_t)test_rng_below(&r, 300) :
				  KV_BATCH_REF_MIN - 50 + (size_t)test_rng_below(&r, 150);
			test_rng_bytes(&r, vals[i], vlen[i]);
			if (test_rng_below(&r, 5) == 0) {
				ck_assert_int_eq(kv_batch_del(ref, k, kl), 0);
				ck_assert_int_eq(kv_batch_del(copy, k, kl), 0);
				continue;
			}
			ck_assert_int_eq(kv_batch_put_ref(ref, k, kl, vals[i], vlen[i]), 0);
			ck_assert_int_eq(kv_batch_put(copy, k, kl, vals[i], vlen[i]), 0);
		}
		if (round % 2) {
			kv_batch_set_applied_index(ref, 7 + (uint64_t)round);
			kv_batch_set_applied_index(copy, 7 + (uint64_t)round);
		}
		uint32_t len = kv_batch_seal(ref);
		ck_assert_uint_eq(len, kv_batch_seal(copy));
		size_t glen;
		unsigned char *g = gather(ref, &glen);
		ck_assert_uint_eq(glen, KV_RLOG_HDR + (size_t)len);
		/* Same bytes after the header room; the CRCs are the real ones. */
		ck_assert(memcmp(g + KV_RLOG_HDR, kv_batch_payload(copy), len) == 0);
		ck_assert_uint_eq(kv_batch_crc(ref), kv_crc32c(g + KV_RLOG_HDR, len));
		ck_assert_uint_eq(kv_batch_crc(copy), kv_crc32c(g + KV_RLOG_HDR, len));
		/* The header CRC combined with it frames a valid record. */
		kv_rec_encode_crc(g, KV_REC_TYPE_BATCH, len, 0, kv_batch_crc(ref));
		ck_assert(kv_rec_check(g, len));
		g[KV_RLOG_HDR + len - 1] ^= 1;
		ck_assert(!kv_rec_check(g, len));
		g[KV_RLOG_HDR + len - 1] ^= 1;
		/* Walking the batch in memory sees what decoding the record sees. */
		struct walk_cmp w = {0};
		uint64_t applied;
		bool has;
		if (n <= 8) {
			ck_assert_int_eq(kv_batch_decode(g + KV_RLOG_HDR, len, collect,
							 &w.want, &applied, &has), 0);
			ck_assert_int_eq(kv_batch_walk(ref, walk_check, &w), 0);
			ck_assert_int_eq(w.i, w.want.n);
			for (int i = 0; i < w.want.n; i++) {
				const struct kv_ent *e = &w.want.e[i];
				if (e->op == KV_ENT_PUT)
					ck_assert(kv_ent_verify(g + KV_RLOG_HDR + e->pos,
								kv_ent_size(e->klen, e->vlen),
								e->key, e->klen, e->vlen));
			}
		}
		free(g);
		kv_batch_free(ref);
		kv_batch_free(copy);
	}
}
END_TEST

Suite *test_engine_record_suite(void)
{
	Suite *s = suite_create("engine_record");
	TCase *tc = tcase_create("record");
	tcase_add_test(tc, test_record_round_trip);
	tcase_add_test(tc, test_record_rejects);
	tcase_add_test(tc, test_batch_codec);
	tcase_add_test(tc, test_batch_refs_match_copies);
	suite_add_tcase(s, tc);
	return s;
}
