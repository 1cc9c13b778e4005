/*
 * testutil.h — what every Check suite shares: a seed that is printed and can
 * be replayed, a deterministic random generator, and scratch directories
 * that are removed even when a test fails.
 */
#ifndef VS_TESTS_TESTUTIL_H
#define VS_TESTS_TESTUTIL_H

#include <check.h>
#include <stdint.h>

/*
 * The run's seed: VERISTORE_SEED from the environment if set (decimal or
 * 0x hex), else a fixed default so that `make check` is deterministic.
 * Printed once per process as "seed: N (replay with VERISTORE_SEED=N)".
 */
uint64_t test_seed(void);

/* A small, fast, seedable generator (splitmix64 seeded, xoshiro256**). */
struct test_rng {
	uint64_t s[4];
};
void test_rng_init(struct test_rng *r, uint64_t seed);
uint64_t test_rng_next(struct test_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t test_rng_below(struct test_rng *r, uint64_t n);
void test_rng_bytes(struct test_rng *r, void *buf, size_t len);

/*
 * Creates a fresh directory under $TMPDIR (or /tmp) named after tag and
 * returns its path (static storage per call is not used: the caller frees
 * the string with test_tmpdir_free, which also removes the tree).
 */
char *test_tmpdir_new(const char *tag);
void test_tmpdir_free(char *path);
/* rm -rf path; returns 0 or -errno. */
int test_rmtree(const char *path);

/*
 * An environment knob with a default: VERISTORE_<name> as an unsigned
 * integer, e.g. test_env_u64("CRASH_SEEDS", 200).
 */
uint64_t test_env_u64(const char *name, uint64_t dflt);

/*
 * Runs the suites with CK_NORMAL output and returns the process exit status
 * (0 when everything passed).  Forking is left to CK_FORK (default on), so a
 * crashing test is reported, not fatal to the run.
 */
int test_run_suites(Suite **suites, int count);

/*
 * A loopback TCP port below 32768 that was free a moment ago (bound and
 * released; the workplace's rule keeps test servers below the ephemeral
 * range).  Starts from a pid- and time-derived point so parallel tests rarely
 * collide; a caller that then fails with EADDRINUSE asks again.
 */
uint16_t test_free_port(void);

#endif /* VS_TESTS_TESTUTIL_H */
