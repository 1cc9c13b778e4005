/*
 * transport.h — the TCP implementation of struct raft_net (raft/net.h):
 * framed, checksummed messages between the nodes of one cluster.
 *
 * Wire: after a handshake, each direction is a stream of frames
 *     u32 payload length | u8 type | u8 0 | u16 0 | u32 crc | payload
 * all little-endian; crc is CRC32C (engine/crc32c.h) of the first 8 header
 * bytes followed by the payload.  A frame whose length exceeds
 * RAFT_NET_FRAME_MAX, whose reserved bytes are not zero, whose type is 0
 * or whose crc does not match closes that connection (and only that one);
 * the receive buffer grows with the bytes that actually arrive, so an
 * absurd or lying length is never allocated up front.
 *
 * One connection per peer pair: the node with the lower id dials, the
 * higher one accepts, and both directions share the connection.  The
 * handshake (magic, version, cluster id, the dialer's id and the id it
 * expects to reach) is answered by the acceptor with its own (or a refusal
 * code), so a wrong cluster, a misaddressed peer or a dial in the wrong
 * direction is refused before any frame flows.  An inbound connection
 * from an id that set_peer never named is accepted (a peer without an
 * address is created), so a node joining with an id above the cluster's
 * is reachable before it knows the others' addresses; a node must know
 * the address of every peer with a higher id than its own.  A new inbound
 * connection from a peer replaces its old one.  The dialer reconnects
 * with exponential backoff, 50 ms doubling to 1 s, jittered to [b/2, b].
 *
 * Threads: one acceptor thread (listen socket plus the handshakes in
 * progress, at most 32, each given 2 s) and one thread per peer that owns
 * that peer's connection: it dials, writes queued frames with writev and
 * reads frames, calling the receiver on that thread with the payload
 * borrowed from its buffer for the call.  Sockets are non-blocking and
 * each peer thread waits in poll() on its socket and an eventfd that
 * send() signals, so nothing ever waits on another peer.  ≤ 16 nodes is
 * the intended scale (a thread each).
 *
 * Queues: each peer has a control queue and a bulk queue, each bounded in
 * bytes (frames plus headers); send() copies the frame once into its
 * queue and never blocks: a full queue returns -EAGAIN (frame dropped and
 * counted).  One frame larger than the bound is accepted into an empty
 * queue, so any frame up to RAFT_NET_FRAME_MAX can be sent.  Queued frames
 * wait across a reconnect; a frame cut by a broken connection is lost.
 * The writer takes a bulk frame only when the control queue is empty and
 * nothing is half written, so control frames wait at most for one bulk
 * frame already on the wire (yield at frame granularity).  Order is kept
 * within each queue; a control frame may overtake earlier bulk frames.
 *
 * SIGPIPE: writes use sendmsg(MSG_NOSIGNAL); TCP_NODELAY and keepalive
 * (5 s idle, 3 probes 2 s apart) are set on every connection.
 *
 * Trust: the network between nodes is trusted.  The cluster id guards
 * against misconfiguration, not attack: there is no authentication or
 * encryption, and a connection claiming a node id replaces that node's.
 * Addresses may be names; they are resolved (blocking) on the peer
 * thread at each dial, and a listener binds the first address its host
 * resolves to.
 *
 * Build: part of raft/libraft.a; a program that uses it also links
 * engine/libengine.a $(ENGINE_LIBS) (CRC32C) and -pthread.
 */
#ifndef VS_RAFT_TRANSPORT_H
#define VS_RAFT_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/kv.h"
#include "raft/net.h"

struct raft_transport; /* opaque */

struct raft_transport_options {
	uint64_t id;             /* this node, > 0 */
	const char *listen;      /* "host:port", "[v6]:port"; port 0: any free.
				    NULL: no listener (dial only) */
	uint64_t cluster_id;     /* the handshake refuses other clusters */
	size_t queue_bytes;      /* per peer, control frames; 0: 16 MiB */
	size_t bulk_queue_bytes; /* per peer, bulk frames; 0: 16 MiB */
	bool allow_faults;       /* enables raft_transport_set_fault (tests) */
	/* Optional; called from the transport's threads, one line each,
	   without a "transport:" prefix (the caller adds its own). */
	void (*log_fn)(void *log_ctx, enum kv_log_level level,
		       const char *line);
	void *log_ctx;
};

/*
 * Binds the listener and starts the acceptor thread.  0 and *out, or
 * -errno (-EINVAL for a bad address or id, -EADDRINUSE, ...).  The options
 * are copied.  Frames received before a receiver is set are dropped.
 */
int raft_transport_start(const struct raft_transport_options *o,
			 struct raft_transport **out);

/*
 * Sets the function called for each received frame (any thread may call
 * this, typically once before the first set_peer).  fn runs on a peer
 * thread; it must not call raft_transport_stop.
 */
void raft_transport_set_receiver(struct raft_transport *t,
				 raft_net_recv_fn fn, void *ctx);

/* The struct raft_net over t (ctx = t); valid until raft_transport_stop. */
struct raft_net raft_transport_net(struct raft_transport *t);

/* The port the listener is bound to (the chosen one when asked for 0). */
uint16_t raft_transport_port(const struct raft_transport *t);

/*
 * The struct raft_net operations, also callable directly; any thread.
 * send: 0, -EAGAIN (queue full, dropped), -ENOENT, -EMSGSIZE, -EINVAL
 * (type 0).  A frame dropped by the fault switch returns 0, like a frame
 * lost on the wire.  set_peer: -EINVAL for a bad address or id == own id.
 * remove_peer closes the connection and drops the queues; a frame being
 * delivered on that peer's thread may still be in its callback.
 */
int raft_transport_send(struct raft_transport *t, uint64_t to, uint8_t type,
			const void *payload, size_t len, bool bulk);
size_t raft_transport_bulk_room(struct raft_transport *t, uint64_t to);
int raft_transport_set_peer(struct raft_transport *t, uint64_t id,
			    const char *addr);
int raft_transport_remove_peer(struct raft_transport *t, uint64_t id);
bool raft_transport_connected(struct raft_transport *t, uint64_t id);

/*
 * Test fault switch: drop_out drops frames to `peer` at send, drop_in
 * drops frames from it at receive (after reading them whole).  A symmetric
 * partition is both on both sides, an asymmetric one a single side.  The
 * connection stays up.  0, -EPERM unless options.allow_faults, -ENOENT.
 */
int raft_transport_set_fault(struct raft_transport *t, uint64_t peer,
			     bool drop_out, bool drop_in);

/* Counters since start, over all peers (monotonic). */
struct raft_transport_stats {
	uint64_t frames_sent, bytes_sent;         /* fully written */
	uint64_t frames_received, bytes_received; /* delivered (payload) */
	uint64_t dropped_full;      /* send() -EAGAIN */
	uint64_t dropped_fault_out; /* fault switch, at send */
	uint64_t dropped_fault_in;  /* fault switch, at receive */
	uint64_t dropped_conn;      /* cut by a broken connection, or queued
				       when the peer was removed/stopped */
	uint64_t dropped_no_receiver;
	uint64_t bad_frames;        /* connections closed on a bad frame */
	uint64_t refused;           /* handshakes refused (either side) */
	uint64_t connects;          /* connections established */
	uint64_t disconnects;       /* established connections lost */
};
void raft_transport_stats(const struct raft_transport *t,
			  struct raft_transport_stats *out);

/*
 * Stops every thread (joined: no callback runs after this returns),
 * closes the sockets and frees t.  NULL is accepted.  Must not be called
 * from the receiver, nor while holding a lock the receiver takes.
 */
void raft_transport_stop(struct raft_transport *t);

/*
 * Parses "host:port" / "[v6]:port" into host (NUL-terminated) and port.
 * 0 or -EINVAL.  Exposed for the tests and the configuration code.
 */
int raft_transport_parse_addr(const char *addr, char *host, size_t host_cap,
			      uint16_t *port);

#endif /* VS_RAFT_TRANSPORT_H */
