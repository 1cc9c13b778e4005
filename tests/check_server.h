/* Suites of tests/check_server: the gateway's server, config and routing. */
#ifndef VS_TESTS_CHECK_SERVER_H
#define VS_TESTS_CHECK_SERVER_H
#include <check.h>
Suite *server_config_suite(void);
Suite *server_route_suite(void);
Suite *server_http_suite(void);
Suite *server_http_util_suite(void);
#endif
