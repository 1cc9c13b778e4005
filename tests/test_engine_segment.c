/*
 * test_engine_segment.c — the record log on its own, as raft's log storage
 * will use it: appends of many sizes across preallocated segments (a
 * record larger than a segment gets its own), replay in order with
 * positions, rotation, pins and retirement, lsn and sync.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/record_log.h"

#define NREC 300
#define SEG_BYTES 4096

struct replayed {
	int n;
	uint32_t len[NREC];
	struct kv_rlog_pos at[NREC];
};

static int replay(void *arg, const struct kv_rlog_pos *at, uint32_t type,
		  const unsigned char *payload, uint32_t len)
{
	struct replayed *r = arg;
	ck_assert_int_lt(r->n, NREC);
	ck_assert_uint_eq(type, 3);
	/* Payload byte i of record n is (n + i) mod 251. */
	for (uint32_t i = 0; i < len; i++)
		ck_assert_uint_eq(payload[i], (unsigned)((r->n + i) % 251));
	r->len[r->n] = len;
	r->at[r->n] = *at;
	r->n++;
	return 0;
}

static struct kv_rlog *open_log(const char *dir, void *arg)
{
	struct kv_rlog_options o = {.io = kv_io_posix(), .segment_bytes = SEG_BYTES};
	struct kv_rlog *l;
	ck_assert_int_eq(kv_rlog_open(dir, &o, replay, arg, &l), 0);
	return l;
}

static size_t file_size(const char *dir, uint64_t id)
{
	char p[4200];
	kv_rlog_seg_path(p, sizeof p, dir, id);
	struct stat st;
	if (stat(p, &st) != 0)
		return 0;
	return (size_t)st.st_size;
}

START_TEST(test_rlog_append_replay)
{
	char *dir = test_tmpdir_new("rlog");
	struct replayed *r = calloc(1, sizeof *r);
	struct kv_rlog *l = open_log(dir, r);
	ck_assert_int_eq(r->n, 0);
	ck_assert_uint_eq(kv_rlog_lsn(l), 0);
	struct test_rng rng;
	test_rng_init(&rng, test_seed() + 9);
	uint32_t lens[NREC];
	struct kv_rlog_pos at[NREC];
	for (int n = 0; n < NREC; n++) {
		/* Mostly small; now and then larger than a whole segment. */
		uint32_t len = (uint32_t)test_rng_below(&rng, 400);
		if (n % 50 == 7)
			len = SEG_BYTES * 2 + 13;
		unsigned char *rec = malloc(KV_RLOG_HDR + len + 1);
		for (uint32_t i = 0; i < len; i++)
			rec[KV_RLOG_HDR + i] = (unsigned char)((n + i) % 251);
		uint64_t lsn;
		struct kv_rlog_pos *p = &at[n];
		kv_rlog_lock(l);
		ck_assert_int_eq(kv_rlog_append_locked(l, 3, rec, len, p, &lsn), 0);
		kv_rlog_unlock(l);
		ck_assert_uint_eq(lsn, (uint64_t)n + 1);
		ck_assert_uint_eq(p->off % 8, 0);
		if (len > SEG_BYTES) {
			/* Its own segment, sized to fit. */
			ck_assert_uint_eq(p->off, 0);
			ck_assert_uint_ge(file_size(dir, p->seg), len + KV_RLOG_HDR);
		}
		lens[n] = len;
		free(rec);
	}
	ck_assert_int_eq(kv_rlog_sync(l, 0), 0);
	struct kv_rlog_stats st;
	kv_rlog_stats(l, &st);
	ck_assert_uint_gt(st.segments, 10);
	ck_assert_uint_ge(st.fsyncs, st.segments - 1); /* a sync per seal */
	ck_assert_int_eq(kv_rlog_close(l), 0);
	/* A sealed segment gives back its unused preallocation. */
	ck_assert_uint_gt(file_size(dir, 1), 0);
	ck_assert_uint_le(file_size(dir, 1), SEG_BYTES);
	l = open_log(dir, r);
	ck_assert_int_eq(r->n, NREC);
	for (int n = 0; n < NREC; n++) {
		ck_assert_uint_eq(r->len[n], lens[n]);
		ck_assert_uint_eq(r->at[n].seg, at[n].seg);
		ck_assert_uint_eq(r->at[n].off, at[n].off);
	}
	/* Appends continue after the recovered end. */
	struct kv_rlog_pos end = kv_rlog_end(l);
	ck_assert_uint_eq(end.seg, at[NREC - 1].seg);
	ck_assert_uint_gt(end.off, at[NREC - 1].off);
	ck_assert_int_eq(kv_rlog_close(l), 0);
	free(r);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_rlog_rotate_pin_retire)
{
	char *dir = test_tmpdir_new("rlogpin");
	struct replayed *r = calloc(1, sizeof *r);
	struct kv_rlog *l = open_log(dir, r);
	unsigned char rec[KV_RLOG_HDR + 8];
	for (int i = 0; i < 8; i++)
		rec[KV_RLOG_HDR + i] = (unsigned char)(i % 251);
	ck_assert_int_eq(kv_rlog_append(l, 3, rec, 8, NULL, NULL, NULL), 0);
	uint64_t active;
	ck_assert_int_eq(kv_rlog_rotate(l, &active), 0);
	ck_assert_uint_eq(active, 2);
	ck_assert_int_eq(kv_rlog_rotate(l, &active), 0); /* empty: no-op */
	ck_assert_uint_eq(active, 2);
	ck_assert_uint_eq(kv_rlog_oldest(l), 1);
	struct kv_rlog_seg *s = kv_rlog_seg_get(l, 1);
	ck_assert_ptr_nonnull(s);
	struct kv_rlog_seg *pin = kv_rlog_seg_get(l, 1);
	unsigned char got[8];
	ck_assert_int_eq(kv_rlog_seg_read(l, pin, KV_RLOG_HDR, got, 8), 0);
	ck_assert(memcmp(got, rec + KV_RLOG_HDR, 8) == 0);
	kv_rlog_seg_retire(l, s);
	kv_rlog_seg_put(l, s);
	ck_assert_ptr_null(kv_rlog_seg_get(l, 1)); /* retired: no new pins */
	ck_assert_uint_eq(kv_rlog_oldest(l), 1);   /* still on disk */
	ck_assert_uint_eq(kv_rlog_segments(l, NULL, 0), 1);
	/* Sealed by the rotation: trimmed to its one record. */
	ck_assert_uint_eq(file_size(dir, 1), KV_RLOG_HDR + 8);
	ck_assert_int_eq(kv_rlog_seg_read(l, pin, KV_RLOG_HDR, got, 8), 0);
	kv_rlog_seg_put(l, pin); /* last pin: the file goes */
	ck_assert_uint_eq(file_size(dir, 1), 0);
	ck_assert_uint_eq(kv_rlog_oldest(l), 2);
	ck_assert_int_eq(kv_rlog_close(l), 0);
	free(r);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_rlog_start_position_and_known)
{
	char *dir = test_tmpdir_new("rlogfrom");
	struct replayed *r = calloc(1, sizeof *r);
	struct kv_rlog *l = open_log(dir, r);
	unsigned char rec[KV_RLOG_HDR + 300];
	struct kv_rlog_pos at[40];
	for (int n = 0; n < 40; n++) {
		for (int i = 0; i < 300; i++)
			rec[KV_RLOG_HDR + i] = (unsigned char)((n + i) % 251);
		kv_rlog_lock(l);
		ck_assert_int_eq(kv_rlog_append_locked(l, 3, rec, 300, &at[n], NULL), 0);
		kv_rlog_unlock(l);
	}
	struct kv_rlog_seginfo segs[64];
	size_t ns = kv_rlog_segments(l, segs, 64);
	ck_assert_int_eq(kv_rlog_close(l), 0);
	/* Start at record 20: the segments before it are taken as known. */
	struct kv_rlog_options o = {.io = kv_io_posix(), .segment_bytes = SEG_BYTES,
				    .from = at[20], .known = segs};
	for (size_t i = 0; i < ns && segs[i].id < at[20].seg; i++)
		o.known_count++;
	memset(r, 0, sizeof *r);
	r->n = 20; /* payload check continues from record 20 */
	ck_assert_int_eq(kv_rlog_open(dir, &o, replay, r, &l), 0);
	ck_assert_int_eq(r->n, 40);
	ck_assert_int_eq(kv_rlog_close(l), 0);
	/* A known segment that is missing: -ENOENT, so the caller falls back. */
	char p[4200];
	kv_rlog_seg_path(p, sizeof p, dir, 1);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(kv_rlog_open(dir, &o, replay, r, &l), -ENOENT);
	free(r);
	test_tmpdir_free(dir);
}
END_TEST

Suite *test_engine_segment_suite(void)
{
	Suite *s = suite_create("engine_segment");
	TCase *tc = tcase_create("segment");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_rlog_append_replay);
	tcase_add_test(tc, test_rlog_rotate_pin_retire);
	tcase_add_test(tc, test_rlog_start_position_and_known);
	suite_add_tcase(s, tc);
	return s;
}
