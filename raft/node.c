/*
 * node.c — the Raft node driver: start/stop, the driver thread's loop, and
 * the execution of ready records in the order raft.h demands (struct
 * raft_ready, steps 1-9).  Proposals are in node_propose.c, read barriers
 * in node_read.c, the address book in node_peers.c, membership in
 * node_admin.c, snapshots in node_snapshot.c.
 *
 * Group commit: the loop drains every queued proposal into the core before
 * it asks for a ready, so all proposals that arrived while the previous
 * ready was being persisted share one raft_log_store_sync.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/assert.h"
#include "raft/codec.h"
#include "raft/node_int.h"

const char *raft_node_strerror(int err)
{
	switch (err) {
	case RAFT_NODE_EINDETERMINATE:
		return "outcome unknown: may or may not have committed";
	case RAFT_NODE_EUNAVAILABLE:
		return "no leader or quorum in time: nothing committed";
	case RAFT_NODE_ESTOPPED:
		return "node stopped";
	case RAFT_NODE_EFAILED:
		return "node failed (fatal error)";
	default:
		return raft_strerror(err);
	}
}

uint64_t node_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void node_logf(struct raft_node *n, int level, const char *fmt, ...)
{
	if (!n->opts.log_fn)
		return;
	char line[512];
	int k = snprintf(line, sizeof line, "raft node %llu: ",
			 (unsigned long long)n->opts.id);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + k, sizeof line - (size_t)k, fmt, ap);
	va_end(ap);
	n->opts.log_fn(n->opts.log_ctx, level, line);
}

static void core_log(void *ctx, int level, const char *line)
{
	struct raft_node *n = ctx;
	if (n->opts.log_fn)
		n->opts.log_fn(n->opts.log_ctx, level, line);
}

static void store_log(void *ctx, enum kv_log_level level, const char *msg)
{
	struct raft_node *n = ctx;
	if (n->opts.log_fn)
		n->opts.log_fn(n->opts.log_ctx, (int)level, msg);
}

/* Encodes m and queues it on the network; loss is Raft's business. */
void node_send_msg(struct raft_node *n, const struct raft_msg *m)
{
	if (m->type == RAFT_MSG_SNAPSHOT && node_snap_send(n, m))
		return; /* streamed first; node_snapshot.c sends m after */
	size_t len = raft_msg_encoded_bytes(m);
	uint8_t *buf = malloc(len);
	if (!buf)
		return;
	size_t w = 0;
	if (raft_msg_encode(m, buf, len, &w) == 0)
		(void)n->net->send(n->net->ctx, m->to, RAFT_FRAME_MSG, buf, w,
				   false);
	free(buf);
}

/* A fatal error (disk): stop driving, fail every waiter.  Under mu. */
void node_fail(struct raft_node *n, int err)
{
	if (n->error)
		return;
	n->error = err ? err : RAFT_NODE_EFAILED;
	node_logf(n, 3, "fatal error, node stops: %s",
		  raft_log_store_strerror(err));
	node_props_fail_all(n, RAFT_NODE_EFAILED);
	node_reads_fail_all(n, RAFT_NODE_EFAILED);
	pthread_cond_broadcast(&n->done);
}

/* ---- receiving ------------------------------------------------------- */

void raft_node_receive(void *node, uint64_t from, uint8_t type,
		       const void *payload, size_t len)
{
	struct raft_node *n = node;
	pthread_mutex_lock(&n->mu);
	if (n->stopping || n->in_n >= NODE_INBOX_MAX ||
	    n->in_bytes + len > NODE_INBOX_BYTES_MAX) {
		pthread_mutex_unlock(&n->mu); /* dropped: Raft retries */
		return;
	}
	struct node_frame *f = malloc(sizeof *f + len);
	if (f) {
		f->next = NULL;
		f->from = from;
		f->type = type;
		f->len = len;
		if (len)
			memcpy(f->data, payload, len);
		if (n->in_tail)
			n->in_tail->next = f;
		else
			n->in_head = f;
		n->in_tail = f;
		n->in_n++;
		n->in_bytes += len;
		pthread_cond_signal(&n->wake);
	}
	pthread_mutex_unlock(&n->mu);
}

/* Notes that peer `from` was heard from now (a message that decoded). */
static void heard(struct raft_node *n, uint64_t from)
{
	size_t free_slot = SIZE_MAX, cap = 2 * RAFT_NODES_MAX;
	for (size_t i = 0; i < cap; i++) {
		if (n->heard_id[i] == from) {
			n->heard_tick[i] = n->ticks;
			return;
		}
		if (free_slot == SIZE_MAX && n->heard_id[i] == 0)
			free_slot = i;
	}
	if (free_slot == SIZE_MAX) /* full: replace the stalest */
		for (size_t i = free_slot = 0; i < cap; i++)
			if (n->heard_tick[i] < n->heard_tick[free_slot])
				free_slot = i;
	n->heard_id[free_slot] = from;
	n->heard_tick[free_slot] = n->ticks;
}

static void step_msg(struct raft_node *n, uint64_t from, const uint8_t *data,
		     size_t len)
{
	struct raft_msg m;
	if (raft_msg_decode(data, len, &m) != 0)
		return; /* bytes from the network: validated, never asserted */
	heard(n, from);
	/* A snapshot is stepped only once its directory is in place. */
	if (m.to == n->opts.id && m.from == from &&
	    (m.type != RAFT_MSG_SNAPSHOT || node_snap_accept(n, &m)))
		(void)raft_step(n->r, &m);
	raft_msg_decoded_free(&m);
}

/* Steps one received frame.  Under mu. */
static void handle_frame(struct raft_node *n, const struct node_frame *f)
{
	switch (f->type) {
	case RAFT_FRAME_MSG:
		step_msg(n, f->from, f->data, f->len);
		break;
	case RAFT_FRAME_PROPOSE:
		node_frame_propose(n, f->from, f->data, f->len);
		break;
	case RAFT_FRAME_PROPOSE_NACK:
		node_frame_nack(n, f->data, f->len);
		break;
	case RAFT_FRAME_SNAP_CHUNK:
	case RAFT_FRAME_SNAP_ACK:
		node_snap_frame(n, f->from, f->type, f->data, f->len);
		break;
	default:
		break;
	}
}

/* ---- the ready record -------------------------------------------------- */

/*
 * Ready steps 2-4 and their one sync.  Called without mu.
 * A ready whose only durable change is the commit index is written but not
 * synced (as etcd's MustSync): nothing sent after it depends on it, a
 * crash recovers a lower commit that the leader raises again, and an app
 * that applied beyond the recovered commit is covered at start (applied
 * entries were committed: raft_new and open_core raise the commit).
 */
static int persist(struct raft_node *n, const struct raft_ready *rd)
{
	int rc = 0;
	bool wrote = false;
	if (rd->has_hard_state && (rd->hs.term != n->durable_hs.term ||
				   rd->hs.vote != n->durable_hs.vote))
		wrote = true;
	if (rd->has_snapshot) {
		rc = raft_log_store_set_snapshot(n->ls, &rd->snapshot.meta,
						 NULL);
		wrote = true;
	}
	if (rc == 0 && rd->n_entries > 0) {
		rc = raft_log_store_append(n->ls, rd->entries, rd->n_entries,
					   NULL);
		wrote = true;
	}
	if (rc == 0 && rd->has_hard_state)
		rc = raft_log_store_set_hard_state(n->ls, &rd->hs, NULL);
	if (rc == 0 && wrote)
		rc = raft_log_store_sync(n->ls, 0);
	if (rc == 0 && rd->has_hard_state)
		n->durable_hs = rd->hs;
	return rc;
}

/* Applies one committed entry (ready step 7).  Under mu; drops it around
 * the app.  Returns 0 or RAFT_NODE_EFAILED. */
static int apply_entry(struct raft_node *n, const struct raft_entry *e)
{
	uint8_t ver = 0;
	uint64_t origin = 0, req = 0;
	const uint8_t *cmd = NULL;
	size_t cmd_len = 0;
	if (e->type == RAFT_ENTRY_NORMAL && e->len > 0) {
		if (node_hdr_decode(e->data, e->len, &ver, &origin, &req) == 0 &&
		    ver == NODE_HDR_CMD) {
			cmd = e->data + NODE_HDR_BYTES;
			cmd_len = e->len - NODE_HDR_BYTES;
		} else if (ver == NODE_HDR_ADDR) {
			node_addrs_apply(n, e->data + NODE_HDR_BYTES,
					 e->len - NODE_HDR_BYTES);
		} else {
			node_logf(n, 2, "entry %llu: unknown header, skipped",
				  (unsigned long long)e->index);
		}
	} else if (e->type == RAFT_ENTRY_CONF) {
		node_conf_applied(n, e);
	}
	uint64_t aux = 0;
	pthread_mutex_unlock(&n->mu);
	int res = n->app.apply(n->app.ctx, e->index, cmd, cmd_len, &aux);
	pthread_mutex_lock(&n->mu);
	if (res == RAFT_NODE_EFAILED)
		return RAFT_NODE_EFAILED;
	ASSERT(e->index == n->applied + 1);
	n->applied = e->index;
	n->since_snap++;
	node_props_on_apply(n, e, ver ? origin : 0, req, res, aux);
	return 0;
}

static int apply_committed(struct raft_node *n, const struct raft_ready *rd)
{
	for (size_t i = 0; i < rd->n_committed; i++) {
		if (rd->committed[i].index <= n->applied)
			continue; /* covered by the snapshot just installed */
		int rc = apply_entry(n, &rd->committed[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Carries out one ready record, raft.h steps 1-9.  Under mu. */
static int run_ready(struct raft_node *n)
{
	struct raft_ready rd;
	raft_ready(n->r, &rd);
	for (size_t i = 0; i < rd.n_msgs; i++)
		node_send_msg(n, &rd.msgs[i]);
	/*
	 * On the leader, committed entries are durable here already (the
	 * core hands out none beyond the stable index), so they are applied,
	 * and their waiters woken, before this ready's new entries are made
	 * durable: a reply does not wait for the next batch's fsync.  A
	 * follower makes its new entries durable and acknowledges them
	 * first, since the leader's commit waits for that ack and no client
	 * waits for the follower's apply.  A snapshot comes first (step 6),
	 * so then the order is the plain one; so it is with a conf change,
	 * which takes effect only in raft_advance and whose caller must find
	 * it in effect when woken.
	 */
	bool early = !rd.has_snapshot && n->st.role == RAFT_LEADER;
	for (size_t i = 0; early && i < rd.n_committed; i++)
		early = rd.committed[i].type != RAFT_ENTRY_CONF;
	int rc;
	if (early) {
		rc = apply_committed(n, &rd);
		if (rc != 0)
			return rc;
		node_reads_complete(n);
	}
	pthread_mutex_unlock(&n->mu);
	rc = persist(n, &rd);
	pthread_mutex_lock(&n->mu);
	if (rc != 0)
		return rc; /* not advanced: the node stops (node_fail) */
	for (size_t i = 0; i < rd.n_msgs_after_persist; i++)
		node_send_msg(n, &rd.msgs_after_persist[i]);
	if (rd.has_snapshot)
		rc = node_snap_install(n, &rd.snapshot.meta);
	if (rc == 0 && !early)
		rc = apply_committed(n, &rd);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < rd.n_read_states; i++)
		node_reads_on_state(n, &rd.read_states[i]);
	raft_advance(n->r, &rd);
	return 0;
}

/* Logs elections and leader changes, and settles waiters they affect. */
static void watch_leader(struct raft_node *n)
{
	const struct raft_status *st = &n->st;
	if (st->leader != RAFT_NONE)
		n->last_leader_tick = n->ticks;
	if (st->leader == n->seen_leader && st->hs.term == n->seen_term &&
	    st->role == n->seen_role)
		return;
	if (st->role != n->seen_role && st->role == RAFT_LEADER)
		node_logf(n, 1, "elected leader in term %llu",
			  (unsigned long long)st->hs.term);
	else if (st->role != n->seen_role && st->role == RAFT_CANDIDATE)
		node_logf(n, 1, "starting an election for term %llu",
			  (unsigned long long)st->hs.term);
	else if (st->leader != n->seen_leader && st->leader != RAFT_NONE &&
		 st->leader != n->opts.id)
		node_logf(n, 1, "leader is now node %llu (term %llu)",
			  (unsigned long long)st->leader,
			  (unsigned long long)st->hs.term);
	if (st->leader != n->seen_leader || st->hs.term != n->seen_term) {
		node_props_on_leader_change(n);
		node_reads_on_leader_change(n);
	}
	n->seen_leader = st->leader;
	n->seen_term = st->hs.term;
	n->seen_role = st->role;
}

/* One pass of the loop after waiting: frames, tick, queued work, readies.
 * Under mu. */
static void loop_once(struct raft_node *n, bool tick)
{
	struct node_frame *f = n->in_head;
	n->in_head = n->in_tail = NULL;
	n->in_n = 0;
	n->in_bytes = 0;
	n->kick = false;
	while (f) {
		struct node_frame *next = f->next;
		handle_frame(n, f);
		free(f);
		f = next;
	}
	if (tick) {
		raft_tick(n->r);
		n->ticks++;
		node_snap_tick(n);
	}
	raft_status(n->r, &n->st);
	/* Before proposing: a waiter queued now must not be judged by a
	 * leader change that happened before it was forwarded. */
	watch_leader(n);
	node_props_drive(n);
	node_reads_drive(n);
	/* Bounded: each ready consumes the work queued above; a core that
	 * keeps producing readies is served again on the next pass. */
	for (int i = 0; i < 64 && !n->error && raft_has_ready(n->r); i++) {
		int rc = run_ready(n);
		if (rc != 0) {
			node_fail(n, rc);
			break;
		}
		raft_status(n->r, &n->st);
		watch_leader(n);
	}
	if (!n->error && raft_has_ready(n->r))
		n->kick = true; /* more to do: next pass without waiting */
	raft_status(n->r, &n->st);
	watch_leader(n);
	node_reads_complete(n);
	if (!n->error)
		node_snap_maybe_create(n);
}

static void *node_main(void *arg)
{
	struct raft_node *n = arg;
	uint64_t tick_ms = n->opts.tick_ms;
	uint64_t next_tick = node_now_ms() + tick_ms;
	pthread_mutex_lock(&n->mu);
	while (!n->stopping && !n->error) {
		uint64_t now = node_now_ms();
		if (!n->in_head && !n->kick && now < next_tick) {
			struct timespec ts = {
				.tv_sec = (time_t)(next_tick / 1000),
				.tv_nsec = (long)(next_tick % 1000) * 1000000};
			pthread_cond_timedwait(&n->wake, &n->mu, &ts);
			continue;
		}
		bool tick = now >= next_tick;
		loop_once(n, tick);
		/*
		 * Ticks are at least tick_ms apart, counted from the end of
		 * the pass that ticked (missed ticks are not caught up): an
		 * election timeout of k ticks after a message handled in a
		 * pass is then never shorter than (k - 1) * tick_ms, which
		 * leaders' read leases rely on (node_read.c).
		 */
		if (tick)
			next_tick = node_now_ms() + tick_ms;
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

/* ---- start and stop -------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The initial voters of a new cluster: every listed peer (self included). */
static int boot_conf(const struct raft_node_options *o,
		     struct raft_conf_state *cs)
{
	memset(cs, 0, sizeof *cs);
	if (o->join)
		return 0;
	bool self = false;
	for (size_t i = 0; i < o->n_peers; i++) {
		if (cs->n_voters == RAFT_NODES_MAX || o->peers[i].id == 0)
			return RAFT_ERR_INVALID;
		cs->voters[cs->n_voters++] = o->peers[i].id;
		self |= o->peers[i].id == o->id;
	}
	if (!self) {
		if (cs->n_voters == RAFT_NODES_MAX)
			return RAFT_ERR_INVALID;
		cs->voters[cs->n_voters++] = o->id;
	}
	qsort(cs->voters, cs->n_voters, sizeof cs->voters[0], cmp_u64);
	for (uint32_t i = 1; i < cs->n_voters; i++)
		if (cs->voters[i] == cs->voters[i - 1])
			return RAFT_ERR_INVALID;
	return 0;
}

/*
 * The seed of the core's randomized election timeouts.  Nodes started
 * together must draw different timeouts, or after a leader's loss they
 * time out in the same tick, split the vote, and do it again: the former
 * seed, id * K ^ now_ms, lost the id to the core's own "seed ^ id * K"
 * and was equal on nodes started in the same millisecond (elections of
 * 5-20 s seen in clusterbench's failover).  The kernel's randomness, or
 * failing that the nanosecond clock and the pid.
 */
static uint64_t election_seed(void)
{
	uint64_t seed;
	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed)
		return seed;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec * 0xBF58476D1CE4E5B9ull ^
	       (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 32);
}

static int open_core(struct raft_node *n)
{
	uint64_t applied = n->app.applied_index(n->app.ctx);
	struct raft_snapshot_meta sm;
	raft_log_store_snapshot_meta(n->ls, &sm);
	n->snap_index = sm.index;
	if (applied < sm.index) {
		/* A received snapshot was recorded but not installed (crash
		 * between ready steps 2 and 6): install it now. */
		pthread_mutex_lock(&n->mu);
		int rc = node_snap_install(n, &sm);
		pthread_mutex_unlock(&n->mu);
		if (rc != 0)
			return rc;
		applied = n->app.applied_index(n->app.ctx);
	}
	uint64_t last = raft_log_store_last_index(n->ls);
	if (applied > last || applied < sm.index) {
		node_logf(n, 3, "state machine applied %llu outside the log "
			  "[%llu, %llu]: refusing to start",
			  (unsigned long long)applied,
			  (unsigned long long)sm.index,
			  (unsigned long long)last);
		return RAFT_ERR_CORRUPT;
	}
	int rc = raft_log_store_set_applied(n->ls, applied);
	if (rc != 0)
		return rc;
	raft_log_store_hard_state(n->ls, &n->durable_hs);
	if (applied > n->durable_hs.commit) {
		/* Commit-only hard states are not synced (see persist): the
		 * app applied committed entries beyond the durable commit.
		 * The core also takes applied as committed (raft_new); this
		 * makes the durable record say so too. */
		n->durable_hs.commit = applied;
		rc = raft_log_store_set_hard_state(n->ls, &n->durable_hs, NULL);
		if (rc == 0)
			rc = raft_log_store_sync(n->ls, 0);
		if (rc != 0)
			return rc;
	}
	n->applied = applied;
	struct raft_config cfg;
	raft_config_default(&cfg);
	cfg.id = n->opts.id;
	cfg.election_tick = n->opts.election_ticks;
	cfg.heartbeat_tick = n->opts.heartbeat_ticks;
	cfg.applied = applied;
	cfg.pre_vote = true;
	cfg.check_quorum = true;
	/* Always, leases served here or not: the other nodes' leases count
	 * on this node's refusals. */
	cfg.lease_guard = true;
	cfg.seed = election_seed();
	cfg.log = core_log;
	cfg.log_ctx = n;
	struct raft_storage stg = raft_log_store_storage(n->ls);
	return raft_new(&cfg, &stg, &n->r);
}

static int node_open(struct raft_node *n)
{
	struct raft_log_store_options lo = {.io = n->opts.io,
					    .log_fn = store_log,
					    .log_ctx = n};
	int rc = boot_conf(&n->opts, &lo.boot_conf);
	if (rc != 0)
		return rc;
	if (mkdir(n->dir, 0755) != 0 && errno != EEXIST)
		return -errno;
	rc = raft_log_store_open(n->dir, &lo, &n->ls);
	if (rc != 0)
		return rc;
	rc = node_addrs_load(n);
	if (rc != 0)
		return rc;
	rc = node_snap_open(n);
	if (rc != 0)
		return rc;
	rc = open_core(n);
	if (rc != 0)
		return rc;
	raft_status(n->r, &n->st);
	n->seen_role = n->st.role;
	n->seen_term = n->st.hs.term;
	struct raft_conf_state *cs = &n->st.conf;
	if (cs->n_voters == 1 && cs->voters[0] == n->opts.id) {
		node_logf(n, 1, "single voter: electing itself");
		raft_campaign(n->r);
	}
	return 0;
}

static void node_free(struct raft_node *n)
{
	raft_free(n->r);
	if (n->ls)
		(void)raft_log_store_close(n->ls);
	node_snap_close(n);
	while (n->in_head) {
		struct node_frame *f = n->in_head;
		n->in_head = f->next;
		free(f);
	}
	pthread_cond_destroy(&n->wake);
	pthread_cond_destroy(&n->done);
	pthread_mutex_destroy(&n->mu);
	free(n->dir);
	free(n);
}

/*
 * Each waiting caller (proposal, read barrier) sleeps on a condition of
 * its own, signalled only when its outcome is known: a broadcast to all of
 * them on every pass of the driver woke every waiter to find most not
 * done, all contending for mu with the driver.  n->done is left for
 * raft_node_stop, waiting for callers to leave.
 */
void node_waiter_cv_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

static int node_init_sync(struct raft_node *n)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->wake, &ca);
	pthread_cond_init(&n->done, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

int raft_node_start(const struct raft_node_options *opts,
		    const struct raft_node_app *app, struct raft_node **out)
{
	if (!opts || !app || opts->id == RAFT_NONE || !opts->dir ||
	    !opts->net || !app->applied_index || !app->apply || !app->sync ||
	    !app->snapshot_create || !app->snapshot_install)
		return RAFT_ERR_INVALID;
	struct raft_node *n = calloc(1, sizeof *n);
	if (!n)
		return -ENOMEM;
	n->opts = *opts;
	n->app = *app;
	n->net = opts->net;
	n->dir = strdup(opts->dir);
	if (!n->opts.tick_ms)
		n->opts.tick_ms = 100;
	if (!n->opts.election_ticks)
		n->opts.election_ticks = 10;
	if (!n->opts.heartbeat_ticks)
		n->opts.heartbeat_ticks = 1;
	if (!n->opts.propose_timeout_ms)
		n->opts.propose_timeout_ms = 10000;
	if (!n->opts.snapshot_entries)
		n->opts.snapshot_entries = 10000;
	if (n->opts.lease_reads && n->opts.election_ticks >= 3)
		n->lease_ms = (uint64_t)(n->opts.election_ticks - 2) *
			      n->opts.tick_ms;
	/* Request ids are unique across restarts of this node: an entry of
	 * an earlier life replayed now must not match a new waiter. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	n->next_req = ((uint64_t)ts.tv_sec * 1000000000ull +
		       (uint64_t)ts.tv_nsec) << 4;
	/* Read rounds too: a ReadIndex answer meant for an earlier life
	 * (still in flight at restart) must not release a new barrier. */
	n->read_ctx = n->next_req;
	node_init_sync(n);
	int rc = n->dir ? node_open(n) : -ENOMEM;
	if (rc == 0) {
		rc = -pthread_create(&n->thread, NULL, node_main, n);
		n->thread_started = rc == 0;
	}
	if (rc != 0) {
		node_logf(n, 3, "start failed: %s", raft_node_strerror(rc));
		node_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

void raft_node_stop(struct raft_node *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stopping = true;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->mu);
	if (n->thread_started)
		pthread_join(n->thread, NULL);
	pthread_mutex_lock(&n->mu);
	node_props_fail_all(n, RAFT_NODE_ESTOPPED);
	node_reads_fail_all(n, RAFT_NODE_ESTOPPED);
	pthread_cond_broadcast(&n->done);
	/* Bounded by the callers present: each leaves once woken. */
	while (n->callers > 0)
		pthread_cond_wait(&n->done, &n->mu);
	pthread_mutex_unlock(&n->mu);
	if (!n->error)
		(void)n->app.sync(n->app.ctx);
	node_free(n);
}
