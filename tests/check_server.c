/* tests/check_server: the gateway's server-side suites. */
#include "tests/check_server.h"
#include "tests/testutil.h"

int main(void)
{
	Suite *suites[] = {server_config_suite(), server_route_suite(), server_http_suite(), server_http_util_suite()};
	return test_run_suites(suites, (int)(sizeof suites / sizeof suites[0]));
}
