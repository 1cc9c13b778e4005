/*
 * test_raft_transport.c — the TCP raft_net (raft/transport.h) between real
 * transports on loopback: addresses and errors, frames intact and in
 * order across a 3-node mesh, reconnect after a restart, a dead or
 * stalled peer never blocks the others, bulk frames yield to control
 * frames, one oversized frame per empty queue, IPv6.
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/raft_transport_test.h"

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
	WAIT_FOR(tr_stats(t).dropped_conn == 1); /* the queued frame */
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
		struct raft_transport_stats x = tr_stats(t[i]);
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
	ck_assert_uint_ge(tr_stats(a).connects, 2);

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
	ck_assert_uint_eq(tr_stats(b).bad_frames, 0);
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
					   .log_fn = tr_log_fn};
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
				tr_nap(); /* let the writer fill the socket */
		}
	}
	ck_assert_msg(full3 && full4, "queues never filled: %d %d", full3, full4);
	ck_assert_int_eq(raft_transport_send(a, 3, T_DATA, big, len, false),
			 -EAGAIN);
	ck_assert_uint_ge(tr_stats(a).dropped_full, 3);
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
		tr_nap();
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
					   .log_fn = tr_log_fn};
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
START_TEST(test_oversized_frame_empty_queue)
{
	uint16_t p1 = 0, p2 = 0, p3 = test_free_port();
	struct raft_transport_options o = {.id = 1,
					   .cluster_id = 7,
					   .queue_bytes = 64 * 1024,
					   .bulk_queue_bytes = 64 * 1024,
					   .log_fn = tr_log_fn};
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
	ck_assert_uint_eq(tr_stats(a).dropped_full, 2);
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

START_TEST(test_ipv6_loopback)
{
	struct raft_transport_options o1 = {.id = 1, .cluster_id = 7,
					    .log_fn = tr_log_fn};
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
	tcase_add_test(tc, test_oversized_frame_empty_queue);
	tcase_add_test(tc, test_ipv6_loopback);
	suite_add_tcase(s, tc);
	return s;
}
