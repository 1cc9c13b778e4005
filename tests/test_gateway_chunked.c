#include "tests/test_gateway.h"
Suite *test_gateway_chunked_suite(void)
{
	return suite_create("gateway_chunked");
}
