/*
 * test_fault_io.c — the fault-injecting disk is itself under test: a crash
 * test is only as good as its crash model (fault_io.c's file comment).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "tests/engine_proof.h"
#include "tests/testutil.h"

static int fio_create(const struct kv_io *io, const char *p)
{
	int fd = io->open(io->ctx, p, O_RDWR | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	return fd;
}

static int fio_dirfd(const struct kv_io *io, const char *p)
{
	int fd = io->open(io->ctx, p, O_RDONLY | O_DIRECTORY, 0);
	ck_assert_int_ge(fd, 0);
	return fd;
}

static ssize_t fio_read_all(struct fault_io *f, const char *p, char *buf, size_t len)
{
	const struct kv_io *io = fault_io_table(f);
	int fd = io->open(io->ctx, p, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	ssize_t n = io->pread(io->ctx, fd, buf, len, 0);
	io->close(io->ctx, fd);
	return n;
}

START_TEST(test_fio_unsynced_write_lost)
{
	struct fault_io *f = proof_disk_new(1);
	const struct kv_io *io = fault_io_table(f);
	int d = fio_dirfd(io, PROOF_DIR);
	int fd = fio_create(io, PROOF_DIR "/a");
	ck_assert_int_eq(io->fsync(io->ctx, d), 0); /* the name is durable */
	ck_assert_int_eq(io->pwrite(io->ctx, fd, "hello", 5, 0), 5);
	ck_assert_int_eq(io->fdatasync(io->ctx, fd), 0);
	ck_assert_int_eq(io->pwrite(io->ctx, fd, "world", 5, 5), 5);
	fault_io_restart(f); /* DROP */
	char buf[16];
	ck_assert_int_eq(fio_read_all(f, PROOF_DIR "/a", buf, sizeof buf), 5);
	ck_assert(memcmp(buf, "hello", 5) == 0);
	fault_io_free(f);
}
END_TEST

START_TEST(test_fio_name_needs_dir_fsync)
{
	struct fault_io *f = proof_disk_new(2);
	const struct kv_io *io = fault_io_table(f);
	int fd = fio_create(io, PROOF_DIR "/new");
	ck_assert_int_eq(io->pwrite(io->ctx, fd, "x", 1, 0), 1);
	ck_assert_int_eq(io->fsync(io->ctx, fd), 0); /* data, not the name */
	fault_io_restart(f);
	char buf[4];
	ck_assert_int_eq(fio_read_all(f, PROOF_DIR "/new", buf, 4), -ENOENT);
	/* With the directory synced, the name survives. */
	fd = fio_create(io, PROOF_DIR "/new");
	ck_assert_int_eq(io->pwrite(io->ctx, fd, "y", 1, 0), 1);
	ck_assert_int_eq(io->fsync(io->ctx, fd), 0);
	int d = fio_dirfd(io, PROOF_DIR);
	ck_assert_int_eq(io->fsync(io->ctx, d), 0);
	fault_io_restart(f);
	ck_assert_int_eq(fio_read_all(f, PROOF_DIR "/new", buf, 4), 1);
	ck_assert_int_eq(buf[0], 'y');
	fault_io_free(f);
}
END_TEST

START_TEST(test_fio_rename_durable_with_dir)
{
	struct fault_io *f = proof_disk_new(3);
	const struct kv_io *io = fault_io_table(f);
	int d = fio_dirfd(io, PROOF_DIR);
	int fd = fio_create(io, PROOF_DIR "/t");
	ck_assert_int_eq(io->pwrite(io->ctx, fd, "v1", 2, 0), 2);
	ck_assert_int_eq(io->fsync(io->ctx, fd), 0);
	ck_assert_int_eq(io->fsync(io->ctx, d), 0);
	ck_assert_int_eq(io->rename(io->ctx, PROOF_DIR "/t", PROOF_DIR "/c"), 0);
	fault_io_restart(f); /* rename not synced: lost */
	char buf[4];
	ck_assert_int_eq(fio_read_all(f, PROOF_DIR "/c", buf, 4), -ENOENT);
	ck_assert_int_eq(fio_read_all(f, PROOF_DIR "/t", buf, 4), 2);
	ck_assert_int_eq(io->rename(io->ctx, PROOF_DIR "/t", PROOF_DIR "/c"), 0);
	d = fio_dirfd(io, PROOF_DIR);
	ck_assert_int_eq(io->fsync(io->ctx, d), 0);
	fault_io_restart(f);
	ck_assert_int_eq(fio_read_all(f, PROOF_DIR "/c", buf, 4), 2);
	ck_assert_int_eq(fio_read_all(f, PROOF_DIR "/t", buf, 4), -ENOENT);
	fault_io_free(f);
}
END_TEST

START_TEST(test_fio_tear_last)
{
	struct fault_io *f = proof_disk_new(4);
	const struct kv_io *io = fault_io_table(f);
	int d = fio_dirfd(io, PROOF_DIR);
	int fd = fio_create(io, PROOF_DIR "/l");
	ck_assert_int_eq(io->fsync(io->ctx, d), 0);
	ck_assert_int_eq(io->pwrite(io->ctx, fd, "aaaa", 4, 0), 4);
	ck_assert_int_eq(io->pwrite(io->ctx, fd, "bbbbbbbb", 8, 4), 8);
	fault_io_crash_now(f, FAULT_CRASH_TEAR_LAST);
	ck_assert_int_eq(io->pwrite(io->ctx, fd, "c", 1, 0), -EIO); /* dead */
	fault_io_restart(f);
	char buf[16];
	ssize_t n = fio_read_all(f, PROOF_DIR "/l", buf, sizeof buf);
	ck_assert_int_gt(n, 4);
	ck_assert_int_lt(n, 12);
	ck_assert(memcmp(buf, "aaaa", 4) == 0);
	fault_io_free(f);
}
END_TEST

START_TEST(test_fio_fail_nth_and_lock)
{
	struct fault_io *f = proof_disk_new(5);
	const struct kv_io *io = fault_io_table(f);
	int fd = fio_create(io, PROOF_DIR "/x");
	fault_io_fail(f, FAULT_PWRITE, 2, ENOSPC, 1, false);
	ck_assert_int_eq(io->pwrite(io->ctx, fd, "1", 1, 0), 1);
	ck_assert_int_eq(io->pwrite(io->ctx, fd, "2", 1, 1), -ENOSPC);
	ck_assert_int_eq(io->pwrite(io->ctx, fd, "3", 1, 1), 1);
	ck_assert_uint_eq(fault_io_failed(f), 1);
	ck_assert_uint_eq(fault_io_calls(f, FAULT_PWRITE), 3);
	int fd2 = io->open(io->ctx, PROOF_DIR "/x", O_RDONLY, 0);
	ck_assert_int_eq(io->lock(io->ctx, fd), 0);
	ck_assert_int_eq(io->lock(io->ctx, fd2), -EWOULDBLOCK);
	ck_assert_int_eq(io->close(io->ctx, fd), 0);
	ck_assert_int_eq(io->lock(io->ctx, fd2), 0);
	/* fallocate extends without materialising. */
	int fd3 = fio_create(io, PROOF_DIR "/big");
	ck_assert_int_eq(io->fallocate(io->ctx, fd3, 0, 1ull << 30), 0);
	uint64_t sz = 0;
	ck_assert_int_eq(io->file_size(io->ctx, fd3, &sz), 0);
	ck_assert_uint_eq(sz, 1ull << 30);
	fault_io_free(f);
}
END_TEST

Suite *fault_io_suite(void)
{
	Suite *s = suite_create("fault_io");
	TCase *tc = tcase_create("model");
	tcase_add_test(tc, test_fio_unsynced_write_lost);
	tcase_add_test(tc, test_fio_name_needs_dir_fsync);
	tcase_add_test(tc, test_fio_rename_durable_with_dir);
	tcase_add_test(tc, test_fio_tear_last);
	tcase_add_test(tc, test_fio_fail_nth_and_lock);
	suite_add_tcase(s, tc);
	return s;
}
