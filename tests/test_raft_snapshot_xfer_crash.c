/*
 * test_raft_snapshot_xfer_crash.c — the receiver and the installer on
 * tests/fault_io's simulated disk (SQLite's method): a crash at every
 * mutating call, in each crash mode, then a restart; and a failure of
 * every call in turn.  What must hold:
 *   - a ".ready" directory that survives a crash is a complete snapshot
 *     (its engine opens with exactly the leader's contents);
 *   - after snap_install_recover the engine directory holds either the
 *     old engine or the snapshot, never a mixture, never nothing; if the
 *     old one, the ready directory is still there to install again;
 *   - a failed call fails the transfer or the install cleanly, and a
 *     retry ends with exactly the snapshot installed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kv.h"
#include "raft/snapshot_xfer_int.h"
#include "tests/fault_io.h"
#include "tests/raft_snapshot_xfer_test.h"
#include "tests/testutil.h"

#define NEW_KEYS    300
#define NEW_APPLIED 500
#define OLD_KEYS    40
#define OLD_APPLIED 100
#define CHUNK       (4u << 10)

struct disk {
	struct fault_io *f;
	const struct kv_io *io;
	char ready[SXT_PATH + 64];
};

static void kv_opts(const struct disk *d, struct kv_options *o)
{
	kv_options_init(o);
	o->io = d->io;
	o->segment_bytes = 16u << 10; /* several files per snapshot */
	o->background_compaction = false;
}

static void engine_make(const struct disk *d, const char *dir, int n,
                        uint64_t applied, const char *tag)
{
	struct kv_options o;
	kv_opts(d, &o);
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	char k[32], v[128];
	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof k, "k%05d", i);
		int vn = snprintf(v, sizeof v, "%s-%d-%0*d", tag, i, i % 80, 7);
		ck_assert_int_eq(kv_put(kv, k, strlen(k), v, (size_t)vn), 0);
	}
	struct kv_batch *b;
	ck_assert_int_eq(kv_batch_new(&b), 0);
	kv_batch_set_applied_index(b, applied);
	ck_assert_int_eq(kv_write(kv, b), 0);
	kv_batch_free(b);
	if (strcmp(tag, "new") == 0)
		ck_assert_int_eq(kv_checkpoint_to(kv, "/d/snap", NULL), 0);
	ck_assert_int_eq(kv_close(kv), 0);
}

/* 1 if dir holds exactly the new engine, 0 if exactly the old one. */
static int engine_which(const struct disk *d, const char *dir)
{
	struct kv_options o;
	kv_opts(d, &o);
	o.create_if_missing = false;
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	uint64_t applied = kv_applied_index(kv);
	ck_assert(applied == NEW_APPLIED || applied == OLD_APPLIED);
	bool is_new = applied == NEW_APPLIED;
	int n = is_new ? NEW_KEYS : OLD_KEYS;
	char k[32], want[128];
	for (int i = 0; i < NEW_KEYS; i++) {
		snprintf(k, sizeof k, "k%05d", i);
		void *v;
		size_t vn;
		int rc = kv_get(kv, k, strlen(k), &v, &vn);
		if (i >= n) {
			ck_assert_int_eq(rc, KV_ENOTFOUND);
			continue;
		}
		ck_assert_int_eq(rc, 0);
		int wn = snprintf(want, sizeof want, "%s-%d-%0*d",
		                  is_new ? "new" : "old", i, i % 80, 7);
		ck_assert_uint_eq(vn, (size_t)wn);
		ck_assert(memcmp(v, want, vn) == 0);
		free(v);
	}
	ck_assert_int_eq(kv_close(kv), 0);
	return is_new;
}

/*
 * Streams /d/snap into a receiver at /d/stage.  Returns 0 with d->ready
 * set, or the first error (a crash or an injected failure) if stop_on_err;
 * otherwise a failed transfer is started over with a new xfer id, as the
 * node driver would.
 */
static int stream(struct disk *d, bool stop_on_err)
{
	struct raft_snapshot_meta meta = {.index = NEW_APPLIED, .term = 2};
	struct snap_recv *r = NULL;
	struct snap_send *s = NULL;
	int rc = snap_recv_new_io(d->io, "/d/stage", &r);
	if (rc != 0 && !stop_on_err) /* a failed call: once more */
		rc = snap_recv_new_io(d->io, "/d/stage", &r);
	uint32_t seq = 1;
	for (int guard = 0; rc == 0 && guard < 100000; guard++) {
		if (s == NULL)
			rc = snap_send_open_io(d->io, "/d/snap", &meta,
			                       snap_xfer_id(2, seq++), CHUNK,
			                       &s);
		const void *fr = NULL, *ack;
		size_t n, an;
		if (rc == 0)
			rc = snap_send_next(s, &fr, &n);
		if (rc == SNAP_SEND_COMPLETE) {
			rc = 0;
			break;
		}
		if (rc == SNAP_SEND_WAIT) {
			snap_send_rewind(s);
			rc = 0;
			continue;
		}
		if (rc == SNAP_SEND_FRAME) {
			rc = snap_recv_feed(r, fr, n, &ack, &an);
			if (rc == SNAP_RECV_COMPLETE)
				snprintf(d->ready, sizeof d->ready, "%s",
				         snap_recv_ready(r, NULL));
			if (rc >= 0 && ack != NULL)
				rc = snap_send_ack(s, ack, an);
			if (rc > 0)
				rc = 0;
		}
		if (rc < 0 && !stop_on_err) {
			/* A failed read, write or sync: start over. */
			snap_send_close(s);
			s = NULL;
			rc = 0;
		}
	}
	snap_send_close(s);
	snap_recv_free(r);
	return rc;
}

/* A fresh disk: the new engine and its snapshot, the old engine at
 * /d/kv; with a received ready directory if receive. */
static void disk_make(struct disk *d, uint64_t seed, bool receive)
{
	memset(d, 0, sizeof *d);
	d->f = fault_io_new(seed);
	d->io = fault_io_table(d->f);
	ck_assert_int_eq(fault_io_mkdirs(d->f, "/d"), 0);
	engine_make(d, "/d/src", NEW_KEYS, NEW_APPLIED, "new");
	engine_make(d, "/d/kv", OLD_KEYS, OLD_APPLIED, "old");
	if (receive)
		ck_assert_int_eq(stream(d, true), 0);
	fault_io_sync_all(d->f);
}

static const enum fault_crash_mode modes[] = {
    FAULT_CRASH_DROP, FAULT_CRASH_RANDOM, FAULT_CRASH_REORDER};

/* A crash at every mutating call of snap_install_dir, in each mode. */
START_TEST(test_install_crash_each_call)
{
	enum fault_crash_mode mode = modes[_i];
	unsigned trials = 0, rolled_forward = 0, kept_old = 0;
	for (uint64_t nth = 1; nth < 500; nth++) {
		struct disk d;
		disk_make(&d, test_seed() + nth, true);
		fault_io_crash_at(d.f, FAULT_MUTATING, nth, mode);
		int rc = snap_install_dir_io(d.io, d.ready, "/d/kv");
		if (!fault_io_crashed(d.f)) {
			ck_assert_int_eq(rc, 0);
			/* Disarm by a power cut now: the install is durable. */
			fault_io_restart(d.f);
			ck_assert_int_eq(engine_which(&d, "/d/kv"), 1);
			fault_io_free(d.f);
			break;
		}
		trials++;
		fault_io_restart(d.f);
		ck_assert_int_eq(snap_install_recover_io(d.io, "/d/kv"), 0);
		ck_assert_int_eq(snap_dir_exists(d.io, "/d/kv.new"), 0);
		ck_assert_int_eq(snap_dir_exists(d.io, "/d/kv.old"), 0);
		if (engine_which(&d, "/d/kv") == 1) {
			rolled_forward++;
		} else {
			/* Not yet moved: the snapshot is still there. */
			kept_old++;
			ck_assert_int_eq(snap_dir_exists(d.io, d.ready), 1);
			ck_assert_int_eq(
			    snap_install_dir_io(d.io, d.ready, "/d/kv"), 0);
			ck_assert_int_eq(engine_which(&d, "/d/kv"), 1);
		}
		fault_io_free(d.f);
	}
	if (test_env_u64("SX_VERBOSE", 0))
		fprintf(stderr,
		        "install crash mode %d: %u crashes, %u forward\n",
		        (int)mode, trials, rolled_forward);
	ck_assert_uint_ge(trials, 8);
	ck_assert_uint_gt(rolled_forward, 0);
	ck_assert_uint_gt(kept_old, 0);
}
END_TEST

struct ready_scan {
	struct disk *d;
	unsigned n;
};

/* Every surviving ready directory opens as exactly the new engine. */
static int check_ready(void *arg, const char *name)
{
	struct ready_scan *rs = arg;
	size_t n = strlen(name);
	if (n < 6 || strcmp(name + n - 6, ".ready") != 0)
		return 0;
	char p[SXT_PATH];
	snprintf(p, sizeof p, "/d/stage/%s", name);
	ck_assert_int_eq(engine_which(rs->d, p), 1);
	rs->n++;
	return 0;
}

/* One crash at the nth mutating call while receiving; false if the
 * transfer finished before it. */
static bool receive_crash_once(enum fault_crash_mode mode, uint64_t nth,
                               uint64_t seed)
{
	struct disk d;
	disk_make(&d, seed, false);
	fault_io_crash_at(d.f, FAULT_MUTATING, nth, mode);
	int rc = stream(&d, true);
	if (!fault_io_crashed(d.f)) {
		ck_assert_int_eq(rc, 0);
		fault_io_free(d.f);
		return false;
	}
	fault_io_restart(d.f);
	struct ready_scan rs = {&d, 0};
	int lrc = d.io->list_dir(d.io->ctx, "/d/stage", check_ready, &rs);
	ck_assert(lrc == 0 || lrc == -ENOENT);
	/* The restarted follower receives it again and installs. */
	ck_assert_int_eq(stream(&d, true), 0);
	ck_assert_int_eq(snap_install_dir_io(d.io, d.ready, "/d/kv"), 0);
	ck_assert_int_eq(engine_which(&d, "/d/kv"), 1);
	fault_io_free(d.f);
	return true;
}

/* A crash at every mutating call while receiving (random modes: a few
 * seeds per call, each keeping a different part of what was unsynced). */
START_TEST(test_receive_crash_each_call)
{
	enum fault_crash_mode mode = modes[_i];
	unsigned seeds = mode == FAULT_CRASH_DROP ? 1 : 4, trials = 0;
	for (uint64_t nth = 1; nth < 2000; nth++) {
		bool crashed = false;
		for (unsigned k = 0; k < seeds; k++)
			crashed |= receive_crash_once(
			    mode, nth, test_seed() + 31 * nth + 7 * k);
		if (!crashed)
			break;
		trials++;
	}
	if (test_env_u64("SX_VERBOSE", 0))
		fprintf(stderr, "receive crash mode %d: %u calls\n", (int)mode,
		        trials);
	ck_assert_uint_ge(trials, 10);
}
END_TEST

/*
 * Every call of a transfer failing in turn (EIO, once): the transfer is
 * dropped or restarted by the caller and ends complete and exact; then
 * every call of the install failing in turn: recovery plus a retry ends
 * with the snapshot installed.
 */
START_TEST(test_fail_each_call)
{
	unsigned failures = 0;
	for (uint64_t nth = 1; nth < 3000; nth++) {
		struct disk d;
		disk_make(&d, test_seed() + nth, false);
		fault_io_fail(d.f, FAULT_ANY, nth, EIO, 1, nth % 2 == 0);
		ck_assert_int_eq(stream(&d, false), 0);
		bool hit = fault_io_failed(d.f) > 0;
		failures += hit;
		fault_io_fail_clear(d.f);
		ck_assert_int_eq(snap_install_dir_io(d.io, d.ready, "/d/kv"),
		                 0);
		ck_assert_int_eq(engine_which(&d, "/d/kv"), 1);
		fault_io_free(d.f);
		if (!hit)
			break;
	}
	ck_assert_uint_ge(failures, 20);
	unsigned install_failures = 0;
	for (uint64_t nth = 1; nth < 500; nth++) {
		struct disk d;
		disk_make(&d, test_seed() + nth, true);
		fault_io_fail(d.f, FAULT_ANY, nth, EIO, 1, false);
		int rc = snap_install_dir_io(d.io, d.ready, "/d/kv");
		bool hit = fault_io_failed(d.f) > 0;
		fault_io_fail_clear(d.f);
		if (!hit) {
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(engine_which(&d, "/d/kv"), 1);
			fault_io_free(d.f);
			break;
		}
		install_failures++;
		/* (A failed close is not reported: rc may be 0.) */
		ck_assert_int_eq(snap_install_recover_io(d.io, "/d/kv"), 0);
		if (snap_dir_exists(d.io, d.ready) == 1)
			ck_assert_int_eq(
			    snap_install_dir_io(d.io, d.ready, "/d/kv"), 0);
		ck_assert_int_eq(engine_which(&d, "/d/kv"), 1);
		fault_io_free(d.f);
	}
	if (test_env_u64("SX_VERBOSE", 0))
		fprintf(stderr,
		        "failed calls: %u in transfers, %u in installs\n",
		        failures, install_failures);
	ck_assert_uint_ge(install_failures, 8);
}
END_TEST

Suite *sxt_crash_suite(void)
{
	Suite *s = suite_create("raft_snapshot_crash");
	TCase *tc = tcase_create("crash");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_install_crash_each_call, 0, 3);
	tcase_add_loop_test(tc, test_receive_crash_each_call, 0, 3);
	tcase_add_test(tc, test_fail_each_call);
	suite_add_tcase(s, tc);
	return s;
}
