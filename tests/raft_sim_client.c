/*
 * raft_sim_client.c — simulated clients, the replicated KV state machine
 * and the encoding of client operations in log entries.
 *
 * A client runs one operation at a time.  It records the invocation in the
 * history, then sends it to a node: writes (put, delete, CAS) are proposed
 * on a node that believes it leads, reads go through ReadIndex on any node
 * (followers forward to the leader).  A definite refusal (not leader, the
 * proposal's index applied with another entry) is retried — the operation
 * had no effect.  When the outcome can no longer be known (the node crashed
 * with the proposal in flight, the op's deadline passed, a snapshot skipped
 * the index) a write is recorded with an unknown outcome (response time
 * infinite) and a read is dropped; the client moves on.  Values written are
 * unique per operation, so a value appearing from nowhere is caught.
 */
#include "tests/raft_sim.h"

#include "engine/assert.h"

#include <string.h>

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void sim_sm_encode(const struct sim_sm *sm, uint8_t out[SIM_SNAP_BYTES])
{
	put_u64(out, sm->applied);
	put_u64(out + 8, sm->chain);
	for (int k = 0; k < SIM_KEYS; k++)
		put_u64(out + 16 + 8 * k, sm->vals[k]);
}

int sim_sm_decode(struct sim_sm *sm, const uint8_t *p, size_t len)
{
	if (len != SIM_SNAP_BYTES || p == NULL)
		return -1;
	sm->applied = get_u64(p);
	sm->chain = get_u64(p + 8);
	for (int k = 0; k < SIM_KEYS; k++)
		sm->vals[k] = get_u64(p + 16 + 8 * k);
	return 0;
}

void sim_op_encode(const struct sim_op *op, uint8_t out[SIM_OP_BYTES])
{
	out[0] = 0xA5; /* marks a client op, as opposed to anything else */
	out[1] = op->kind;
	out[2] = (uint8_t)op->client;
	out[3] = op->key;
	put_u64(out + 4, op->seq);
	put_u64(out + 12, op->value);
	put_u64(out + 20, op->expect);
	put_u64(out + 28, op->hist);
}

int sim_op_decode(struct sim_op *op, const uint8_t *p, size_t len)
{
	if (len != SIM_OP_BYTES || p[0] != 0xA5 || p[1] > LIN_CAS ||
	    p[3] >= SIM_KEYS)
		return -1;
	op->kind = p[1];
	op->client = p[2];
	op->key = p[3];
	op->seq = (uint32_t)get_u64(p + 4);
	op->value = get_u64(p + 12);
	op->expect = get_u64(p + 20);
	op->hist = get_u64(p + 28);
	return 0;
}

bool sim_sm_apply_op(struct sim_sm *sm, const struct sim_op *op)
{
	uint64_t *v = &sm->vals[op->key];
	switch (op->kind) {
	case LIN_PUT:
		*v = op->value;
		return true;
	case LIN_DELETE:
		*v = LIN_ABSENT;
		return true;
	case LIN_CAS:
		if (*v != op->expect)
			return false;
		*v = op->value;
		return true;
	}
	return true;
}

static struct lin_op *cur_op(struct sim *s, int c)
{
	return &s->hist[s->clients[c].hist];
}

static void client_start(struct sim *s, int c)
{
	struct sim_client *cl = &s->clients[c];
	if (s->n_hist == s->cap_hist) {
		s->cap_hist = s->cap_hist ? s->cap_hist * 2 : 256;
		s->hist = realloc(s->hist, s->cap_hist * sizeof *s->hist);
		s->first_applied = realloc(s->first_applied,
					   s->cap_hist * sizeof *s->first_applied);
		s->first_ok = realloc(s->first_ok,
				      s->cap_hist * sizeof *s->first_ok);
		ASSERT(s->hist != NULL && s->first_applied != NULL &&
		       s->first_ok != NULL);
	}
	cl->hist = s->n_hist++;
	s->first_applied[cl->hist] = 0;
	s->first_ok[cl->hist] = false;
	cl->seq++;
	struct lin_op *op = cur_op(s, c);
	uint64_t key = sim_rand(s, s->p.keys);
	*op = (struct lin_op){.kind = (enum lin_kind)sim_rand(s, 4),
			      .client = (uint32_t)c,
			      .key = key,
			      .value = ((uint64_t)(c + 1) << 32) | cl->seq,
			      .call = ++s->hist_clock,
			      .ret = LIN_TIME_INF};
	/* CAS mostly against the last value seen, so that some succeed. */
	op->expect = sim_rand(s, 4) ? cl->last_seen[key] : LIN_ABSENT;
	cl->state = SIM_C_SEND;
	cl->accepted = false;
	cl->retry_at = s->now;
	cl->deadline = s->now + (s->p.op_timeout_ticks / 2 +
				 sim_rand(s, s->p.op_timeout_ticks)) *
					SIM_STEPS_PER_TICK;
	/* Mostly sticky, like a client holding a connection to one node. */
	if (sim_rand(s, 4) == 0)
		cl->target = (int)sim_rand(s, (uint64_t)s->p.nodes);
	s->res->ops++;
}

/* Ends the current op; ret == LIN_TIME_INF leaves its outcome unknown. */
static void client_end(struct sim *s, int c, uint64_t ret)
{
	struct sim_client *cl = &s->clients[c];
	struct lin_op *op = cur_op(s, c);
	op->ret = ret;
	/* A read that never answered stays: the checker ignores it. */
	if (ret == LIN_TIME_INF && op->kind != LIN_GET) {
		s->res->ops_unknown++;
		/*
		 * Back off before the next op, as a client that lost its
		 * connection would; it also bounds how many unknown writes
		 * pile up concurrently, each of which the checker must
		 * place anywhere after its call (exponential search).
		 */
		cl->retry_at = s->now + s->p.op_timeout_ticks *
						SIM_STEPS_PER_TICK;
	}
	cl->state = SIM_C_IDLE;
}

/*
 * Ends a write that no leader ever accepted (or whose every accepted
 * proposal definitely lost its index): it had no effect, so it becomes an
 * unanswered read, which the checker ignores.
 */
static void client_end_unsent(struct sim *s, int c)
{
	struct lin_op *op = cur_op(s, c);
	op->kind = LIN_GET;
	op->value = LIN_ABSENT;
	client_end(s, c, LIN_TIME_INF);
}

void sim_client_done(struct sim *s, int c, bool ok, uint64_t value)
{
	struct sim_client *cl = &s->clients[c];
	ASSERT(cl->state == SIM_C_PENDING);
	struct lin_op *op = cur_op(s, c);
	if (op->kind == LIN_GET)
		op->value = value;
	if (op->kind == LIN_CAS)
		op->ok = ok;
	if (op->kind == LIN_GET || (op->kind == LIN_CAS && !ok))
		cl->last_seen[op->key] = op->kind == LIN_GET ? value
							     : cl->last_seen[op->key];
	else if (op->kind == LIN_PUT || op->kind == LIN_CAS)
		cl->last_seen[op->key] = op->value;
	else
		cl->last_seen[op->key] = LIN_ABSENT;
	sim_trace(s, "client %d: op %zu done", c, cl->hist);
	client_end(s, c, ++s->hist_clock);
}

void sim_client_retry(struct sim *s, int c)
{
	struct sim_client *cl = &s->clients[c];
	ASSERT(cl->state == SIM_C_PENDING);
	/* Only called on a definite "no effect": forget the proposal. */
	cl->accepted = false;
	cl->state = SIM_C_SEND;
	cl->retry_at = s->now + SIM_STEPS_PER_TICK;
}

void sim_client_unknown(struct sim *s, int c)
{
	struct sim_client *cl = &s->clients[c];
	ASSERT(cl->state == SIM_C_PENDING);
	if (cur_op(s, c)->kind == LIN_GET) {
		sim_client_retry(s, c);
		return;
	}
	client_end(s, c, LIN_TIME_INF);
}

/* Removes the client's pending request from whichever node holds it. */
static void client_forget(struct sim *s, int c)
{
	for (int i = 0; i < s->p.nodes; i++) {
		struct sim_node *n = &s->nodes[i];
		for (size_t k = 0; k < n->n_props;)
			if (n->props[k].client == c)
				n->props[k] = n->props[--n->n_props];
			else
				k++;
		for (size_t k = 0; k < n->n_reads;)
			if (n->reads[k].client == c)
				n->reads[k] = n->reads[--n->n_reads];
			else
				k++;
	}
}

/*
 * A new proposal at index on n means n's log lost whatever it held there:
 * earlier proposals at index or above left this log, yet another node may
 * still hold and later commit them, so their outcome is unknown.
 */
static void drop_overwritten(struct sim *s, struct sim_node *n,
			     uint64_t index)
{
	for (size_t k = 0; k < n->n_props;) {
		if (n->props[k].index >= index) {
			int c = n->props[k].client;
			n->props[k] = n->props[--n->n_props];
			sim_client_unknown(s, c);
		} else {
			k++;
		}
	}
}

static void client_send(struct sim *s, int c)
{
	struct sim_client *cl = &s->clients[c];
	struct sim_node *n = &s->nodes[cl->target];
	cl->retry_at = s->now + SIM_STEPS_PER_TICK;
	if (!n->up || n->r == NULL) {
		cl->target = (int)sim_rand(s, (uint64_t)s->p.nodes);
		return;
	}
	struct raft_status st;
	raft_status(n->r, &st);
	struct lin_op *op = cur_op(s, c);
	int rc;
	if (op->kind == LIN_GET) {
		if (n->n_reads == SIM_PENDING_MAX)
			return;
		uint64_t ctx = ++s->read_ctx;
		rc = raft_read_index(n->r, ctx);
		if (rc == 0)
			n->reads[n->n_reads++] = (struct sim_pending_read){
				.ctx = ctx, .client = c};
	} else {
		if (n->n_props == SIM_PENDING_MAX)
			return;
		struct sim_op so = {.kind = (uint8_t)op->kind,
				    .client = (uint16_t)c,
				    .seq = cl->seq,
				    .key = (uint8_t)op->key,
				    .value = op->value,
				    .expect = op->expect,
				    .hist = cl->hist};
		uint8_t buf[SIM_OP_BYTES];
		sim_op_encode(&so, buf);
		uint64_t index = 0;
		rc = raft_propose(n->r, buf, sizeof buf, &index);
		if (rc == 0) {
			drop_overwritten(s, n, index);
			n->props[n->n_props++] = (struct sim_pending_prop){
				.index = index, .client = c};
			cl->accepted = true;
		}
	}
	sim_trace(s, "client %d: op %zu kind %d to slot %d: %s", c, cl->hist,
		  (int)op->kind, cl->target, rc == 0 ? "sent" : raft_strerror(rc));
	if (rc == 0) {
		cl->state = SIM_C_PENDING;
		return;
	}
	/* Refused: had no effect.  Try the leader it names, or anyone. */
	int next = -1;
	for (int i = 0; i < s->p.nodes; i++)
		if (st.leader != RAFT_NONE && s->nodes[i].id == st.leader)
			next = i;
	cl->target = next >= 0 ? next : (int)sim_rand(s, (uint64_t)s->p.nodes);
}

void sim_clients_step(struct sim *s)
{
	for (int c = 0; c < s->p.clients; c++) {
		struct sim_client *cl = &s->clients[c];
		switch (cl->state) {
		case SIM_C_IDLE:
			if (s->faults_on && s->now >= cl->retry_at &&
			    sim_pm(s, s->p.op_pm))
				client_start(s, c);
			break;
		case SIM_C_SEND:
			if (s->now >= cl->deadline) {
				if (cl->accepted)
					client_end(s, c, LIN_TIME_INF);
				else
					client_end_unsent(s, c);
			} else if (s->now >= cl->retry_at) {
				client_send(s, c);
			}
			break;
		case SIM_C_PENDING:
			if (s->now >= cl->deadline) {
				client_forget(s, c);
				client_end(s, c, LIN_TIME_INF);
			}
			break;
		}
	}
}

bool sim_clients_idle(const struct sim *s)
{
	for (int c = 0; c < s->p.clients; c++)
		if (s->clients[c].state != SIM_C_IDLE)
			return false;
	return true;
}

void sim_clients_finish(struct sim *s)
{
	for (int c = 0; c < s->p.clients; c++) {
		if (s->clients[c].state == SIM_C_IDLE)
			continue;
		if (s->clients[c].state == SIM_C_PENDING)
			client_forget(s, c);
		if (s->clients[c].accepted || cur_op(s, c)->kind == LIN_GET)
			client_end(s, c, LIN_TIME_INF);
		else
			client_end_unsent(s, c);
	}
}

void sim_op_first_applied(struct sim *s, const struct sim_op *op, bool ok)
{
	if (op->hist >= s->n_hist)
		return;
	struct lin_op *h = &s->hist[op->hist];
	if (h->client != op->client || h->value != op->value ||
	    s->first_applied[op->hist] != 0)
		return;
	s->first_applied[op->hist] = ++s->hist_clock;
	s->first_ok[op->hist] = ok;
}

/*
 * The cluster has converged: every entry that will ever commit has been
 * applied.  A write whose client never heard back took effect iff its entry
 * was applied, no later than its first application (it was committed by
 * then); the CAS outcome is the one computed there.  One that never applied
 * had no effect.  This only adds real-time constraints that hold in a
 * correct system, so it can make the check stricter, never looser.
 */
void sim_clients_resolve(struct sim *s)
{
	if (!s->resolve_unknown)
		return;
	for (size_t i = 0; i < s->n_hist; i++) {
		struct lin_op *op = &s->hist[i];
		if (op->ret != LIN_TIME_INF || op->kind == LIN_GET)
			continue;
		if (s->first_applied[i] == 0) {
			op->kind = LIN_GET; /* ignored: never took effect */
			op->value = LIN_ABSENT;
			continue;
		}
		ASSERT(s->first_applied[i] > op->call);
		op->ret = s->first_applied[i];
		op->ok = s->first_ok[i];
	}
}
