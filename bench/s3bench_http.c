/*
 * s3bench_http.c — one HTTP/1.1 keep-alive connection of the load tool
 * (s3bench.h): requests signed with SigV4 header auth by the gateway's own
 * signer (gateway/sigv4.h), bodies streamed from a producer, responses read
 * with Content-Length or chunked framing (RFC 9112 §6-7) into a sink.
 */
#include "bench/s3bench.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "engine/assert.h"
#include "gateway/sigv4.h"

#define RBUF_BYTES (256u << 10) /* response buffer; bounds a header block */
#define SBUF_BYTES (256u << 10) /* request body block */
#define LINE_MAX_BYTES 8192
#define IO_TIMEOUT_S 300
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3b_conn {
	const struct s3b_endpoint *ep; /* borrowed; outlives the connection */
	int fd;                        /* -1: not connected */
	char *rbuf, *sbuf;
	size_t rpos, rlen;
	uint64_t connects; /* successful connects: 1 unless the server closed */
};

static int conn_connect(struct s3b_conn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	int one = 1;
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(c->fd, (const struct sockaddr *)&c->ep->addr, sizeof c->ep->addr) != 0) {
		int rc = -errno;
		close(c->fd);
		c->fd = -1;
		return rc;
	}
	c->rpos = c->rlen = 0;
	c->connects++;
	return 0;
}

static void conn_close(struct s3b_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rpos = c->rlen = 0;
}

int s3b_conn_new(const struct s3b_endpoint *ep, struct s3b_conn **out)
{
	struct s3b_conn *c = calloc(1, sizeof *c);
	if (c == NULL)
		return -ENOMEM;
	c->ep = ep;
	c->fd = -1;
	c->rbuf = malloc(RBUF_BYTES);
	c->sbuf = malloc(SBUF_BYTES);
	int rc = c->rbuf && c->sbuf ? conn_connect(c) : -ENOMEM;
	if (rc != 0) {
		s3b_conn_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

uint64_t s3b_conn_connects(const struct s3b_conn *c)
{
	return c->connects;
}

void s3b_conn_free(struct s3b_conn *c)
{
	if (c == NULL)
		return;
	conn_close(c);
	free(c->rbuf);
	free(c->sbuf);
	free(c);
}

static int send_all(int fd, const char *p, size_t len, bool more)
{
	while (len > 0) { /* bounded: each pass sends >= 1 byte or fails */
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The hex SHA-256 of the whole body, produced once more by rq->fill. */
static int body_sha256(struct s3b_conn *c, const struct s3b_request *rq, char *hex)
{
	if (rq->body_bytes == 0) {
		strcpy(hex, EMPTY_SHA256);
		return 0;
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	int rc = 0;
	for (uint64_t off = 0; rc == 0 && off < rq->body_bytes; off += SBUF_BYTES) {
		size_t n = rq->body_bytes - off < SBUF_BYTES ? rq->body_bytes - off : SBUF_BYTES;
		rc = rq->fill(rq->fill_arg, off, c->sbuf, n);
		if (rc == 0 && EVP_DigestUpdate(md, c->sbuf, n) != 1)
			rc = -EIO;
	}
	unsigned char d[32];
	unsigned dl = 0;
	if (rc == 0 && EVP_DigestFinal_ex(md, d, &dl) != 1)
		rc = -EIO;
	EVP_MD_CTX_free(md);
	for (unsigned i = 0; rc == 0 && i < 32; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
	return rc;
}

/* The request line and headers, signed; length into *len. */
static int build_head(struct s3b_conn *c, const struct s3b_request *rq, char *out,
		      size_t cap, size_t *len)
{
	const struct s3b_endpoint *ep = c->ep;
	char date[32], hash[SIGV4_HEX_LEN + 1], auth[1024];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
	int rc = 0;
	if (ep->payload_sha256)
		rc = body_sha256(c, rq, hash);
	else
		strcpy(hash, "UNSIGNED-PAYLOAD");
	if (rc != 0)
		return rc;
	auth[0] = '\0';
	if (ep->access_key != NULL) {
		struct sigv4_header hs[] = {{"host", ep->host},
					    {"x-amz-content-sha256", hash},
					    {"x-amz-date", date}};
		struct sigv4_request r = {rq->method, rq->target, hs, 3};
		struct sigv4_signer s = {ep->access_key, ep->secret_key, ep->region, "s3", date};
		char value[900];
		rc = sigv4_sign_header(&s, &r, hash, value, sizeof value, NULL);
		if (rc != 0)
			return rc;
		snprintf(auth, sizeof auth, "Authorization: %s\r\n", value);
	}
	bool has_body = rq->body_bytes > 0 || !strcmp(rq->method, "PUT") ||
			!strcmp(rq->method, "POST");
	char cl[64] = "";
	if (has_body)
		snprintf(cl, sizeof cl, "Content-Length: %llu\r\n",
			 (unsigned long long)rq->body_bytes);
	int n = snprintf(out, cap,
			 "%s %s HTTP/1.1\r\nHost: %s\r\nx-amz-date: %s\r\n"
			 "x-amz-content-sha256: %s\r\n%s%s\r\n",
			 rq->method, rq->target, ep->host, date, hash, auth, cl);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	*len = (size_t)n;
	return 0;
}

static int send_request(struct s3b_conn *c, const struct s3b_request *rq)
{
	char head[4096 + 1024];
	size_t hl = 0;
	int rc = build_head(c, rq, head, sizeof head, &hl);
	if (rc == 0)
		rc = send_all(c->fd, head, hl, rq->body_bytes > 0);
	for (uint64_t off = 0; rc == 0 && off < rq->body_bytes; off += SBUF_BYTES) {
		size_t n = rq->body_bytes - off < SBUF_BYTES ? rq->body_bytes - off : SBUF_BYTES;
		rc = rq->fill(rq->fill_arg, off, c->sbuf, n);
		if (rc == 0)
			rc = send_all(c->fd, c->sbuf, n, off + n < rq->body_bytes);
	}
	return rc;
}

/* Reads more bytes into rbuf; >0 bytes read, 0 at EOF, or -errno. */
static ssize_t fill_more(struct s3b_conn *c)
{
	if (c->rpos == c->rlen)
		c->rpos = c->rlen = 0;
	if (c->rlen == RBUF_BYTES && c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	if (c->rlen == RBUF_BYTES)
		return -E2BIG;
	for (;;) { /* retries only EINTR */
		ssize_t n = recv(c->fd, c->rbuf + c->rlen, RBUF_BYTES - c->rlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		c->rlen += (size_t)n;
		return n;
	}
}

/* The next CRLF-terminated line (terminator dropped) into line. */
static int read_line(struct s3b_conn *c, char *line, size_t cap)
{
	for (;;) { /* bounded by RBUF_BYTES of buffered input */
		char *s = c->rbuf + c->rpos;
		char *e = memmem(s, c->rlen - c->rpos, "\r\n", 2);
		if (e != NULL) {
			size_t n = (size_t)(e - s);
			if (n >= cap)
				return -E2BIG;
			memcpy(line, s, n);
			line[n] = '\0';
			c->rpos += n + 2;
			return 0;
		}
		ssize_t r = fill_more(c);
		if (r <= 0)
			return r == 0 ? -ECONNRESET : (int)r;
	}
}

/* Passes exactly n body bytes to rq's sink. */
static int read_body(struct s3b_conn *c, const struct s3b_request *rq, uint64_t n,
		     uint64_t *got)
{
	while (n > 0) { /* bounded: each pass consumes >= 1 byte or fails */
		if (c->rpos == c->rlen) {
			ssize_t r = fill_more(c);
			if (r <= 0)
				return r == 0 ? -ECONNRESET : (int)r;
		}
		size_t avail = c->rlen - c->rpos;
		size_t take = avail < n ? avail : (size_t)n;
		if (rq->sink != NULL) {
			int rc = rq->sink(rq->sink_arg, c->rbuf + c->rpos, take);
			if (rc != 0)
				return rc;
		}
		c->rpos += take;
		n -= take;
		*got += take;
	}
	return 0;
}

static int read_chunked(struct s3b_conn *c, const struct s3b_request *rq, uint64_t *got)
{
	char line[LINE_MAX_BYTES];
	for (;;) { /* bounded by the response: each chunk consumes input */
		int rc = read_line(c, line, sizeof line);
		if (rc != 0)
			return rc;
		char *end = NULL;
		unsigned long long size = strtoull(line, &end, 16);
		if (end == line)
			return -EPROTO;
		if (size == 0)
			break;
		rc = read_body(c, rq, size, got);
		if (rc == 0)
			rc = read_line(c, line, sizeof line);
		if (rc != 0 || line[0] != '\0')
			return rc != 0 ? rc : -EPROTO;
	}
	do { /* trailer section up to the empty line */
		int rc = read_line(c, line, sizeof line);
		if (rc != 0)
			return rc;
	} while (line[0] != '\0');
	return 0;
}

struct head_info {
	int status;
	bool chunked, close, has_length;
	uint64_t length;
};

/* Status line and headers; skips interim 1xx responses. */
static int read_head(struct s3b_conn *c, struct head_info *h)
{
	char line[LINE_MAX_BYTES];
	for (int interim = 0; interim < 4; interim++) {
		*h = (struct head_info){0};
		int rc = read_line(c, line, sizeof line);
		if (rc != 0)
			return rc;
		if (strncmp(line, "HTTP/1.", 7) != 0 || strlen(line) < 12)
			return -EPROTO;
		h->status = atoi(line + 9);
		for (int i = 0; i < 200; i++) { /* at most 200 header lines */
			if ((rc = read_line(c, line, sizeof line)) != 0)
				return rc;
			if (line[0] == '\0')
				break;
			char *v = strchr(line, ':');
			if (v == NULL)
				return -EPROTO;
			*v++ = '\0';
			v += strspn(v, " \t");
			if (!strcasecmp(line, "content-length")) {
				h->has_length = true;
				h->length = strtoull(v, NULL, 10);
			} else if (!strcasecmp(line, "transfer-encoding")) {
				h->chunked = strcasestr(v, "chunked") != NULL;
			} else if (!strcasecmp(line, "connection")) {
				h->close = strcasestr(v, "close") != NULL;
			}
		}
		if (h->status >= 200)
			return 0;
	}
	return -EPROTO;
}

static int exchange(struct s3b_conn *c, const struct s3b_request *rq,
		    struct s3b_response *out, bool *nothing_read)
{
	*nothing_read = false;
	int rc = send_request(c, rq);
	if (rc != 0) {
		*nothing_read = true;
		return rc;
	}
	struct head_info h;
	rc = read_head(c, &h);
	if (rc != 0) {
		*nothing_read = rc == -ECONNRESET && c->rlen == 0;
		return rc;
	}
	uint64_t got = 0;
	bool bodiless = !strcmp(rq->method, "HEAD") || h.status == 204 || h.status == 304;
	if (bodiless)
		rc = 0;
	else if (h.chunked)
		rc = read_chunked(c, rq, &got);
	else if (h.has_length)
		rc = read_body(c, rq, h.length, &got);
	else
		return -EPROTO; /* close-delimited bodies are not used by our servers */
	if (rc != 0)
		return rc;
	if (h.close)
		conn_close(c);
	out->status = h.status;
	out->body_bytes = got;
	return 0;
}

int s3b_conn_do(struct s3b_conn *c, const struct s3b_request *rq,
		struct s3b_response *out)
{
	ASSERT(rq->body_bytes == 0 || rq->fill != NULL);
	bool fresh = c->fd < 0;
	if (fresh) {
		int rc = conn_connect(c);
		if (rc != 0)
			return rc;
	}
	bool nothing_read = false;
	int rc = exchange(c, rq, out, &nothing_read);
	if (rc != 0 && nothing_read && !fresh) {
		/* The server closed an idle kept-alive connection: retry once. */
		conn_close(c);
		rc = conn_connect(c);
		if (rc == 0)
			rc = exchange(c, rq, out, &nothing_read);
	}
	if (rc != 0)
		conn_close(c);
	return rc;
}
