/*
 * test_engine_basic.c — open, put, get, delete, reopen: the engine's
 * smallest contract, including values across segment boundaries, and
 * large values written from the caller's memory (pwritev on the real
 * file system).
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "engine/batch.h"

START_TEST(test_put_get_reopen)
{
	char *dir = test_tmpdir_new("basic");
	struct kv_options o;
	test_engine_opts(&o, 4096);
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	char k[32], v[256];
	for (int i = 0; i < 200; i++) {
		snprintf(k, sizeof k, "key%04d", i);
		memset(v, 'a' + i % 26, sizeof v);
		ck_assert_int_eq(kv_put(kv, k, strlen(k), v, (size_t)(i % 200)), 0);
	}
	ck_assert_int_eq(kv_del(kv, "key0007", 7), 0);
	ck_assert_int_eq(kv_close(kv), 0);
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(k, sizeof k, "key%04d", i);
		void *val;
		size_t len;
		int rc = kv_get(kv, k, strlen(k), &val, &len);
		if (i == 7) {
			ck_assert_int_eq(rc, KV_ENOTFOUND);
			continue;
		}
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(len, (size_t)(i % 200));
		for (size_t j = 0; j < len; j++)
			ck_assert_int_eq(((char *)val)[j], 'a' + i % 26);
		free(val);
	}
	struct kv_stats st;
	kv_stats(kv, &st);
	ck_assert_uint_eq(st.keys, 199);
	ck_assert_uint_gt(st.segments, 1);
	ck_assert_int_eq(kv_close(kv), 0);
	test_tmpdir_free(dir);
}
END_TEST

/*
 * kv_io_posix's pwritev: more pieces than one pwritev(2) call takes in its
 * window, empty pieces among them, lands every byte in order.
 */
START_TEST(test_posix_pwritev_pieces)
{
	char *dir = test_tmpdir_new("pwritev");
	char path[4200];
	snprintf(path, sizeof path, "%s/f", dir);
	const struct kv_io *io = kv_io_posix();
	int fd = io->open(io->ctx, path, O_RDWR | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0x7e);
	enum { PIECES = 300 };
	static unsigned char src[PIECES * 200], back[PIECES * 200];
	test_rng_bytes(&r, src, sizeof src);
	struct iovec iov[PIECES];
	size_t total = 0;
	for (int i = 0; i < PIECES; i++) {
		size_t n = i % 7 == 3 ? 0 : (size_t)test_rng_below(&r, 200);
		iov[i] = (struct iovec){src + total, n};
		total += n;
	}
	ck_assert_int_eq(io->pwritev(io->ctx, fd, iov, PIECES, 4096), (ssize_t)total);
	ck_assert_int_eq(io->pread(io->ctx, fd, back, total, 4096), (ssize_t)total);
	ck_assert(memcmp(src, back, total) == 0);
	io->close(io->ctx, fd);
	test_tmpdir_free(dir);
}
END_TEST

/* Large values (referenced, not copied) read back whole after a reopen. */
START_TEST(test_large_values_reopen)
{
	char *dir = test_tmpdir_new("large");
	struct kv_options o;
	test_engine_opts(&o, 1u << 20); /* a 1 MiB value needs its own segment */
	struct kv *kv;
	ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	size_t sizes[] = {KV_BATCH_REF_MIN - 1, KV_BATCH_REF_MIN, 300000, 1u << 20,
			  (1u << 20) + 17};
	enum { N = sizeof sizes / sizeof sizes[0] };
	unsigned char *v = malloc((1u << 20) + 17);
	ck_assert_ptr_nonnull(v);
	char k[16];
	for (int i = 0; i < N; i++) {
		for (size_t j = 0; j < sizes[i]; j++)
			v[j] = (unsigned char)(j * 7 + (size_t)i);
		snprintf(k, sizeof k, "big%d", i);
		ck_assert_int_eq(kv_put(kv, k, strlen(k), v, sizes[i]), 0);
		test_kv_put(kv, "small", k);
	}
	/*
	 * One batch of many referenced values (more than a batch references;
	 * the rest are copied): one pwritev of ~130 pieces.
	 */
	enum { MANY = 70 };
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0x5ca);
	static unsigned char many[MANY][20000];
	size_t many_len[MANY];
	struct kv_batch *b;
	ck_assert_int_eq(kv_batch_new(&b), 0);
	for (int i = 0; i < MANY; i++) {
		many_len[i] = 1 + (size_t)test_rng_below(&r, sizeof many[0]);
		test_rng_bytes(&r, many[i], many_len[i]);
		snprintf(k, sizeof k, "many%02d", i);
		ck_assert_int_eq(kv_batch_put_ref(b, k, strlen(k), many[i], many_len[i]), 0);
	}
	ck_assert_int_eq(kv_write(kv, b), 0);
	kv_batch_free(b);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < MANY; i++) {
			snprintf(k, sizeof k, "many%02d", i);
			void *got;
			size_t len;
			ck_assert_int_eq(kv_get(kv, k, strlen(k), &got, &len), 0);
			ck_assert(len == many_len[i] && memcmp(got, many[i], len) == 0);
			free(got);
		}
		for (int i = 0; i < N; i++) {
			snprintf(k, sizeof k, "big%d", i);
			void *got;
			size_t len;
			ck_assert_int_eq(kv_get(kv, k, strlen(k), &got, &len), 0);
			ck_assert_uint_eq(len, sizes[i]);
			for (size_t j = 0; j < len; j++)
				v[j] = (unsigned char)(j * 7 + (size_t)i);
			ck_assert(memcmp(got, v, len) == 0);
			free(got);
		}
		ck_assert_int_eq(kv_close(kv), 0);
		ck_assert_int_eq(kv_open(dir, &o, &kv), 0);
	}
	ck_assert_int_eq(kv_close(kv), 0);
	free(v);
	test_tmpdir_free(dir);
}
END_TEST

Suite *test_engine_basic_suite(void)
{
	Suite *s = suite_create("engine_basic");
	TCase *tc = tcase_create("basic");
	tcase_add_test(tc, test_put_get_reopen);
	tcase_add_test(tc, test_posix_pwritev_pieces);
	tcase_add_test(tc, test_large_values_reopen);
	suite_add_tcase(s, tc);
	return s;
}
