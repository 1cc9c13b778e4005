/*
 * raft_snapshot_xfer_test.h — what the snapshot transfer's test files
 * share: an engine fixture (a real engine with known contents and its
 * checkpoint) and its verification.
 */
#ifndef VS_TESTS_RAFT_SNAPSHOT_XFER_TEST_H
#define VS_TESTS_RAFT_SNAPSHOT_XFER_TEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/snapshot_xfer.h"

#define SXT_PATH 1024

/*
 * A scratch directory with an engine at kv/ holding n_keys known keys
 * (some overwritten, so segments hold dead versions too), plus an
 * optional big value, its applied index, and its checkpoint at snap/.
 * Also names staging/ and target/ (not created).
 */
struct sxt_fixture {
	char *tmp;
	char kv[SXT_PATH], snap[SXT_PATH], staging[SXT_PATH], target[SXT_PATH];
	int n_keys;
	size_t big_bytes;
	uint64_t seed;
	uint64_t applied;
	struct raft_snapshot_meta meta;
};

void sxt_fixture_make(struct sxt_fixture *fx, const char *tag, int n_keys,
                      size_t big_bytes, uint64_t seed);
void sxt_fixture_free(struct sxt_fixture *fx);
/* Opens the engine at dir and checks every key, the key count, the big
 * value and the applied index against the fixture. */
void sxt_verify_engine(const struct sxt_fixture *fx, const char *dir);
/* Whether path exists. */
int sxt_exists(const char *path);

Suite *sxt_stream_suite(void);
Suite *sxt_install_suite(void);
Suite *sxt_crash_suite(void);

#endif /* VS_TESTS_RAFT_SNAPSHOT_XFER_TEST_H */
