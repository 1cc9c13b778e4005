/* http_raw.c — see http_raw.h. */
#include "tests/http_raw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

int http_raw_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int http_raw_send(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t recv_timeout(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r = poll(&p, 1, timeout_ms);
	if (r <= 0)
		return -1;
	return recv(fd, buf, len, 0);
}

int http_raw_read(int fd, int timeout_ms, int head_only, struct http_raw_response *out)
{
	memset(out, 0, sizeof *out);
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap + 1);
	if (buf == NULL)
		return -1;
	char *end_of_head = NULL;
	long content_length = -1;
	for (int rounds = 0; rounds < 100000; rounds++) {
		if (end_of_head != NULL) {
			size_t head_len = (size_t)(end_of_head - buf) + 4;
			if (head_only || (content_length >= 0 &&
					  len >= head_len + (size_t)content_length))
				break;
		}
		if (len == cap) {
			size_t head_off = end_of_head ? (size_t)(end_of_head - buf) : 0;
			bool had_head = end_of_head != NULL;
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (nb == NULL)
				break;
			buf = nb;
			end_of_head = had_head ? buf + head_off : NULL;
		}
		ssize_t n = recv_timeout(fd, buf + len, cap - len, timeout_ms);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (end_of_head == NULL && (end_of_head = strstr(buf, "\r\n\r\n")) != NULL) {
			char *cl = strcasestr(buf, "\r\ncontent-length:");
			if (cl != NULL && cl < end_of_head)
				content_length = strtol(cl + 17, NULL, 10);
		}
	}
	buf[len] = '\0';
	if (end_of_head == NULL) {
		free(buf);
		return -1;
	}
	size_t head_len = (size_t)(end_of_head - buf);
	out->head = strndup(buf, head_len);
	out->body_len = len - head_len - 4;
	out->body = malloc(out->body_len + 1);
	memcpy(out->body, end_of_head + 4, out->body_len);
	out->body[out->body_len] = '\0';
	out->status = (int)strtol(buf + 9, NULL, 10);
	free(buf);
	return 0;
}

const char *http_raw_header(const struct http_raw_response *r, const char *name,
			    char *buf, size_t buf_size)
{
	size_t n = strlen(name);
	for (const char *line = strstr(r->head, "\r\n"); line != NULL;
	     line = strstr(line + 2, "\r\n")) {
		const char *h = line + 2;
		if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
			h += n + 1;
			while (*h == ' ')
				h++;
			size_t vlen = strcspn(h, "\r\n");
			if (vlen >= buf_size)
				vlen = buf_size - 1;
			memcpy(buf, h, vlen);
			buf[vlen] = '\0';
			return buf;
		}
	}
	return NULL;
}

void http_raw_response_free(struct http_raw_response *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof *r);
}
