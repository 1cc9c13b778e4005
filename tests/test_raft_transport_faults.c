/*
 * test_raft_transport_faults.c — the transport under faults: the test
 * fault switch, bad frames and handshakes from raw sockets (each closes
 * only its own connection), refusals, a stalled handshake, peers unknown
 * or re-addressed, and churn (concurrent senders while links flap, peers
 * are removed and nodes restart).
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
	ck_assert_uint_eq(tr_stats(a).dropped_fault_out, 10);
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
	WAIT_FOR(tr_stats(a).dropped_fault_in == 10);
	WAIT_FOR(sink_count(&sb, 1) == 11);
	ck_assert_uint_eq(sink_count(&sa, 2), 10);
	ck_assert_int_eq(raft_transport_set_fault(a, 2, false, false), 0);
	send_seq(b, 1, 30, 100);
	WAIT_FOR(sink_count(&sa, 2) == 11);
	ck_assert_uint_eq(sink_next(&sa, 2), 31);
	ck_assert(raft_transport_connected(a, 2)); /* faults keep the link */
	ck_assert_uint_eq(tr_stats(b).dropped_fault_in + tr_stats(b).dropped_fault_out, 0);
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
	uint64_t bad_before = tr_stats(c).bad_frames;
	int fd;
	ck_assert_int_eq(raw_handshake(pc, 7, 1, 3, &fd), RT_OK);
	uint8_t *buf = malloc(RT_HDR_LEN + 64);
	void *p = payload_make(round, 64);
	size_t n = raw_frame(buf, T_DATA, p, 64);
	raw_write(fd, buf, n);
	WAIT_FOR(sink_count(sc, 1) == round + 1);
	raw_write(fd, bad, badlen);
	ck_assert(raw_closed(fd));
	ck_assert_uint_eq(tr_stats(c).bad_frames, bad_before + 1);
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
	uint64_t conn_b = tr_stats(b).connects;

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
	ck_assert_uint_eq(tr_stats(b).connects, conn_b); /* 2's link never broke */
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
					   .log_fn = tr_log_fn};
	struct raft_transport *b = tr_start_opts(&o, "127.0.0.1", &p2);
	struct sink sb;
	sink_init(&sb, false);
	raft_transport_set_receiver(b, sink_recv, &sb);
	tr_peer(a, 2, p2);
	send_seq(a, 2, 0, 20);
	WAIT_FOR(tr_stats(b).refused >= 1 && tr_stats(a).refused >= 1);
	ck_assert(!raft_transport_connected(a, 2));
	ck_assert_uint_eq(sink_count(&sb, 1), 0);
	ck_assert_uint_eq(tr_stats(a).connects + tr_stats(b).connects, 0);

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
	WAIT_FOR(tr_stats(c).refused == 4);
	ck_assert_uint_eq(tr_stats(c).connects, 0);
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
			tr_nap();
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
	uint64_t dl = tr_now_ms() + 10000;
	while (sink_next(s, c->self) <= first) {
		ck_assert_msg(tr_now_ms() < dl, "link %llu -> %llu never healed",
			      (unsigned long long)c->self,
			      (unsigned long long)c->to[k]);
		if (tr_now_ms() >= last_send + 100) {
			send_seq(c->t, c->to[k], c->next[k]++, 40);
			last_send = tr_now_ms();
		}
		tr_nap();
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
		ck_assert_uint_eq(tr_stats(t[i]).bad_frames, 0);
		raft_transport_stop(t[i]);
	}
}
END_TEST


Suite *raft_transport_faults_suite(void)
{
	Suite *s = suite_create("raft_transport_faults");
	TCase *tc = tcase_create("faults");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fault_switch);
	tcase_add_test(tc, test_bad_frames_close_one_connection);
	tcase_add_test(tc, test_handshake_refusals);
	tcase_add_test(tc, test_unknown_inbound_and_readdress);
	tcase_add_test(tc, test_handshake_timeout);
	tcase_add_test(tc, test_churn);
	suite_add_tcase(s, tc);
	return s;
}
