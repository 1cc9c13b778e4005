/*
 * raft_test_net.c — see raft_test_net.h.  Messages travel encoded with the
 * codec (decode errors fail the test), so every behaviour test also checks
 * the wire format round trip.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/codec.h"
#include "tests/raft_test_net.h"
#include "tests/testutil.h"

/* ---- storage ---- */

void tn_storage_init(struct tn_storage *s, const uint64_t *voters, int n)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < n; i++)
		s->conf.voters[s->conf.n_voters++] = voters[i];
}

static void free_ents(struct raft_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].data);
}

void tn_storage_free(struct tn_storage *s)
{
	free_ents(s->ents, s->n_ents);
	free(s->ents);
	free(s->snap.data);
	memset(s, 0, sizeof(*s));
}

static uint64_t st_first(void *ctx)
{
	struct tn_storage *s = ctx;
	return s->snap.meta.index + 1;
}

static uint64_t st_last(void *ctx)
{
	struct tn_storage *s = ctx;
	return s->snap.meta.index + s->n_ents;
}

static int st_term(void *ctx, uint64_t i, uint64_t *t)
{
	struct tn_storage *s = ctx;
	if (i < s->snap.meta.index)
		return RAFT_ERR_COMPACTED;
	if (i == s->snap.meta.index) {
		*t = s->snap.meta.term;
		return 0;
	}
	if (i > st_last(s))
		return RAFT_ERR_UNAVAILABLE;
	*t = s->ents[i - s->snap.meta.index - 1].term;
	return 0;
}

static int st_entries(void *ctx, uint64_t lo, uint64_t hi, uint64_t max,
		      struct raft_entry *out, size_t *n)
{
	struct tn_storage *s = ctx;
	ck_assert_uint_ge(lo, st_first(s));
	ck_assert_uint_le(hi, st_last(s) + 1);
	uint64_t bytes = 0;
	size_t k = 0;
	for (uint64_t i = lo; i < hi; i++) {
		const struct raft_entry *e = &s->ents[i - s->snap.meta.index - 1];
		if (k > 0 && bytes + e->len > max)
			break;
		out[k++] = *e;
		bytes += e->len;
	}
	*n = k;
	return 0;
}

static int st_snapshot(void *ctx, struct raft_snapshot *out)
{
	struct tn_storage *s = ctx;
	*out = s->snap;
	return 0;
}

static int st_initial(void *ctx, struct raft_hard_state *hs,
		      struct raft_conf_state *conf)
{
	struct tn_storage *s = ctx;
	*hs = s->hs;
	*conf = s->snap.meta.index > 0 ? s->snap.meta.conf : s->conf;
	return 0;
}

struct raft_storage tn_storage_iface(struct tn_storage *s)
{
	return (struct raft_storage){.ctx = s,
				     .initial_state = st_initial,
				     .first_index = st_first,
				     .last_index = st_last,
				     .term = st_term,
				     .entries = st_entries,
				     .snapshot = st_snapshot};
}

void tn_storage_append(struct tn_storage *s, const struct raft_entry *e,
		       size_t n)
{
	if (n == 0)
		return;
	uint64_t base = s->snap.meta.index + 1;
	ck_assert_uint_ge(e[0].index, base);
	size_t keep = (size_t)(e[0].index - base);
	ck_assert_uint_le(keep, s->n_ents);
	free_ents(s->ents + keep, s->n_ents - keep);
	s->n_ents = keep;
	if (s->n_ents + n > s->cap_ents) {
		s->cap_ents = (s->n_ents + n) * 2;
		s->ents = realloc(s->ents, s->cap_ents * sizeof(*s->ents));
		ck_assert_ptr_nonnull(s->ents);
	}
	for (size_t i = 0; i < n; i++) {
		struct raft_entry c = e[i];
		c.data = NULL;
		if (c.len) {
			c.data = malloc(c.len);
			memcpy(c.data, e[i].data, c.len);
		}
		s->ents[s->n_ents++] = c;
	}
}

void tn_storage_set_snapshot(struct tn_storage *s,
			     const struct raft_snapshot *snap)
{
	/* Keep a suffix that the snapshot's last entry matches (§7). */
	uint64_t t;
	size_t drop = s->n_ents;
	if (snap->meta.index > s->snap.meta.index &&
	    st_term(s, snap->meta.index, &t) == 0 && t == snap->meta.term)
		drop = (size_t)(snap->meta.index - s->snap.meta.index);
	free_ents(s->ents, drop);
	if (drop > 0)
		memmove(s->ents, s->ents + drop,
			(s->n_ents - drop) * sizeof(*s->ents));
	s->n_ents -= drop;
	free(s->snap.data);
	s->snap = *snap;
	s->snap.data = NULL;
	if (snap->len) {
		s->snap.data = malloc(snap->len);
		memcpy(s->snap.data, snap->data, snap->len);
	}
}

void tn_storage_compact(struct tn_storage *s, uint64_t index,
			const struct raft_conf_state *conf)
{
	uint64_t t;
	ck_assert_int_eq(st_term(s, index, &t), 0);
	struct raft_snapshot snap = {.meta = {.index = index, .term = t,
					      .conf = *conf},
				     .len = 4,
				     .data = (uint8_t *)"SNAP"};
	tn_storage_set_snapshot(s, &snap);
}

/* ---- network ---- */

struct tn_node *tn_node(struct tn_net *net, uint64_t id)
{
	ck_assert(id >= 1 && id <= (uint64_t)net->n);
	return &net->nodes[id - 1];
}

struct raft *tn_raft(struct tn_net *net, uint64_t id)
{
	return tn_node(net, id)->r;
}

static void log_line(void *ctx, int level, const char *line)
{
	(void)ctx;
	fprintf(stderr, "  [%d] %s\n", level, line);
}

/* VERISTORE_RAFT_TRACE=1 prints core log lines and every delivery. */
static bool trace(void)
{
	return test_env_u64("RAFT_TRACE", 0) != 0;
}

static void start_node(struct tn_node *nd)
{
	if (trace())
		nd->cfg.log = log_line;
	struct raft_storage si = tn_storage_iface(&nd->st);
	int rc = raft_new(&nd->cfg, &si, &nd->r);
	ck_assert_msg(rc == 0, "raft_new: %s", raft_strerror(rc));
}

struct tn_net *tn_new(int n, int n_voters, int n_learners, bool pre_vote,
		      bool check_quorum, uint64_t seed)
{
	ck_assert(n >= 1 && n <= TN_NODES_MAX && n_voters + n_learners <= n);
	struct tn_net *net = calloc(1, sizeof(*net));
	net->n = n;
	net->q = calloc(TN_QUEUE_MAX, sizeof(*net->q));
	uint64_t voters[TN_NODES_MAX];
	for (int i = 0; i < n_voters; i++)
		voters[i] = (uint64_t)i + 1;
	for (int i = 0; i < n; i++) {
		struct tn_node *nd = &net->nodes[i];
		nd->id = (uint64_t)i + 1;
		tn_storage_init(&nd->st, voters, n_voters);
		for (int k = n_voters; k < n_voters + n_learners; k++)
			nd->st.conf.learners[nd->st.conf.n_learners++] =
				(uint64_t)k + 1;
		raft_config_default(&nd->cfg);
		nd->cfg.id = nd->id;
		nd->cfg.seed = seed;
		nd->cfg.pre_vote = pre_vote;
		nd->cfg.check_quorum = check_quorum;
		start_node(nd);
	}
	return net;
}

void tn_drop_queue(struct tn_net *net)
{
	while (net->q_n > 0) {
		free(net->q[net->q_head].buf);
		net->q_head = (net->q_head + 1) % TN_QUEUE_MAX;
		net->q_n--;
	}
}

void tn_free(struct tn_net *net)
{
	tn_drop_queue(net);
	for (int i = 0; i < net->n; i++) {
		raft_free(net->nodes[i].r);
		tn_storage_free(&net->nodes[i].st);
	}
	free(net->q);
	free(net);
}

static void enqueue(struct tn_net *net, const struct raft_msg *m)
{
	if (m->to < 1 || m->to > (uint64_t)net->n) {
		net->unroutable++; /* no such node: the network drops it */
		return;
	}
	if (net->cut[m->from][m->to] || (net->drop_types >> m->type) & 1)
		return;
	ck_assert_uint_lt(net->q_n, TN_QUEUE_MAX);
	size_t len = raft_msg_encoded_bytes(m);
	uint8_t *buf = malloc(len);
	size_t w = 0;
	ck_assert_int_eq(raft_msg_encode(m, buf, len, &w), 0);
	ck_assert_uint_eq(w, len);
	size_t slot = (net->q_head + net->q_n) % TN_QUEUE_MAX;
	net->q[slot] = (struct tn_queued){.buf = buf, .len = len};
	net->q_n++;
}

static void apply_entries(struct tn_node *nd, const struct raft_ready *rd)
{
	for (size_t i = 0; i < rd->n_committed; i++) {
		const struct raft_entry *e = &rd->committed[i];
		/* Applied entries are durable locally (issue 4). */
		ck_assert_uint_le(e->index, nd->st.snap.meta.index +
						    nd->st.n_ents);
		ck_assert_uint_lt(nd->n_applied, 4096);
		nd->applied_index[nd->n_applied] = e->index;
		nd->applied_term[nd->n_applied] = e->term;
		nd->n_applied++;
	}
}

bool tn_process(struct tn_net *net, uint64_t id)
{
	struct tn_node *nd = tn_node(net, id);
	if (nd->down || !raft_has_ready(nd->r))
		return false;
	struct raft_ready rd;
	raft_ready(nd->r, &rd);
	for (size_t i = 0; i < rd.n_msgs; i++)
		enqueue(net, &rd.msgs[i]);
	if (rd.has_snapshot)
		tn_storage_set_snapshot(&nd->st, &rd.snapshot);
	tn_storage_append(&nd->st, rd.entries, rd.n_entries);
	if (rd.has_hard_state)
		nd->st.hs = rd.hs;
	for (size_t i = 0; i < rd.n_msgs_after_persist; i++)
		enqueue(net, &rd.msgs_after_persist[i]);
	if (rd.has_snapshot)
		nd->last_snapshot_applied = rd.snapshot.meta.index;
	apply_entries(nd, &rd);
	for (size_t i = 0; i < rd.n_read_states && nd->n_reads < 256; i++)
		nd->reads[nd->n_reads++] = rd.read_states[i];
	raft_advance(nd->r, &rd);
	return true;
}

static bool process_all(struct tn_net *net)
{
	bool any = false;
	for (int i = 0; i < net->n; i++)
		while (tn_process(net, (uint64_t)i + 1))
			any = true;
	return any;
}

bool tn_deliver_one(struct tn_net *net)
{
	process_all(net);
	if (net->q_n == 0)
		return false;
	struct tn_queued qm = net->q[net->q_head];
	net->q_head = (net->q_head + 1) % TN_QUEUE_MAX;
	net->q_n--;
	struct raft_msg m;
	ck_assert_int_eq(raft_msg_decode(qm.buf, qm.len, &m), 0);
	struct tn_node *to = tn_node(net, m.to);
	if (trace())
		fprintf(stderr, "%llu->%llu %s t%llu i%llu lt%llu c%llu n%zu "
			"rej%u hint%llu\n", (unsigned long long)m.from,
			(unsigned long long)m.to, raft_msg_type_name(m.type),
			(unsigned long long)m.term, (unsigned long long)m.index,
			(unsigned long long)m.log_term,
			(unsigned long long)m.commit, m.n_entries, m.reject,
			(unsigned long long)m.reject_hint);
	if (m.type == RAFT_MSG_APPEND_RESP && m.reject)
		net->append_rejects++;
	if (!to->down) {
		int rc = raft_step(to->r, &m);
		ck_assert_msg(rc == 0, "step %s: %s",
			      raft_msg_type_name(m.type), raft_strerror(rc));
	}
	raft_msg_decoded_free(&m);
	free(qm.buf);
	net->delivered++;
	return true;
}

void tn_settle(struct tn_net *net)
{
	for (int i = 0; i < 200000; i++)
		if (!tn_deliver_one(net) && !process_all(net))
			return;
	ck_abort_msg("network did not settle");
}

void tn_tick(struct tn_net *net, uint64_t id, int k)
{
	for (int i = 0; i < k; i++) {
		if (!tn_node(net, id)->down)
			raft_tick(tn_raft(net, id));
		tn_settle(net);
	}
}

void tn_tick_all(struct tn_net *net, int k)
{
	for (int i = 0; i < k; i++) {
		for (int j = 0; j < net->n; j++)
			if (!net->nodes[j].down)
				raft_tick(net->nodes[j].r);
		tn_settle(net);
	}
}

void tn_cut(struct tn_net *net, uint64_t a, uint64_t b)
{
	net->cut[a][b] = net->cut[b][a] = true;
}

void tn_isolate(struct tn_net *net, uint64_t id)
{
	for (int j = 1; j <= net->n; j++)
		if ((uint64_t)j != id)
			tn_cut(net, id, (uint64_t)j);
}

void tn_heal(struct tn_net *net)
{
	memset(net->cut, 0, sizeof(net->cut));
	net->drop_types = 0;
}

void tn_crash(struct tn_net *net, uint64_t id)
{
	struct tn_node *nd = tn_node(net, id);
	raft_free(nd->r);
	nd->r = NULL;
	nd->down = true;
}

void tn_restart(struct tn_net *net, uint64_t id)
{
	struct tn_node *nd = tn_node(net, id);
	ck_assert(nd->down);
	/* The test state machine "applies" from scratch: replay everything. */
	nd->cfg.applied = nd->st.snap.meta.index;
	nd->n_applied = 0;
	start_node(nd);
	nd->down = false;
}

uint64_t tn_elect(struct tn_net *net, uint64_t id)
{
	raft_campaign(tn_raft(net, id));
	tn_settle(net);
	struct raft_status st;
	raft_status(tn_raft(net, id), &st);
	return st.leader;
}

int tn_propose(struct tn_net *net, uint64_t id, const char *s)
{
	int rc = raft_propose(tn_raft(net, id), s, strlen(s), NULL);
	tn_settle(net);
	return rc;
}

struct raft_status tn_status(struct tn_net *net, uint64_t id)
{
	struct raft_status st;
	raft_status(tn_raft(net, id), &st);
	return st;
}

uint64_t tn_leader(struct tn_net *net)
{
	uint64_t best = 0, term = 0;
	for (int i = 0; i < net->n; i++) {
		if (net->nodes[i].down)
			continue;
		struct raft_status st;
		raft_status(net->nodes[i].r, &st);
		if (st.role == RAFT_LEADER && st.hs.term >= term) {
			best = st.id;
			term = st.hs.term;
		}
	}
	return best;
}

uint64_t tn_term_at(struct tn_net *net, uint64_t id, uint64_t i)
{
	uint64_t t = 0;
	if (raft_log_term(tn_raft(net, id), i, &t) != 0)
		return 0;
	return t;
}

struct raft_msg tn_msg(uint8_t type, uint64_t from, uint64_t to,
		       uint64_t term)
{
	return (struct raft_msg){
		.type = type, .from = from, .to = to, .term = term};
}
