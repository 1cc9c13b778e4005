/*
 * transport.c — the TCP raft_net: start/stop, the peer table, send into
 * the bounded queues, the handshake format and the acceptor thread.  The
 * per-peer connection thread is in transport_peer.c; the design (wire
 * format, one connection per pair, threads, queues) is in transport.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/assert.h"
#include "raft/transport_int.h"

/* ---- small helpers shared with transport_peer.c ---------------------- */

void rt_log(struct raft_transport *t, enum kv_log_level level,
	    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kv_log_emit(t->o.log_fn, t->o.log_ctx, level, fmt, ap);
	va_end(ap);
}

uint64_t rt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void rt_wake(int efd)
{
	uint64_t one = 1;
	/* EAGAIN means the counter is saturated: already signalled. */
	ssize_t n = write(efd, &one, sizeof one);
	(void)n;
}

void rt_drain(int efd)
{
	uint64_t v;
	ssize_t n = read(efd, &v, sizeof v);
	(void)n;
}

/* Caller holds p->mu.  Frees f and releases its bytes in its queue. */
void rt_frame_free(struct raft_transport *t, struct rt_peer *p,
		   struct rt_frame *f, bool dropped)
{
	struct rt_queue *q = f->bulk ? &p->bulk : &p->ctl;
	ASSERT(q->bytes >= f->len);
	q->bytes -= f->len;
	if (dropped)
		RT_COUNT(t, dropped_conn, 1);
	free(f);
}

void rt_set_sockopts(int fd)
{
	int one = 1, idle = 5, intvl = 2, cnt = 3;
	/* Small Raft messages must not wait for Nagle's timer. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* A peer that vanished without a FIN is noticed in ~11 s. */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

/* ---- addresses ------------------------------------------------------- */

int raft_transport_parse_addr(const char *addr, char *host, size_t host_cap,
			      uint16_t *port)
{
	if (addr == NULL)
		return -EINVAL;
	const char *colon, *hs = addr, *he;
	if (addr[0] == '[') {
		hs = addr + 1;
		he = strchr(hs, ']');
		if (he == NULL || he[1] != ':')
			return -EINVAL;
		colon = he + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)))
			return -EINVAL; /* bare IPv6 needs brackets */
		he = colon;
	}
	size_t hl = (size_t)(he - hs);
	if (hl == 0 || hl >= host_cap)
		return -EINVAL;
	const char *ps = colon + 1;
	if (*ps == '\0' || strlen(ps) > 5)
		return -EINVAL;
	unsigned long v = 0;
	for (const char *c = ps; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v > 65535)
		return -EINVAL;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	*port = (uint16_t)v;
	return 0;
}

static int listen_on(struct raft_transport *t, const char *addr)
{
	char host[RT_HOST_MAX], portstr[8];
	uint16_t port;
	int rc = raft_transport_parse_addr(addr, host, sizeof host, &port);
	if (rc != 0)
		return rc;
	snprintf(portstr, sizeof portstr, "%u", port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	if (getaddrinfo(host, portstr, &hints, &res) != 0)
		return -EINVAL;
	rc = -EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family,
				SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
		    listen(fd, 64) != 0) {
			rc = -errno;
			close(fd);
			continue;
		}
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		getsockname(fd, (struct sockaddr *)&ss, &sl);
		t->port = ntohs(ss.ss_family == AF_INET6
					? ((struct sockaddr_in6 *)&ss)->sin6_port
					: ((struct sockaddr_in *)&ss)->sin_port);
		t->listen_fd = fd;
		rc = 0;
		break;
	}
	freeaddrinfo(res);
	return rc;
}

/* ---- the peer table -------------------------------------------------- */

/* Caller holds t->mu. */
static struct rt_peer *peer_find(struct raft_transport *t, uint64_t id)
{
	for (struct rt_peer *p = t->peers; p != NULL; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

static void peer_free(struct rt_peer *p)
{
	if (p == NULL)
		return;
	rt_peer_drop_queues(p);
	if (p->pending_fd >= 0)
		close(p->pending_fd);
	close(p->wake_fd);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* Caller holds t->mu.  Joins and frees removed peers whose thread ended. */
static void peer_reap(struct raft_transport *t)
{
	struct rt_peer **pp = &t->dead;
	while (*pp != NULL) {
		struct rt_peer *p = *pp;
		pthread_mutex_lock(&p->mu);
		bool done = p->exited;
		pthread_mutex_unlock(&p->mu);
		if (!done) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		pthread_join(p->thread, NULL);
		peer_free(p);
	}
}

/* Caller holds t->mu.  Creates peer id (addr may be "") and its thread. */
static int peer_create(struct raft_transport *t, uint64_t id, const char *addr,
		       struct rt_peer **out)
{
	struct rt_peer *p = calloc(1, sizeof *p);
	if (p == NULL)
		return -ENOMEM;
	p->t = t;
	p->id = id;
	p->dialer = t->o.id < id;
	p->fd = -1;
	p->pending_fd = -1;
	p->ctl.max = t->o.queue_bytes;
	p->bulk.max = t->o.bulk_queue_bytes;
	p->backoff_ms = RT_BACKOFF_MIN_MS;
	p->rng = id * 0x9e3779b97f4a7c15u ^ rt_now_ns();
	snprintf(p->addr, sizeof p->addr, "%s", addr);
	p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->wake_fd < 0) {
		int rc = -errno;
		free(p);
		return rc;
	}
	pthread_mutex_init(&p->mu, NULL);
	int rc = pthread_create(&p->thread, NULL, rt_peer_main, p);
	if (rc != 0) {
		close(p->wake_fd);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return -rc;
	}
	p->next = t->peers;
	t->peers = p;
	*out = p;
	return 0;
}

int raft_transport_set_peer(struct raft_transport *t, uint64_t id,
			    const char *addr)
{
	char host[RT_HOST_MAX];
	uint16_t port;
	if (id == 0 || id == t->o.id || strlen(addr) >= RT_ADDR_MAX ||
	    raft_transport_parse_addr(addr, host, sizeof host, &port) != 0)
		return -EINVAL;
	pthread_mutex_lock(&t->mu);
	peer_reap(t);
	struct rt_peer *p = peer_find(t, id);
	int rc = 0;
	if (p == NULL) {
		rc = peer_create(t, id, addr, &p);
	} else {
		pthread_mutex_lock(&p->mu);
		if (strcmp(p->addr, addr) != 0) {
			snprintf(p->addr, sizeof p->addr, "%s", addr);
			p->addr_gen++;
		}
		pthread_mutex_unlock(&p->mu);
		rt_wake(p->wake_fd);
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

/* Caller holds t->mu.  Unlinks p, tells its thread to exit. */
static void peer_retire(struct raft_transport *t, struct rt_peer *p)
{
	struct rt_peer **pp = &t->peers;
	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	atomic_store(&p->retired, true);
	pthread_mutex_lock(&p->mu);
	p->removed = true;
	pthread_mutex_unlock(&p->mu);
	rt_wake(p->wake_fd);
	p->next = t->dead;
	t->dead = p;
}

int raft_transport_remove_peer(struct raft_transport *t, uint64_t id)
{
	pthread_mutex_lock(&t->mu);
	struct rt_peer *p = peer_find(t, id);
	if (p != NULL)
		peer_retire(t, p);
	peer_reap(t);
	pthread_mutex_unlock(&t->mu);
	return p != NULL ? 0 : -ENOENT;
}

/*
 * The acceptor hands an authenticated connection from peer id to its
 * thread, creating an address-less peer for an id never named.
 */
static void peer_adopt(struct raft_transport *t, uint64_t id, int fd)
{
	pthread_mutex_lock(&t->mu);
	struct rt_peer *p = peer_find(t, id);
	if (p == NULL && peer_create(t, id, "", &p) != 0) {
		pthread_mutex_unlock(&t->mu);
		close(fd);
		return;
	}
	pthread_mutex_lock(&p->mu);
	if (p->pending_fd >= 0)
		close(p->pending_fd);
	p->pending_fd = fd;
	pthread_mutex_unlock(&p->mu);
	rt_wake(p->wake_fd);
	pthread_mutex_unlock(&t->mu);
}

/* ---- send ------------------------------------------------------------ */

int raft_transport_send(struct raft_transport *t, uint64_t to, uint8_t type,
			const void *payload, size_t len, bool bulk)
{
	if (len > RAFT_NET_FRAME_MAX)
		return -EMSGSIZE;
	if (type == 0)
		return -EINVAL;
	/* Copy and checksum outside every lock: the one copy of the payload. */
	struct rt_frame *f = rt_frame_new(type, payload, len, bulk);
	if (f == NULL)
		return -ENOMEM;
	int rc = 0;
	pthread_mutex_lock(&t->mu);
	struct rt_peer *p = peer_find(t, to);
	if (p == NULL) {
		rc = -ENOENT;
	} else if (atomic_load(&p->drop_out)) {
		RT_COUNT(t, dropped_fault_out, 1);
	} else {
		pthread_mutex_lock(&p->mu);
		struct rt_queue *q = bulk ? &p->bulk : &p->ctl;
		/* One oversized frame may enter an empty queue (transport.h). */
		if (q->bytes > 0 && q->bytes + f->len > q->max) {
			rc = -EAGAIN;
			RT_COUNT(t, dropped_full, 1);
		} else {
			q->bytes += f->len;
			if (q->tail != NULL)
				q->tail->next = f;
			else
				q->head = f;
			q->tail = f;
			f = NULL;
		}
		pthread_mutex_unlock(&p->mu);
		if (f == NULL)
			rt_wake(p->wake_fd);
	}
	pthread_mutex_unlock(&t->mu);
	free(f);
	return rc;
}

size_t raft_transport_bulk_room(struct raft_transport *t, uint64_t to)
{
	size_t room = 0;
	pthread_mutex_lock(&t->mu);
	struct rt_peer *p = peer_find(t, to);
	if (p != NULL) {
		pthread_mutex_lock(&p->mu);
		if (p->bulk.bytes < p->bulk.max)
			room = p->bulk.max - p->bulk.bytes;
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_unlock(&t->mu);
	return room;
}

bool raft_transport_connected(struct raft_transport *t, uint64_t id)
{
	pthread_mutex_lock(&t->mu);
	struct rt_peer *p = peer_find(t, id);
	bool c = p != NULL && atomic_load(&p->connected);
	pthread_mutex_unlock(&t->mu);
	return c;
}

int raft_transport_set_fault(struct raft_transport *t, uint64_t peer,
			     bool drop_out, bool drop_in)
{
	if (!t->o.allow_faults)
		return -EPERM;
	pthread_mutex_lock(&t->mu);
	struct rt_peer *p = peer_find(t, peer);
	if (p != NULL) {
		atomic_store(&p->drop_out, drop_out);
		atomic_store(&p->drop_in, drop_in);
	}
	pthread_mutex_unlock(&t->mu);
	if (p != NULL)
		rt_log(t, KV_LOG_INFO, "fault peer %llu out=%d in=%d",
		       (unsigned long long)peer, drop_out, drop_in);
	return p != NULL ? 0 : -ENOENT;
}

void raft_transport_set_receiver(struct raft_transport *t,
				 raft_net_recv_fn fn, void *ctx)
{
	pthread_mutex_lock(&t->recv_mu);
	t->recv_fn = fn;
	t->recv_ctx = ctx;
	pthread_mutex_unlock(&t->recv_mu);
}

uint16_t raft_transport_port(const struct raft_transport *t)
{
	return t->port;
}

void raft_transport_stats(const struct raft_transport *t,
			  struct raft_transport_stats *out)
{
	const struct rt_stats *s = &t->stats;
	*out = (struct raft_transport_stats){
		.frames_sent = atomic_load(&s->frames_sent),
		.bytes_sent = atomic_load(&s->bytes_sent),
		.frames_received = atomic_load(&s->frames_received),
		.bytes_received = atomic_load(&s->bytes_received),
		.dropped_full = atomic_load(&s->dropped_full),
		.dropped_fault_out = atomic_load(&s->dropped_fault_out),
		.dropped_fault_in = atomic_load(&s->dropped_fault_in),
		.dropped_conn = atomic_load(&s->dropped_conn),
		.dropped_no_receiver = atomic_load(&s->dropped_no_receiver),
		.bad_frames = atomic_load(&s->bad_frames),
		.refused = atomic_load(&s->refused),
		.connects = atomic_load(&s->connects),
		.disconnects = atomic_load(&s->disconnects),
	};
}

/* raft_net's function pointers take void *ctx. */
static int net_send(void *ctx, uint64_t to, uint8_t type, const void *payload,
		    size_t len, bool bulk)
{
	return raft_transport_send(ctx, to, type, payload, len, bulk);
}

static size_t net_bulk_room(void *ctx, uint64_t to)
{
	return raft_transport_bulk_room(ctx, to);
}

static int net_set_peer(void *ctx, uint64_t id, const char *addr)
{
	return raft_transport_set_peer(ctx, id, addr);
}

static int net_remove_peer(void *ctx, uint64_t id)
{
	return raft_transport_remove_peer(ctx, id);
}

static bool net_connected(void *ctx, uint64_t id)
{
	return raft_transport_connected(ctx, id);
}

struct raft_net raft_transport_net(struct raft_transport *t)
{
	return (struct raft_net){.ctx = t,
				 .send = net_send,
				 .bulk_room = net_bulk_room,
				 .set_peer = net_set_peer,
				 .remove_peer = net_remove_peer,
				 .connected = net_connected};
}

/* ---- the acceptor ---------------------------------------------------- */

/* The acceptor's verdict on a dialer's hello. */
static unsigned hello_judge(const struct raft_transport *t,
			    const struct rt_hello *h)
{
	if (h->version != RT_VERSION)
		return RT_REFUSE_VERSION;
	if (h->cluster_id != t->o.cluster_id)
		return RT_REFUSE_CLUSTER;
	if (h->to != t->o.id)
		return RT_REFUSE_NOT_ME;
	if (h->from == 0 || h->from >= t->o.id)
		return RT_REFUSE_DIRECTION;
	return RT_OK;
}

/* A whole hello has arrived on pending slot q: answer, hand over or close. */
static void pending_finish(struct raft_transport *t, struct rt_pending *q)
{
	struct rt_hello h, r;
	int fd = q->fd;
	q->fd = -1;
	if (rt_hello_decode(q->buf, &h) != 0) {
		RT_COUNT(t, bad_frames, 1);
		rt_log(t, KV_LOG_WARN, "bad handshake, closed");
		close(fd);
		return;
	}
	r = (struct rt_hello){.version = RT_VERSION,
			      .status = (uint16_t)hello_judge(t, &h),
			      .cluster_id = t->o.cluster_id,
			      .from = t->o.id,
			      .to = h.from};
	if (r.status != RT_OK) { /* counted first: the reply is observable */
		RT_COUNT(t, refused, 1);
		rt_log(t, KV_LOG_WARN,
		       "refused node %llu (cluster %llu): %s",
		       (unsigned long long)h.from,
		       (unsigned long long)h.cluster_id,
		       rt_refuse_name(r.status));
	}
	uint8_t out[RT_HELLO_LEN];
	rt_hello_encode(&r, out);
	/* A fresh socket's send buffer holds 36 bytes: no partial write. */
	ssize_t n = send(fd, out, sizeof out, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (r.status != RT_OK || n != (ssize_t)sizeof out) {
		close(fd);
		return;
	}
	peer_adopt(t, h.from, fd);
}

static void pending_add(struct raft_transport *t, int fd)
{
	for (int i = 0; i < RT_PENDING_MAX; i++) {
		struct rt_pending *q = &t->pending[i];
		if (q->fd < 0) {
			q->fd = fd;
			q->got = 0;
			q->deadline_ns = rt_now_ns() +
					 RT_HANDSHAKE_TIMEOUT_MS * 1000000ull;
			return;
		}
	}
	rt_log(t, KV_LOG_WARN, "too many handshakes, closed one");
	close(fd);
}

static void pending_read(struct raft_transport *t, struct rt_pending *q)
{
	ssize_t n = recv(q->fd, q->buf + q->got, RT_HELLO_LEN - q->got,
			 MSG_DONTWAIT);
	if (n > 0) {
		q->got += (size_t)n;
		if (q->got == RT_HELLO_LEN)
			pending_finish(t, q);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		close(q->fd);
		q->fd = -1;
	}
}

/* Returns how long to stop polling the listener: 0, or 100 ms when out of
 * file descriptors (the listener stays readable, so polling it would spin). */
static uint64_t accept_new(struct raft_transport *t)
{
	for (int i = 0; i < RT_PENDING_MAX; i++) {
		int fd = accept4(t->listen_fd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE ||
			       errno == ENOBUFS || errno == ENOMEM)) {
			rt_log(t, KV_LOG_WARN, "accept: %s",
			       strerror(errno));
			return 100 * 1000000ull;
		}
		if (fd < 0)
			return 0; /* EAGAIN, or the connection already died */
		rt_set_sockopts(fd);
		pending_add(t, fd);
	}
	return 0;
}

static void *acceptor_main(void *arg)
{
	struct raft_transport *t = arg;
	struct pollfd pf[2 + RT_PENDING_MAX];
	int slot[2 + RT_PENDING_MAX];
	uint64_t paused_until = 0;
	while (!atomic_load(&t->stopping)) {
		uint64_t now = rt_now_ns(), next = UINT64_MAX;
		bool paused = now < paused_until;
		if (paused)
			next = paused_until;
		nfds_t n = 0;
		pf[n++] = (struct pollfd){.fd = t->wake_fd, .events = POLLIN};
		/* poll() skips a negative fd: the listener rests while paused. */
		pf[n++] = (struct pollfd){.fd = paused ? -1 : t->listen_fd,
					  .events = POLLIN};
		for (int i = 0; i < RT_PENDING_MAX; i++) {
			struct rt_pending *q = &t->pending[i];
			if (q->fd < 0)
				continue;
			if (q->deadline_ns <= now) { /* too slow: drop it */
				close(q->fd);
				q->fd = -1;
				continue;
			}
			if (q->deadline_ns < next)
				next = q->deadline_ns;
			slot[n] = i;
			pf[n++] = (struct pollfd){.fd = q->fd, .events = POLLIN};
		}
		int ms = next == UINT64_MAX ? -1
					    : (int)((next - now) / 1000000 + 1);
		if (poll(pf, n, ms) < 0)
			continue; /* EINTR */
		if (pf[0].revents)
			rt_drain(t->wake_fd);
		for (nfds_t i = 2; i < n; i++)
			if (pf[i].revents)
				pending_read(t, &t->pending[slot[i]]);
		if (pf[1].revents) {
			uint64_t pause = accept_new(t);
			if (pause != 0)
				paused_until = rt_now_ns() + pause;
		}
	}
	return NULL;
}

/* ---- start / stop ---------------------------------------------------- */

int raft_transport_start(const struct raft_transport_options *o,
			 struct raft_transport **out)
{
	if (o == NULL || o->id == 0)
		return -EINVAL;
	struct raft_transport *t = calloc(1, sizeof *t);
	if (t == NULL)
		return -ENOMEM;
	t->o = *o;
	t->o.listen = NULL;
	if (t->o.queue_bytes == 0)
		t->o.queue_bytes = RT_QUEUE_DEFAULT;
	if (t->o.bulk_queue_bytes == 0)
		t->o.bulk_queue_bytes = RT_QUEUE_DEFAULT;
	t->listen_fd = -1;
	for (int i = 0; i < RT_PENDING_MAX; i++)
		t->pending[i].fd = -1;
	pthread_mutex_init(&t->mu, NULL);
	pthread_mutex_init(&t->recv_mu, NULL);
	int rc = 0;
	t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->wake_fd < 0)
		rc = -errno;
	if (rc == 0 && o->listen != NULL) {
		rc = listen_on(t, o->listen);
		if (rc == 0) {
			rc = -pthread_create(&t->acceptor, NULL, acceptor_main,
					     t);
			t->acceptor_started = rc == 0;
		}
	}
	if (rc != 0) {
		raft_transport_stop(t);
		return rc;
	}
	rt_log(t, KV_LOG_INFO, "node %llu listening on port %u",
	       (unsigned long long)t->o.id, t->port);
	*out = t;
	return 0;
}

void raft_transport_stop(struct raft_transport *t)
{
	if (t == NULL)
		return;
	atomic_store(&t->stopping, true);
	if (t->acceptor_started) {
		rt_wake(t->wake_fd);
		pthread_join(t->acceptor, NULL);
	}
	for (int i = 0; i < RT_PENDING_MAX; i++)
		if (t->pending[i].fd >= 0)
			close(t->pending[i].fd);
	/* The acceptor is gone, so no peer is created from here on. */
	pthread_mutex_lock(&t->mu);
	while (t->peers != NULL)
		peer_retire(t, t->peers);
	struct rt_peer *dead = t->dead;
	t->dead = NULL;
	pthread_mutex_unlock(&t->mu);
	while (dead != NULL) {
		struct rt_peer *next = dead->next;
		pthread_join(dead->thread, NULL);
		peer_free(dead);
		dead = next;
	}
	if (t->listen_fd >= 0)
		close(t->listen_fd);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	pthread_mutex_destroy(&t->mu);
	pthread_mutex_destroy(&t->recv_mu);
	free(t);
}
