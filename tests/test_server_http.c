/*
 * Tests of the HTTP server against a real listening socket on loopback:
 * error rendering, request ids, routing failures, Expect: 100-continue and
 * graceful stop.  Handlers are not involved: these requests all end in the
 * server's own error paths.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"
#include "gateway/server.h"
#include "tests/check_server.h"
#include "tests/http_raw.h"
#include "tests/testutil.h"
#include "xml/s3xml.h"

static struct gw_config cfg;
static struct gw_server *server;
static uint16_t port;

static void server_up(void)
{
	s3xml_init();
	memset(&cfg, 0, sizeof cfg);
	char *argv[] = {(char *)"veristore", NULL};
	FILE *n = fopen("/dev/null", "w");
	ck_assert_int_eq(gw_config_load(&cfg, 1, argv, n, n), 0);
	fclose(n);
	gw_log_set_level(GW_LOG_ERROR);
	for (int attempt = 0; attempt < 20; attempt++) {
		port = test_free_port();
		free(cfg.listen);
		char listen[64];
		snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
		cfg.listen = strdup(listen);
		if (gw_server_start(&cfg, NULL, &server) == 0)
			return;
	}
	ck_abort_msg("server did not start");
}

static void server_down(void)
{
	ck_assert(gw_server_stop(server, 5));
	server = NULL;
	gw_config_free(&cfg);
}

static void exchange(const char *request, int head_only, struct http_raw_response *r)
{
	int fd = http_raw_connect(port);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(http_raw_send(fd, request, strlen(request)), 0);
	ck_assert_int_eq(http_raw_read(fd, 5000, head_only, r), 0);
	close(fd);
}

/* An unimplemented S3 subresource is a 501 NotImplemented S3 error document
 * whose RequestId is the x-amz-request-id header. */
START_TEST(http_not_implemented_is_s3_xml)
{
	struct http_raw_response r;
	exchange("GET /bucket/key?acl HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
		 0, &r);
	ck_assert_int_eq(r.status, 501);
	ck_assert_ptr_nonnull(strstr(r.body, "<Code>NotImplemented</Code>"));
	ck_assert_ptr_nonnull(strstr(r.body, "<Resource>/bucket/key</Resource>"));
	char id[64], ctype[64], tag[96];
	ck_assert_ptr_nonnull(http_raw_header(&r, "x-amz-request-id", id, sizeof id));
	ck_assert_uint_eq(strlen(id), 16);
	snprintf(tag, sizeof tag, "<RequestId>%s</RequestId>", id);
	ck_assert_ptr_nonnull(strstr(r.body, tag));
	ck_assert_ptr_nonnull(http_raw_header(&r, "content-type", ctype, sizeof ctype));
	ck_assert_str_eq(ctype, "application/xml");
	http_raw_response_free(&r);
}
END_TEST

START_TEST(http_request_ids_differ)
{
	struct http_raw_response a, b;
	const char *req = "GET /b?acl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	exchange(req, 0, &a);
	exchange(req, 0, &b);
	char ia[64], ib[64];
	http_raw_header(&a, "x-amz-request-id", ia, sizeof ia);
	http_raw_header(&b, "x-amz-request-id", ib, sizeof ib);
	ck_assert_str_ne(ia, ib);
	http_raw_response_free(&a);
	http_raw_response_free(&b);
}
END_TEST

START_TEST(http_method_not_allowed)
{
	struct http_raw_response r;
	exchange("PATCH /b/k HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_ptr_nonnull(strstr(r.body, "<Code>MethodNotAllowed</Code>"));
	http_raw_response_free(&r);
}
END_TEST

START_TEST(http_bad_escape_is_invalid_request)
{
	struct http_raw_response r;
	exchange("GET /b/bad%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "<Code>InvalidRequest</Code>"));
	http_raw_response_free(&r);
}
END_TEST

/* HEAD gets the status and headers of the error, and no body. */
START_TEST(http_head_error_has_no_body)
{
	struct http_raw_response r;
	exchange("HEAD /b/k?acl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1, &r);
	ck_assert_int_eq(r.status, 501);
	ck_assert_uint_eq(r.body_len, 0);
	http_raw_response_free(&r);
}
END_TEST

/* A request refused on its headers is answered at once: a client waiting on
 * Expect: 100-continue is not left hanging, and never sends its body. */
START_TEST(http_expect_continue_refused_early)
{
	struct http_raw_response r;
	exchange("PUT /b/k?tagging HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n"
		 "Expect: 100-continue\r\n\r\n", 0, &r);
	ck_assert_int_eq(r.status, 501);
	http_raw_response_free(&r);
}
END_TEST

/* Keep-alive: two requests on one connection both get answers. */
START_TEST(http_keep_alive)
{
	int fd = http_raw_connect(port);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 2; i++) {
		const char *req = "GET /b/k?acl HTTP/1.1\r\nHost: x\r\n\r\n";
		ck_assert_int_eq(http_raw_send(fd, req, strlen(req)), 0);
		struct http_raw_response r;
		ck_assert_int_eq(http_raw_read(fd, 5000, 0, &r), 0);
		ck_assert_int_eq(r.status, 501);
		http_raw_response_free(&r);
	}
	close(fd);
}
END_TEST

/* A second server on the same port fails cleanly instead of starting. */
START_TEST(http_port_in_use)
{
	struct gw_server *other = NULL;
	ck_assert_int_lt(gw_server_start(&cfg, NULL, &other), 0);
	ck_assert_ptr_null(other);
}
END_TEST

/* Graceful stop with an idle keep-alive connection open is quick and clean. */
START_TEST(http_stop_with_idle_connection)
{
	int fd = http_raw_connect(port);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(gw_server_in_flight(server), 0);
	ck_assert(gw_server_stop(server, 5));
	server = NULL;
	close(fd);
	server_up(); /* for the fixture's teardown */
}
END_TEST

Suite *server_http_suite(void)
{
	Suite *s = suite_create("server_http");
	TCase *tc = tcase_create("http");
	tcase_add_checked_fixture(tc, server_up, server_down);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, http_not_implemented_is_s3_xml);
	tcase_add_test(tc, http_request_ids_differ);
	tcase_add_test(tc, http_method_not_allowed);
	tcase_add_test(tc, http_bad_escape_is_invalid_request);
	tcase_add_test(tc, http_head_error_has_no_body);
	tcase_add_test(tc, http_expect_continue_refused_early);
	tcase_add_test(tc, http_keep_alive);
	tcase_add_test(tc, http_port_in_use);
	tcase_add_test(tc, http_stop_with_idle_connection);
	suite_add_tcase(s, tc);
	return s;
}
