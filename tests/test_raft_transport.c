/*
 * test_raft_transport.c — the TCP raft_net (raft/transport.h) between real
 * transports on loopback: frames intact and in order, reconnect after a
 * restart, a dead or stalled peer never blocks the others, bulk frames
 * yield to control frames, the fault switch, bad frames and handshakes
 * refused, IPv6.  Raw sockets play misbehaving peers (they speak the
 * handshake through raft/transport_int.h).
 *
 * Nothing here asserts on time: every wait polls a condition up to a
 * generous deadline (10 s) and fails only if it never becomes true.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/crc32c.h"
#include "raft/transport.h"
#include "raft/transport_int.h"
#include "tests/testutil.h"

Suite *raft_transport_suite(void);

#define SRC_MAX 8
#define LOG_MAX 4096
#define T_DATA 64 /* frame type used for test data */
#define T_CTL 65  /* the control frame of the bulk test */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void nap(void)
{
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
}

/* Polls cond until true; fails the test after 10 s. */
#define WAIT_FOR(cond)                                                     \
	do {                                                               \
		uint64_t dl_ = now_ms() + 10000;                           \
		while (!(cond)) {                                          \
			ck_assert_msg(now_ms() < dl_, "timed out: %s", #cond); \
			nap();                                             \
		}                                                          \
	} while (0)

static void log_fn(void *ctx, enum kv_log_level level, const char *line)
{
	(void)ctx;
	if (test_env_u64("TR_VERBOSE", 0) || level >= KV_LOG_ERROR)
		fprintf(stderr, "[%d] transport: %s\n", (int)level, line);
}

/* ---- payloads checked by content ------------------------------------- */

/* u64 seq | u64 len | bytes from a generator seeded by seq. */
static void *payload_make(uint64_t seq, size_t len)
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

/* The receiving side: checks every frame, records the order. */
struct sink {
	pthread_mutex_t mu;
	bool contiguous; /* seqs from each source must be 0,1,2,... */
	bool any_order;  /* else: they must never go backwards */
	uint64_t next_seq[SRC_MAX];
	uint64_t count[SRC_MAX];
	uint64_t ctl_count;
	int errors;
	char err[256];
	uint64_t log[LOG_MAX]; /* type << 56 | seq, arrival order */
	size_t nlog;
	bool gate_closed; /* the first frame blocks until the gate opens */
	bool gate_hit;
	pthread_cond_t gate_cv;
};

static void sink_init(struct sink *s, bool contiguous)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->gate_cv, NULL);
	s->contiguous = contiguous;
}

static void sink_fail(struct sink *s, const char *msg, uint64_t from,
		      uint64_t seq)
{
	if (s->errors++ == 0)
		snprintf(s->err, sizeof s->err, "%s (from %llu seq %llu)", msg,
			 (unsigned long long)from, (unsigned long long)seq);
}

static void sink_recv(void *ctx, uint64_t from, uint8_t type,
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
		uint64_t dl = now_ms() + 10000;
		while (s->gate_closed && now_ms() < dl) {
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

static uint64_t sink_count(struct sink *s, uint64_t from)
{
	pthread_mutex_lock(&s->mu);
	uint64_t c = s->count[from];
	pthread_mutex_unlock(&s->mu);
	return c;
}

static uint64_t sink_next(struct sink *s, uint64_t from)
{
	pthread_mutex_lock(&s->mu);
	uint64_t n = s->next_seq[from];
	pthread_mutex_unlock(&s->mu);
	return n;
}

static bool sink_gate_hit(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	bool hit = s->gate_hit;
	pthread_mutex_unlock(&s->mu);
	return hit;
}

static void sink_check(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	int e = s->errors;
	char msg[256];
	memcpy(msg, s->err, sizeof msg);
	pthread_mutex_unlock(&s->mu);
	ck_assert_msg(e == 0, "%d receive errors, first: %s", e, msg);
}

/* ---- transports ------------------------------------------------------ */

static struct raft_transport *tr_start_opts(struct raft_transport_options *o,
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

static struct raft_transport *tr_start(uint64_t id, uint16_t *port)
{
	struct raft_transport_options o = {.id = id,
					   .cluster_id = 7,
					   .allow_faults = true,
					   .log_fn = log_fn};
	return tr_start_opts(&o, "127.0.0.1", port);
}

static void tr_peer(struct raft_transport *t, uint64_t id, uint16_t port)
{
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
	ck_assert_int_eq(raft_transport_set_peer(t, id, addr), 0);
}

static struct raft_transport_stats st(struct raft_transport *t)
{
	struct raft_transport_stats s;
	raft_transport_stats(t, &s);
	return s;
}

/* Sends, retrying while the queue is full (up to 10 s). */
static void send_retry(struct raft_transport *t, uint64_t to, uint8_t type,
		       const void *p, size_t len, bool bulk)
{
	uint64_t dl = now_ms() + 10000;
	int rc;
	while ((rc = raft_transport_send(t, to, type, p, len, bulk)) == -EAGAIN) {
		ck_assert_msg(now_ms() < dl, "queue to %llu never drained",
			      (unsigned long long)to);
		nap();
	}
	ck_assert_int_eq(rc, 0);
}

static void send_seq(struct raft_transport *t, uint64_t to, uint64_t seq,
		     size_t len)
{
	void *p = payload_make(seq, len);
	send_retry(t, to, T_DATA, p, len, false);
	free(p);
}

/* ---- raw sockets that play a peer ------------------------------------ */

static int raw_dial(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

static void raw_write(int fd, const void *b, size_t n)
{
	ck_assert_int_eq(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads exactly n bytes (10 s); false on EOF or error. */
static bool raw_read(int fd, void *b, size_t n)
{
	size_t got = 0;
	uint64_t dl = now_ms() + 10000;
	while (got < n && now_ms() < dl) {
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
static bool raw_closed(int fd)
{
	uint8_t b[256];
	uint64_t dl = now_ms() + 10000;
	while (now_ms() < dl) {
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
static int raw_handshake(uint16_t port, uint64_t cluster, uint64_t from,
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
static size_t raw_frame(uint8_t *out, uint8_t type, const void *p, uint32_t len)
{
	memset(out, 0, RT_HDR_LEN);
	memcpy(out, &len, 4); /* the tests run on little-endian Linux */
	out[4] = type;
	memcpy(out + RT_HDR_LEN, p, len);
	uint32_t crc = kv_crc32c_extend(kv_crc32c(out, 8), p, len);
	memcpy(out + 8, &crc, 4);
	return RT_HDR_LEN + len;
}

/* ---- tests ----------------------------------------------------------- */

START_TEST(test_parse_addr)
{
	char h[64];
	uint16_t p;
	ck_assert_int_eq(raft_transport_parse_addr("127.0.0.1:7001", h, 64, &p), 0);
	ck_assert_str_eq(h, "127.0.0.1");
	ck_assert_uint_eq(p, 7001);
	ck_assert_int_eq(raft_transport_parse_addr("[::1]:0", h, 64, &p), 0);
	ck_assert_str_eq(h, "::1");
	ck_assert_uint_eq(p, 0);
	ck_assert_int_eq(raft_transport_parse_addr("node-a:65535", h, 64, &p), 0);
	const char *bad[] = {"", ":1", "host", "host:", "host:65536", "::1:80",
			     "[::1]80", "[::1]:", "h:12a", "h:123456", "[]:1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(raft_transport_parse_addr(bad[i], h, 64, &p) ==
				      -EINVAL,
			      "accepted %s", bad[i]);
	ck_assert_int_eq(raft_transport_parse_addr("abcdefgh:1", h, 8, &p),
			 -EINVAL);
}
END_TEST

START_TEST(test_send_errors)
{
	uint16_t port = 0;
	struct raft_transport *t = tr_start(1, &port);
	char x = 0;
	ck_assert_int_eq(raft_transport_send(t, 2, T_DATA, &x, 1, false), -ENOENT);
	ck_assert_int_eq(raft_transport_set_peer(t, 1, "127.0.0.1:1"), -EINVAL);
	ck_assert_int_eq(raft_transport_set_peer(t, 0, "127.0.0.1:1"), -EINVAL);
	ck_assert_int_eq(raft_transport_set_peer(t, 2, "nonsense"), -EINVAL);
	ck_assert_int_eq(raft_transport_set_peer(t, 2, "127.0.0.1:1"), 0);
	/* Checked before anything is allocated. */
	ck_assert_int_eq(raft_transport_send(t, 2, T_DATA, &x,
					     RAFT_NET_FRAME_MAX + 1ul, false),
			 -EMSGSIZE);
	ck_assert_int_eq(raft_transport_send(t, 2, 0, &x, 1, false), -EINVAL);
	ck_assert_int_eq(raft_transport_send(t, 2, T_DATA, &x, 1, false), 0);
	ck_assert(!raft_transport_connected(t, 2));
	ck_assert_int_eq(raft_transport_remove_peer(t, 2), 0);
	ck_assert_int_eq(raft_transport_remove_peer(t, 2), -ENOENT);
	ck_assert_int_eq(raft_transport_send(t, 2, T_DATA, &x, 1, false), -ENOENT);
	WAIT_FOR(st(t).dropped_conn == 1); /* the queued frame */
	/* Start errors: no id, a bad address, a port already bound. */
	struct raft_transport *u = NULL;
	char busy[64];
	snprintf(busy, sizeof busy, "127.0.0.1:%u", port);
	struct raft_transport_options o = {.id = 0, .listen = "127.0.0.1:0"};
	ck_assert_int_eq(raft_transport_start(&o, &u), -EINVAL);
	o.id = 5;
	o.listen = "127.0.0.1";
	ck_assert_int_eq(raft_transport_start(&o, &u), -EINVAL);
	o.listen = busy;
	ck_assert_int_eq(raft_transport_start(&o, &u), -EADDRINUSE);
	ck_assert_ptr_null(u);
	struct raft_net net = raft_transport_net(t);
	ck_assert_ptr_eq(net.ctx, t);
	ck_assert_int_eq(net.send(net.ctx, 9, T_DATA, &x, 1, false), -ENOENT);
	ck_assert_uint_eq(net.bulk_room(net.ctx, 9), 0);
	raft_transport_stop(t);
	raft_transport_stop(NULL);
}
END_TEST

/* Three nodes, every direction, random sizes up to 3 MiB: every frame
 * arrives once, intact, in order. */
START_TEST(test_mesh_in_order)
{
	enum { N = 3, FRAMES = 60 };
	uint16_t port[N + 1] = {0};
	struct raft_transport *t[N + 1];
	struct sink s[N + 1];
	for (int i = 1; i <= N; i++) {
		t[i] = tr_start((uint64_t)i, &port[i]);
		sink_init(&s[i], true);
		raft_transport_set_receiver(t[i], sink_recv, &s[i]);
	}
	for (int i = 1; i <= N; i++)
		for (int j = 1; j <= N; j++)
			if (i != j)
				tr_peer(t[i], (uint64_t)j, port[j]);
	struct test_rng r;
	test_rng_init(&r, test_seed());
	uint64_t sent_bytes = 0;
	for (uint64_t seq = 0; seq < FRAMES; seq++) {
		for (int i = 1; i <= N; i++) {
			for (int j = 1; j <= N; j++) {
				if (i == j)
					continue;
				size_t len = 16 + test_rng_below(&r, 4096);
				if (test_rng_below(&r, 20) == 0)
					len = 16 + test_rng_below(&r, 3 << 20);
				send_seq(t[i], (uint64_t)j, seq, len);
				sent_bytes += len;
			}
		}
	}
	for (int j = 1; j <= N; j++)
		for (int i = 1; i <= N; i++)
			if (i != j)
				WAIT_FOR(sink_count(&s[j], (uint64_t)i) == FRAMES);
	uint64_t rx = 0;
	for (int i = 1; i <= N; i++) {
		sink_check(&s[i]);
		struct raft_transport_stats x = st(t[i]);
		ck_assert_uint_eq(x.frames_received, (N - 1) * FRAMES);
		ck_assert_uint_eq(x.bad_frames, 0);
		ck_assert_uint_eq(x.dropped_conn, 0); /* full: retried */
		rx += x.bytes_received;
		/* One connection per pair: each node sees N-1. */
		ck_assert_uint_eq(x.connects, N - 1);
		for (int j = 1; j <= N; j++)
			if (i != j)
				ck_assert(raft_transport_connected(t[i],
								   (uint64_t)j));
	}
	ck_assert_uint_eq(rx, sent_bytes);
	for (int i = 1; i <= N; i++)
		raft_transport_stop(t[i]);
}
END_TEST

/* A peer stopped and restarted on the same port is reconnected (whether
 * it is the dialing or the accepting side) and traffic resumes. */
START_TEST(test_restart_reconnects)
{
	uint16_t p1 = 0, p2 = 0;
	struct raft_transport *a = tr_start(1, &p1), *b = tr_start(2, &p2);
	struct sink sa, sb;
	sink_init(&sa, false);
	sink_init(&sb, false);
	raft_transport_set_receiver(a, sink_recv, &sa);
	raft_transport_set_receiver(b, sink_recv, &sb);
	tr_peer(a, 2, p2);
	tr_peer(b, 1, p1);
	send_seq(a, 2, 0, 100);
	WAIT_FOR(sink_count(&sb, 1) == 1);

	/* The accepting side (2) goes away; 1's sends just queue. */
	raft_transport_stop(b);
	WAIT_FOR(!raft_transport_connected(a, 2));
	send_seq(a, 2, 1, 200);
	sink_init(&sb, false);
	b = tr_start(2, &p2);
	raft_transport_set_receiver(b, sink_recv, &sb);
	tr_peer(b, 1, p1);
	for (uint64_t seq = 2; seq < 50; seq++)
		send_seq(a, 2, seq, 64 + seq);
	WAIT_FOR(sink_count(&sb, 1) > 0 && sink_next(&sb, 1) == 50);
	send_seq(b, 1, 0, 32);
	WAIT_FOR(sink_count(&sa, 2) == 1);
	ck_assert_uint_ge(st(a).connects, 2);

	/* The dialing side (1) goes away; 2 adopts its new connection. */
	raft_transport_stop(a);
	WAIT_FOR(!raft_transport_connected(b, 1));
	sink_init(&sa, false);
	a = tr_start(1, &p1);
	raft_transport_set_receiver(a, sink_recv, &sa);
	tr_peer(a, 2, p2);
	send_seq(b, 1, 1, 40);
	send_seq(a, 2, 100, 40);
	WAIT_FOR(sink_count(&sa, 2) == 1 && sink_count(&sb, 1) > 0 &&
		 sink_next(&sb, 1) == 101);
	sink_check(&sa);
	sink_check(&sb);
	ck_assert_uint_eq(st(b).bad_frames, 0);
	raft_transport_stop(a);
	raft_transport_stop(b);
}
END_TEST

/*
 * Node 1 has a dead peer 3 (nothing listens) and a stalled peer 4 (a raw
 * socket that shakes hands and never reads): their queues fill and send
 * says -EAGAIN at once, while frames to peer 2 keep flowing.
 */
START_TEST(test_dead_peer_does_not_block)
{
	uint16_t p1 = 0, p2 = 0, p3 = test_free_port();
	struct raft_transport_options o = {.id = 1,
					   .cluster_id = 7,
					   .queue_bytes = 1 << 20,
					   .log_fn = log_fn};
	struct raft_transport *a = tr_start_opts(&o, "127.0.0.1", &p1);
	struct raft_transport *b = tr_start(2, &p2);
	struct sink sb;
	sink_init(&sb, true);
	raft_transport_set_receiver(b, sink_recv, &sb);
	tr_peer(a, 2, p2);
	tr_peer(a, 3, p3);

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint16_t p4 = test_free_port();
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(p4)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	tr_peer(a, 4, p4);
	struct pollfd pf = {.fd = lfd, .events = POLLIN};
	ck_assert_int_eq(poll(&pf, 1, 10000), 1);
	int stalled = accept(lfd, NULL, NULL);
	ck_assert_int_ge(stalled, 0);
	uint8_t hb[RT_HELLO_LEN];
	struct rt_hello h;
	ck_assert(raw_read(stalled, hb, sizeof hb));
	ck_assert_int_eq(rt_hello_decode(hb, &h), 0);
	ck_assert_uint_eq(h.from, 1);
	ck_assert_uint_eq(h.to, 4);
	h = (struct rt_hello){.version = RT_VERSION, .cluster_id = 7,
			      .from = 4, .to = 1};
	rt_hello_encode(&h, hb);
	raw_write(stalled, hb, sizeof hb);
	WAIT_FOR(raft_transport_connected(a, 4));

	/* 64 KiB frames: the dead peer's 1 MiB queue is full after 16; the
	 * stalled one also fills the kernel's buffers first (bounded). */
	size_t len = 64 * 1024;
	void *big = payload_make(0, len);
	int full3 = 0, full4 = 0;
	for (int i = 0; i < 4000 && !(full3 && full4); i++) {
		if (!full3)
			full3 = raft_transport_send(a, 3, T_DATA, big, len,
						    false) == -EAGAIN;
		if (!full4) {
			int rc = raft_transport_send(a, 4, T_DATA, big, len,
						     false);
			full4 = rc == -EAGAIN;
			if (rc == 0 && i % 16 == 0)
				nap(); /* let the writer fill the socket */
		}
	}
	ck_assert_msg(full3 && full4, "queues never filled: %d %d", full3, full4);
	ck_assert_int_eq(raft_transport_send(a, 3, T_DATA, big, len, false),
			 -EAGAIN);
	ck_assert_uint_ge(st(a).dropped_full, 3);
	/* Peer 2 is unaffected. */
	for (uint64_t seq = 0; seq < 200; seq++)
		send_seq(a, 2, seq, 16 + (seq * 977) % 20000);
	WAIT_FOR(sink_count(&sb, 1) == 200);
	sink_check(&sb);
	ck_assert(!raft_transport_connected(a, 3));
	/* The stalled peer dies with unread data (an RST): writing to it
	 * must not raise SIGPIPE (which would kill this process). */
	close(stalled);
	for (int i = 0; i < 1000 && raft_transport_connected(a, 4); i++) {
		(void)raft_transport_send(a, 4, T_DATA, big, len, false);
		nap();
	}
	WAIT_FOR(!raft_transport_connected(a, 4));
	free(big);
	raft_transport_stop(a);
	raft_transport_stop(b);
	close(lfd);
}
END_TEST

/*
 * Bulk frames yield to control frames: with 48 bulk frames of 1 MiB
 * queued behind a receiver that is held up, a control frame sent next
 * overtakes every bulk frame still in the queue; at most the frames
 * already written to the socket (and the one half written) precede it.
 */
START_TEST(test_bulk_yields_to_control)
{
	enum { NB = 48 };
	size_t blen = 1 << 20;
	uint16_t p1 = 0, p2 = 0;
	struct raft_transport_options o = {.id = 1,
					   .cluster_id = 7,
					   .bulk_queue_bytes = 64u << 20,
					   .log_fn = log_fn};
	struct raft_transport *a = tr_start_opts(&o, "127.0.0.1", &p1);
	struct raft_transport *b = tr_start(2, &p2);
	struct sink sb;
	sink_init(&sb, true);
	sb.gate_closed = true;
	raft_transport_set_receiver(b, sink_recv, &sb);
	tr_peer(a, 2, p2);
	for (uint64_t i = 0; i < NB; i++) {
		void *p = payload_make(i, blen);
		ck_assert_int_eq(raft_transport_send(a, 2, T_DATA, p, blen, true),
				 0);
		free(p);
	}
	/* Wait until the receiver holds the first frame, so the rest backs
	 * up in the socket and the bulk queue. */
	WAIT_FOR(sink_gate_hit(&sb));
	void *c = payload_make(1000, 64);
	ck_assert_int_eq(raft_transport_send(a, 2, T_CTL, c, 64, false), 0);
	free(c);
	size_t room = raft_transport_bulk_room(a, 2);
	size_t queued_bytes = (64u << 20) - room;
	size_t frame = blen + RT_HDR_LEN;
	uint64_t queued = (queued_bytes + frame - 1) / frame;
	ck_assert_msg(queued >= NB / 2, "only %llu bulk frames still queued",
		      (unsigned long long)queued);
	uint64_t may_precede = NB - queued + 1;
	pthread_mutex_lock(&sb.mu);
	sb.gate_closed = false;
	pthread_cond_broadcast(&sb.gate_cv);
	pthread_mutex_unlock(&sb.mu);
	WAIT_FOR(sink_count(&sb, 1) == NB);
	sink_check(&sb);
	pthread_mutex_lock(&sb.mu);
	uint64_t before = 0;
	bool seen = false;
	for (size_t i = 0; i < sb.nlog && !seen; i++) {
		if (sb.log[i] >> 56 == T_CTL)
			seen = true;
		else
			before++;
	}
	pthread_mutex_unlock(&sb.mu);
	ck_assert(seen);
	ck_assert_msg(before <= may_precede,
		      "control frame behind %llu bulk frames (allowed %llu)",
		      (unsigned long long)before,
		      (unsigned long long)may_precede);
	/* Freed by the writer after sendmsg returns, maybe after delivery. */
	WAIT_FOR(raft_transport_bulk_room(a, 2) == 64u << 20);
	raft_transport_stop(a);
	raft_transport_stop(b);
}
END_TEST

/* drop_out drops at send, drop_in at receive, exactly those frames; the
 * other direction is untouched (an asymmetric partition). */
START_TEST(test_fault_switch)
{
	uint16_t p1 = 0, p2 = 0;
	struct raft_transport *a = tr_start(1, &p1), *b = tr_start(2, &p2);
	struct sink sa, sb;
	sink_init(&sa, false);
	sink_init(&sb, false);
	raft_transport_set_receiver(a, sink_recv, &sa);
	raft_transport_set_receiver(b, sink_recv, &sb);
	tr_peer(a, 2, p2);
	tr_peer(b, 1, p1);
	ck_assert_int_eq(raft_transport_set_fault(a, 9, true, true), -ENOENT);

	/* 1 -> 2 cut at 1's send side; 2 -> 1 still flows. */
	ck_assert_int_eq(raft_transport_set_fault(a, 2, true, false), 0);
	for (uint64_t seq = 0; seq < 10; seq++) {
		send_seq(a, 2, seq, 100);
		send_seq(b, 1, seq, 100);
	}
	ck_assert_uint_eq(st(a).dropped_fault_out, 10);
	WAIT_FOR(sink_count(&sa, 2) == 10);
	ck_assert_int_eq(raft_transport_set_fault(a, 2, false, false), 0);
	send_seq(a, 2, 10, 100); /* the marker: the first to arrive */
	WAIT_FOR(sink_count(&sb, 1) == 1);
	ck_assert_uint_eq(sink_next(&sb, 1), 11);

	/* 2 -> 1 cut at 1's receive side; 1 -> 2 still flows. */
	ck_assert_int_eq(raft_transport_set_fault(a, 2, false, true), 0);
	for (uint64_t seq = 20; seq < 30; seq++) {
		send_seq(b, 1, seq, 100);
		send_seq(a, 2, seq, 100);
	}
	WAIT_FOR(st(a).dropped_fault_in == 10);
	WAIT_FOR(sink_count(&sb, 1) == 11);
	ck_assert_uint_eq(sink_count(&sa, 2), 10);
	ck_assert_int_eq(raft_transport_set_fault(a, 2, false, false), 0);
	send_seq(b, 1, 30, 100);
	WAIT_FOR(sink_count(&sa, 2) == 11);
	ck_assert_uint_eq(sink_next(&sa, 2), 31);
	ck_assert(raft_transport_connected(a, 2)); /* faults keep the link */
	ck_assert_uint_eq(st(b).dropped_fault_in + st(b).dropped_fault_out, 0);
	sink_check(&sa);
	sink_check(&sb);
	raft_transport_stop(a);
	raft_transport_stop(b);

	/* Without allow_faults the switch is refused. */
	uint16_t p3 = 0;
	struct raft_transport_options o = {.id = 3, .cluster_id = 7};
	struct raft_transport *c = tr_start_opts(&o, "127.0.0.1", &p3);
	tr_peer(c, 4, p1);
	ck_assert_int_eq(raft_transport_set_fault(c, 4, true, true), -EPERM);
	raft_transport_stop(c);
}
END_TEST

/* A raw connection claiming to be node 1 sends a good frame then a bad
 * one; node 3 closes that connection only, node 2's link carries on. */
static void bad_frame_case(struct raft_transport *c, uint16_t pc,
			   struct raft_transport *b, struct sink *sc,
			   const uint8_t *bad, size_t badlen, uint64_t round)
{
	uint64_t bad_before = st(c).bad_frames;
	int fd;
	ck_assert_int_eq(raw_handshake(pc, 7, 1, 3, &fd), RT_OK);
	uint8_t *buf = malloc(RT_HDR_LEN + 64);
	void *p = payload_make(round, 64);
	size_t n = raw_frame(buf, T_DATA, p, 64);
	raw_write(fd, buf, n);
	WAIT_FOR(sink_count(sc, 1) == round + 1);
	raw_write(fd, bad, badlen);
	ck_assert(raw_closed(fd));
	ck_assert_uint_eq(st(c).bad_frames, bad_before + 1);
	WAIT_FOR(!raft_transport_connected(c, 1));
	close(fd);
	free(p);
	free(buf);
	/* Node 2 -> 3 still flows on its own connection. */
	send_seq(b, 3, round, 50);
	WAIT_FOR(sink_count(sc, 2) == round + 1);
	ck_assert(raft_transport_connected(c, 2));
}

START_TEST(test_bad_frames_close_one_connection)
{
	uint16_t p2 = 0, p3 = 0;
	struct raft_transport *b = tr_start(2, &p2), *c = tr_start(3, &p3);
	struct sink sc;
	sink_init(&sc, true);
	raft_transport_set_receiver(c, sink_recv, &sc);
	tr_peer(b, 3, p3);
	send_seq(b, 3, 0, 50);
	WAIT_FOR(sink_count(&sc, 2) == 1);
	pthread_mutex_lock(&sc.mu); /* bad_frame_case counts 2's from 0 */
	sc.next_seq[2] = 0;
	sc.count[2] = 0;
	pthread_mutex_unlock(&sc.mu);
	uint64_t conn_b = st(b).connects;

	uint8_t bad[RT_HDR_LEN + 64];
	uint8_t junk[64];
	memset(junk, 0x5a, sizeof junk);
	/* 1: checksum mismatch. */
	size_t n = raw_frame(bad, T_DATA, junk, 64);
	bad[RT_HDR_LEN + 3] ^= 1;
	bad_frame_case(c, p3, b, &sc, bad, n, 0);
	/* 2: absurd length (never allocated: the header is refused). */
	raw_frame(bad, T_DATA, junk, 64);
	memset(bad, 0xff, 4);
	bad_frame_case(c, p3, b, &sc, bad, RT_HDR_LEN, 1);
	/* 3: reserved bytes set. */
	n = raw_frame(bad, T_DATA, junk, 64);
	bad[6] = 1;
	bad_frame_case(c, p3, b, &sc, bad, n, 2);
	/* 4: type 0. */
	n = raw_frame(bad, 0, junk, 64);
	bad_frame_case(c, p3, b, &sc, bad, n, 3);

	/* Garbage instead of a handshake: closed, never a peer. */
	int fd = raw_dial(p3);
	uint8_t g[RT_HELLO_LEN];
	memset(g, 0x41, sizeof g);
	raw_write(fd, g, sizeof g);
	ck_assert(raw_closed(fd));
	close(fd);
	ck_assert_uint_eq(st(b).connects, conn_b); /* 2's link never broke */
	sink_check(&sc);
	raft_transport_stop(b);
	raft_transport_stop(c);
}
END_TEST

/* Handshakes refused: another cluster, the wrong node, the wrong
 * direction; a transport of another cluster never connects. */
START_TEST(test_handshake_refusals)
{
	uint16_t p1 = 0, p2 = 0, p3 = 0;
	struct raft_transport *a = tr_start(1, &p1), *c = tr_start(3, &p3);
	struct raft_transport_options o = {.id = 2,
					   .cluster_id = 8,
					   .log_fn = log_fn};
	struct raft_transport *b = tr_start_opts(&o, "127.0.0.1", &p2);
	struct sink sb;
	sink_init(&sb, false);
	raft_transport_set_receiver(b, sink_recv, &sb);
	tr_peer(a, 2, p2);
	send_seq(a, 2, 0, 20);
	WAIT_FOR(st(b).refused >= 1 && st(a).refused >= 1);
	ck_assert(!raft_transport_connected(a, 2));
	ck_assert_uint_eq(sink_count(&sb, 1), 0);
	ck_assert_uint_eq(st(a).connects + st(b).connects, 0);

	int fd;
	ck_assert_int_eq(raw_handshake(p3, 99, 1, 3, &fd), RT_REFUSE_CLUSTER);
	ck_assert(raw_closed(fd));
	close(fd);
	ck_assert_int_eq(raw_handshake(p3, 7, 1, 4, &fd), RT_REFUSE_NOT_ME);
	close(fd);
	ck_assert_int_eq(raw_handshake(p3, 7, 5, 3, &fd), RT_REFUSE_DIRECTION);
	close(fd);
	ck_assert_int_eq(raw_handshake(p3, 7, 3, 3, &fd), RT_REFUSE_DIRECTION);
	close(fd);
	WAIT_FOR(st(c).refused == 4);
	ck_assert_uint_eq(st(c).connects, 0);
	raft_transport_stop(a);
	raft_transport_stop(b);
	raft_transport_stop(c);
}
END_TEST

/* A node that was never told about a lower peer accepts it and can answer
 * it (a joining node); remove_peer and set_peer again resume traffic; a
 * new address is dialed. */
START_TEST(test_unknown_inbound_and_readdress)
{
	uint16_t p1 = 0, p2 = 0;
	struct raft_transport *a = tr_start(1, &p1), *b = tr_start(2, &p2);
	struct sink sa, sb;
	sink_init(&sa, false);
	sink_init(&sb, false);
	raft_transport_set_receiver(a, sink_recv, &sa);
	raft_transport_set_receiver(b, sink_recv, &sb);
	tr_peer(a, 2, p2);
	send_seq(a, 2, 0, 20);
	WAIT_FOR(sink_count(&sb, 1) == 1);
	send_seq(b, 1, 0, 20); /* 2 never called set_peer(1) */
	WAIT_FOR(sink_count(&sa, 2) == 1);

	ck_assert_int_eq(raft_transport_remove_peer(a, 2), 0);
	WAIT_FOR(!raft_transport_connected(b, 1));
	tr_peer(a, 2, p2);
	send_seq(a, 2, 1, 20);
	WAIT_FOR(sink_count(&sb, 1) == 2);

	/* Node 2 moves to another port; 1 is told and redials. */
	struct raft_transport *b2;
	uint16_t p2b = 0;
	struct sink sb2;
	sink_init(&sb2, false);
	raft_transport_stop(b);
	b2 = tr_start(2, &p2b);
	raft_transport_set_receiver(b2, sink_recv, &sb2);
	tr_peer(a, 2, p2b);
	send_seq(a, 2, 2, 20);
	WAIT_FOR(sink_count(&sb2, 1) >= 1);
	sink_check(&sa);
	sink_check(&sb);
	sink_check(&sb2);
	raft_transport_stop(a);
	raft_transport_stop(b2);
}
END_TEST

/* A dialer that stalls mid-handshake is closed after the handshake
 * timeout (2 s); a full handshake afterwards still works. */
START_TEST(test_handshake_timeout)
{
	uint16_t p2 = 0;
	struct raft_transport *b = tr_start(2, &p2);
	int fd = raw_dial(p2);
	uint8_t half[10] = {0};
	raw_write(fd, half, sizeof half);
	ck_assert(raw_closed(fd));
	close(fd);
	ck_assert_int_eq(raw_handshake(p2, 7, 1, 2, &fd), RT_OK);
	WAIT_FOR(raft_transport_connected(b, 1));
	close(fd);
	raft_transport_stop(b);
}
END_TEST

/* One frame larger than the queue bound enters an empty queue (so any
 * frame up to RAFT_NET_FRAME_MAX can be sent); nothing enters behind it. */
START_TEST(test_oversized_frame_empty_queue)
{
	uint16_t p1 = 0, p2 = 0, p3 = test_free_port();
	struct raft_transport_options o = {.id = 1,
					   .cluster_id = 7,
					   .queue_bytes = 64 * 1024,
					   .bulk_queue_bytes = 64 * 1024,
					   .log_fn = log_fn};
	struct raft_transport *a = tr_start_opts(&o, "127.0.0.1", &p1);
	struct raft_transport *b = tr_start(2, &p2);
	struct sink sb;
	sink_init(&sb, true);
	raft_transport_set_receiver(b, sink_recv, &sb);
	tr_peer(a, 2, p2);
	tr_peer(a, 3, p3); /* nothing listens there */
	size_t len = 1 << 20;
	void *big = payload_make(0, len);
	ck_assert_int_eq(raft_transport_send(a, 3, T_DATA, big, len, false), 0);
	ck_assert_int_eq(raft_transport_send(a, 3, T_DATA, big, 16, false),
			 -EAGAIN);
	ck_assert_int_eq(raft_transport_send(a, 3, T_DATA, big, len, true), 0);
	ck_assert_uint_eq(raft_transport_bulk_room(a, 3), 0);
	ck_assert_int_eq(raft_transport_send(a, 3, T_DATA, big, 16, true),
			 -EAGAIN);
	ck_assert_uint_eq(st(a).dropped_full, 2);
	for (uint64_t seq = 0; seq < 4; seq++) {
		void *p = payload_make(seq, len);
		send_retry(a, 2, T_DATA, p, len, false);
		free(p);
	}
	WAIT_FOR(sink_count(&sb, 1) == 4);
	sink_check(&sb);
	free(big);
	raft_transport_stop(a);
	raft_transport_stop(b);
}
END_TEST

/* ---- churn: concurrent senders while peers restart and links flap ---- */

struct churn_sender {
	struct raft_transport *t;
	uint64_t self, to[2];
	uint64_t next[2];        /* next seq per destination */
	atomic_bool stop;
	atomic_uint_least64_t calls;
	pthread_t thread;
};

static void *churn_main(void *arg)
{
	struct churn_sender *c = arg;
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ c->self);
	for (uint64_t i = 0; i < 10000000 && !atomic_load(&c->stop); i++) {
		int k = (int)test_rng_below(&r, 2);
		size_t len = 16 + test_rng_below(&r, 2000);
		if (test_rng_below(&r, 50) == 0)
			len = 16 + test_rng_below(&r, 300000);
		void *p = payload_make(c->next[k], len);
		int rc = raft_transport_send(c->t, c->to[k], T_DATA, p, len,
					     test_rng_below(&r, 4) == 0);
		free(p);
		ck_assert_msg(rc == 0 || rc == -EAGAIN || rc == -ENOENT,
			      "send: %d", rc);
		c->next[k]++; /* a dropped seq is a gap, never a repeat */
		atomic_fetch_add(&c->calls, 1);
		if (rc == -EAGAIN)
			nap();
	}
	return NULL;
}

static uint64_t churn_calls(struct churn_sender *c)
{
	return atomic_load(&c[0].calls) + atomic_load(&c[1].calls);
}

/* One random disturbance: a link flap, a peer forgotten and relearned,
 * or node 3 restarted (its sink checked and renewed). */
static void churn_event(struct raft_transport **t, struct sink *s,
			uint16_t *port, struct test_rng *r)
{
	switch (test_rng_below(r, 3)) {
	case 0: { /* flap a link */
		int n = 1 + (int)test_rng_below(r, 2);
		uint64_t peer = n == 1 ? 2 + test_rng_below(r, 2)
				       : 1 + 2 * test_rng_below(r, 2);
		ck_assert_int_eq(raft_transport_set_fault(
					 t[n], peer, test_rng_below(r, 2),
					 test_rng_below(r, 2)),
				 0);
		break;
	}
	case 1: /* forget a peer and learn it again */
		ck_assert_int_eq(raft_transport_remove_peer(t[1], 2), 0);
		tr_peer(t[1], 2, port[2]);
		break;
	default: /* restart node 3 */
		raft_transport_stop(t[3]);
		sink_check(&s[3]);
		sink_init(&s[3], false);
		s[3].any_order = true;
		t[3] = tr_start(3, &port[3]);
		raft_transport_set_receiver(t[3], sink_recv, &s[3]);
		break;
	}
}

/*
 * A link carries traffic again: a frame sent after the healing arrives.
 * A frame may still be lost while a connection replaced in the last
 * event is noticed (written to a socket the peer already closed), so a
 * new one is sent every 100 ms until one gets through (10 s at most).
 */
static void churn_heal_check(struct churn_sender *c, int k, struct sink *s)
{
	uint64_t first = c->next[k], last_send = 0;
	uint64_t dl = now_ms() + 10000;
	while (sink_next(s, c->self) <= first) {
		ck_assert_msg(now_ms() < dl, "link %llu -> %llu never healed",
			      (unsigned long long)c->self,
			      (unsigned long long)c->to[k]);
		if (now_ms() >= last_send + 100) {
			send_seq(c->t, c->to[k], c->next[k]++, 40);
			last_send = now_ms();
		}
		nap();
	}
}

/*
 * Nodes 1 and 2 send to each other and to 3 from their own threads
 * (bulk and control mixed) while the main thread flaps faults, removes
 * and re-adds peers and restarts node 3.  Order is not checked here
 * (control overtakes bulk; a removed peer's thread may still be handing
 * over frames of the old connection): every frame that arrives is intact,
 * nothing crashes or leaks, and after healing every link carries traffic.
 */
START_TEST(test_churn)
{
	uint16_t port[4] = {0};
	struct raft_transport *t[4];
	struct sink s[4];
	for (int i = 1; i <= 3; i++) {
		t[i] = tr_start((uint64_t)i, &port[i]);
		sink_init(&s[i], false);
		s[i].any_order = true;
		raft_transport_set_receiver(t[i], sink_recv, &s[i]);
	}
	tr_peer(t[1], 2, port[2]);
	tr_peer(t[1], 3, port[3]);
	tr_peer(t[2], 3, port[3]);
	tr_peer(t[2], 1, port[1]);
	struct churn_sender c[2] = {
		{.t = t[1], .self = 1, .to = {2, 3}},
		{.t = t[2], .self = 2, .to = {1, 3}},
	};
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&c[i].thread, NULL, churn_main,
						&c[i]), 0);
	struct test_rng r;
	test_rng_init(&r, test_seed() + 99);
	for (int ev = 0; ev < 40; ev++) {
		uint64_t before = churn_calls(c);
		churn_event(t, s, port, &r);
		WAIT_FOR(churn_calls(c) >= before + 50);
	}
	for (int i = 0; i < 2; i++) {
		atomic_store(&c[i].stop, true);
		pthread_join(c[i].thread, NULL);
	}
	/* Heal: no faults, and one more frame on every link gets through. */
	ck_assert_int_eq(raft_transport_set_fault(t[1], 2, false, false), 0);
	ck_assert_int_eq(raft_transport_set_fault(t[1], 3, false, false), 0);
	ck_assert_int_eq(raft_transport_set_fault(t[2], 1, false, false), 0);
	ck_assert_int_eq(raft_transport_set_fault(t[2], 3, false, false), 0);
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 2; k++)
			churn_heal_check(&c[i], k, &s[c[i].to[k]]);
	for (int i = 1; i <= 3; i++) {
		sink_check(&s[i]);
		ck_assert_uint_eq(st(t[i]).bad_frames, 0);
		raft_transport_stop(t[i]);
	}
}
END_TEST

START_TEST(test_ipv6_loopback)
{
	struct raft_transport_options o1 = {.id = 1, .cluster_id = 7,
					    .log_fn = log_fn};
	struct raft_transport_options o2 = o1;
	o2.id = 2;
	uint16_t p1 = test_free_port(), p2 = test_free_port();
	char addr[64];
	snprintf(addr, sizeof addr, "[::1]:%u", p1);
	o1.listen = addr;
	struct raft_transport *a = NULL, *b = NULL;
	int rc = raft_transport_start(&o1, &a);
	if (rc != 0) {
		fprintf(stderr, "test_ipv6_loopback: skipped (no ::1: %s)\n",
			strerror(-rc));
		return;
	}
	snprintf(addr, sizeof addr, "[::1]:%u", p2);
	o2.listen = addr;
	ck_assert_int_eq(raft_transport_start(&o2, &b), 0);
	struct sink sa, sb;
	sink_init(&sa, true);
	sink_init(&sb, true);
	raft_transport_set_receiver(a, sink_recv, &sa);
	raft_transport_set_receiver(b, sink_recv, &sb);
	ck_assert_int_eq(raft_transport_set_peer(a, 2, addr), 0);
	snprintf(addr, sizeof addr, "[::1]:%u", p1);
	ck_assert_int_eq(raft_transport_set_peer(b, 1, addr), 0);
	for (uint64_t seq = 0; seq < 20; seq++) {
		send_seq(a, 2, seq, 16 + seq * 1000);
		send_seq(b, 1, seq, 16 + seq * 100);
	}
	WAIT_FOR(sink_count(&sb, 1) == 20 && sink_count(&sa, 2) == 20);
	sink_check(&sa);
	sink_check(&sb);
	raft_transport_stop(a);
	raft_transport_stop(b);
}
END_TEST

Suite *raft_transport_suite(void)
{
	Suite *s = suite_create("raft_transport");
	TCase *tc = tcase_create("transport");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_parse_addr);
	tcase_add_test(tc, test_send_errors);
	tcase_add_test(tc, test_mesh_in_order);
	tcase_add_test(tc, test_restart_reconnects);
	tcase_add_test(tc, test_dead_peer_does_not_block);
	tcase_add_test(tc, test_bulk_yields_to_control);
	tcase_add_test(tc, test_fault_switch);
	tcase_add_test(tc, test_bad_frames_close_one_connection);
	tcase_add_test(tc, test_handshake_refusals);
	tcase_add_test(tc, test_unknown_inbound_and_readdress);
	tcase_add_test(tc, test_handshake_timeout);
	tcase_add_test(tc, test_oversized_frame_empty_queue);
	tcase_add_test(tc, test_churn);
	tcase_add_test(tc, test_ipv6_loopback);
	suite_add_tcase(s, tc);
	return s;
}
