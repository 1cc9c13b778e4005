/*
 * http_raw.h — a minimal HTTP/1.1 client for server tests: sends bytes
 * exactly as given (so tests control every header and the raw target) and
 * reads one response.  Every wait has a timeout: a server that hangs fails
 * the test instead of hanging it.
 */
#ifndef VS_TESTS_HTTP_RAW_H
#define VS_TESTS_HTTP_RAW_H

#include <stddef.h>
#include <stdint.h>

struct http_raw_response {
	int status;          /* 0 if none was read */
	char *head;          /* status line and headers, NUL-terminated */
	char *body;          /* NUL-terminated */
	size_t body_len;
};

/* Connects to 127.0.0.1:port; returns an fd or -1. */
int http_raw_connect(uint16_t port);
/* Sends all of data; 0 or -1. */
int http_raw_send(int fd, const void *data, size_t len);
/*
 * Reads one response (Content-Length or until close) within timeout_ms;
 * for a HEAD request pass head_only so no body is expected.  0 or -1.
 */
int http_raw_read(int fd, int timeout_ms, int head_only, struct http_raw_response *out);
/* A header's value in a response (case-insensitive), copied into buf. */
const char *http_raw_header(const struct http_raw_response *r, const char *name,
			    char *buf, size_t buf_size);
void http_raw_response_free(struct http_raw_response *r);

#endif
