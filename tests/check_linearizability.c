/*
 * check_linearizability.c — the Check program for the linearizability
 * checker the raft simulator relies on (tests/linearizability.h).
 */
#include "tests/testutil.h"

Suite *linearizability_suite(void);

int main(void)
{
	Suite *suites[] = {linearizability_suite()};
	return test_run_suites(suites, 1);
}
