/*
 * raft_node_test_net.c — see raft_node_test_net.h.
 */
#include "tests/raft_node_test_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/assert.h"
#include "tests/testutil.h"

#define TNET_QUEUE_MAX 200000

struct tframe {
	struct tframe *next;
	uint64_t from, to;
	uint8_t type;
	size_t len;
	uint8_t data[];
};

struct tnet_ep {
	struct tnet *t;
	uint64_t id;
	struct raft_net net;
};

struct tnet {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool stop;
	struct tframe *head, *tail;
	size_t n;
	struct raft_node *node[TNET_NODES];
	bool cut[TNET_NODES][TNET_NODES];
	bool known[TNET_NODES][TNET_NODES]; /* set_peer done */
	uint64_t busy; /* id being delivered to */
	uint64_t delivered, chunks;
	unsigned drop_every;
	uint64_t chunk_sends;
	struct tnet_ep ep[TNET_NODES];
};

static bool valid(uint64_t id)
{
	return id >= 1 && id < TNET_NODES;
}

static int ep_send(void *ctx, uint64_t to, uint8_t type, const void *payload,
		   size_t len, bool bulk)
{
	struct tnet_ep *ep = ctx;
	struct tnet *t = ep->t;
	(void)bulk;
	if (!valid(to))
		return -ENOENT;
	if (len > RAFT_NET_FRAME_MAX)
		return -EMSGSIZE;
	pthread_mutex_lock(&t->mu);
	int rc = 0;
	if (!t->known[ep->id][to])
		rc = -ENOENT;
	else if (t->n >= TNET_QUEUE_MAX)
		rc = -EAGAIN;
	bool drop = false;
	if (rc == 0 && type == RAFT_FRAME_SNAP_CHUNK && t->drop_every)
	{
		/* Seeded and random, not periodic: a fixed period can lock
		 * step with the sender's resend cycle and drop the same
		 * frame forever. */
		t->chunk_sends = t->chunk_sends * 6364136223846793005ull +
				 1442695040888963407ull;
		drop = (t->chunk_sends >> 33) % t->drop_every == 0;
	}
	if (rc != 0 || t->cut[ep->id][to] || drop) {
		pthread_mutex_unlock(&t->mu);
		return rc; /* a cut link loses frames silently, like TCP */
	}
	struct tframe *f = malloc(sizeof *f + len);
	ASSERT(f);
	f->next = NULL;
	f->from = ep->id;
	f->to = to;
	f->type = type;
	f->len = len;
	if (len)
		memcpy(f->data, payload, len);
	if (t->tail)
		t->tail->next = f;
	else
		t->head = f;
	t->tail = f;
	t->n++;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return 0;
}

static size_t ep_bulk_room(void *ctx, uint64_t to)
{
	struct tnet_ep *ep = ctx;
	return valid(to) ? 64u * 1024 * 1024 : 0;
	(void)ep;
}

static int ep_set_peer(void *ctx, uint64_t id, const char *addr)
{
	struct tnet_ep *ep = ctx;
	(void)addr;
	if (!valid(id))
		return -EINVAL;
	pthread_mutex_lock(&ep->t->mu);
	ep->t->known[ep->id][id] = true;
	pthread_mutex_unlock(&ep->t->mu);
	return 0;
}

static int ep_remove_peer(void *ctx, uint64_t id)
{
	struct tnet_ep *ep = ctx;
	if (!valid(id))
		return -ENOENT;
	pthread_mutex_lock(&ep->t->mu);
	bool was = ep->t->known[ep->id][id];
	ep->t->known[ep->id][id] = false;
	pthread_mutex_unlock(&ep->t->mu);
	return was ? 0 : -ENOENT;
}

static bool ep_connected(void *ctx, uint64_t id)
{
	struct tnet_ep *ep = ctx;
	if (!valid(id))
		return false;
	pthread_mutex_lock(&ep->t->mu);
	bool c = ep->t->known[ep->id][id] && !ep->t->cut[ep->id][id] &&
		 ep->t->node[id] != NULL;
	pthread_mutex_unlock(&ep->t->mu);
	return c;
}

static void *hub_main(void *arg)
{
	struct tnet *t = arg;
	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		if (!t->head) {
			pthread_cond_wait(&t->cv, &t->mu);
			continue;
		}
		struct tframe *f = t->head;
		t->head = f->next;
		if (!t->head)
			t->tail = NULL;
		t->n--;
		struct raft_node *dst = t->node[f->to];
		if (dst && !t->cut[f->from][f->to]) {
			t->busy = f->to;
			t->delivered++;
			if (f->type == RAFT_FRAME_SNAP_CHUNK)
				t->chunks++;
			pthread_mutex_unlock(&t->mu);
			raft_node_receive(dst, f->from, f->type, f->data,
					  f->len);
			pthread_mutex_lock(&t->mu);
			t->busy = 0;
			pthread_cond_broadcast(&t->cv);
		}
		free(f);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

struct tnet *tnet_new(void)
{
	struct tnet *t = calloc(1, sizeof *t);
	ASSERT(t);
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	for (uint64_t i = 0; i < TNET_NODES; i++) {
		t->ep[i].t = t;
		t->ep[i].id = i;
		t->ep[i].net = (struct raft_net){.ctx = &t->ep[i],
						 .send = ep_send,
						 .bulk_room = ep_bulk_room,
						 .set_peer = ep_set_peer,
						 .remove_peer = ep_remove_peer,
						 .connected = ep_connected};
	}
	t->chunk_sends = test_seed();
	ASSERT(pthread_create(&t->thread, NULL, hub_main, t) == 0);
	return t;
}

void tnet_free(struct tnet *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	while (t->head) {
		struct tframe *f = t->head;
		t->head = f->next;
		free(f);
	}
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

const struct raft_net *tnet_endpoint(struct tnet *t, uint64_t id)
{
	ASSERT(valid(id));
	return &t->ep[id].net;
}

void tnet_attach(struct tnet *t, uint64_t id, struct raft_node *node)
{
	ASSERT(valid(id));
	pthread_mutex_lock(&t->mu);
	t->node[id] = node;
	/* Bounded: one delivery call in progress at most. */
	while (node == NULL && t->busy == id)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
}

void tnet_cut(struct tnet *t, uint64_t a, uint64_t b, bool cut)
{
	pthread_mutex_lock(&t->mu);
	t->cut[a][b] = t->cut[b][a] = cut;
	pthread_mutex_unlock(&t->mu);
}

void tnet_isolate(struct tnet *t, uint64_t id, bool cut)
{
	for (uint64_t j = 1; j < TNET_NODES; j++)
		if (j != id)
			tnet_cut(t, id, j, cut);
}

void tnet_drop_chunks(struct tnet *t, unsigned every_nth)
{
	pthread_mutex_lock(&t->mu);
	t->drop_every = every_nth;
	pthread_mutex_unlock(&t->mu);
}

uint64_t tnet_delivered(struct tnet *t)
{
	pthread_mutex_lock(&t->mu);
	uint64_t d = t->delivered;
	pthread_mutex_unlock(&t->mu);
	return d;
}

uint64_t tnet_chunks(struct tnet *t)
{
	pthread_mutex_lock(&t->mu);
	uint64_t d = t->chunks;
	pthread_mutex_unlock(&t->mu);
	return d;
}

/* ---- test state machine ------------------------------------------------ */

void tapp_init(struct tapp *a)
{
	memset(a, 0, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
}

void tapp_destroy(struct tapp *a)
{
	pthread_mutex_destroy(&a->mu);
}

void tapp_crash(struct tapp *a)
{
	pthread_mutex_lock(&a->mu);
	a->applied = a->synced_applied;
	a->n_cmds = a->synced_n_cmds;
	pthread_mutex_unlock(&a->mu);
}

uint64_t tapp_applied(struct tapp *a)
{
	pthread_mutex_lock(&a->mu);
	uint64_t v = a->applied;
	pthread_mutex_unlock(&a->mu);
	return v;
}

uint64_t tapp_n_cmds(struct tapp *a)
{
	pthread_mutex_lock(&a->mu);
	uint64_t v = a->n_cmds;
	pthread_mutex_unlock(&a->mu);
	return v;
}

static uint64_t ta_applied_index(void *ctx)
{
	return tapp_applied(ctx);
}

/* Result of a command: how many commands were applied before it plus its
 * value's low byte, so results differ per position and per command. */
static int ta_apply(void *ctx, uint64_t index, const void *data, size_t len,
		    uint64_t *aux)
{
	struct tapp *a = ctx;
	pthread_mutex_lock(&a->mu);
	ASSERT(index == a->applied + 1);
	if (a->fail_next) {
		a->fail_next = false;
		pthread_mutex_unlock(&a->mu);
		return RAFT_NODE_EFAILED;
	}
	a->apply_calls++;
	a->applied = index;
	int res = 0;
	if (len > 0) {
		ASSERT(len == 4 && a->n_cmds < TAPP_CMDS_MAX);
		uint32_t v;
		memcpy(&v, data, 4);
		a->cmd[a->n_cmds] = v;
		a->cmd_index[a->n_cmds] = index;
		a->n_cmds++;
		res = (int)(a->n_cmds * 256 + (v & 0xff));
		*aux = index;
	}
	pthread_mutex_unlock(&a->mu);
	return res;
}

static int ta_sync(void *ctx)
{
	struct tapp *a = ctx;
	pthread_mutex_lock(&a->mu);
	if (!a->sync_off) {
		a->synced_applied = a->applied;
		a->synced_n_cmds = a->n_cmds;
	}
	pthread_mutex_unlock(&a->mu);
	return 0;
}

/* A file of n bytes whose content depends on the offset (checked back),
 * written and read in blocks (the driver thread waits on it). */
static void pad_fill(uint8_t *buf, size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(((off + i) * 7 + (off + i) / 4093) & 0xff);
}

static int write_pad(const char *dir, size_t n)
{
	char p[4200];
	static __thread uint8_t buf[65536];
	snprintf(p, sizeof p, "%s/pad", dir);
	FILE *f = fopen(p, "w");
	if (!f)
		return -errno;
	for (size_t off = 0; off < n; off += sizeof buf) {
		size_t len = n - off < sizeof buf ? n - off : sizeof buf;
		pad_fill(buf, off, len);
		fwrite(buf, 1, len, f);
	}
	return fclose(f) == 0 ? 0 : -errno;
}

static int check_pad(const char *dir, size_t n)
{
	char p[4200];
	static __thread uint8_t buf[65536], want[65536];
	snprintf(p, sizeof p, "%s/pad", dir);
	FILE *f = fopen(p, "r");
	if (!f)
		return -errno;
	int rc = 0;
	for (size_t off = 0; off < n && rc == 0; off += sizeof buf) {
		size_t len = n - off < sizeof buf ? n - off : sizeof buf;
		pad_fill(want, off, len);
		if (fread(buf, 1, len, f) != len || memcmp(buf, want, len))
			rc = -EIO;
	}
	if (rc == 0 && fgetc(f) != EOF)
		rc = -EIO;
	fclose(f);
	return rc;
}

static int ta_snapshot_create(void *ctx, const char *dir, uint64_t *index)
{
	struct tapp *a = ctx;
	if (mkdir(dir, 0755) != 0)
		return -errno;
	char p[4200];
	snprintf(p, sizeof p, "%s/state", dir);
	FILE *f = fopen(p, "w");
	if (!f)
		return -errno;
	pthread_mutex_lock(&a->mu);
	uint64_t hdr[2] = {a->applied, a->n_cmds};
	fwrite(hdr, sizeof hdr, 1, f);
	fwrite(a->cmd, sizeof a->cmd[0], a->n_cmds, f);
	fwrite(a->cmd_index, sizeof a->cmd_index[0], a->n_cmds, f);
	*index = a->applied;
	a->creates++;
	size_t pad = a->pad_bytes;
	pthread_mutex_unlock(&a->mu);
	fclose(f);
	return pad ? write_pad(dir, pad) : 0;
}

static int ta_snapshot_install(void *ctx, const char *dir, uint64_t index)
{
	struct tapp *a = ctx;
	char p[4200];
	snprintf(p, sizeof p, "%s/state", dir);
	FILE *f = fopen(p, "r");
	if (!f)
		return -errno;
	uint64_t hdr[2];
	int rc = -EIO;
	pthread_mutex_lock(&a->mu);
	if (fread(hdr, sizeof hdr, 1, f) == 1 && hdr[0] == index &&
	    hdr[1] <= TAPP_CMDS_MAX &&
	    fread(a->cmd, sizeof a->cmd[0], hdr[1], f) == hdr[1] &&
	    fread(a->cmd_index, sizeof a->cmd_index[0], hdr[1], f) == hdr[1]) {
		a->applied = a->synced_applied = index;
		a->n_cmds = a->synced_n_cmds = hdr[1];
		a->installs++;
		rc = 0;
	}
	pthread_mutex_unlock(&a->mu);
	fclose(f);
	if (rc == 0 && a->pad_bytes)
		rc = check_pad(dir, a->pad_bytes);
	/* Consumed, as the engine's install moves the directory away. */
	if (rc == 0)
		rc = test_rmtree(dir);
	return rc;
}

struct raft_node_app tapp_iface(struct tapp *a)
{
	return (struct raft_node_app){.ctx = a,
				      .applied_index = ta_applied_index,
				      .apply = ta_apply,
				      .sync = ta_sync,
				      .snapshot_create = ta_snapshot_create,
				      .snapshot_install = ta_snapshot_install};
}

/* ---- cluster helper ------------------------------------------------------ */

static void tc_log(void *ctx, int level, const char *line)
{
	struct tc_logctx *lc = ctx;
	struct tcluster *c = lc->c;
	if (test_env_u64("VERBOSE", 0))
		fprintf(stderr, "[%llu] %d %s\n", (unsigned long long)lc->id,
			level, line);
	pthread_mutex_lock(&c->log_mu);
	unsigned k = c->n_log[lc->id]++ % 64;
	snprintf(c->log[lc->id][k], sizeof c->log[lc->id][k], "%s", line);
	pthread_mutex_unlock(&c->log_mu);
}

bool tc_logged(struct tcluster *c, uint64_t id, const char *s)
{
	bool found = false;
	pthread_mutex_lock(&c->log_mu);
	for (unsigned k = 0; k < 64 && k < c->n_log[id]; k++)
		found |= strstr(c->log[id][k], s) != NULL;
	pthread_mutex_unlock(&c->log_mu);
	return found;
}

void tc_init(struct tcluster *c, int n, const char *tag)
{
	memset(c, 0, sizeof *c);
	c->net = tnet_new();
	c->root = test_tmpdir_new(tag);
	c->n = n;
	c->tick_ms = 10;
	c->timeout_ms = 3000;
	c->snapshot_entries = 100000;
	pthread_mutex_init(&c->log_mu, NULL);
	for (int i = 0; i < TNET_NODES; i++) {
		tapp_init(&c->app[i]);
		c->peers[i].id = (uint64_t)i;
		snprintf(c->peers[i].addr, sizeof c->peers[i].addr,
			 "mem:%d", i);
		c->lctx[i].c = c;
		c->lctx[i].id = (uint64_t)i;
	}
}

void tc_free(struct tcluster *c)
{
	for (uint64_t i = 1; i < TNET_NODES; i++)
		tc_stop(c, i);
	tnet_free(c->net);
	test_tmpdir_free(c->root);
	for (int i = 0; i < TNET_NODES; i++)
		tapp_destroy(&c->app[i]);
	pthread_mutex_destroy(&c->log_mu);
}

int tc_start(struct tcluster *c, uint64_t id, bool join)
{
	ASSERT(valid(id) && c->node[id] == NULL);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/n%llu", c->root, (unsigned long long)id);
	struct raft_node_options o = {
		.id = id,
		.dir = dir,
		.n_peers = (size_t)c->n,
		.peers = &c->peers[1],
		.join = join,
		.net = c->ext_net[id] ? c->ext_net[id] : tnet_endpoint(c->net, id),
		.tick_ms = c->tick_ms,
		.propose_timeout_ms = c->timeout_ms,
		.snapshot_entries = c->snapshot_entries,
		.lease_reads = c->lease_reads,
		.io = c->io[id],
		.log_fn = tc_log,
		.log_ctx = &c->lctx[id],
	};
	struct raft_node_app app = tapp_iface(&c->app[id]);
	struct raft_node *n = NULL;
	int rc = raft_node_start(&o, &app, &n);
	if (rc == 0) {
		c->node[id] = n;
		if (c->ext_net[id])
			c->attach(c->attach_ctx, id, n);
		else
			tnet_attach(c->net, id, n);
	}
	return rc;
}

void tc_stop(struct tcluster *c, uint64_t id)
{
	if (!c->node[id])
		return;
	if (c->ext_net[id])
		c->attach(c->attach_ctx, id, NULL);
	else
		tnet_attach(c->net, id, NULL);
	raft_node_stop(c->node[id]);
	c->node[id] = NULL;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000};
	nanosleep(&ts, NULL);
}

bool tc_wait_leaderless(struct tcluster *c, uint64_t id)
{
	/* Bounded poll: up to ~20 s. */
	for (int round = 0; round < 4000; round++) {
		struct raft_node_status st;
		raft_node_status(c->node[id], &st);
		if (st.leader == RAFT_NONE)
			return true;
		pause_ms(5);
	}
	return false;
}

uint64_t tc_wait_leader(struct tcluster *c, uint64_t except)
{
	/* Bounded poll (not an assertion on time): up to ~20 s. */
	for (int round = 0; round < 4000; round++) {
		uint64_t leader = 0;
		bool agree = true;
		for (uint64_t i = 1; i < TNET_NODES; i++) {
			if (!c->node[i] || i == except)
				continue;
			struct raft_node_status st;
			raft_node_status(c->node[i], &st);
			if (st.role == RAFT_LEADER)
				leader = i;
		}
		for (uint64_t i = 1; leader && i < TNET_NODES; i++) {
			if (!c->node[i] || i == except)
				continue;
			struct raft_node_status st;
			raft_node_status(c->node[i], &st);
			bool member = false;
			for (size_t k = 0; k < st.n_members; k++)
				member |= st.members[k].id == i;
			if (member && st.leader != leader)
				agree = false;
		}
		if (leader && agree)
			return leader;
		pause_ms(5);
	}
	return 0;
}

bool tc_wait_applied(struct tcluster *c, uint64_t id, uint64_t index)
{
	for (int round = 0; round < 4000; round++) {
		if (tapp_applied(&c->app[id]) >= index)
			return true;
		pause_ms(5);
	}
	return false;
}

int tc_propose(struct tcluster *c, uint64_t id, uint32_t v, int *result)
{
	return raft_node_propose(c->node[id], &v, sizeof v, result, NULL);
}
