/*
 * test_raft_codec.c — the binary codec (raft/codec.h): round trips, and
 * rejection of corrupt, truncated, foreign-version and oversized input
 * without crashing or over-allocating.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/crc32c.h"
#include "raft/codec.h"
#include "tests/raft_test_net.h"
#include "tests/testutil.h"

/* A random message of a random type, entries pointing into pool. */
static void random_msg(struct test_rng *g, struct raft_msg *m,
		       struct raft_entry *ents, uint8_t *pool)
{
	memset(m, 0, sizeof(*m));
	m->type = (uint8_t)(1 + test_rng_below(g, RAFT_MSG_TYPE_MAX));
	m->reject = (uint8_t)test_rng_below(g, 2);
	m->transfer = (uint8_t)test_rng_below(g, 2);
	uint64_t *f[8] = {&m->from,  &m->to,     &m->term,
			  &m->log_term, &m->index, &m->commit,
			  &m->reject_hint, &m->ctx};
	for (int i = 0; i < 8; i++)
		*f[i] = test_rng_next(g) >> test_rng_below(g, 64);
	if (m->type == RAFT_MSG_APPEND) {
		m->n_entries = (size_t)test_rng_below(g, 5);
		for (size_t i = 0; i < m->n_entries; i++) {
			ents[i] = (struct raft_entry){
				.term = test_rng_next(g),
				.index = m->index + 1 + i,
				.type = (uint8_t)test_rng_below(g, 2),
				.len = (uint32_t)test_rng_below(g, 40)};
			ents[i].data = ents[i].len ? pool + 40 * i : NULL;
		}
		m->entries = m->n_entries ? ents : NULL;
	}
	if (m->type == RAFT_MSG_SNAPSHOT) {
		struct raft_snapshot *s = &m->snapshot;
		s->meta.index = test_rng_next(g);
		s->meta.term = test_rng_next(g);
		s->meta.conf.n_voters = (uint32_t)test_rng_below(g, 6);
		s->meta.conf.n_learners = (uint32_t)test_rng_below(g, 3);
		for (uint32_t i = 0; i < s->meta.conf.n_voters; i++)
			s->meta.conf.voters[i] = test_rng_next(g);
		for (uint32_t i = 0; i < s->meta.conf.n_learners; i++)
			s->meta.conf.learners[i] = test_rng_next(g);
		s->len = (size_t)test_rng_below(g, 100);
		s->data = s->len ? pool : NULL;
	}
}

static void assert_msg_eq(const struct raft_msg *a, const struct raft_msg *b)
{
	ck_assert_uint_eq(a->type, b->type);
	ck_assert_uint_eq(a->reject, b->reject);
	ck_assert_uint_eq(a->transfer, b->transfer);
	ck_assert_uint_eq(a->from, b->from);
	ck_assert_uint_eq(a->to, b->to);
	ck_assert_uint_eq(a->term, b->term);
	ck_assert_uint_eq(a->log_term, b->log_term);
	ck_assert_uint_eq(a->index, b->index);
	ck_assert_uint_eq(a->commit, b->commit);
	ck_assert_uint_eq(a->reject_hint, b->reject_hint);
	ck_assert_uint_eq(a->ctx, b->ctx);
	ck_assert_uint_eq(a->n_entries, b->n_entries);
	for (size_t i = 0; i < a->n_entries; i++) {
		ck_assert_uint_eq(a->entries[i].term, b->entries[i].term);
		ck_assert_uint_eq(a->entries[i].index, b->entries[i].index);
		ck_assert_uint_eq(a->entries[i].type, b->entries[i].type);
		ck_assert_uint_eq(a->entries[i].len, b->entries[i].len);
		if (a->entries[i].len)
			ck_assert(memcmp(a->entries[i].data,
					 b->entries[i].data,
					 a->entries[i].len) == 0);
	}
	ck_assert_uint_eq(a->snapshot.meta.index, b->snapshot.meta.index);
	ck_assert_uint_eq(a->snapshot.meta.term, b->snapshot.meta.term);
	ck_assert(memcmp(&a->snapshot.meta.conf, &b->snapshot.meta.conf,
			 sizeof(a->snapshot.meta.conf)) == 0);
	ck_assert_uint_eq(a->snapshot.len, b->snapshot.len);
	if (a->snapshot.len)
		ck_assert(memcmp(a->snapshot.data, b->snapshot.data,
				 a->snapshot.len) == 0);
}

/* Codec: every message type round-trips exactly (random fields). */
START_TEST(test_codec_roundtrip)
{
	struct test_rng g;
	test_rng_init(&g, test_seed());
	uint8_t pool[256];
	test_rng_bytes(&g, pool, sizeof(pool));
	struct raft_entry ents[8];
	for (int it = 0; it < 2000; it++) {
		struct raft_msg m, d;
		random_msg(&g, &m, ents, pool);
		size_t n = raft_msg_encoded_bytes(&m), w = 0;
		uint8_t *buf = malloc(n);
		ck_assert_int_eq(raft_msg_encode(&m, buf, n, &w), 0);
		ck_assert_uint_eq(w, n);
		ck_assert_int_eq(raft_msg_encode(&m, buf, n - 1, &w),
				 RAFT_ERR_INVALID);
		ck_assert_int_eq(raft_msg_decode(buf, n, &d), 0);
		assert_msg_eq(&m, &d);
		raft_msg_decoded_free(&d);
		free(buf);
	}
}
END_TEST

/* Codec: any single bit flip and any truncation is rejected (CRC32C). */
START_TEST(test_codec_rejects_corruption)
{
	struct test_rng g;
	test_rng_init(&g, test_seed() ^ 1);
	uint8_t pool[256];
	test_rng_bytes(&g, pool, sizeof(pool));
	struct raft_entry ents[8];
	for (int it = 0; it < 50; it++) {
		struct raft_msg m, d;
		random_msg(&g, &m, ents, pool);
		size_t n = raft_msg_encoded_bytes(&m), w;
		uint8_t *buf = malloc(n);
		ck_assert_int_eq(raft_msg_encode(&m, buf, n, &w), 0);
		for (size_t bit = 0; bit < n * 8; bit++) {
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			ck_assert_int_lt(raft_msg_decode(buf, n, &d), 0);
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		for (size_t k = 0; k < n; k++)
			ck_assert_int_lt(raft_msg_decode(buf, k, &d), 0);
		free(buf);
	}
}
END_TEST

/* Re-seals a frame's CRC after a deliberate edit (to reach the checks
 * behind the CRC). */
static void reseal(uint8_t *buf, size_t n)
{
	uint32_t c = kv_crc32c(buf, n - 4);
	for (int i = 0; i < 4; i++)
		buf[n - 4 + i] = (uint8_t)(c >> (8 * i));
}

/* Codec: an unknown version is refused as such; a huge entry count with a
 * valid CRC is refused before any allocation; bad type refused. */
START_TEST(test_codec_rejects_bad_fields)
{
	struct raft_entry e = {.term = 1, .index = 2, .len = 3,
			       .data = (uint8_t *)"abc"};
	struct raft_msg m = tn_msg(RAFT_MSG_APPEND, 1, 2, 3);
	m.index = 1;
	m.entries = &e;
	m.n_entries = 1;
	uint8_t buf[256];
	size_t n, w;
	n = raft_msg_encoded_bytes(&m);
	ck_assert_int_eq(raft_msg_encode(&m, buf, sizeof(buf), &w), 0);
	struct raft_msg d;
	buf[0] = 2;
	reseal(buf, n);
	ck_assert_int_eq(raft_msg_decode(buf, n, &d), RAFT_ERR_VERSION);
	buf[0] = RAFT_CODEC_VERSION;
	/* n_entries sits after version, kind, 3 flag bytes and 8 u64s. */
	size_t off = 2 + 3 + 64;
	memset(buf + off, 0xff, 4);
	reseal(buf, n);
	ck_assert_int_eq(raft_msg_decode(buf, n, &d), RAFT_ERR_CORRUPT);
	ck_assert_int_eq(raft_msg_encode(&m, buf, sizeof(buf), &w), 0);
	buf[2] = 99; /* type */
	reseal(buf, n);
	ck_assert_int_eq(raft_msg_decode(buf, n, &d), RAFT_ERR_CORRUPT);
	ck_assert_int_eq(raft_msg_decode(NULL, 0, &d), RAFT_ERR_CORRUPT);
}
END_TEST

/* Codec: entries alone round-trip; the entry frame is not a message. */
START_TEST(test_codec_entry_roundtrip)
{
	struct raft_entry e = {.term = 7, .index = 99, .type = RAFT_ENTRY_CONF,
			       .len = 5, .data = (uint8_t *)"hello"};
	uint8_t buf[64];
	size_t w;
	ck_assert_int_eq(raft_entry_encode(&e, buf, sizeof(buf), &w), 0);
	ck_assert_uint_eq(w, raft_entry_encoded_bytes(&e));
	struct raft_entry d;
	ck_assert_int_eq(raft_entry_decode(buf, w, &d), 0);
	ck_assert_uint_eq(d.term, 7);
	ck_assert_uint_eq(d.index, 99);
	ck_assert_uint_eq(d.type, RAFT_ENTRY_CONF);
	ck_assert_uint_eq(d.len, 5);
	ck_assert(memcmp(d.data, "hello", 5) == 0);
	struct raft_msg m;
	ck_assert_int_eq(raft_msg_decode(buf, w, &m), RAFT_ERR_CORRUPT);
	buf[10] ^= 1;
	ck_assert_int_eq(raft_entry_decode(buf, w, &d), RAFT_ERR_CORRUPT);
}
END_TEST

/* Conf change entry data round-trips; bad bytes are refused. */
START_TEST(test_conf_change_codec)
{
	struct raft_conf_change cc = {.type = RAFT_CC_PROMOTE, .node = 1234};
	uint8_t b[RAFT_CONF_CHANGE_BYTES];
	raft_conf_change_encode(&cc, b);
	struct raft_conf_change d;
	ck_assert_int_eq(raft_conf_change_decode(b, sizeof(b), &d), 0);
	ck_assert_uint_eq(d.type, RAFT_CC_PROMOTE);
	ck_assert_uint_eq(d.node, 1234);
	ck_assert_int_eq(raft_conf_change_decode(b, sizeof(b) - 1, &d),
			 RAFT_ERR_CORRUPT);
	b[1] = 9;
	ck_assert_int_eq(raft_conf_change_decode(b, sizeof(b), &d),
			 RAFT_ERR_CORRUPT);
}
END_TEST

Suite *raft_codec_suite(void)
{
	Suite *s = suite_create("raft_codec");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, test_codec_roundtrip);
	tcase_add_test(tc, test_codec_rejects_corruption);
	tcase_add_test(tc, test_codec_rejects_bad_fields);
	tcase_add_test(tc, test_codec_entry_roundtrip);
	tcase_add_test(tc, test_conf_change_codec);
	suite_add_tcase(s, tc);
	return s;
}
