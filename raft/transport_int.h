/*
 * transport_int.h — internals of raft/transport.c (API, peer table,
 * acceptor, handshake) and raft/transport_peer.c (the per-peer thread:
 * dial, write queues, read frames).  Not for use outside those files and
 * their tests.
 */
#ifndef VS_RAFT_TRANSPORT_INT_H
#define VS_RAFT_TRANSPORT_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "raft/transport.h"

#define RT_MAGIC 0x54525356u /* "VSRT" little-endian */
#define RT_VERSION 1
#define RT_HELLO_LEN 36
#define RT_HDR_LEN 12
#define RT_ADDR_MAX 272 /* host (NI_MAXHOST 1025 is overkill) + port */
#define RT_HOST_MAX 256
#define RT_QUEUE_DEFAULT (16u * 1024 * 1024)
#define RT_BACKOFF_MIN_MS 50
#define RT_BACKOFF_MAX_MS 1000
#define RT_DIAL_TIMEOUT_MS 2000
#define RT_HANDSHAKE_TIMEOUT_MS 2000
#define RT_PENDING_MAX 32 /* handshakes in progress at the acceptor */
#define RT_IOV_MAX 64     /* frames per writev */
#define RT_RX_MIN (64u * 1024)
#define RT_RX_KEEP (1024u * 1024) /* larger buffers are freed when idle */
#define RT_STEP_IOS 16            /* reads or writes per poll round */

/* Handshake refusal codes (status in the acceptor's reply). */
enum rt_refuse {
	RT_OK = 0,
	RT_REFUSE_CLUSTER = 1,   /* other cluster id */
	RT_REFUSE_VERSION = 2,   /* unknown protocol version */
	RT_REFUSE_NOT_ME = 3,    /* the dialer expected another node id */
	RT_REFUSE_DIRECTION = 4, /* dialer's id is not lower than ours */
};

/* A handshake message, both directions. */
struct rt_hello {
	uint16_t version;
	uint16_t status; /* enum rt_refuse; 0 in the dialer's hello */
	uint64_t cluster_id;
	uint64_t from; /* sender's node id */
	uint64_t to;   /* the node id the sender believes it talks to */
};
void rt_hello_encode(const struct rt_hello *h, uint8_t out[RT_HELLO_LEN]);
/* 0, or -EPROTO (bad magic or crc). */
int rt_hello_decode(const uint8_t in[RT_HELLO_LEN], struct rt_hello *h);
const char *rt_refuse_name(unsigned status);

/* One queued frame: header and payload in one allocation. */
struct rt_frame {
	struct rt_frame *next;
	size_t len; /* RT_HDR_LEN + payload */
	bool bulk;
	uint8_t buf[];
};

/* A FIFO bounded in bytes; bytes counts frames until they are freed. */
struct rt_queue {
	struct rt_frame *head, *tail;
	size_t bytes, max;
};

/* The receive buffer: bytes [start, end) of buf are unparsed. */
struct rt_rx {
	uint8_t *buf;
	size_t cap, start, end;
};

struct rt_peer {
	struct raft_transport *t; /* owner */
	uint64_t id;
	bool dialer; /* our id is lower: we dial this peer */
	pthread_t thread;
	int wake_fd; /* eventfd: send, set_peer, adopt, remove signal it */
	atomic_bool drop_out, drop_in, connected;
	atomic_bool retired; /* removed: deliver nothing more */
	struct rt_peer *next; /* in t->peers or t->dead */

	pthread_mutex_t mu; /* guards the fields up to the blank line */
	char addr[RT_ADDR_MAX]; /* "" when unknown (inbound-only peer) */
	uint64_t addr_gen;      /* bumped by set_peer */
	bool removed;           /* the thread must exit */
	bool exited;            /* the thread has exited (join is immediate) */
	int pending_fd;         /* handed over by the acceptor, or -1 */
	struct rt_queue ctl, bulk;
	struct rt_frame *cur; /* taken from a queue, being written */

	/* Owned by the peer thread. */
	int fd;
	size_t cur_off; /* bytes of cur already written */
	uint64_t conn_gen; /* addr_gen the connection was dialled with */
	struct rt_rx rx;
	uint32_t backoff_ms;
	uint64_t next_dial_ns;
	uint64_t rng;
};

struct rt_stats {
	atomic_uint_least64_t frames_sent, bytes_sent;
	atomic_uint_least64_t frames_received, bytes_received;
	atomic_uint_least64_t dropped_full, dropped_fault_out;
	atomic_uint_least64_t dropped_fault_in, dropped_conn;
	atomic_uint_least64_t dropped_no_receiver, bad_frames, refused;
	atomic_uint_least64_t connects, disconnects;
};

#define RT_COUNT(t, field, n)                                            \
	atomic_fetch_add_explicit(&(t)->stats.field, (uint64_t)(n),     \
				  memory_order_relaxed)

struct rt_pending {
	int fd; /* -1: free slot */
	size_t got;
	uint64_t deadline_ns;
	uint8_t buf[RT_HELLO_LEN];
};

struct raft_transport {
	struct raft_transport_options o; /* listen points into nowhere */
	int listen_fd;                   /* -1 without a listener */
	uint16_t port;
	int wake_fd; /* eventfd: stop signals the acceptor */
	atomic_bool stopping;
	pthread_t acceptor;
	bool acceptor_started;
	struct rt_pending pending[RT_PENDING_MAX]; /* acceptor thread only */

	pthread_mutex_t mu;    /* guards peers and dead */
	struct rt_peer *peers; /* live peers */
	struct rt_peer *dead;  /* removed, awaiting join */

	pthread_mutex_t recv_mu; /* guards recv_fn, recv_ctx */
	raft_net_recv_fn recv_fn;
	void *recv_ctx;

	struct rt_stats stats;
};

/* transport_wire.c */
/* A frame for the send queue: header built, payload copied.  NULL: ENOMEM. */
struct rt_frame *rt_frame_new(uint8_t type, const void *payload, size_t len,
			      bool bulk);
/* Validates a frame header (RT_HDR_LEN bytes): the frame's total length,
 * or -EPROTO (length over RAFT_NET_FRAME_MAX, type 0, reserved bits). */
ssize_t rt_frame_need(const uint8_t *h);
typedef void (*rt_frame_fn)(void *ctx, uint8_t type, const uint8_t *payload,
			    size_t len);
/*
 * Calls fn for every whole frame in rx (payload borrowed for the call) and
 * consumes it.  0, -EPROTO (bad header) or -EBADMSG (checksum): the stream
 * is then unusable.  An empty buffer larger than RT_RX_KEEP is freed.
 */
int rt_rx_parse(struct rt_rx *rx, rt_frame_fn fn, void *ctx);
/* Makes room after rx->end (allocates, compacts, or grows: see .c).
 * 0 or -ENOMEM.  Call only after rt_rx_parse returned 0. */
int rt_rx_room(struct rt_rx *rx);
/* Frees the buffer; rx is empty and reusable. */
void rt_rx_reset(struct rt_rx *rx);

/* transport.c */
void rt_log(struct raft_transport *t, enum kv_log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
uint64_t rt_now_ns(void);
void rt_wake(int efd);
void rt_drain(int efd);
void rt_frame_free(struct raft_transport *t, struct rt_peer *p,
		   struct rt_frame *f, bool dropped);
void rt_set_sockopts(int fd);

/* transport_peer.c */
void *rt_peer_main(void *arg);
/* Frees every queued frame (peer thread exited or never started). */
void rt_peer_drop_queues(struct rt_peer *p);

#endif /* VS_RAFT_TRANSPORT_INT_H */
