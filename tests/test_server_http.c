/*
 * Tests of the HTTP server against a real listening socket on loopback:
 * error rendering, request ids, routing failures, Expect: 100-continue,
 * graceful stop, slow clients, the connection cap and the idle timeout.
 * Handlers are not involved: these requests all end in the server's own
 * error paths.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/admin.h"
#include "gateway/app.h"
#include "gateway/http_util.h"
#include "gateway/object_meta.h"
#include "gateway/config.h"
#include "gateway/server.h"
#include "gateway/sigv4.h"
#include "tests/check_server.h"
#include "tests/http_raw.h"
#include "tests/testutil.h"
#include "xml/s3xml.h"

#define TEST_AK "VSTESTACCESSKEY00000"
#define TEST_SK "testsecretkeytestsecretkeytestsecretkey0"

static struct gw_config cfg;
static struct gw_app app;
static struct gw_server *server;
static uint16_t port;
static char *data_dir;

/* Limits of the server under test; the "limits" case lowers them. */
static uint64_t up_max_connections, up_idle_timeout_s;

static void server_up(void)
{
	s3xml_init();
	memset(&cfg, 0, sizeof cfg);
	char *argv[] = {(char *)"veristore", NULL};
	FILE *n = fopen("/dev/null", "w");
	ck_assert_int_eq(gw_config_load(&cfg, 1, argv, n, n), 0);
	fclose(n);
	gw_log_set_level(GW_LOG_ERROR);
	data_dir = test_tmpdir_new("http");
	free(cfg.data_dir);
	cfg.data_dir = strdup(data_dir);
	cfg.access_key = strdup(TEST_AK);
	cfg.secret_key = strdup(TEST_SK);
	if (up_max_connections)
		cfg.max_connections = up_max_connections;
	if (up_idle_timeout_s)
		cfg.idle_timeout_s = up_idle_timeout_s;
	ck_assert_int_eq(gw_app_open(&app, &cfg), 0);
	for (int attempt = 0; attempt < 20; attempt++) {
		port = test_free_port();
		free(cfg.listen);
		char listen[64];
		snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
		cfg.listen = strdup(listen);
		if (gw_server_start(&cfg, &app, &server) == 0)
			return;
	}
	ck_abort_msg("server did not start");
}

static void server_down(void)
{
	ck_assert(gw_server_stop(server, 5));
	server = NULL;
	gw_app_close(&app);
	gw_config_free(&cfg);
	test_tmpdir_free(data_dir);
}

/*
 * Builds a SigV4-signed request (UNSIGNED-PAYLOAD) for method and target,
 * with extra header lines (each ending in CRLF) that are sent but not signed.
 */
static char *signed_request_mode(const char *method, const char *target, const char *payload,
				 const char *extra);

static char *signed_request(const char *method, const char *target, const char *extra)
{
	return signed_request_mode(method, target, "UNSIGNED-PAYLOAD", extra);
}

/* A request signed with x-amz-content-sha256: payload (a payload mode). */
static char *signed_request_mode(const char *method, const char *target, const char *payload,
				 const char *extra)
{
	char host[64], date[32];
	snprintf(host, sizeof host, "127.0.0.1:%u", port);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
	struct sigv4_header hs[] = {{"host", host}, {"x-amz-content-sha256", payload},
				    {"x-amz-date", date}};
	struct sigv4_request r = {method, target, hs, 3};
	struct sigv4_signer signer = {TEST_AK, TEST_SK, "us-east-1", "s3", date};
	char auth[1024];
	ck_assert_int_eq(sigv4_sign_header(&signer, &r, payload, auth, sizeof auth, NULL), 0);
	char *out = NULL;
	ck_assert_int_gt(asprintf(&out, "%s %s HTTP/1.1\r\nHost: %s\r\nx-amz-date: %s\r\n"
				  "x-amz-content-sha256: %s\r\nAuthorization: %s\r\n"
				  "%s\r\n", method, target, host, date, payload, auth,
				  extra ? extra : ""),
			 0);
	return out;
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
	char *req = signed_request("GET", "/bucket/key?acl", "Connection: close\r\n");
	exchange(req, 0, &r);
	free(req);
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
	char *req = signed_request("GET", "/b?acl", "Connection: close\r\n");
	exchange(req, 0, &a);
	exchange(req, 0, &b);
	free(req);
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
	char *req = signed_request("PATCH", "/b/k", "Connection: close\r\n");
	exchange(req, 0, &r);
	free(req);
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
	char *req = signed_request("HEAD", "/b/k?acl", "Connection: close\r\n");
	exchange(req, 1, &r);
	free(req);
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
	char *req = signed_request("PUT", "/b/k?acl",
				   "Content-Length: 1048576\r\nExpect: 100-continue\r\n");
	exchange(req, 0, &r);
	free(req);
	ck_assert_int_eq(r.status, 501);
	http_raw_response_free(&r);
}
END_TEST

/*
 * A body that fails part-way (here aws-chunked framing that breaks in the
 * first chunk header, with 100 KiB still to come) is answered with its S3
 * error once the body is in — libmicrohttpd drops a response queued
 * mid-body, and the client saw only a closed connection — and nothing is
 * stored.
 */
START_TEST(http_body_error_answered_after_body)
{
	struct http_raw_response r;
	char *req = signed_request("PUT", "/drain-bkt", "Content-Length: 0\r\n");
	exchange(req, 0, &r);
	free(req);
	ck_assert_int_eq(r.status, 200);
	http_raw_response_free(&r);
	enum { FILL = 100 * 1024 };
	char extra[256];
	snprintf(extra, sizeof extra,
		 "Content-Encoding: aws-chunked\r\nX-Amz-Decoded-Content-Length: %d\r\n"
		 "Content-Length: %d\r\nConnection: close\r\n", FILL, FILL + 4);
	req = signed_request_mode("PUT", "/drain-bkt/k", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
				  extra);
	size_t hl = strlen(req);
	char *full = malloc(hl + FILL + 4);
	memcpy(full, req, hl);
	memcpy(full + hl, "zz\r\n", 4); /* not a hex chunk size */
	memset(full + hl + 4, 'x', FILL);
	int fd = http_raw_connect(port);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(http_raw_send(fd, full, hl + FILL + 4), 0);
	ck_assert_int_eq(http_raw_read(fd, 5000, 0, &r), 0);
	close(fd);
	free(full);
	free(req);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "<Code>"));
	http_raw_response_free(&r);
	req = signed_request("HEAD", "/drain-bkt/k", "Connection: close\r\n");
	exchange(req, 1, &r);
	free(req);
	ck_assert_int_eq(r.status, 404);
	http_raw_response_free(&r);
}
END_TEST

/* Keep-alive: two requests on one connection both get answers. */
START_TEST(http_keep_alive)
{
	int fd = http_raw_connect(port);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 2; i++) {
		char *req = signed_request("GET", "/b/k?acl", NULL);
		ck_assert_int_eq(http_raw_send(fd, req, strlen(req)), 0);
		free(req);
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
	ck_assert_int_lt(gw_server_start(&cfg, &app, &other), 0);
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
	close(fd);
	for (int attempt = 0; attempt < 20; attempt++) {
		port = test_free_port();
		free(cfg.listen);
		char listen[64];
		snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
		cfg.listen = strdup(listen);
		if (gw_server_start(&cfg, &app, &server) == 0)
			return; /* the fixture's teardown stops it */
	}
	ck_abort_msg("server did not restart");
}
END_TEST

/* Without credentials nothing is revealed: AccessDenied, even for an
 * unimplemented operation. */
START_TEST(http_anonymous_access_denied)
{
	struct http_raw_response r;
	exchange("GET /b/k?acl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body, "<Code>AccessDenied</Code>"));
	http_raw_response_free(&r);
}
END_TEST

/* A signature made with another secret is SignatureDoesNotMatch. */
START_TEST(http_bad_signature)
{
	char *req = signed_request("GET", "/", "Connection: close\r\n");
	char *sig = strstr(req, "Signature=");
	ck_assert_ptr_nonnull(sig);
	sig[10] = sig[10] == 'a' ? 'b' : 'a';
	struct http_raw_response r;
	exchange(req, 0, &r);
	free(req);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body, "<Code>SignatureDoesNotMatch</Code>"));
	http_raw_response_free(&r);
}
END_TEST

/* A signed ListBuckets on a fresh store: 200 and an empty bucket list. */
START_TEST(http_list_buckets_empty)
{
	char *req = signed_request("GET", "/", "Connection: close\r\n");
	struct http_raw_response r;
	exchange(req, 0, &r);
	free(req);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "<ListAllMyBucketsResult"));
	ck_assert_ptr_null(strstr(r.body, "<Bucket>"));
	http_raw_response_free(&r);
}
END_TEST

/* ---- The admin API (/_veristore/, issue 5) ----------------------------- */

/* A signed GET of the cluster status: 200 JSON naming this node (a cluster
 * of one: node 1, the leader) with the contract's fields in order. */
START_TEST(admin_cluster_status)
{
	char *req = signed_request("GET", "/_veristore/cluster", "Connection: close\r\n");
	struct http_raw_response r;
	exchange(req, 0, &r);
	free(req);
	ck_assert_int_eq(r.status, 200);
	char ct[64];
	ck_assert_ptr_nonnull(http_raw_header(&r, "Content-Type", ct, sizeof ct));
	ck_assert_str_eq(ct, "application/json");
	ck_assert_msg(strncmp(r.body, "{\"id\":1,\"role\":\"leader\",\"leader\":1,\"term\":", 42) == 0,
		      "%s", r.body);
	const char *fields[] = {"\"commit\":", "\"applied\":", "\"first_index\":",
				"\"last_index\":", "\"snapshot_index\":", "\"members\":[{\"id\":1,",
				"\"addr\":", "\"learner\":false", "\"connected\":", "\"match\":",
				"\"lag\":", "\"healthy\":", "}]}"};
	const char *at = r.body;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *f = strstr(at, fields[i]);
		ck_assert_msg(f != NULL, "%s missing or out of order in %s", fields[i], r.body);
		at = f;
	}
	http_raw_response_free(&r);
}
END_TEST

/* Unauthenticated admin requests learn nothing; the fault switch is off
 * without VERISTORE_TEST_FAULTS=1; an unknown admin path is a JSON 404. */
START_TEST(admin_refusals)
{
	struct http_raw_response r;
	exchange("GET /_veristore/cluster HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body, "<Code>AccessDenied</Code>"));
	http_raw_response_free(&r);
	unsetenv("VERISTORE_TEST_FAULTS");
	char *req = signed_request("POST", "/_veristore/faults?drop=both&peer=2",
				   "Connection: close\r\n");
	exchange(req, 0, &r);
	free(req);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body, "<Code>AccessDenied</Code>"));
	http_raw_response_free(&r);
	req = signed_request("GET", "/_veristore/nothing", "Connection: close\r\n");
	exchange(req, 0, &r);
	free(req);
	ck_assert_int_eq(r.status, 404);
	ck_assert_ptr_nonnull(strstr(r.body, "\"error\":"));
	http_raw_response_free(&r);
	req = signed_request("POST", "/_veristore/cluster/remove", "Connection: close\r\n");
	exchange(req, 0, &r);
	free(req);
	ck_assert_int_eq(r.status, 400);
	http_raw_response_free(&r);
}
END_TEST

/* The status document's exact shape for a three-member leader view. */
START_TEST(admin_status_json_shape)
{
	struct raft_node_status st;
	memset(&st, 0, sizeof st);
	st = (struct raft_node_status){.id = 2, .role = RAFT_LEADER, .leader = 2, .term = 3,
				       .commit = 120, .applied = 119, .first_index = 1,
				       .last_index = 121, .snapshot_index = 0, .n_members = 2};
	st.members[0] = (struct raft_node_member){.id = 1, .addr = "127.0.0.1:7001",
						  .connected = true, .match = 120,
						  .healthy = true};
	st.members[1] = (struct raft_node_member){.id = 4, .addr = "[::1]:7\"4",
						  .learner = true, .match = 20, .lag = 100};
	char *j = NULL;
	size_t n = 0;
	ck_assert_int_eq(gw_admin_status_json(&st, &j, &n), 0);
	ck_assert_str_eq(j, "{\"id\":2,\"role\":\"leader\",\"leader\":2,\"term\":3,\"commit\":120,"
			    "\"applied\":119,\"first_index\":1,\"last_index\":121,"
			    "\"snapshot_index\":0,\"members\":["
			    "{\"id\":1,\"addr\":\"127.0.0.1:7001\",\"learner\":false,"
			    "\"connected\":true,\"match\":120,\"lag\":0,\"healthy\":true},"
			    "{\"id\":4,\"addr\":\"[::1]:7\\\"4\",\"learner\":true,"
			    "\"connected\":false,\"match\":20,\"lag\":100,\"healthy\":false}]}");
	ck_assert_uint_eq(n, strlen(j));
	free(j);
}
END_TEST

/* A Raft outcome that is unknown, or no quorum, reaches S3 clients as a
 * retryable 503 ServiceUnavailable, never as success or a 500. */
START_TEST(indeterminate_is_503)
{
	ck_assert_int_eq(obj_err_from_store(STORE_EINDETERMINATE), OBJ_EUNAVAILABLE);
	ck_assert_int_eq(obj_err_from_store(STORE_EUNAVAILABLE), OBJ_EUNAVAILABLE);
	ck_assert_int_eq(gw_obj_error(OBJ_EUNAVAILABLE), S3_SERVICE_UNAVAILABLE);
	ck_assert_uint_eq(s3_error_status(S3_SERVICE_UNAVAILABLE), 503);
	ck_assert_str_eq(s3_error_code(S3_SERVICE_UNAVAILABLE), "ServiceUnavailable");
}
END_TEST


/* Small limits, so the tests can reach them. */
#define LIMIT_CONNECTIONS 3
static void server_up_limited(void)
{
	up_max_connections = LIMIT_CONNECTIONS;
	up_idle_timeout_s = 1;
	server_up();
	up_max_connections = up_idle_timeout_s = 0;
}

/* A request line and part of the headers, never finished: a slow client. */
static int open_slow_client(void)
{
	int fd = http_raw_connect(port);
	ck_assert_int_ge(fd, 0);
	const char *partial = "GET /b/k?acl HTTP/1.1\r\nHost: x\r\n";
	ck_assert_int_eq(http_raw_send(fd, partial, strlen(partial)), 0);
	return fd;
}

/*
 * Waits up to timeout_ms for the server to close fd; true if it did (EOF or
 * reset), false if the connection was still open when the wait ended.
 */
static bool closed_by_server(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[512];
	for (;;) {
		int n = poll(&p, 1, timeout_ms);
		if (n <= 0)
			return false;
		ssize_t got = read(fd, buf, sizeof buf);
		if (got <= 0)
			return true; /* EOF or ECONNRESET */
	}
}

/* A client stalled in the middle of its headers never delays another. */
START_TEST(http_slow_client_does_not_block_others)
{
	int slow = open_slow_client();
	char *req = signed_request("GET", "/b/k?acl", "Connection: close\r\n");
	struct http_raw_response r;
	exchange(req, 0, &r);
	free(req);
	ck_assert_int_eq(r.status, 501);
	http_raw_response_free(&r);
	close(slow);
}
END_TEST

/*
 * Connections beyond the cap are closed at once, without disturbing the
 * ones being served; once one closes, a new client is served again.
 */
START_TEST(http_connection_cap)
{
	int held[LIMIT_CONNECTIONS];
	for (int i = 0; i < LIMIT_CONNECTIONS; i++)
		held[i] = open_slow_client();
	int over = http_raw_connect(port);
	ck_assert_int_ge(over, 0);
	ck_assert_msg(closed_by_server(over, 5000), "connection over the cap was kept");
	close(over);
	close(held[0]);
	/* The server notices the close asynchronously: retry, bounded. */
	bool served = false;
	for (int attempt = 0; attempt < 50 && !served; attempt++) {
		char *req = signed_request("GET", "/b/k?acl", "Connection: close\r\n");
		int fd = http_raw_connect(port);
		ck_assert_int_ge(fd, 0);
		struct http_raw_response r;
		if (http_raw_send(fd, req, strlen(req)) == 0 && http_raw_read(fd, 2000, 0, &r) == 0) {
			served = r.status == 501;
			http_raw_response_free(&r);
		}
		close(fd);
		free(req);
		if (!served)
			poll(NULL, 0, 100);
	}
	ck_assert_msg(served, "no request served after a held connection closed");
	for (int i = 1; i < LIMIT_CONNECTIONS; i++)
		close(held[i]);
}
END_TEST

/* A client that stops sending in the middle of its headers is dropped
 * after the idle timeout (1 s here; waited for up to 15 s). */
START_TEST(http_idle_header_timeout)
{
	int slow = open_slow_client();
	ck_assert_msg(closed_by_server(slow, 15000), "stalled connection not closed");
	close(slow);
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
	tcase_add_test(tc, http_anonymous_access_denied);
	tcase_add_test(tc, http_bad_signature);
	tcase_add_test(tc, http_list_buckets_empty);
	tcase_add_test(tc, http_body_error_answered_after_body);
	tcase_add_test(tc, admin_cluster_status);
	tcase_add_test(tc, admin_refusals);
	tcase_add_test(tc, admin_status_json_shape);
	tcase_add_test(tc, indeterminate_is_503);
	suite_add_tcase(s, tc);

	TCase *lim = tcase_create("limits");
	tcase_add_checked_fixture(lim, server_up_limited, server_down);
	tcase_set_timeout(lim, 60);
	tcase_add_test(lim, http_slow_client_does_not_block_others);
	tcase_add_test(lim, http_connection_cap);
	tcase_add_test(lim, http_idle_header_timeout);
	suite_add_tcase(s, lim);
	return s;
}
