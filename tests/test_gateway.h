/*
 * test_gateway.h — the suites of tests/check_gateway.
 */
#ifndef VS_TESTS_TEST_GATEWAY_H
#define VS_TESTS_TEST_GATEWAY_H

#include <check.h>

Suite *test_gateway_sigv4_suite(void);
Suite *test_gateway_chunked_suite(void);
Suite *test_gateway_checksum_suite(void);
Suite *test_gateway_tagging_suite(void);

#endif /* VS_TESTS_TEST_GATEWAY_H */
