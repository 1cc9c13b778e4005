/*
 * check_raft.c — the behaviour tests of the raft core and its codec, tied
 * to sections of the Raft paper and thesis (see each test's comment).
 */
#include "tests/raft_test_net.h"
#include "tests/testutil.h"

int main(void)
{
	Suite *suites[] = {
		raft_election_suite(),   raft_replication_suite(),
		raft_read_suite(),       raft_membership_suite(),
		raft_codec_suite(),      raft_robust_suite(),
	};
	return test_run_suites(suites, (int)(sizeof(suites) / sizeof(suites[0])));
}
