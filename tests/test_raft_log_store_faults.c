/*
 * test_raft_log_store_faults.c — the raft log store under named faults, on
 * fault_io: a torn tail is cut and the store opens; corruption in a sealed
 * segment and a missing segment refuse to open, naming the place; bit rot
 * after open is caught by the entry checksum on read; EIO on a write and a
 * failed fdatasync turn the store read-only for good (the sync is never
 * retried), while reads go on.
 *
 * Offsets here follow the formats of engine/record.h (24-byte record
 * header) and raft/log_store_int.h (16-byte entries header, 32-byte entry
 * header): these are the store's own tests, so they may know its format.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "tests/raft_log_store_test.h"

#define SEG1 LS_DIR "/seg-0000000000000001.log"
#define SEG2 LS_DIR "/seg-0000000000000002.log"
/* The first entry's data in the first segment: record + entries headers. */
#define FIRST_DATA_OFF (24 + 16 + 32)

struct fx {
	struct fault_io *f;
	struct lst_log log;
	struct raft_log_store_options o;
	struct raft_log_store *ls;
	struct lsm *m;
	struct test_rng g;
};

static void fx_init(struct fx *x)
{
	memset(x, 0, sizeof *x);
	test_rng_init(&x->g, test_seed());
	x->f = fault_io_new(test_seed());
	ck_assert_int_eq(fault_io_mkdirs(x->f, LS_DIR), 0);
	lst_options(&x->o, x->f, &x->log);
	x->m = lsm_new();
	ck_assert_int_eq(raft_log_store_open(LS_DIR, &x->o, &x->ls), 0);
}

static void fx_fini(struct fx *x)
{
	raft_log_store_close(x->ls);
	lsm_free(x->m);
	fault_io_free(x->f);
}

static void fx_check(struct fx *x)
{
	char why[256];
	ck_assert_msg(lsm_matches(x->ls, x->m, &x->g, why, sizeof why), "%s",
		      why);
}

/* One entry per record, len bytes of pattern data. */
static void fx_put(struct fx *x, uint64_t index, uint32_t len)
{
	uint8_t d[1024];
	ck_assert(len <= sizeof d);
	memset(d, (int)(index & 0xff), len);
	struct raft_entry e = {.term = 1, .index = index, .len = len,
			       .data = len ? d : NULL};
	int rc = raft_log_store_append(x->ls, &e, 1, NULL);
	ck_assert_msg(rc == 0, "append %" PRIu64 ": %s", index,
		      raft_log_store_strerror(rc));
	lsm_append(x->m, &e, 1);
}

static int fx_reopen_rc(struct fx *x)
{
	raft_log_store_close(x->ls);
	x->ls = NULL;
	fault_io_restart(x->f);
	return raft_log_store_open(LS_DIR, &x->o, &x->ls);
}

START_TEST(test_torn_tail_is_cut)
{
	struct fx x;
	fx_init(&x);
	for (uint64_t i = 1; i <= 5; i++)
		fx_put(&x, i, 100);
	ck_assert_int_eq(raft_log_store_sync(x.ls, 0), 0);
	fx_put(&x, 6, 100);
	struct lsm *keep = lsm_copy(x.m);
	fx_put(&x, 7, 100); /* the one torn */
	fault_io_crash_now(x.f, FAULT_CRASH_TEAR_LAST);
	ck_assert_int_eq(fx_reopen_rc(&x), 0);
	ck_assert(lst_log_has(&x.log, "truncated torn write"));
	lsm_free(x.m);
	x.m = keep;
	fx_check(&x);
	/* New records land right after valid data. */
	fx_put(&x, 7, 10);
	ck_assert_int_eq(fx_reopen_rc(&x), 0);
	fx_check(&x);
	fx_fini(&x);
}
END_TEST

START_TEST(test_corrupt_sealed_segment_refuses)
{
	struct fx x;
	fx_init(&x);
	for (uint64_t i = 1; i <= 40; i++)
		fx_put(&x, i, 400);
	uint8_t b;
	ck_assert_int_eq(fault_io_peek(x.f, SEG1, 500, &b, 1), 1);
	b ^= 0x10;
	raft_log_store_close(x.ls);
	x.ls = NULL;
	ck_assert_int_eq(fault_io_poke(x.f, SEG1, 500, &b, 1), 0);
	ck_assert_int_eq(fx_reopen_rc(&x), KV_ECORRUPT);
	ck_assert(x.ls == NULL);
	char lg[2048];
	lst_log_dump(&x.log, lg, sizeof lg);
	ck_assert_msg(lst_log_has(&x.log, "seg-0000000000000001.log") &&
			      lst_log_has(&x.log, "offset"),
		      "log: %s", lg);
	fx_fini(&x);
}
END_TEST

static int unlink_seg2(struct fx *x)
{
	const struct kv_io *io = fault_io_table(x->f);
	return io->unlink(io->ctx, SEG2);
}

START_TEST(test_missing_segment_refuses)
{
	struct fx x;
	fx_init(&x);
	for (uint64_t i = 1; i <= 40; i++)
		fx_put(&x, i, 400);
	raft_log_store_close(x.ls);
	x.ls = NULL;
	ck_assert_int_eq(unlink_seg2(&x), 0);
	fault_io_sync_all(x.f);
	ck_assert_int_eq(fx_reopen_rc(&x), RAFT_ERR_CORRUPT);
	char lg[2048];
	lst_log_dump(&x.log, lg, sizeof lg);
	ck_assert_msg(lst_log_has(&x.log, "missing"), "log: %s", lg);
	fx_fini(&x);
}
END_TEST

START_TEST(test_bit_rot_found_on_read)
{
	struct fx x;
	fx_init(&x);
	for (uint64_t i = 1; i <= 3; i++)
		fx_put(&x, i, 100);
	ck_assert_int_eq(raft_log_store_sync(x.ls, 0), 0);
	uint8_t b = 0xee;
	ck_assert_int_eq(fault_io_poke(x.f, SEG1, FIRST_DATA_OFF + 7, &b, 1), 0);
	struct raft_entry out[3];
	size_t n;
	ck_assert_int_eq(raft_log_store_entries(x.ls, 1, 4, UINT64_MAX, out, &n),
			 RAFT_ERR_CORRUPT);
	ck_assert(lst_log_has(&x.log, "fails its checksum"));
	/* Entries elsewhere still read. */
	ck_assert_int_eq(raft_log_store_entries(x.ls, 2, 4, UINT64_MAX, out, &n),
			 0);
	ck_assert_uint_eq(n, 2);
	fx_fini(&x);
}
END_TEST

START_TEST(test_eio_write_is_sticky)
{
	struct fx x;
	fx_init(&x);
	for (uint64_t i = 1; i <= 3; i++)
		fx_put(&x, i, 100);
	ck_assert_int_eq(raft_log_store_sync(x.ls, 0), 0);
	fault_io_fail(x.f, FAULT_PWRITE, 1, EIO, 1, true);
	struct raft_entry e = {.term = 1, .index = 4};
	ck_assert_int_eq(raft_log_store_append(x.ls, &e, 1, NULL), -EIO);
	fault_io_fail_clear(x.f);
	/* The disk works again, the store stays read-only. */
	ck_assert_int_ne(raft_log_store_append(x.ls, &e, 1, NULL), 0);
	struct raft_hard_state hs = {.term = 2};
	ck_assert_int_ne(raft_log_store_set_hard_state(x.ls, &hs, NULL), 0);
	ck_assert_int_ne(raft_log_store_sync(x.ls, 0), 0);
	ck_assert_int_eq(raft_log_store_error(x.ls), -EIO);
	fx_check(&x);
	ck_assert_int_eq(fx_reopen_rc(&x), 0);
	fx_check(&x);
	fx_put(&x, 4, 10);
	fx_fini(&x);
}
END_TEST

START_TEST(test_failed_fdatasync_never_retried)
{
	struct fx x;
	fx_init(&x);
	fx_put(&x, 1, 100);
	fault_io_fail(x.f, FAULT_FDATASYNC, 1, EIO, 1, false);
	ck_assert_int_eq(raft_log_store_sync(x.ls, 0), -EIO);
	uint64_t syncs = fault_io_calls(x.f, FAULT_FDATASYNC);
	ck_assert_int_ne(raft_log_store_sync(x.ls, 0), 0);
	ck_assert_uint_eq(fault_io_calls(x.f, FAULT_FDATASYNC), syncs);
	struct raft_entry e = {.term = 1, .index = 2};
	ck_assert_int_ne(raft_log_store_append(x.ls, &e, 1, NULL), 0);
	fx_check(&x);
	fx_fini(&x);
}
END_TEST

START_TEST(test_enospc_new_segment)
{
	struct fx x;
	fx_init(&x);
	fx_put(&x, 1, 1000);
	fx_put(&x, 2, 1000);
	fx_put(&x, 3, 1000);
	/* The next record needs a new segment, which cannot be allocated. */
	fault_io_fail(x.f, FAULT_FALLOCATE, 1, ENOSPC, 0, false);
	struct raft_entry e = {.term = 1, .index = 4, .len = 1000,
			       .data = (uint8_t[1000]){0}};
	ck_assert_int_eq(raft_log_store_append(x.ls, &e, 1, NULL), -ENOSPC);
	fault_io_fail_clear(x.f);
	ck_assert_int_ne(raft_log_store_error(x.ls), 0);
	fx_check(&x);
	ck_assert_int_eq(fx_reopen_rc(&x), 0);
	fx_check(&x);
	fx_fini(&x);
}
END_TEST

Suite *raft_log_store_faults_suite(void)
{
	Suite *s = suite_create("raft_log_store_faults");
	TCase *tc = tcase_create("faults");
	tcase_add_test(tc, test_torn_tail_is_cut);
	tcase_add_test(tc, test_corrupt_sealed_segment_refuses);
	tcase_add_test(tc, test_missing_segment_refuses);
	tcase_add_test(tc, test_bit_rot_found_on_read);
	tcase_add_test(tc, test_eio_write_is_sticky);
	tcase_add_test(tc, test_failed_fdatasync_never_retried);
	tcase_add_test(tc, test_enospc_new_segment);
	suite_add_tcase(s, tc);
	return s;
}
