/*
 * testutil.c — seeds, a deterministic generator and scratch directories
 * for the Check suites.  See testutil.h.
 */
#include "tests/testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TEST_SEED_DEFAULT 0x5eed0001u

uint64_t test_env_u64(const char *name, uint64_t dflt)
{
	char var[128];
	snprintf(var, sizeof var, "VERISTORE_%s", name);
	const char *s = getenv(var);
	if (s == NULL || *s == '\0')
		return dflt;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "ignoring %s=%s: not an unsigned integer\n", var, s);
		return dflt;
	}
	return (uint64_t)v;
}

uint64_t test_seed(void)
{
	static int printed;
	uint64_t seed = test_env_u64("SEED", TEST_SEED_DEFAULT);
	if (!printed) {
		printed = 1;
		fprintf(stderr, "seed: %" PRIu64 " (replay with VERISTORE_SEED=%" PRIu64 ")\n",
			seed, seed);
	}
	return seed;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void test_rng_init(struct test_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t test_rng_next(struct test_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t test_rng_below(struct test_rng *r, uint64_t n)
{
	/* Lemire's multiply-shift; the tiny bias is irrelevant for tests. */
	return (uint64_t)(((unsigned __int128)test_rng_next(r) * n) >> 64);
}

void test_rng_bytes(struct test_rng *r, void *buf, size_t len)
{
	unsigned char *p = buf;
	while (len > 0) {
		uint64_t v = test_rng_next(r);
		size_t n = len < 8 ? len : 8;
		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : -errno;
}

int test_rmtree(const char *path)
{
	if (access(path, F_OK) != 0)
		return 0;
	return nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

char *test_tmpdir_new(const char *tag)
{
	const char *base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	size_t n = strlen(base) + strlen(tag) + 32;
	char *path = malloc(n);
	ck_assert_ptr_nonnull(path);
	snprintf(path, n, "%s/veristore-%s-XXXXXX", base, tag);
	ck_assert_msg(mkdtemp(path) != NULL, "mkdtemp %s: %s", path, strerror(errno));
	return path;
}

void test_tmpdir_free(char *path)
{
	if (path == NULL)
		return;
	test_rmtree(path);
	free(path);
}

int test_run_suites(Suite **suites, int count)
{
	(void)test_seed();
	SRunner *sr = srunner_create(suites[0]);
	for (int i = 1; i < count; i++)
		srunner_add_suite(sr, suites[i]);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

uint16_t test_free_port(void)
{
	/* Mix pid and time so two test processes start at different points. */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec;
	for (int attempt = 0; attempt < 200; attempt++) {
		uint16_t port = (uint16_t)(20000 + splitmix64(&x) % 12000);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(fd, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
		close(fd);
		if (ok)
			return port;
	}
	ck_abort_msg("no free loopback port found below 32768");
	return 0;
}
