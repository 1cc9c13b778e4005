/*
 * check_lincheck.c — the Check program for tests/lincheck's parser and
 * verdicts (tests/lincheck.h).
 */
#include "tests/testutil.h"

Suite *lincheck_suite(void);

int main(void)
{
	Suite *suites[] = {lincheck_suite()};
	return test_run_suites(suites, 1);
}
