/*
 * check_raft_transport.c — the Check program of raft/transport (the TCP
 * raft_net), over real sockets on loopback.
 */
#include "tests/testutil.h"

Suite *raft_transport_suite(void);

int main(void)
{
	Suite *suites[] = {raft_transport_suite()};
	return test_run_suites(suites, 1);
}
