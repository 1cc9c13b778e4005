/*
 * check_gateway.c — runs the gateway's Check suites: SigV4, aws-chunked,
 * checksums, object tag sets.
 */
#include "tests/test_gateway.h"
#include "tests/testutil.h"

int main(void)
{
	Suite *suites[] = {
	    test_gateway_sigv4_suite(),
	    test_gateway_chunked_suite(),
	    test_gateway_checksum_suite(),
	    test_gateway_tagging_suite(),
	};
	return test_run_suites(suites,
	                       (int)(sizeof(suites) / sizeof(suites[0])));
}
