/*
 * test_engine_group.c — group commit: many writers share fdatasyncs, every
 * write is present after reopen; the NONE and INTERVAL modes sync when
 * promised.  Writers put in lock-step rounds and an I/O table holds each
 * fdatasync until every put already started has appended its record, so
 * sharing is certain rather than timing-dependent.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WRITERS 16
#define PER_WRITER 50

/* Wraps the POSIX table: fdatasync waits for GROUP_MIN more pwrites. */
static struct kv_io held_io;
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t held_cv = PTHREAD_COND_INITIALIZER;
static uint64_t held_writes;
static _Atomic uint64_t held_started; /* puts begun */
static pthread_barrier_t round_barrier;

static ssize_t held_pwrite(void *ctx, int fd, const void *buf, size_t len,
			   uint64_t off)
{
	ssize_t n = kv_io_posix()->pwrite(ctx, fd, buf, len, off);
	pthread_mutex_lock(&held_mu);
	held_writes++;
	pthread_cond_broadcast(&held_cv);
	pthread_mutex_unlock(&held_mu);
	return n;
}

static int held_fdatasync(void *ctx, int fd)
{
	pthread_mutex_lock(&held_mu);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10; /* a safety net against a hang, not a timing check */
	/* Appending never waits for a sync, so this wait always ends. */
	while (held_writes < atomic_load(&held_started))
		if (pthread_cond_timedwait(&held_cv, &held_mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&held_mu);
	return kv_io_posix()->fdatasync(ctx, fd);
}

struct writer {
	struct kv *kv;
	int id;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char k[32];
	for (int i = 0; i < PER_WRITER; i++) {
		snprintf(k, sizeof k, "w%02d-%04d", w->id, i);
		/* Everyone done with the last round, then everyone counted. */
		pthread_barrier_wait(&round_barrier);
		atomic_fetch_add(&held_started, 1);
		pthread_barrier_wait(&round_barrier);
		ck_assert_int_eq(kv_put(w->kv, k, strlen(k), k, strlen(k)), 0);
	}
	return NULL;
}

START_TEST(test_group_commit_shares_syncs)
{
	held_io = *kv_io_posix();
	held_io.pwrite = held_pwrite;
	held_io.fdatasync = held_fdatasync;
	held_writes = 0;
	atomic_store(&held_started, 0);
	pthread_barrier_init(&round_barrier, NULL, WRITERS);
	char *dir = test_tmpdir_new("group");
	struct kv_options o;
	test_engine_opts(&o, 64u << 20); /* no rotation: one fdatasync path */
	o.io = &held_io;
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	pthread_t th[WRITERS];
	struct writer w[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){kv, i};
		ck_assert_int_eq(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&round_barrier);
	struct kv_stats st;
	kv_stats(kv, &st);
	ck_assert_uint_eq(st.writes, WRITERS * PER_WRITER);
	ck_assert_uint_eq(st.keys, WRITERS * PER_WRITER);
	/* At most two fdatasyncs per round of WRITERS puts. */
	ck_assert_uint_le(st.groups, 2 * PER_WRITER);
	ck_assert_uint_lt(st.groups, st.writes);
	ck_assert_uint_ge(st.group_max, WRITERS / 2);
	ck_assert_int_eq(kv_close(kv), 0);
	o.io = NULL;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	char k[32];
	for (int t = 0; t < WRITERS; t++)
		for (int i = 0; i < PER_WRITER; i++) {
			snprintf(k, sizeof k, "w%02d-%04d", t, i);
			test_kv_expect(kv, k, k);
		}
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_sync_none_and_interval)
{
	char *dir = test_tmpdir_new("syncmodes");
	struct kv_options o;
	test_engine_opts(&o, 1u << 20);
	o.sync_mode = KV_SYNC_NONE;
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	struct kv_stats st0, st1;
	kv_stats(kv, &st0);
	char k[16];
	for (int i = 0; i < 100; i++) {
		snprintf(k, sizeof k, "n%03d", i);
		test_kv_put(kv, k, "v");
	}
	kv_stats(kv, &st1);
	ck_assert_uint_eq(st1.fsyncs, st0.fsyncs); /* none until asked */
	ck_assert_int_eq(kv_sync(kv), 0);
	kv_stats(kv, &st1);
	ck_assert_uint_eq(st1.fsyncs, st0.fsyncs + 1);
	ck_assert_uint_eq(st1.groups, 1);
	ck_assert_uint_eq(st1.group_max, 100);
	ck_assert_int_eq(kv_sync(kv), 0); /* nothing new: no fdatasync */
	kv_stats(kv, &st0);
	ck_assert_uint_eq(st0.fsyncs, st1.fsyncs);
	ck_assert_int_eq(kv_close(kv), 0);
	o.sync_mode = KV_SYNC_INTERVAL;
	o.sync_interval_ms = 1;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	test_kv_put(kv, "i", "v");
	test_kv_expect(kv, "n042", "v");
	ck_assert_int_eq(kv_close(kv), 0);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	test_kv_expect(kv, "i", "v");
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_applied_index_marker)
{
	char *dir = test_tmpdir_new("applied");
	struct kv_options o;
	test_engine_opts(&o, 4096);
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	ck_assert_uint_eq(kv_applied_index(kv), 0);
	struct kv_batch *b;
	ck_assert_int_eq(kv_batch_new(&b), 0);
	ck_assert_int_eq(kv_batch_put(b, "a", 1, "1", 1), 0);
	kv_batch_set_applied_index(b, 7);
	ck_assert_int_eq(kv_write(kv, b), 0);
	kv_batch_clear(b);
	kv_batch_set_applied_index(b, 9); /* a marker alone */
	ck_assert_int_eq(kv_write(kv, b), 0);
	ck_assert_uint_eq(kv_applied_index(kv), 9);
	kv_batch_clear(b);
	ck_assert_int_eq(kv_batch_put(b, "b", 1, "2", 1), 0);
	ck_assert_int_eq(kv_write(kv, b), 0); /* no marker: unchanged */
	ck_assert_uint_eq(kv_applied_index(kv), 9);
	ck_assert_int_eq(kv_close(kv), 0);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	ck_assert_uint_eq(kv_applied_index(kv), 9);
	/* Compaction of the segment holding the marker keeps it. */
	for (int i = 0; i < 40; i++)
		test_kv_put(kv, "a", "overwrite-overwrite-overwrite");
	ck_assert_int_eq(kv_compact(kv, 0), 0);
	ck_assert_int_eq(kv_close(kv), 0);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	ck_assert_uint_eq(kv_applied_index(kv), 9);
	struct kv_stats st;
	kv_stats(kv, &st);
	ck_assert_uint_eq(st.applied_index, 9);
	ck_assert_int_eq(kv_close(kv), 0);
	kv_batch_free(b);
	test_tmpdir_free(dir);
}
END_TEST

Suite *test_engine_group_suite(void)
{
	Suite *s = suite_create("engine_group");
	TCase *tc = tcase_create("group");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_group_commit_shares_syncs);
	tcase_add_test(tc, test_sync_none_and_interval);
	tcase_add_test(tc, test_applied_index_marker);
	suite_add_tcase(s, tc);
	return s;
}
