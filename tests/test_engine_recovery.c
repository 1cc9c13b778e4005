/*
 * test_engine_recovery.c — recovery: a torn tail is cut and later writes
 * survive the next restart; corruption anywhere else (an older segment, or
 * followed by valid data) is refused naming file and offset; an absurd
 * length field; the directory lock.
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/record.h"

/* The newest segment file of dir, into path. */
static void newest_seg(const char *dir, char *path, size_t cap, int *count)
{
	char cmd[4300];
	snprintf(cmd, sizeof cmd, "ls %s | grep '^seg-' | sort | tail -n1", dir);
	FILE *p = popen(cmd, "r");
	char name[256] = "";
	ck_assert_ptr_nonnull(fgets(name, sizeof name, p));
	pclose(p);
	name[strcspn(name, "\n")] = '\0';
	snprintf(path, cap, "%s/%s", dir, name);
	snprintf(cmd, sizeof cmd, "ls %s | grep -c '^seg-'", dir);
	p = popen(cmd, "r");
	ck_assert_int_eq(fscanf(p, "%d", count), 1);
	pclose(p);
}

/* End of written data in a segment: after the last non-zero byte, 8-aligned. */
static long data_end(const char *path)
{
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	struct stat st;
	fstat(fd, &st);
	unsigned char *buf = malloc((size_t)st.st_size);
	ck_assert_int_eq(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	long end = st.st_size;
	while (end > 0 && buf[end - 1] == 0)
		end--;
	free(buf);
	return (end + 7) & ~7L;
}

static void write_at(const char *path, long off, const void *p, size_t n)
{
	int fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, p, n, off), (ssize_t)n);
	close(fd);
}

static void put_range(struct kv *kv, const char *tag, int from, int to)
{
	char k[32];
	for (int i = from; i < to; i++) {
		snprintf(k, sizeof k, "%s%04d", tag, i);
		test_kv_put(kv, k, k);
	}
}

static void expect_range(struct kv *kv, const char *tag, int from, int to)
{
	char k[32];
	for (int i = from; i < to; i++) {
		snprintf(k, sizeof k, "%s%04d", tag, i);
		test_kv_expect(kv, k, k);
	}
}

static struct kv *reopen(const char *dir, struct kv_options *o)
{
	struct kv *kv;
	int rc = kv_open(dir, o, &kv);
	ck_assert_msg(rc == 0, "reopen: %s", kv_strerror(rc));
	return kv;
}

START_TEST(test_torn_tail_truncated_then_writes_survive)
{
	char *dir = test_tmpdir_new("torn");
	struct kv_options o;
	test_engine_opts(&o, 1 << 16);
	struct test_log lg = {0};
	o.log_fn = test_log_fn;
	o.log_ctx = &lg;
	struct kv *kv = reopen(dir, &o);
	put_range(kv, "a", 0, 20);
	ck_assert_int_eq(kv_close(kv), 0);
	char seg[4400];
	int nseg;
	newest_seg(dir, seg, sizeof seg, &nseg);
	long end = data_end(seg);
	/* A torn record: a valid-looking header, half a payload. */
	unsigned char torn[40] = {0};
	memset(torn + KV_REC_HDR, 'z', 24);
	kv_rec_encode(torn, 1, 24);
	kv_put_u32(torn + 4, 300); /* claims more than was written */
	write_at(seg, end, torn, sizeof torn);
	kv = reopen(dir, &o);
	ck_assert_ptr_nonnull(strstr(lg.last_warn, "torn"));
	expect_range(kv, "a", 0, 20);
	put_range(kv, "b", 0, 20);
	ck_assert_int_eq(kv_close(kv), 0);
	/* The new records landed where the torn one was, and survive. */
	lg.warns = 0;
	kv = reopen(dir, &o);
	ck_assert_int_eq(lg.warns, 0);
	expect_range(kv, "a", 0, 20);
	expect_range(kv, "b", 0, 20);
	ck_assert_int_eq(kv_close(kv), 0);
	/* An absurd length at the tail is a torn header too. */
	newest_seg(dir, seg, sizeof seg, &nseg);
	end = data_end(seg);
	unsigned char absurd[KV_REC_HDR];
	memcpy(absurd, torn, sizeof absurd);
	kv_put_u32(absurd + 4, 0x7fffffffu);
	write_at(seg, end, absurd, sizeof absurd);
	kv = reopen(dir, &o);
	expect_range(kv, "b", 0, 20);
	put_range(kv, "c", 0, 5);
	ck_assert_int_eq(kv_close(kv), 0);
	kv = reopen(dir, &o);
	expect_range(kv, "c", 0, 5);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_corruption_refused)
{
	char *dir = test_tmpdir_new("corrupt");
	struct kv_options o;
	test_engine_opts(&o, 4096);
	struct test_log lg = {0};
	o.log_fn = test_log_fn;
	o.log_ctx = &lg;
	struct kv *kv = reopen(dir, &o);
	put_range(kv, "a", 0, 200);
	ck_assert_int_eq(kv_close(kv), 0);
	char seg[4400];
	int nseg;
	newest_seg(dir, seg, sizeof seg, &nseg);
	ck_assert_int_gt(nseg, 2);
	/* Corrupt the second record of segment 2 (an older segment). */
	char seg2[4400];
	snprintf(seg2, sizeof seg2, "%s/seg-%016x.log", dir, 2);
	unsigned char hdr[KV_REC_HDR];
	int fd = open(seg2, O_RDONLY);
	ck_assert_int_eq(pread(fd, hdr, sizeof hdr, 0), (ssize_t)sizeof hdr);
	close(fd);
	long second = (long)kv_rec_size(kv_get_u32(hdr + 4));
	unsigned char x = 0xee;
	write_at(seg2, second + 20, &x, 1);
	ck_assert_int_eq(kv_open(dir, &o, &kv), KV_ECORRUPT);
	char want[64];
	snprintf(want, sizeof want, "at offset %ld", second);
	ck_assert_ptr_nonnull(strstr(lg.last_error, "seg-0000000000000002.log"));
	ck_assert_ptr_nonnull(strstr(lg.last_error, want));
	/* An absurd length in an older segment is corruption as well. */
	write_at(seg2, second + 20, &x, 0);
	kv_put_u32(hdr + 4, 0x7fffffffu);
	write_at(seg2, 0, hdr, sizeof hdr);
	ck_assert_int_eq(kv_open(dir, &o, &kv), KV_ECORRUPT);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_bad_record_before_valid_data_refused)
{
	char *dir = test_tmpdir_new("midtail");
	struct kv_options o;
	test_engine_opts(&o, 1 << 16);
	struct test_log lg = {0};
	o.log_fn = test_log_fn;
	o.log_ctx = &lg;
	struct kv *kv = reopen(dir, &o);
	put_range(kv, "a", 0, 30);
	ck_assert_int_eq(kv_close(kv), 0);
	char seg[4400];
	int nseg;
	newest_seg(dir, seg, sizeof seg, &nseg);
	ck_assert_int_eq(nseg, 1);
	/* Damage the first record of the newest segment: valid ones follow. */
	unsigned char x = 0x99;
	write_at(seg, 30, &x, 1);
	ck_assert_int_eq(kv_open(dir, &o, &kv), KV_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(lg.last_error, "offset 0"));
	ck_assert_ptr_nonnull(strstr(lg.last_error, "valid records follow"));
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_lock_and_missing_dir)
{
	char *dir = test_tmpdir_new("lock");
	struct kv_options o;
	test_engine_opts(&o, 4096);
	struct kv *kv = reopen(dir, &o), *kv2;
	ck_assert_int_eq(kv_open(dir, &o, &kv2), KV_ELOCKED);
	ck_assert_int_eq(kv_close(kv), 0);
	kv = reopen(dir, &o);
	ck_assert_int_eq(kv_close(kv), 0);
	char missing[4200];
	snprintf(missing, sizeof missing, "%s/missing", dir);
	o.create_if_missing = false;
	ck_assert_int_eq(kv_open(missing, &o, &kv), -ENOENT);
	ck_assert_int_ne(access(missing, F_OK), 0);
	ck_assert_str_eq(kv_strerror(KV_ENOTFOUND), "key not found");
	test_tmpdir_free(dir);
}
END_TEST

Suite *test_engine_recovery_suite(void)
{
	Suite *s = suite_create("engine_recovery");
	TCase *tc = tcase_create("recovery");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_torn_tail_truncated_then_writes_survive);
	tcase_add_test(tc, test_corruption_refused);
	tcase_add_test(tc, test_bad_record_before_valid_data_refused);
	tcase_add_test(tc, test_lock_and_missing_dir);
	suite_add_tcase(s, tc);
	return s;
}
