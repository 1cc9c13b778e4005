/*
 * raft_sim.c — the cluster: nodes driven as a real driver would drive the
 * core, the network between them, the faults, the run loop and the final
 * liveness and linearizability checks.  See raft_sim.h.
 *
 * Time is counted in steps; a node ticks every SIM_STEPS_PER_TICK steps,
 * give or take its skew.  Each step: deliver the messages due, tick the
 * nodes due, let clients act, inject faults (once per nominal tick), and
 * handle every node's ready.  Every one of these is an event, followed by
 * the invariant checks of raft_sim_check.c.
 */
#include "tests/raft_sim.h"

#include "engine/assert.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum sim_mutant mutant;

void sim_set_mutant(enum sim_mutant m)
{
	mutant = m;
}

uint64_t sim_rand(struct sim *s, uint64_t n)
{
	return test_rng_below(&s->rng, n);
}

bool sim_pm(struct sim *s, unsigned per_mille)
{
	return per_mille > 0 && sim_rand(s, 1000) < per_mille;
}

void sim_fail(struct sim *s, const char *fmt, ...)
{
	if (s->failed)
		return;
	s->failed = true;
	s->res->ok = false;
	int off = snprintf(s->res->why, sizeof s->res->why,
			   "step %" PRIu64 ": ", s->now);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->res->why + off, sizeof s->res->why - (size_t)off, fmt, ap);
	va_end(ap);
	if (s->verbose)
		fprintf(stderr, "FAIL %s\n", s->res->why);
}

void sim_trace(struct sim *s, const char *fmt, ...)
{
	if (!s->verbose)
		return;
	fprintf(stderr, "[%" PRIu64 "] ", s->now);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void core_log(void *ctx, int level, const char *line)
{
	struct sim_node *n = ctx;
	(void)level;
	fprintf(stderr, "        core %" PRIu64 ": %s\n", n->id, line);
}

int sim_slot_of(const struct sim *s, uint64_t id)
{
	for (int k = 0; k < s->p.nodes; k++)
		if (s->nodes[k].id == id)
			return k;
	return -1;
}

static void pick_profile(struct sim *s)
{
	struct sim_profile *p = &s->p;
	static const int sizes[] = {3, 3, 5, 5, 7};
	static const unsigned drops[] = {0, 0, 10, 50, 150};
	static const unsigned dups[] = {0, 10, 50};
	static const unsigned parts[] = {0, 10, 30, 60};
	static const unsigned crashes[] = {0, 5, 15};
	static const unsigned ready_crashes[] = {0, 3, 10};
	static const unsigned snaps[] = {8, 30, 100};
	p->voters = sizes[sim_rand(s, 5)];
	bool membership = sim_rand(s, 3) == 0;
	p->nodes = p->voters + (membership ? 2 : 0);
	p->drop_pm = drops[sim_rand(s, 5)];
	p->dup_pm = dups[sim_rand(s, 3)];
	p->delay_min = 1 + (unsigned)sim_rand(s, 5);
	p->delay_max = p->delay_min + (unsigned)sim_rand(s, 30);
	p->partition_pm = parts[sim_rand(s, 4)];
	p->crash_pm = crashes[sim_rand(s, 3)];
	p->crash_in_ready_pm = ready_crashes[sim_rand(s, 3)];
	p->tear_pct = 50;
	/*
	 * Clock rates differ by up to 10% (more would make a node without
	 * pre-vote, whose clock runs fast, win every election race and
	 * disrupt forever: a known limit of Raft, not a bug); ticks jitter.
	 */
	p->skew = (unsigned)sim_rand(s, 2);
	p->jitter = (unsigned)sim_rand(s, 5);
	p->snap_every = snaps[sim_rand(s, 3)];
	p->conf_pm = membership ? 20 : 0;
	p->transfer_pm = sim_rand(s, 2) ? 5 : 0;
	p->clients = 2 + (int)sim_rand(s, 4);
	p->op_pm = 30 + (unsigned)sim_rand(s, 150);
	p->keys = 1 + (unsigned)sim_rand(s, SIM_KEYS);
	if (p->keys == 1 && p->partition_pm > 0)
		p->keys = 2; /* one hot key under partitions: search blows up */
	static const uint64_t timeouts[] = {15, 30, 60, 120};
	p->op_timeout_ticks = timeouts[sim_rand(s, 4)];
	s->resolve_unknown = sim_rand(s, 2) != 0;
	p->fault_ticks = 300 + sim_rand(s, 500);
	p->live_ticks = 500;

	struct raft_config *c = &s->base_cfg;
	raft_config_default(c);
	c->election_tick = 10;
	c->heartbeat_tick = 1;
	c->pre_vote = sim_rand(s, 4) != 0;
	c->check_quorum = sim_rand(s, 2) != 0;
	c->max_msg_bytes = sim_rand(s, 2) ? 4096 : 200;
	c->max_inflight_msgs = 1 + (uint32_t)sim_rand(s, 64);
	c->max_inflight_bytes = sim_rand(s, 2) ? 0 : 8192;
	c->max_committed_bytes = sim_rand(s, 2) ? 0 : 300;
}

/* ---- node lifecycle ---- */

void sim_node_start(struct sim *s, int k)
{
	struct sim_node *n = &s->nodes[k];
	ASSERT(!n->up);
	const struct sim_log *d = &n->disk.durable;
	memset(&n->sm, 0, sizeof n->sm);
	if (d->snap.index > 0)
		ASSERT(sim_sm_decode(&n->sm, d->snap_data, d->snap_len) == 0);
	struct raft_config cfg = s->base_cfg;
	cfg.id = n->id;
	cfg.applied = n->sm.applied;
	cfg.seed = test_rng_next(&s->rng);
	if (s->verbose) {
		cfg.log = core_log;
		cfg.log_ctx = n;
	}
	struct raft_storage st = sim_disk_storage(&n->disk);
	int rc = raft_new(&cfg, &st, &n->r);
	if (rc != 0) {
		sim_fail(s, "raft_new of node %" PRIu64 " failed: %s", n->id,
			 raft_strerror(rc));
		n->r = NULL;
		return;
	}
	n->up = true;
	n->tick_period = SIM_STEPS_PER_TICK + s->p.skew -
			 sim_rand(s, 2 * (uint64_t)s->p.skew + 1);
	n->next_tick = s->now + 1 + sim_rand(s, n->tick_period);
	n->seen_commit = 0;
	n->seen_applied = 0;
	n->have_prev = false;
	n->n_props = n->n_reads = 0;
	sim_trace(s, "start node %" PRIu64 " (applied %" PRIu64 ")", n->id,
		  n->sm.applied);
}

/* The process dies: pending requests end, the disk keeps what it keeps. */
void sim_node_crash(struct sim *s, int k)
{
	struct sim_node *n = &s->nodes[k];
	ASSERT(n->up);
	size_t keep = (size_t)sim_rand(s, n->disk.nj + 1);
	size_t tear = sim_rand(s, 100) < s->p.tear_pct ? 1 + sim_rand(s, 4) : 0;
	sim_trace(s, "crash node %" PRIu64 " (keeps %zu of %zu writes)", n->id,
		  keep, n->disk.nj);
	if (keep < n->disk.nj && tear > 0 &&
	    n->disk.journal[keep].kind == SIM_WOP_ENTS)
		s->res->torn_crashes++;
	sim_disk_crash(&n->disk, keep, tear);
	raft_free(n->r);
	n->r = NULL;
	n->up = false;
	for (size_t i = 0; i < n->n_props; i++)
		sim_client_unknown(s, n->props[i].client);
	for (size_t i = 0; i < n->n_reads; i++)
		sim_client_retry(s, n->reads[i].client);
	n->n_props = n->n_reads = 0;
	s->res->crashes++;
	n->restart_at = s->now + (1 + sim_rand(s, 40)) * SIM_STEPS_PER_TICK;
}

/* ---- network ---- */

static void net_send(struct sim *s, const struct raft_msg *m)
{
	int from = sim_slot_of(s, m->from), to = sim_slot_of(s, m->to);
	if (from < 0 || to < 0 || m->from == m->to) {
		sim_fail(s, "message %s from %" PRIu64 " to unknown %" PRIu64,
			 raft_msg_type_name(m->type), m->from, m->to);
		return;
	}
	if (s->faults_on && (s->net.cut[from][to] || sim_pm(s, s->p.drop_pm)))
		return;
	int copies = s->faults_on && sim_pm(s, s->p.dup_pm) ? 2 : 1;
	for (int i = 0; i < copies; i++) {
		uint64_t d = s->p.delay_min +
			     sim_rand(s, s->p.delay_max - s->p.delay_min + 1);
		sim_net_push(&s->net, s->now + d, m);
	}
}

static void net_deliver(struct sim *s)
{
	struct sim_msg x;
	for (int bound = 0; bound < 100000 && sim_net_pop(&s->net, s->now, &x);
	     bound++) {
		int from = sim_slot_of(s, x.m.from), to = sim_slot_of(s, x.m.to);
		struct sim_node *n = &s->nodes[to];
		bool cut = s->faults_on && s->net.cut[from][to];
		if (n->up && !cut) {
			int rc = raft_step(n->r, &x.m);
			if (rc != 0)
				sim_fail(s, "raft_step(%s from %" PRIu64
					    ") on %" PRIu64 ": %s",
					 raft_msg_type_name(x.m.type), x.m.from,
					 n->id, raft_strerror(rc));
			sim_check_event(s);
		}
		sim_msg_free(&x.m);
		if (s->failed)
			return;
	}
}

/* ---- the ready ---- */

static void serve_reads(struct sim *s, struct sim_node *n)
{
	for (size_t i = 0; i < n->n_reads;) {
		struct sim_pending_read *rd = &n->reads[i];
		if ((rd->has_index && n->sm.applied >= rd->index) ||
		    mutant == SIM_MUTANT_STALE_READ) {
			int c = rd->client;
			uint64_t key = s->hist[s->clients[c].hist].key;
			*rd = n->reads[--n->n_reads];
			s->res->reads++;
			sim_client_done(s, c, true, n->sm.vals[key]);
		} else {
			i++;
		}
	}
}

/* The pending proposal at index, if any; removes it. */
static int take_prop(struct sim_node *n, uint64_t index)
{
	for (size_t i = 0; i < n->n_props; i++) {
		if (n->props[i].index == index) {
			int c = n->props[i].client;
			n->props[i] = n->props[--n->n_props];
			return c;
		}
	}
	return -1;
}

static void apply_entry(struct sim *s, int k, const struct raft_entry *e)
{
	struct sim_node *n = &s->nodes[k];
	if (e->index != n->sm.applied + 1) {
		sim_fail(s, "node %" PRIu64 " handed entry %" PRIu64
			    " to apply after %" PRIu64,
			 n->id, e->index, n->sm.applied);
		return;
	}
	uint64_t dt;
	if (!sim_log_term(&n->disk.durable, e->index, &dt) || dt != e->term)
		sim_fail(s, "node %" PRIu64 " applies entry %" PRIu64
			    " that is not durable locally",
			 n->id, e->index);
	n->sm.chain = sim_chain(n->sm.chain, e->term, e->index, e->type,
				e->data, e->len);
	n->sm.applied = e->index;
	bool first_apply = e->index >= s->com.cap || s->com.chain[e->index] == 0;
	sim_check_applied(s, k, e->index, e->term, n->sm.chain);
	if (e->type == RAFT_ENTRY_CONF && e->index > s->conf_seen) {
		s->conf_seen = e->index;
		s->res->conf_changes++;
	}
	struct sim_op op;
	bool is_op = e->type == RAFT_ENTRY_NORMAL &&
		     sim_op_decode(&op, e->data, e->len) == 0;
	bool first = first_apply;
	bool ok = is_op ? sim_sm_apply_op(&n->sm, &op) : false;
	if (is_op && first)
		sim_op_first_applied(s, &op, ok);
	int c = take_prop(n, e->index);
	if (c < 0)
		return;
	struct sim_client *cl = &s->clients[c];
	if (is_op && op.client == c && op.seq == cl->seq &&
	    cl->state == SIM_C_PENDING)
		sim_client_done(s, c, ok, 0);
	else if (cl->state == SIM_C_PENDING)
		sim_client_retry(s, c); /* another entry took the index */
}

static void restore_snapshot(struct sim *s, int k,
			     const struct raft_snapshot *snap)
{
	struct sim_node *n = &s->nodes[k];
	if (sim_sm_decode(&n->sm, snap->data, snap->len) != 0)
		return; /* already reported by sim_disk_write_snap */
	sim_trace(s, "node %" PRIu64 " restores snapshot %" PRIu64, n->id,
		  snap->meta.index);
	s->res->snap_installs++;
	sim_check_applied(s, k, snap->meta.index, snap->meta.term,
			  n->sm.chain);
	/* Proposals the snapshot jumped over: their outcome is unknown here. */
	for (size_t i = 0; i < n->n_props;) {
		if (n->props[i].index <= snap->meta.index) {
			int c = n->props[i].client;
			n->props[i] = n->props[--n->n_props];
			sim_client_unknown(s, c);
		} else {
			i++;
		}
	}
}

static bool crash_point(struct sim *s, int k)
{
	if (!s->faults_on || !sim_pm(s, s->p.crash_in_ready_pm))
		return false;
	sim_node_crash(s, k);
	return true;
}

static void local_snapshot(struct sim *s, int k)
{
	struct sim_node *n = &s->nodes[k];
	struct sim_disk *d = &n->disk;
	if (n->sm.applied < d->written.snap.index + s->p.snap_every)
		return;
	uint64_t term;
	ASSERT(sim_log_term(&d->written, n->sm.applied, &term));
	struct raft_conf_state conf;
	raft_conf_state(n->r, &conf);
	uint8_t buf[SIM_SNAP_BYTES];
	sim_sm_encode(&n->sm, buf);
	sim_disk_compact(d, n->sm.applied, term, &conf, buf, sizeof buf,
			 n->sm.chain);
	int rc = raft_compact(n->r, n->sm.applied);
	if (rc != 0)
		sim_fail(s, "raft_compact(%" PRIu64 ") on %" PRIu64 ": %s",
			 n->sm.applied, n->id, raft_strerror(rc));
	sim_trace(s, "node %" PRIu64 " snapshots at %" PRIu64, n->id,
		  n->sm.applied);
}

static void node_ready(struct sim *s, int k)
{
	struct sim_node *n = &s->nodes[k];
	struct raft_ready rd;
	raft_ready(n->r, &rd);
	for (size_t i = 0; i < rd.n_msgs; i++)
		net_send(s, &rd.msgs[i]);
	if (mutant == SIM_MUTANT_EARLY_ACK) {
		for (size_t i = 0; i < rd.n_msgs_after_persist; i++)
			net_send(s, &rd.msgs_after_persist[i]);
		rd.n_msgs_after_persist = 0;
	}
	if (rd.has_snapshot)
		sim_disk_write_snap(&n->disk, &rd.snapshot);
	sim_disk_write_ents(&n->disk, rd.entries, rd.n_entries);
	if (rd.has_hard_state)
		sim_disk_write_hs(&n->disk, &rd.hs);
	if (crash_point(s, k))
		return; /* raft_free released the ready */
	sim_disk_sync(&n->disk);
	if (crash_point(s, k))
		return;
	for (size_t i = 0; i < rd.n_msgs_after_persist; i++)
		net_send(s, &rd.msgs_after_persist[i]);
	if (rd.has_snapshot)
		restore_snapshot(s, k, &rd.snapshot);
	for (size_t i = 0; i < rd.n_committed && !s->failed; i++)
		apply_entry(s, k, &rd.committed[i]);
	for (size_t i = 0; i < rd.n_read_states; i++)
		for (size_t j = 0; j < n->n_reads; j++)
			if (n->reads[j].ctx == rd.read_states[i].ctx) {
				n->reads[j].index = rd.read_states[i].index;
				n->reads[j].has_index = true;
			}
	serve_reads(s, n);
	if (crash_point(s, k))
		return;
	raft_advance(n->r, &rd);
	local_snapshot(s, k);
}

static void handle_readies(struct sim *s)
{
	int order[SIM_SLOTS_MAX];
	for (int k = 0; k < s->p.nodes; k++)
		order[k] = k;
	for (int k = s->p.nodes - 1; k > 0; k--) {
		int j = (int)sim_rand(s, (uint64_t)k + 1), t = order[k];
		order[k] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < s->p.nodes && !s->failed; i++) {
		struct sim_node *n = &s->nodes[order[i]];
		for (int bound = 0; bound < 4 && n->up && raft_has_ready(n->r);
		     bound++) {
			node_ready(s, order[i]);
			sim_check_event(s);
		}
	}
}

static void step(struct sim *s)
{
	s->now++;
	net_deliver(s);
	for (int k = 0; k < s->p.nodes && !s->failed; k++) {
		struct sim_node *n = &s->nodes[k];
		if (n->up && s->now >= n->next_tick) {
			raft_tick(n->r);
			n->next_tick = s->now + n->tick_period +
				       sim_rand(s, s->p.jitter + 1) -
				       s->p.jitter / 2;
			sim_check_event(s);
		}
	}
	sim_clients_step(s);
	if (s->now % SIM_STEPS_PER_TICK == 0)
		sim_faults_tick(s);
	handle_readies(s);
}

/* ---- the run ---- */

static void sim_init(struct sim *s, uint64_t seed, bool verbose,
		     struct sim_result *res)
{
	memset(s, 0, sizeof *s);
	memset(res, 0, sizeof *res);
	res->ok = true;
	s->res = res;
	s->seed = seed;
	s->verbose = verbose;
	test_rng_init(&s->rng, seed);
	pick_profile(s);
	struct raft_conf_state boot = {.n_voters = (uint32_t)s->p.voters};
	for (int k = 0; k < s->p.voters; k++)
		boot.voters[k] = (uint64_t)k + 1;
	for (int k = 0; k < s->p.nodes; k++) {
		struct sim_node *n = &s->nodes[k];
		n->id = (uint64_t)k + 1;
		n->state = k < s->p.voters ? SIM_MEMBER : SIM_SPARE;
		/* A joining node starts from the bootstrap configuration
		 * too: replaying the log from index 1 then rebuilds the
		 * membership history, exactly as on the founders. */
		sim_disk_init(&n->disk, s, k, &boot);
	}
	s->faults_on = true;
	if (verbose) {
		const struct sim_profile *p = &s->p;
		fprintf(stderr,
			"profile: voters %d slots %d drop %u dup %u delay "
			"%u-%u partition %u crash %u ready-crash %u skew %u/%u "
			"snap %u conf %u transfer %u clients %d op %u keys %u "
			"prevote %d checkquorum %d\n",
			p->voters, p->nodes, p->drop_pm, p->dup_pm,
			p->delay_min, p->delay_max, p->partition_pm,
			p->crash_pm, p->crash_in_ready_pm, p->skew, p->jitter,
			p->snap_every, p->conf_pm, p->transfer_pm, p->clients,
			p->op_pm, p->keys, s->base_cfg.pre_vote,
			s->base_cfg.check_quorum);
	}
}

static void sim_destroy(struct sim *s)
{
	for (int k = 0; k < SIM_SLOTS_MAX; k++) {
		raft_free(s->nodes[k].r);
		sim_disk_free(&s->nodes[k].disk);
	}
	sim_net_free(&s->net);
	sim_check_free(s);
	free(s->hist);
	free(s->first_applied);
	free(s->first_ok);
}

/*
 * Converged: one up leader whose every member is up, has committed and
 * applied everything the leader holds, and has the same state; no client
 * still waiting.
 */
static bool converged(struct sim *s)
{
	int l = sim_leader(s);
	if (l < 0 || !sim_clients_idle(s))
		return false;
	struct raft_status ls;
	raft_status(s->nodes[l].r, &ls);
	if (ls.hs.commit != ls.last_index || ls.applied != ls.hs.commit)
		return false;
	const struct raft_conf_state *cs = &ls.conf;
	for (uint32_t i = 0; i < cs->n_voters + cs->n_learners; i++) {
		uint64_t id = i < cs->n_voters ? cs->voters[i]
					       : cs->learners[i - cs->n_voters];
		int k = sim_slot_of(s, id);
		if (k < 0 || !s->nodes[k].up)
			return false;
		struct raft_status st;
		raft_status(s->nodes[k].r, &st);
		if (st.hs.commit != ls.hs.commit || st.applied != ls.applied ||
		    st.leader != ls.id ||
		    memcmp(&s->nodes[k].sm, &s->nodes[l].sm,
			   sizeof s->nodes[l].sm) != 0)
			return false;
	}
	return true;
}

static void dump_nodes(struct sim *s)
{
	for (int k = 0; k < s->p.nodes; k++) {
		struct sim_node *n = &s->nodes[k];
		if (!n->up) {
			fprintf(stderr, "node %" PRIu64 ": down (state %d)\n",
				n->id, (int)n->state);
			continue;
		}
		struct raft_status st;
		raft_status(n->r, &st);
		fprintf(stderr,
			"node %" PRIu64 ": %s term %" PRIu64 " leader %" PRIu64
			" commit %" PRIu64 " applied %" PRIu64 " last %" PRIu64
			" stable %" PRIu64 " voters %u learners %u\n",
			n->id, raft_role_name(st.role), st.hs.term, st.leader,
			st.hs.commit, st.applied, st.last_index,
			st.stable_index, st.conf.n_voters, st.conf.n_learners);
		fprintf(stderr, "   voters");
		for (uint32_t i = 0; i < st.conf.n_voters; i++)
			fprintf(stderr, " %" PRIu64, st.conf.voters[i]);
		fprintf(stderr, " learners");
		for (uint32_t i = 0; i < st.conf.n_learners; i++)
			fprintf(stderr, " %" PRIu64, st.conf.learners[i]);
		fprintf(stderr, " vote %" PRIu64 "\n", st.hs.vote);
		for (uint32_t i = 0; i < st.n_peers; i++)
			fprintf(stderr,
				"   peer %" PRIu64 " state %d match %" PRIu64
				" next %" PRIu64 " inflight %u active %d\n",
				st.peers[i].id, st.peers[i].state,
				st.peers[i].match, st.peers[i].next,
				st.peers[i].inflight_msgs,
				st.peers[i].recent_active);
	}
	for (int c = 0; c < s->p.clients; c++)
		fprintf(stderr, "client %d: state %d target %d\n", c,
			(int)s->clients[c].state, s->clients[c].target);
}

static void check_history(struct sim *s)
{
	struct lin_report rep;
	int rc = lin_check(s->hist, s->n_hist, 200000000, &rep);
	s->res->lin_steps = rep.steps;
	if (rc == LIN_OK)
		return;
	sim_fail(s, "client history (%zu ops): %s on key %" PRIu64, s->n_hist,
		 lin_result_name(rc), rep.bad_key);
	if (s->verbose)
		lin_print_key(stderr, s->hist, s->n_hist, rep.bad_key);
}

int sim_run(uint64_t seed, bool verbose, struct sim_result *res)
{
	struct sim *s = calloc(1, sizeof *s);
	ASSERT(s != NULL);
	sim_init(s, seed, verbose, res);
	for (int k = 0; k < s->p.voters; k++)
		sim_node_start(s, k);
	uint64_t fault_end = s->p.fault_ticks * SIM_STEPS_PER_TICK;
	while (!s->failed && s->now < fault_end)
		step(s);
	if (!s->failed)
		sim_faults_stop(s);
	uint64_t live_end = s->now + s->p.live_ticks * SIM_STEPS_PER_TICK;
	bool ok = false;
	while (!s->failed && s->now < live_end && !ok) {
		step(s);
		ok = s->now % SIM_STEPS_PER_TICK == 0 && converged(s);
	}
	if (!s->failed && !ok) {
		int l = sim_leader(s);
		sim_fail(s, "liveness: no convergence %" PRIu64
			    " ticks after faults stopped (leader: %s)",
			 s->p.live_ticks, l >= 0 ? "yes" : "none");
		if (verbose)
			dump_nodes(s);
	}
	sim_clients_finish(s);
	if (!s->failed) {
		sim_clients_resolve(s);
		check_history(s);
	}
	res->steps = s->now;
	sim_destroy(s);
	free(s);
	return res->ok ? 0 : 1;
}
