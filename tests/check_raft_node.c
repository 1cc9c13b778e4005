/*
 * check_raft_node.c — the node driver's Check program.
 */
#include "tests/raft_node_test_net.h"
#include "tests/testutil.h"

int main(void)
{
	Suite *s[] = {raft_node_single_suite(), raft_node_cluster_suite(),
		      raft_node_tcp_suite()};
	return test_run_suites(s, (int)(sizeof s / sizeof s[0]));
}
