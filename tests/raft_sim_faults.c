/*
 * raft_sim_faults.c — what goes wrong, once per nominal tick, as likely as
 * the seed's profile says: partitions (symmetric, asymmetric, isolate the
 * leader, split halves, a bridge between two halves), process crashes and
 * restarts, leadership transfers, and membership changes (add a learner,
 * promote it, remove a voter — possibly the leader).  Crashes in the middle
 * of a ready are injected by the driver itself (raft_sim.c, crash_point).
 */
#include "tests/raft_sim.h"

#include "engine/assert.h"

#include <inttypes.h>
#include <string.h>

int sim_leader(struct sim *s)
{
	int best = -1;
	uint64_t term = 0;
	for (int k = 0; k < s->p.nodes; k++) {
		struct sim_node *n = &s->nodes[k];
		if (!n->up)
			continue;
		struct raft_status st;
		raft_status(n->r, &st);
		if (st.role == RAFT_LEADER && st.hs.term >= term) {
			best = k;
			term = st.hs.term;
		}
	}
	return best;
}

static void heal(struct sim *s)
{
	memset(s->net.cut, 0, sizeof s->net.cut);
	s->partition_until = 0;
}

static void cut_both(struct sim *s, int a, int b)
{
	s->net.cut[a][b] = s->net.cut[b][a] = true;
}

/* Cuts every link between group (mask bit set) and the rest. */
static void cut_groups(struct sim *s, unsigned mask)
{
	for (int a = 0; a < s->p.nodes; a++)
		for (int b = 0; b < s->p.nodes; b++)
			if (((mask >> a) & 1) != ((mask >> b) & 1))
				s->net.cut[a][b] = true;
}

static void partition(struct sim *s)
{
	int nn = s->p.nodes, leader = sim_leader(s);
	unsigned mask = 0;
	/* Isolating the leader is the interesting case: make it likelier. */
	int kind = (int)sim_rand(s, 8);
	if (kind >= 6)
		kind = 2;
	switch (kind) {
	case 0: /* a random group against the rest */
		mask = (unsigned)sim_rand(s, 1u << nn);
		cut_groups(s, mask);
		break;
	case 1: /* asymmetric: some links lose one direction only */
		for (int i = 0; i < nn; i++) {
			int a = (int)sim_rand(s, (uint64_t)nn);
			int b = (int)sim_rand(s, (uint64_t)nn);
			s->net.cut[a][b] = a != b;
		}
		break;
	case 2: /* isolate the leader */
		if (leader >= 0)
			cut_groups(s, 1u << leader);
		break;
	case 3: /* split halves */
		for (int i = 0; i < nn / 2; i++)
			mask |= 1u << sim_rand(s, (uint64_t)nn);
		cut_groups(s, mask);
		break;
	case 4: { /* a bridge node reaches both halves, they not each other */
		int bridge = leader >= 0 && sim_rand(s, 2) ? leader
			     : (int)sim_rand(s, (uint64_t)nn);
		for (int a = 0; a < nn; a++)
			for (int b = 0; b < nn; b++)
				if (a != bridge && b != bridge &&
				    (a % 2) != (b % 2))
					cut_both(s, a, b);
		break;
	}
	case 5: /* the leader still sends but hears nothing */
		if (leader >= 0)
			for (int b = 0; b < nn; b++)
				s->net.cut[b][leader] = b != leader;
		break;
	}
	s->partition_until = s->now + (3 + sim_rand(s, 120)) * SIM_STEPS_PER_TICK;
	sim_trace(s, "partition kind %d (mask %x)", kind, mask);
}

static bool conf_has(const struct raft_conf_state *cs, uint64_t id,
		     bool *learner)
{
	for (uint32_t i = 0; i < cs->n_voters; i++)
		if (cs->voters[i] == id) {
			*learner = false;
			return true;
		}
	for (uint32_t i = 0; i < cs->n_learners; i++)
		if (cs->learners[i] == id) {
			*learner = true;
			return true;
		}
	return false;
}

/* A removed node whose removal the leader applied is shut down for good. */
static void reap_removed(struct sim *s, int leader,
			 const struct raft_conf_state *cs)
{
	(void)leader;
	for (int k = 0; k < s->p.nodes; k++) {
		struct sim_node *n = &s->nodes[k];
		bool learner = false;
		if (n->state != SIM_MEMBER || !n->remove_pending ||
		    conf_has(cs, n->id, &learner))
			continue;
		sim_trace(s, "node %" PRIu64 " removed; shut down", n->id);
		if (n->up)
			sim_node_crash(s, k);
		n->state = SIM_REMOVED;
	}
}

static void propose_cc(struct sim *s, int leader, uint8_t type, int k)
{
	struct raft_conf_change cc = {.type = type, .node = s->nodes[k].id};
	uint64_t index;
	int rc = raft_propose_conf_change(s->nodes[leader].r, &cc, &index);
	sim_trace(s, "conf change %d node %" PRIu64 ": %s", (int)type, cc.node,
		  rc == 0 ? "proposed" : raft_strerror(rc));
	if (rc != 0)
		return;
	if (type == RAFT_CC_ADD_LEARNER && s->nodes[k].state == SIM_SPARE) {
		s->nodes[k].state = SIM_MEMBER;
		sim_node_start(s, k);
	}
	if (type == RAFT_CC_REMOVE)
		s->nodes[k].remove_pending = true;
}

static void membership(struct sim *s, int leader)
{
	struct raft_conf_state cs;
	raft_conf_state(s->nodes[leader].r, &cs);
	int learner_k = -1, spare_k = -1, lost_k = -1;
	for (int k = 0; k < s->p.nodes; k++) {
		struct sim_node *n = &s->nodes[k];
		bool learner = false;
		bool in = conf_has(&cs, n->id, &learner);
		if (n->state == SIM_SPARE && spare_k < 0)
			spare_k = k;
		if (n->state == SIM_MEMBER && in && learner)
			learner_k = k;
		if (n->state == SIM_MEMBER && !in && !n->remove_pending)
			lost_k = k; /* its ADD never committed */
	}
	if (lost_k >= 0)
		propose_cc(s, leader, RAFT_CC_ADD_LEARNER, lost_k);
	else if (learner_k >= 0)
		propose_cc(s, leader, RAFT_CC_PROMOTE, learner_k);
	else if (spare_k >= 0 && sim_rand(s, 2))
		propose_cc(s, leader, RAFT_CC_ADD_LEARNER, spare_k);
	else if (cs.n_voters > 3) {
		uint64_t id = cs.voters[sim_rand(s, cs.n_voters)];
		int k = sim_slot_of(s, id);
		if (k >= 0)
			propose_cc(s, leader, RAFT_CC_REMOVE, k);
	}
}

static void transfer(struct sim *s, int leader)
{
	struct raft_conf_state cs;
	raft_conf_state(s->nodes[leader].r, &cs);
	if (cs.n_voters < 2)
		return;
	uint64_t to = cs.voters[sim_rand(s, cs.n_voters)];
	int rc = raft_transfer_leader(s->nodes[leader].r, to);
	sim_trace(s, "transfer leadership %" PRIu64 " -> %" PRIu64 ": %s",
		  s->nodes[leader].id, to, rc == 0 ? "ok" : raft_strerror(rc));
}

static void crashes(struct sim *s)
{
	for (int k = 0; k < s->p.nodes; k++) {
		struct sim_node *n = &s->nodes[k];
		if (n->state != SIM_MEMBER)
			continue;
		if (!n->up && s->now >= n->restart_at)
			sim_node_start(s, k);
		else if (n->up && sim_pm(s, s->p.crash_pm))
			sim_node_crash(s, k);
		if (s->failed)
			return;
		sim_check_event(s);
	}
}

void sim_faults_tick(struct sim *s)
{
	int leader = sim_leader(s);
	if (leader >= 0) {
		struct raft_conf_state cs;
		raft_conf_state(s->nodes[leader].r, &cs);
		reap_removed(s, leader, &cs);
	}
	if (!s->faults_on)
		return;
	if (s->partition_until != 0 && s->now >= s->partition_until) {
		heal(s);
		sim_trace(s, "heal");
	} else if (s->partition_until == 0 && sim_pm(s, s->p.partition_pm)) {
		partition(s);
	}
	crashes(s);
	leader = sim_leader(s);
	if (leader >= 0 && sim_pm(s, s->p.conf_pm))
		membership(s, leader);
	leader = sim_leader(s);
	if (leader >= 0 && sim_pm(s, s->p.transfer_pm))
		transfer(s, leader);
	sim_check_event(s);
}

void sim_faults_stop(struct sim *s)
{
	s->faults_on = false;
	heal(s);
	for (int k = 0; k < s->p.nodes && !s->failed; k++) {
		struct sim_node *n = &s->nodes[k];
		if (n->state == SIM_MEMBER && !n->up)
			sim_node_start(s, k);
	}
	sim_trace(s, "faults stop");
}
