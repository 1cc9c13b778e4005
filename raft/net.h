/*
 * net.h — the seam between the Raft node driver (raft/node.h) and the
 * network that carries its frames between nodes.
 *
 * The driver sends typed frames to peers through a struct raft_net and
 * receives frames through a raft_net_recv_fn it registers.  The real
 * implementation is TCP (raft/transport.h); tests may plug in an in-memory
 * one.  A frame is (type, payload); the types are the driver's business
 * (enum raft_frame_type below), the network treats them as opaque bytes.
 *
 * Delivery: best effort, in order per (sender, receiver) pair while a
 * connection lasts; frames may be lost when a connection breaks or a send
 * queue is full.  Raft tolerates loss; everything above it retries.
 */
#ifndef VS_RAFT_NET_H
#define VS_RAFT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Frame types used by raft/node.c.  The network does not interpret them. */
enum raft_frame_type {
	RAFT_FRAME_MSG = 1,          /* a raft_msg in raft/codec.h's encoding */
	RAFT_FRAME_PROPOSE = 2,      /* follower -> leader: forwarded proposal */
	RAFT_FRAME_PROPOSE_NACK = 3, /* leader -> follower: not proposed, retry */
	RAFT_FRAME_SNAP_CHUNK = 4,   /* leader -> follower: snapshot bytes */
	RAFT_FRAME_SNAP_ACK = 5,     /* follower -> leader: snapshot progress */
	RAFT_FRAME_APP_MIN = 64,     /* 64..255: free for other users */
};

/* Largest payload of one frame (a snapshot chunk or an APPEND fits). */
#define RAFT_NET_FRAME_MAX (80u * 1024 * 1024)

/*
 * Called by the network, on one of its threads, for every frame received
 * from peer `from`.  payload is borrowed for the call.  Must not block for
 * long (copy, queue, return).
 */
typedef void (*raft_net_recv_fn)(void *ctx, uint64_t from, uint8_t type,
				 const void *payload, size_t len);

struct raft_net {
	void *ctx;
	/*
	 * Queues a frame for peer `to` and returns at once: 0, -EAGAIN (that
	 * peer's queue is full: the frame is dropped), -ENOENT (unknown peer),
	 * -EMSGSIZE (len > RAFT_NET_FRAME_MAX).  bulk frames (snapshot chunks)
	 * go in a separate queue that yields to the others, so a snapshot in
	 * flight never delays heartbeats.  The payload is copied.
	 */
	int (*send)(void *ctx, uint64_t to, uint8_t type, const void *payload,
		    size_t len, bool bulk);
	/* Free bytes in peer `to`'s bulk queue (0 if unknown or full). */
	size_t (*bulk_room)(void *ctx, uint64_t to);
	/* Adds or re-addresses a peer ("host:port").  0 or -errno. */
	int (*set_peer)(void *ctx, uint64_t id, const char *addr);
	/* Forgets a peer, closing its connection.  0 or -ENOENT. */
	int (*remove_peer)(void *ctx, uint64_t id);
	/* Whether a connection to the peer is established now (status only). */
	bool (*connected)(void *ctx, uint64_t id);
};

#endif /* VS_RAFT_NET_H */
