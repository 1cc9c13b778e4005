/*
 * test_raft_snapshot_xfer_install.c — swapping a received snapshot in for
 * the engine's directory: a fresh install, a replacement, and a crash
 * after every step (the installer stopped between steps) followed by
 * snap_install_recover, after which the engine opens with exactly the
 * snapshot's contents; plus every leftover state recovery documents.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/kv.h"
#include "raft/snapshot_xfer_int.h"
#include "tests/raft_snapshot_xfer_test.h"
#include "tests/testutil.h"

/* A byte copy of a flat directory (the snapshot's files are hard links
 * of the engine's: an engine opened on a copy must not share them). */
static void copy_dir(const char *from, const char *to)
{
	ck_assert_int_eq(mkdir(to, 0755), 0);
	DIR *d = opendir(from);
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char a[2 * SXT_PATH], b[2 * SXT_PATH];
		snprintf(a, sizeof a, "%s/%s", from, e->d_name);
		snprintf(b, sizeof b, "%s/%s", to, e->d_name);
		FILE *fa = fopen(a, "rb"), *fb = fopen(b, "wb");
		ck_assert(fa != NULL && fb != NULL);
		char buf[8192];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, fa)) > 0)
			ck_assert_uint_eq(fwrite(buf, 1, n, fb), n);
		fclose(fa);
		fclose(fb);
	}
	closedir(d);
}

/* An engine at dir holding only "old-marker". */
static void make_old_engine(const char *dir)
{
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, NULL, &kv), 0);
	ck_assert_int_eq(kv_put(kv, "old-marker", 10, "1", 1), 0);
	ck_assert_int_eq(kv_close(kv), 0);
}

static void expect_old_engine(const char *dir)
{
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, NULL, &kv), 0);
	void *v;
	size_t n;
	ck_assert_int_eq(kv_get(kv, "old-marker", 10, &v, &n), 0);
	free(v);
	ck_assert_int_eq(kv_close(kv), 0);
}

struct names {
	char new_[SXT_PATH + 8], old[SXT_PATH + 8], ready[SXT_PATH + 32];
};

static void names_make(const struct sxt_fixture *fx, struct names *n)
{
	snprintf(n->new_, sizeof n->new_, "%s.new", fx->target);
	snprintf(n->old, sizeof n->old, "%s.old", fx->target);
	snprintf(n->ready, sizeof n->ready, "%s/0000000000000001.ready",
	         fx->staging);
}

static void make_ready(const struct sxt_fixture *fx, const struct names *n)
{
	if (!sxt_exists(fx->staging))
		ck_assert_int_eq(mkdir(fx->staging, 0755), 0);
	copy_dir(fx->snap, n->ready);
}

/* After recovery: only kv_dir, holding the snapshot. */
static void expect_installed(const struct sxt_fixture *fx,
                             const struct names *n)
{
	ck_assert(!sxt_exists(n->new_));
	ck_assert(!sxt_exists(n->old));
	ck_assert(!sxt_exists(n->ready));
	sxt_verify_engine(fx, fx->target);
}

START_TEST(test_install_fresh_and_replace)
{
	struct sxt_fixture fx;
	sxt_fixture_make(&fx, "sxi-basic", 500, 0, test_seed());
	struct names n;
	names_make(&fx, &n);
	make_ready(&fx, &n);
	ck_assert_int_eq(snap_install_dir(n.ready, fx.target), 0);
	expect_installed(&fx, &n);
	/* Over an existing engine, and with a trailing slash. */
	ck_assert_int_eq(test_rmtree(fx.target), 0);
	make_old_engine(fx.target);
	make_ready(&fx, &n);
	char slash[SXT_PATH + 2];
	snprintf(slash, sizeof slash, "%s/", fx.target);
	ck_assert_int_eq(snap_install_dir(n.ready, slash), 0);
	expect_installed(&fx, &n);
	/* Nothing to install: refused, nothing changed. */
	ck_assert_int_eq(snap_install_dir(n.ready, fx.target), SNAP_EINVAL);
	sxt_verify_engine(&fx, fx.target);
	ck_assert_int_eq(snap_install_recover(fx.target), 0);
	sxt_verify_engine(&fx, fx.target);
	sxt_fixture_free(&fx);
}
END_TEST

/*
 * The installer stopped after each of its steps (a crash there: every
 * step's effect is already durable when the next begins), over an
 * existing engine (_i = 0) and as a first install (_i = 1): the state on
 * disk is the documented one, and recovery ends with the snapshot.
 */
START_TEST(test_install_crash_every_step)
{
	bool first = _i == 1;
	struct sxt_fixture fx;
	sxt_fixture_make(&fx, "sxi-crash", 400, 0, test_seed());
	struct names n;
	names_make(&fx, &n);
	for (unsigned steps = 1; steps <= 3; steps++) {
		if (!first)
			make_old_engine(fx.target);
		make_ready(&fx, &n);
		ck_assert_int_eq(
		    snap_install_dir_steps(NULL, n.ready, fx.target, steps), 0);
		ck_assert(!sxt_exists(n.ready));
		bool kv = sxt_exists(fx.target), nw = sxt_exists(n.new_),
		     old = sxt_exists(n.old);
		if (steps == 1)
			ck_assert(kv == !first && nw && !old);
		else if (steps == 2)
			ck_assert(!kv && nw && old == !first);
		else
			ck_assert(kv && !nw && old == !first);
		/* Recovery is idempotent: a crash during it is a crash too. */
		ck_assert_int_eq(snap_install_recover(fx.target), 0);
		ck_assert_int_eq(snap_install_recover(fx.target), 0);
		expect_installed(&fx, &n);
		ck_assert_int_eq(test_rmtree(fx.target), 0);
	}
	sxt_fixture_free(&fx);
}
END_TEST

/* The remaining leftover states of the documentation's table. */
START_TEST(test_recover_states)
{
	struct sxt_fixture fx;
	sxt_fixture_make(&fx, "sxi-states", 300, 0, test_seed());
	struct names n;
	names_make(&fx, &n);
	/* Nothing at all, or kv alone: nothing to do. */
	ck_assert_int_eq(snap_install_recover(fx.target), 0);
	ck_assert(!sxt_exists(fx.target));
	make_old_engine(fx.target);
	ck_assert_int_eq(snap_install_recover(fx.target), 0);
	expect_old_engine(fx.target);
	/* .old alone (not a state the installer makes): moved back. */
	ck_assert_int_eq(rename(fx.target, n.old), 0);
	ck_assert_int_eq(snap_install_recover(fx.target), 0);
	ck_assert(!sxt_exists(n.old));
	expect_old_engine(fx.target);
	/* kv + a half-removed .old (crash in step 4): .old goes. */
	copy_dir(fx.snap, n.old);
	DIR *d = opendir(n.old);
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, "seg-", 4) != 0)
			continue;
		char p[2 * SXT_PATH];
		snprintf(p, sizeof p, "%s/%s", n.old, e->d_name);
		ck_assert_int_eq(unlink(p), 0);
		break;
	}
	closedir(d);
	ck_assert_int_eq(snap_install_recover(fx.target), 0);
	ck_assert(!sxt_exists(n.old));
	expect_old_engine(fx.target);
	/* kv + .new + .old (an old leftover beside a new install). */
	copy_dir(fx.snap, n.new_);
	copy_dir(fx.snap, n.old);
	ck_assert_int_eq(snap_install_recover(fx.target), 0);
	expect_installed(&fx, &n);
	/* A file where a directory belongs is an error, not a guess. */
	FILE *f = fopen(n.new_, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(snap_install_recover(fx.target), -ENOTDIR);
	ck_assert_int_eq(unlink(n.new_), 0);
	sxt_fixture_free(&fx);
}
END_TEST

Suite *sxt_install_suite(void)
{
	Suite *s = suite_create("raft_snapshot_install");
	TCase *tc = tcase_create("install");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_install_fresh_and_replace);
	tcase_add_loop_test(tc, test_install_crash_every_step, 0, 2);
	tcase_add_test(tc, test_recover_states);
	suite_add_tcase(s, tc);
	return s;
}
