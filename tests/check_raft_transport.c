/*
 * check_raft_transport.c — the Check program of raft/transport (the TCP
 * raft_net) over real sockets on loopback, and the helpers its test files
 * share (tests/raft_transport_test.h).
 *
 * Nothing here asserts on time: every wait polls a condition up to a
 * generous deadline (10 s) and fails only if it never becomes true.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/crc32c.h"
#include "tests/raft_transport_test.h"

uint64_t tr_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void tr_nap(void)
{
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
}

void tr_log_fn(void *ctx, enum kv_log_level level, const char *line)
{
	(void)ctx;
	if (test_env_u64("TR_VERBOSE", 0) || level >= KV_LOG_ERROR)
		fprintf(stderr, "[%d] transport: %s\n", (int)level, line);
}

/* ---- payloads checked by content ------------------------------------- */

/* u64 seq | u64 len | bytes from a generator seeded by seq. */
void *payload_make(uint64_t seq, size_t len)
{
	ck_assert_uint_ge(len, 16);
	uint8_t *b = malloc(len);
	ck_assert_ptr_nonnull(b);
	memcpy(b, &seq, 8);
	uint64_t l = len;
	memcpy(b + 8, &l, 8);
	struct test_rng r;
	test_rng_init(&r, seq * 0x9e3779b97f4a7c15u + 7);
	test_rng_bytes(&r, b + 16, len - 16);
	return b;
}

void sink_init(struct sink *s, bool contiguous)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->gate_cv, NULL);
	s->contiguous = contiguous;
}

void sink_fail(struct sink *s, const char *msg, uint64_t from,
		      uint64_t seq)
{
	if (s->errors++ == 0)
		snprintf(s->err, sizeof s->err, "%s (from %llu seq %llu)", msg,
			 (unsigned long long)from, (unsigned long long)seq);
}

void sink_recv(void *ctx, uint64_t from, uint8_t type,
		      const void *payload, size_t len)
{
	struct sink *s = ctx;
	uint64_t seq = 0, l = 0;
	bool ok = len >= 16;
	if (ok) {
		memcpy(&seq, payload, 8);
		memcpy(&l, (const uint8_t *)payload + 8, 8);
		void *want = payload_make(seq, len);
		ok = l == len && memcmp(want, payload, len) == 0;
		free(want);
	}
	pthread_mutex_lock(&s->mu);
	if (s->gate_closed) {
		s->gate_hit = true;
		uint64_t dl = tr_now_ms() + 10000;
		while (s->gate_closed && tr_now_ms() < dl) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&s->gate_cv, &s->mu, &ts);
		}
	}
	if (!ok)
		sink_fail(s, "payload corrupt", from, seq);
	else if (from >= SRC_MAX)
		sink_fail(s, "bad source", from, seq);
	else if (type == T_CTL)
		s->ctl_count++;
	else if (s->contiguous && seq != s->next_seq[from])
		sink_fail(s, "out of order", from, seq);
	else if (!s->contiguous && !s->any_order && seq < s->next_seq[from])
		sink_fail(s, "went backwards", from, seq);
	if (ok && from < SRC_MAX && type != T_CTL) {
		if (seq + 1 > s->next_seq[from])
			s->next_seq[from] = seq + 1;
		s->count[from]++;
	}
	if (s->nlog < LOG_MAX)
		s->log[s->nlog++] = (uint64_t)type << 56 | seq;
	pthread_mutex_unlock(&s->mu);
}

uint64_t sink_count(struct sink *s, uint64_t from)
{
	pthread_mutex_lock(&s->mu);
	uint64_t c = s->count[from];
	pthread_mutex_unlock(&s->mu);
	return c;
}

uint64_t sink_next(struct sink *s, uint64_t from)
{
	pthread_mutex_lock(&s->mu);
	uint64_t n = s->next_seq[from];
	pthread_mutex_unlock(&s->mu);
	return n;
}

bool sink_gate_hit(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	bool hit = s->gate_hit;
	pthread_mutex_unlock(&s->mu);
	return hit;
}

void sink_check(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	int e = s->errors;
	char msg[256];
	memcpy(msg, s->err, sizeof msg);
	pthread_mutex_unlock(&s->mu);
	ck_assert_msg(e == 0, "%d receive errors, first: %s", e, msg);
}

/* ---- transports ------------------------------------------------------ */

struct raft_transport *tr_start_opts(struct raft_transport_options *o,
					    const char *host, uint16_t *port)
{
	char addr[128];
	for (int attempt = 0; attempt < 20; attempt++) {
		uint16_t p = *port ? *port : test_free_port();
		snprintf(addr, sizeof addr, strchr(host, ':') ? "[%s]:%u" : "%s:%u",
			 host, p);
		o->listen = addr;
		struct raft_transport *t = NULL;
		int rc = raft_transport_start(o, &t);
		if (rc == 0) {
			ck_assert_uint_eq(raft_transport_port(t), p);
			*port = p;
			return t;
		}
		ck_assert_msg(rc == -EADDRINUSE && *port == 0,
			      "start on %s: %s", addr, strerror(-rc));
	}
	ck_abort_msg("no free port");
	return NULL;
}

struct raft_transport *tr_start(uint64_t id, uint16_t *port)
{
	struct raft_transport_options o = {.id = id,
					   .cluster_id = 7,
					   .allow_faults = true,
					   .log_fn = tr_log_fn};
	return tr_start_opts(&o, "127.0.0.1", port);
}

void tr_peer(struct raft_transport *t, uint64_t id, uint16_t port)
{
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
	ck_assert_int_eq(raft_transport_set_peer(t, id, addr), 0);
}

struct raft_transport_stats tr_stats(struct raft_transport *t)
{
	struct raft_transport_stats s;
	raft_transport_stats(t, &s);
	return s;
}

/* Sends, retrying while the queue is full (up to 10 s). */
void send_retry(struct raft_transport *t, uint64_t to, uint8_t type,
		       const void *p, size_t len, bool bulk)
{
	uint64_t dl = tr_now_ms() + 10000;
	int rc;
	while ((rc = raft_transport_send(t, to, type, p, len, bulk)) == -EAGAIN) {
		ck_assert_msg(tr_now_ms() < dl, "queue to %llu never drained",
			      (unsigned long long)to);
		tr_nap();
	}
	ck_assert_int_eq(rc, 0);
}

void send_seq(struct raft_transport *t, uint64_t to, uint64_t seq,
		     size_t len)
{
	void *p = payload_make(seq, len);
	send_retry(t, to, T_DATA, p, len, false);
	free(p);
}

/* ---- raw sockets that play a peer ------------------------------------ */

int raw_dial(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

void raw_write(int fd, const void *b, size_t n)
{
	ck_assert_int_eq(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads exactly n bytes (10 s); false on EOF or error. */
bool raw_read(int fd, void *b, size_t n)
{
	size_t got = 0;
	uint64_t dl = tr_now_ms() + 10000;
	while (got < n && tr_now_ms() < dl) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t r = recv(fd, (uint8_t *)b + got, n - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return got == n;
}

/* True once the other side has closed fd (EOF or reset), within 10 s. */
bool raw_closed(int fd)
{
	uint8_t b[256];
	uint64_t dl = tr_now_ms() + 10000;
	while (tr_now_ms() < dl) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t r = recv(fd, b, sizeof b, 0);
		if (r <= 0)
			return true;
	}
	return false;
}

/* Dials port as node `from` expecting node `to`; returns the reply status
 * (or -1 if the connection closed without one); *fdp is the socket. */
int raw_handshake(uint16_t port, uint64_t cluster, uint64_t from,
			 uint64_t to, int *fdp)
{
	int fd = raw_dial(port);
	struct rt_hello h = {.version = RT_VERSION,
			     .cluster_id = cluster,
			     .from = from,
			     .to = to};
	uint8_t b[RT_HELLO_LEN];
	rt_hello_encode(&h, b);
	raw_write(fd, b, sizeof b);
	*fdp = fd;
	struct rt_hello r;
	if (!raw_read(fd, b, sizeof b) || rt_hello_decode(b, &r) != 0)
		return -1;
	if (r.status == RT_OK)
		ck_assert_uint_eq(r.from, to);
	return r.status;
}

/* A frame as the wire format in transport.h says. */
size_t raw_frame(uint8_t *out, uint8_t type, const void *p, uint32_t len)
{
	memset(out, 0, RT_HDR_LEN);
	memcpy(out, &len, 4); /* the tests run on little-endian Linux */
	out[4] = type;
	memcpy(out + RT_HDR_LEN, p, len);
	uint32_t crc = kv_crc32c_extend(kv_crc32c(out, 8), p, len);
	memcpy(out + 8, &crc, 4);
	return RT_HDR_LEN + len;
}

int main(void)
{
	Suite *suites[] = {raft_transport_suite(), raft_transport_faults_suite()};
	return test_run_suites(suites, 2);
}
