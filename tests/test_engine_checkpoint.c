/*
 * test_engine_checkpoint.c — checkpoints: a restart replays only the log
 * after the checkpoint; a corrupt checkpoint falls back to an older one or
 * to a full replay; kv_checkpoint_to makes an independent, openable copy.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void flip_byte(const char *path, long off)
{
	int fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	unsigned char c;
	ck_assert_int_eq(pread(fd, &c, 1, off), 1);
	c ^= 0x5a;
	ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

static void copy_file(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	ck_assert(a && b);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, a)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, b), n);
	fclose(a);
	fclose(b);
}

static void fill(struct kv *kv, const char *tag, int n)
{
	char k[32], v[64];
	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof k, "%s%04d", tag, i);
		snprintf(v, sizeof v, "value-of-%s%04d", tag, i);
		test_kv_put(kv, k, v);
	}
}

static void expect_fill(struct kv *kv, const char *tag, int n)
{
	char k[32], v[64];
	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof k, "%s%04d", tag, i);
		snprintf(v, sizeof v, "value-of-%s%04d", tag, i);
		test_kv_expect(kv, k, v);
	}
}

START_TEST(test_checkpoint_replays_only_after)
{
	char *dir = test_tmpdir_new("ckpt");
	struct kv_options o;
	test_engine_opts(&o, 4096);
	struct test_log lg = {0};
	o.log_fn = test_log_fn;
	o.log_ctx = &lg;
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	char big[500];
	memset(big, 'd', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	test_kv_put(kv, "dead", big); /* first record of segment 1 */
	test_kv_put(kv, "dead", "overwritten");
	fill(kv, "a", 100);
	ck_assert_int_eq(kv_checkpoint(kv), 0);
	fill(kv, "b", 50);
	ck_assert_int_eq(kv_del(kv, "a0003", 5), 0);
	struct kv_stats st;
	kv_stats(kv, &st);
	ck_assert_uint_eq(st.checkpoints, 1);
	ck_assert_int_eq(kv_close(kv), 0);
	/* Damage the dead value in segment 1: only a full replay reads it. */
	char seg1[4096];
	snprintf(seg1, sizeof seg1, "%s/seg-%016x.log", dir, 1);
	flip_byte(seg1, 16 + 16 + 12 + 4 + 100);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	expect_fill(kv, "b", 50);
	test_kv_expect(kv, "a0003", NULL);
	test_kv_expect(kv, "a0004", "value-of-a0004");
	test_kv_expect(kv, "dead", "overwritten");
	ck_assert_int_eq(kv_close(kv), 0);
	/* Without the checkpoint the damage is found and refused. */
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -f %s/ckpt-*.ckpt", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(kv_open(dir, &o, &kv), KV_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(lg.last_error, "seg-0000000000000001.log"));
	ck_assert_ptr_nonnull(strstr(lg.last_error, "offset 0"));
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_checkpoint_corrupt_falls_back)
{
	char *dir = test_tmpdir_new("ckptfb");
	struct kv_options o;
	test_engine_opts(&o, 8192);
	struct test_log lg = {0};
	o.log_fn = test_log_fn;
	o.log_ctx = &lg;
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	fill(kv, "a", 80);
	ck_assert_int_eq(kv_checkpoint(kv), 0);
	char c1[4096], keep[4200], c2[4096];
	snprintf(c1, sizeof c1, "%s/ckpt-%016x.ckpt", dir, 1);
	snprintf(keep, sizeof keep, "%s.keep", dir);
	copy_file(c1, keep);
	fill(kv, "b", 80);
	ck_assert_int_eq(kv_del(kv, "a0010", 5), 0);
	ck_assert_int_eq(kv_checkpoint(kv), 0);
	fill(kv, "c", 20);
	ck_assert_int_eq(kv_close(kv), 0);
	/* Older checkpoint back in place, newest damaged: use the older. */
	ck_assert_int_ne(access(c1, F_OK), 0); /* it had been removed */
	copy_file(keep, c1);
	unlink(keep);
	snprintf(c2, sizeof c2, "%s/ckpt-%016x.ckpt", dir, 2);
	flip_byte(c2, 60);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	/* The damaged one is set aside so it can never be loaded later. */
	ck_assert_ptr_nonnull(strstr(lg.last_warn, "set aside"));
	char bad[4200];
	snprintf(bad, sizeof bad, "%s.bad", c2);
	ck_assert_int_eq(access(bad, F_OK), 0);
	ck_assert_int_ne(access(c2, F_OK), 0);
	expect_fill(kv, "a", 10);
	test_kv_expect(kv, "a0010", NULL);
	expect_fill(kv, "b", 80);
	expect_fill(kv, "c", 20);
	ck_assert_int_eq(kv_close(kv), 0);
	/* Every checkpoint damaged: a full replay gives the same state. */
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "for f in %s/ckpt-*.ckpt; do "
		 "printf 'XXXX' | dd of=$f bs=1 seek=20 conv=notrunc "
		 "status=none; done", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	test_kv_expect(kv, "a0010", NULL);
	expect_fill(kv, "b", 80);
	expect_fill(kv, "c", 20);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_checkpoint_to_copy)
{
	char *dir = test_tmpdir_new("ckptto");
	char dest[4200], dest2[4200];
	snprintf(dest, sizeof dest, "%s/copy", dir);
	snprintf(dest2, sizeof dest2, "%s/copy2", dir);
	char src[4200];
	snprintf(src, sizeof src, "%s/src", dir);
	struct kv_options o;
	test_engine_opts(&o, 4096);
	struct kv *kv;
	ck_assert_int_eq(kv_open(src, &o, &kv), 0);
	fill(kv, "a", 120);
	ck_assert_int_eq(kv_del(kv, "a0005", 5), 0);
	struct kv_batch *b;
	ck_assert_int_eq(kv_batch_new(&b), 0);
	kv_batch_set_applied_index(b, 1234);
	ck_assert_int_eq(kv_write(kv, b), 0);
	kv_batch_free(b);
	uint64_t applied = 0;
	ck_assert_int_eq(kv_checkpoint_to(kv, dest, &applied), 0);
	ck_assert_uint_eq(applied, 1234);
	ck_assert_int_ne(kv_checkpoint_to(kv, dest, NULL), 0); /* exists */
	/* The source goes on; the copy must not see it. */
	test_kv_put(kv, "a0000", "changed-after-copy");
	fill(kv, "s", 30);
	ck_assert_int_eq(kv_compact(kv, 0), 0);
	struct kv *cp;
	ck_assert_int_eq(kv_open(dest, &o, &cp), 0);
	ck_assert_uint_eq(kv_applied_index(cp), 1234);
	test_kv_expect(cp, "a0000", "value-of-a0000");
	test_kv_expect(cp, "a0005", NULL);
	test_kv_expect(cp, "s0000", NULL);
	expect_fill(cp, "a", 5);
	/* The copy is writable and independent of the source. */
	fill(cp, "d", 40);
	test_kv_expect(kv, "d0000", NULL);
	test_kv_expect(kv, "a0000", "changed-after-copy");
	/* A copy of the live engine equals it. */
	ck_assert_int_eq(kv_checkpoint_to(kv, dest2, NULL), 0);
	struct kv *cp2;
	ck_assert_int_eq(kv_open(dest2, &o, &cp2), 0);
	test_kv_equal(kv, cp2);
	ck_assert_int_eq(kv_close(cp2), 0);
	ck_assert_int_eq(kv_close(cp), 0);
	ck_assert_int_eq(kv_close(kv), 0);
	ck_assert_int_eq(kv_open(dest, &o, &cp), 0);
	expect_fill(cp, "d", 40);
	test_kv_expect(cp, "a0000", "value-of-a0000");
	ck_assert_int_eq(kv_close(cp), 0);
	ck_assert_int_eq(kv_open(src, &o, &kv), 0);
	test_kv_expect(kv, "d0000", NULL);
	test_kv_expect(kv, "a0000", "changed-after-copy");
	expect_fill(kv, "s", 30);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

Suite *test_engine_checkpoint_suite(void)
{
	Suite *s = suite_create("engine_checkpoint");
	TCase *tc = tcase_create("checkpoint");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_checkpoint_replays_only_after);
	tcase_add_test(tc, test_checkpoint_corrupt_falls_back);
	tcase_add_test(tc, test_checkpoint_to_copy);
	suite_add_tcase(s, tc);
	return s;
}
