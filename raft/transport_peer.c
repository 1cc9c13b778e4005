/*
 * transport_peer.c — the thread that owns one peer's connection: it dials
 * (when our id is the lower) with backoff, adopts connections the acceptor
 * hands over, writes the peer's queued frames with writev (control frames
 * first, a bulk frame only when no control frame waits) and reads whole
 * frames, handing each to the receiver.  See transport.h for the design.
 *
 * Everything here runs on the peer thread except rt_peer_drop_queues,
 * which runs after the thread has been joined.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine/assert.h"
#include "raft/transport_int.h"

static bool peer_removed(struct rt_peer *p)
{
	pthread_mutex_lock(&p->mu);
	bool r = p->removed;
	pthread_mutex_unlock(&p->mu);
	return r;
}

/* Jittered delay in [b/2, b] ms, so that nodes restarted together do not
 * redial in lockstep. */
static uint64_t backoff_ns(struct rt_peer *p)
{
	p->rng = p->rng * 6364136223846793005u + 1442695040888963407u;
	uint64_t b = p->backoff_ms;
	uint64_t ms = b / 2 + (p->rng >> 33) % (b / 2 + 1);
	return ms * 1000000u;
}

/* ---- connection lifecycle -------------------------------------------- */

static void conn_adopt(struct rt_peer *p, int fd);

static void conn_close(struct rt_peer *p, const char *why)
{
	struct raft_transport *t = p->t;
	ASSERT(p->fd >= 0);
	close(p->fd);
	p->fd = -1;
	atomic_store(&p->connected, false);
	RT_COUNT(t, disconnects, 1);
	pthread_mutex_lock(&p->mu);
	/* The rest of a half-written frame would be garbage on a new
	 * connection: drop it.  Unstarted frames wait for the next one. */
	if (p->cur != NULL && p->cur_off > 0) {
		rt_frame_free(t, p, p->cur, true);
		p->cur = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	p->cur_off = 0;
	p->rx.start = p->rx.end = 0; /* a partial frame dies with its stream */
	p->backoff_ms = RT_BACKOFF_MIN_MS;
	p->next_dial_ns = rt_now_ns() + backoff_ns(p);
	if (why != NULL)
		rt_log(t, KV_LOG_INFO, "node %llu: connection lost: %s",
		       (unsigned long long)p->id, why);
}

static void conn_adopt(struct rt_peer *p, int fd)
{
	if (p->fd >= 0)
		conn_close(p, "replaced by a new connection");
	p->fd = fd;
	p->backoff_ms = RT_BACKOFF_MIN_MS;
	atomic_store(&p->connected, true);
	RT_COUNT(p->t, connects, 1);
	rt_log(p->t, KV_LOG_INFO, "node %llu: connected",
	       (unsigned long long)p->id);
}

/*
 * Waits until fd is ready for events, the deadline passes (-ETIMEDOUT) or
 * the peer is removed (-ECANCELED).  Used while dialling only.
 */
static int wait_fd(struct rt_peer *p, int fd, short events, uint64_t deadline)
{
	for (int guard = 0; guard < 1000000; guard++) {
		uint64_t now = rt_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd pf[2] = {{.fd = fd, .events = events},
				       {.fd = p->wake_fd, .events = POLLIN}};
		int n = poll(pf, 2, (int)((deadline - now) / 1000000 + 1));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && pf[1].revents) {
			rt_drain(p->wake_fd);
			if (peer_removed(p))
				return -ECANCELED;
		}
		if (n > 0 && pf[0].revents)
			return 0;
	}
	return -ETIMEDOUT;
}

/* Connects a non-blocking socket to host:port; the fd or -errno. */
static int dial_connect(struct rt_peer *p, const char *host, uint16_t port,
			uint64_t deadline)
{
	char ps[8];
	snprintf(ps, sizeof ps, "%u", port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res;
	if (getaddrinfo(host, ps, &hints, &res) != 0)
		return -EHOSTUNREACH;
	int rc = -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family,
				SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			rc = errno == EINPROGRESS ? wait_fd(p, fd, POLLOUT,
							    deadline)
						  : -errno;
			int err = 0;
			socklen_t el = sizeof err;
			if (rc == 0 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
			    err != 0)
				rc = -err;
		} else {
			rc = 0;
		}
		if (rc == 0) {
			freeaddrinfo(res);
			return fd;
		}
		close(fd);
		if (rc == -ECANCELED)
			break;
	}
	freeaddrinfo(res);
	return rc;
}

/* Sends our hello and checks the acceptor's answer.  0 or -errno. */
static int dial_handshake(struct rt_peer *p, int fd, uint64_t deadline)
{
	struct raft_transport *t = p->t;
	struct rt_hello h = {.version = RT_VERSION,
			     .cluster_id = t->o.cluster_id,
			     .from = t->o.id,
			     .to = p->id};
	uint8_t buf[RT_HELLO_LEN];
	rt_hello_encode(&h, buf);
	/* An empty, just-connected socket takes 36 bytes at once. */
	if (send(fd, buf, sizeof buf, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)sizeof buf)
		return -EIO;
	size_t got = 0;
	while (got < sizeof buf) {
		int rc = wait_fd(p, fd, POLLIN, deadline);
		if (rc != 0)
			return rc;
		ssize_t n = recv(fd, buf + got, sizeof buf - got, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0)
			got += (size_t)n;
	}
	struct rt_hello r;
	if (rt_hello_decode(buf, &r) != 0)
		return -EPROTO;
	if (r.status != RT_OK) {
		RT_COUNT(t, refused, 1);
		rt_log(t, KV_LOG_WARN, "node %llu refused us: %s",
		       (unsigned long long)p->id, rt_refuse_name(r.status));
		return -ECONNREFUSED;
	}
	if (r.from != p->id || r.to != t->o.id ||
	    r.cluster_id != t->o.cluster_id || r.version != RT_VERSION) {
		RT_COUNT(t, refused, 1);
		rt_log(t, KV_LOG_WARN,
		       "node %llu answered as node %llu of cluster "
		       "%llu: closed",
		       (unsigned long long)p->id, (unsigned long long)r.from,
		       (unsigned long long)r.cluster_id);
		return -ECONNREFUSED;
	}
	return 0;
}

static void dial(struct rt_peer *p, const char *addr, uint64_t gen)
{
	char host[RT_HOST_MAX];
	uint16_t port;
	uint64_t deadline = rt_now_ns() + RT_DIAL_TIMEOUT_MS * 1000000ull;
	int fd = -EINVAL, rc = -EINVAL;
	if (raft_transport_parse_addr(addr, host, sizeof host, &port) == 0)
		fd = dial_connect(p, host, port, deadline);
	if (fd >= 0) {
		rt_set_sockopts(fd);
		rc = dial_handshake(p, fd, deadline);
	} else {
		rc = fd;
	}
	if (rc == 0) {
		p->conn_gen = gen;
		conn_adopt(p, fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	if (rc == -ECANCELED)
		return;
	p->next_dial_ns = rt_now_ns() + backoff_ns(p);
	rt_log(p->t, KV_LOG_DEBUG, "node %llu at %s: dial: %s",
	       (unsigned long long)p->id, addr, strerror(-rc));
	p->backoff_ms *= 2;
	if (p->backoff_ms > RT_BACKOFF_MAX_MS)
		p->backoff_ms = RT_BACKOFF_MAX_MS;
}

/* ---- reading --------------------------------------------------------- */

/* An rt_frame_fn: one whole, checked frame from peer ctx. */
static void deliver(void *ctx, uint8_t type, const uint8_t *payload,
		    size_t len)
{
	struct rt_peer *p = ctx;
	struct raft_transport *t = p->t;
	if (atomic_load(&p->drop_in)) {
		RT_COUNT(t, dropped_fault_in, 1);
		return;
	}
	if (atomic_load(&p->retired)) { /* removed while frames were buffered */
		RT_COUNT(t, dropped_conn, 1);
		return;
	}
	pthread_mutex_lock(&t->recv_mu);
	raft_net_recv_fn fn = t->recv_fn;
	void *rctx = t->recv_ctx;
	pthread_mutex_unlock(&t->recv_mu);
	if (fn == NULL) {
		RT_COUNT(t, dropped_no_receiver, 1);
		return;
	}
	fn(rctx, p->id, type, payload, len);
	RT_COUNT(t, frames_received, 1);
	RT_COUNT(t, bytes_received, len);
}

static int conn_read(struct rt_peer *p)
{
	struct rt_rx *rx = &p->rx;
	for (int i = 0; i < RT_STEP_IOS; i++) {
		int rc = rt_rx_room(rx);
		if (rc != 0)
			return rc;
		size_t room = rx->cap - rx->end;
		ssize_t n = recv(p->fd, rx->buf + rx->end, room, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		rx->end += (size_t)n;
		rc = rt_rx_parse(rx, deliver, p);
		if (rc == -EPROTO || rc == -EBADMSG) {
			RT_COUNT(p->t, bad_frames, 1);
			rt_log(p->t, KV_LOG_WARN,
			       "node %llu: %s: connection closed",
			       (unsigned long long)p->id,
			       rc == -EPROTO ? "bad frame header"
					     : "frame checksum mismatch");
		}
		if (rc != 0)
			return rc;
		if ((size_t)n < room)
			return 0; /* drained for now */
	}
	return 0;
}

/* ---- writing --------------------------------------------------------- */

/* Caller holds p->mu. */
static struct rt_frame *queue_pop(struct rt_queue *q)
{
	struct rt_frame *f = q->head;
	if (f != NULL) {
		q->head = f->next;
		if (q->head == NULL)
			q->tail = NULL;
		f->next = NULL;
	}
	return f;
}

/* Caller holds p->mu.  Retires w written bytes: cur, then control frames
 * in the order write_round put them in the iovec. */
static void consume(struct rt_peer *p, size_t w)
{
	struct raft_transport *t = p->t;
	while (w > 0) {
		if (p->cur == NULL) {
			p->cur = queue_pop(&p->ctl);
			p->cur_off = 0;
			ASSERT(p->cur != NULL);
		}
		size_t left = p->cur->len - p->cur_off;
		if (w < left) {
			p->cur_off += w;
			return;
		}
		w -= left;
		RT_COUNT(t, frames_sent, 1);
		RT_COUNT(t, bytes_sent, p->cur->len - RT_HDR_LEN);
		rt_frame_free(t, p, p->cur, false);
		p->cur = NULL;
		p->cur_off = 0;
	}
}

/*
 * One writev of cur and the control frames behind it.  1 if everything
 * offered was written (call again), 0 if the socket is full or nothing is
 * queued, -errno on a broken connection.
 */
static int write_round(struct rt_peer *p)
{
	struct iovec iov[RT_IOV_MAX];
	int n = 0;
	size_t total = 0;
	pthread_mutex_lock(&p->mu);
	if (p->cur == NULL) {
		/* Bulk only when no control frame waits (frame granularity). */
		p->cur = queue_pop(&p->ctl);
		if (p->cur == NULL)
			p->cur = queue_pop(&p->bulk);
		p->cur_off = 0;
	}
	if (p->cur != NULL) {
		iov[n++] = (struct iovec){p->cur->buf + p->cur_off,
					  p->cur->len - p->cur_off};
		for (struct rt_frame *f = p->ctl.head; f && n < RT_IOV_MAX;
		     f = f->next)
			iov[n++] = (struct iovec){f->buf, f->len};
	}
	pthread_mutex_unlock(&p->mu);
	if (n == 0)
		return 0;
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
	ssize_t w = sendmsg(p->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	pthread_mutex_lock(&p->mu);
	consume(p, (size_t)w);
	pthread_mutex_unlock(&p->mu);
	return (size_t)w == total ? 1 : 0;
}

static int conn_write(struct rt_peer *p)
{
	for (int i = 0; i < RT_STEP_IOS; i++) {
		int rc = write_round(p);
		if (rc <= 0)
			return rc;
	}
	return 0;
}

static bool has_output(struct rt_peer *p)
{
	pthread_mutex_lock(&p->mu);
	bool out = p->cur != NULL || p->ctl.head != NULL ||
		   p->bulk.head != NULL;
	pthread_mutex_unlock(&p->mu);
	return out;
}

/* One poll round on a live connection. */
static void conn_step(struct rt_peer *p)
{
	short ev = POLLIN | (has_output(p) ? POLLOUT : 0);
	struct pollfd pf[2] = {{.fd = p->wake_fd, .events = POLLIN},
			       {.fd = p->fd, .events = ev}};
	if (poll(pf, 2, -1) < 0)
		return; /* EINTR */
	if (pf[0].revents)
		rt_drain(p->wake_fd);
	int rc = 0;
	if (pf[1].revents & (POLLIN | POLLHUP | POLLERR))
		rc = conn_read(p);
	/* Written optimistically: a wake usually means new frames and the
	 * socket is usually writable; EAGAIN puts POLLOUT in the next poll. */
	if (rc == 0)
		rc = conn_write(p);
	if (rc != 0)
		conn_close(p, rc == -EPROTO || rc == -EBADMSG ? "bad frame"
							 : strerror(-rc));
}

/* ---- the thread ------------------------------------------------------ */

static void wait_idle(struct rt_peer *p, bool timed)
{
	int ms = -1;
	if (timed) {
		uint64_t now = rt_now_ns();
		ms = p->next_dial_ns > now
			     ? (int)((p->next_dial_ns - now) / 1000000 + 1)
			     : 0;
	}
	struct pollfd pf = {.fd = p->wake_fd, .events = POLLIN};
	if (poll(&pf, 1, ms) > 0)
		rt_drain(p->wake_fd);
}

void *rt_peer_main(void *arg)
{
	struct rt_peer *p = arg;
	char addr[RT_ADDR_MAX];
	for (;;) {
		pthread_mutex_lock(&p->mu);
		bool removed = p->removed;
		int pend = p->pending_fd;
		p->pending_fd = -1;
		memcpy(addr, p->addr, sizeof addr);
		uint64_t gen = p->addr_gen;
		pthread_mutex_unlock(&p->mu);
		if (removed) {
			if (pend >= 0)
				close(pend);
			break;
		}
		if (pend >= 0)
			conn_adopt(p, pend);
		if (p->fd >= 0 && p->dialer && gen != p->conn_gen) {
			conn_close(p, "peer re-addressed");
			p->next_dial_ns = 0;
		}
		if (p->fd >= 0) {
			conn_step(p);
		} else if (p->dialer && addr[0] != '\0') {
			if (rt_now_ns() >= p->next_dial_ns)
				dial(p, addr, gen);
			else
				wait_idle(p, true);
		} else {
			wait_idle(p, false);
		}
	}
	if (p->fd >= 0)
		conn_close(p, NULL);
	rt_rx_reset(&p->rx);
	rt_peer_drop_queues(p); /* counted now, not when reaped */
	pthread_mutex_lock(&p->mu);
	p->exited = true;
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

void rt_peer_drop_queues(struct rt_peer *p)
{
	pthread_mutex_lock(&p->mu);
	if (p->cur != NULL)
		rt_frame_free(p->t, p, p->cur, true);
	p->cur = NULL;
	struct rt_frame *f;
	while ((f = queue_pop(&p->ctl)) != NULL)
		rt_frame_free(p->t, p, f, true);
	while ((f = queue_pop(&p->bulk)) != NULL)
		rt_frame_free(p->t, p, f, true);
	pthread_mutex_unlock(&p->mu);
}
