/*
 * raft_transport_test.h — what the transport's test files share (defined in
 * check_raft_transport.c): content-checked payloads, a receiving sink that
 * verifies every frame and records arrival order, transports on loopback
 * ports below 32768, and raw sockets that play a (misbehaving) peer.
 */
#ifndef VS_TESTS_RAFT_TRANSPORT_TEST_H
#define VS_TESTS_RAFT_TRANSPORT_TEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "raft/transport.h"
#include "raft/transport_int.h"
#include "tests/testutil.h"

#define SRC_MAX 8
#define LOG_MAX 4096
#define T_DATA 64 /* frame type used for test data */
#define T_CTL 65  /* the control frame of the bulk test */

/* Polls cond until true; fails the test after 10 s. */
#define WAIT_FOR(cond)                                                     \
	do {                                                               \
		uint64_t dl_ = tr_now_ms() + 10000;                           \
		while (!(cond)) {                                          \
			ck_assert_msg(tr_now_ms() < dl_, "timed out: %s", #cond); \
			tr_nap();                                             \
		}                                                          \
	} while (0)

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

uint64_t tr_now_ms(void);
void tr_nap(void); /* 1 ms, between polls of a condition */
/* Prints transport log lines with VERISTORE_TR_VERBOSE=1 (errors always). */
void tr_log_fn(void *ctx, enum kv_log_level level, const char *line);

/* u64 seq | u64 len | bytes from a generator seeded by seq; caller frees. */
void *payload_make(uint64_t seq, size_t len);

void sink_init(struct sink *s, bool contiguous);
void sink_fail(struct sink *s, const char *msg, uint64_t from, uint64_t seq);
/* A raft_net_recv_fn with ctx = struct sink. */
void sink_recv(void *ctx, uint64_t from, uint8_t type, const void *payload,
	       size_t len);
uint64_t sink_count(struct sink *s, uint64_t from);
uint64_t sink_next(struct sink *s, uint64_t from);
bool sink_gate_hit(struct sink *s);
/* Fails the test if any received frame was corrupt or out of order. */
void sink_check(struct sink *s);

/* Starts a transport on host, *port (0: a free port below 32768, retried
 * on EADDRINUSE); *port receives the port.  o->listen is overwritten. */
struct raft_transport *tr_start_opts(struct raft_transport_options *o,
				     const char *host, uint16_t *port);
/* Node id of cluster 7 on 127.0.0.1, faults allowed. */
struct raft_transport *tr_start(uint64_t id, uint16_t *port);
void tr_peer(struct raft_transport *t, uint64_t id, uint16_t port);
struct raft_transport_stats tr_stats(struct raft_transport *t);
/* Sends, retrying while the queue is full (10 s); asserts success. */
void send_retry(struct raft_transport *t, uint64_t to, uint8_t type,
		const void *p, size_t len, bool bulk);
void send_seq(struct raft_transport *t, uint64_t to, uint64_t seq, size_t len);

int raw_dial(uint16_t port);
void raw_write(int fd, const void *b, size_t n);
/* Reads exactly n bytes (10 s); false on EOF or error. */
bool raw_read(int fd, void *b, size_t n);
/* True once the other side has closed fd (EOF or reset), within 10 s. */
bool raw_closed(int fd);
/* Dials port as node `from` expecting node `to`: the reply's status, or -1
 * if the connection closed without one; *fdp is the socket. */
int raw_handshake(uint16_t port, uint64_t cluster, uint64_t from, uint64_t to,
		  int *fdp);
/* A frame as transport.h's wire format says, into out (RT_HDR_LEN + len). */
size_t raw_frame(uint8_t *out, uint8_t type, const void *p, uint32_t len);

Suite *raft_transport_suite(void);
Suite *raft_transport_faults_suite(void);

#endif /* VS_TESTS_RAFT_TRANSPORT_TEST_H */
