/*
 * node_admin.c — membership, leadership transfer and status.
 *
 * Membership changes go through the core one at a time (raft.h: single-
 * server changes, in effect when applied).  Adding a node first commits
 * its address (node_peers.c), then the ADD_LEARNER conf change, so every
 * member, and every later snapshot, knows where it is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/bytes.h"
#include "raft/node_int.h"

static bool is_leader(struct raft_node *n)
{
	pthread_mutex_lock(&n->mu);
	bool l = n->st.role == RAFT_LEADER;
	pthread_mutex_unlock(&n->mu);
	return l;
}

static int conf_change(struct raft_node *n, uint8_t type, uint64_t id)
{
	if (!is_leader(n))
		return RAFT_ERR_NOT_LEADER;
	struct node_prop p = {.kind = PROP_CONF,
			      .cc = {.type = type, .node = id}};
	return node_prop_wait(n, &p);
}

static int commit_addr(struct raft_node *n, uint64_t id, const char *addr)
{
	size_t alen = strlen(addr);
	uint8_t buf[NODE_HDR_BYTES + 8 + 128];
	ASSERT(alen < 128);
	pthread_mutex_lock(&n->mu);
	uint64_t req = n->next_req++;
	int rc = node_addrs_set(n, id, addr);
	pthread_mutex_unlock(&n->mu);
	if (rc != 0)
		return rc;
	node_hdr_encode(buf, NODE_HDR_ADDR, n->opts.id, req);
	kv_put_u64(buf + NODE_HDR_BYTES, id);
	memcpy(buf + NODE_HDR_BYTES + 8, addr, alen);
	struct node_prop p = {.kind = PROP_CMD, .req = req, .buf = buf,
			      .len = NODE_HDR_BYTES + 8 + alen};
	return node_prop_wait(n, &p);
}

/* Driver, under mu: a snapshot covering what was applied when asked. */
void node_snapshot_drive(struct raft_node *n, struct node_prop *p)
{
	if (!p->term) {
		p->term = 1; /* started */
		p->index = n->applied;
		n->snap_force = true;
		return;
	}
	if (n->snap_index >= p->index && !n->snap_force)
		node_prop_finish(p, 0);
}

int raft_node_add_learner(struct raft_node *n, uint64_t id, const char *addr)
{
	if (id == RAFT_NONE || !addr || !addr[0] || strlen(addr) >= 128)
		return RAFT_ERR_INVALID;
	if (!is_leader(n))
		return RAFT_ERR_NOT_LEADER;
	node_logf(n, 1, "adding node %llu at %s as a learner",
		  (unsigned long long)id, addr);
	int rc = commit_addr(n, id, addr);
	/*
	 * The initial voters are not in the log (the log store's boot conf),
	 * so a new node must start from a snapshot, whose meta carries the
	 * configuration: take one now, so the log the learner would need
	 * starts after it and the leader streams the snapshot.
	 */
	struct node_prop sp = {.kind = PROP_SNAPSHOT};
	if (rc == 0)
		rc = node_prop_wait(n, &sp);
	if (rc == 0)
		rc = conf_change(n, RAFT_CC_ADD_LEARNER, id);
	return rc;
}

int raft_node_promote(struct raft_node *n, uint64_t id)
{
	return conf_change(n, RAFT_CC_PROMOTE, id);
}

int raft_node_remove(struct raft_node *n, uint64_t id)
{
	return conf_change(n, RAFT_CC_REMOVE, id);
}

int raft_node_transfer_leader(struct raft_node *n, uint64_t id)
{
	if (!is_leader(n))
		return RAFT_ERR_NOT_LEADER;
	struct node_prop p = {.kind = PROP_TRANSFER, .cc = {.node = id}};
	return node_prop_wait(n, &p);
}

/* Driver, under mu: starts a transfer and sees whether it happened. */
void node_transfer_drive(struct raft_node *n, struct node_prop *p)
{
	uint64_t target = p->cc.node;
	if (n->st.leader == target) {
		node_logf(n, 1, "leadership transferred to node %llu",
			  (unsigned long long)target);
		node_prop_finish(p, 0);
		return;
	}
	if (n->st.role == RAFT_LEADER && n->st.transfer_target == RAFT_NONE &&
	    !p->index) {
		/* Before TimeoutNow can leave: the target campaigns past
		 * every follower's lease. */
		node_lease_drop(n);
		int rc = raft_transfer_leader(n->r, target);
		if (rc != 0) {
			node_prop_finish(p, rc);
			return;
		}
		p->index = 1; /* started */
		node_logf(n, 1, "transferring leadership to node %llu",
			  (unsigned long long)target);
	} else if (n->st.role != RAFT_LEADER && n->st.leader != RAFT_NONE) {
		/* someone else won */
		node_prop_finish(p, RAFT_NODE_EUNAVAILABLE);
	}
}

/* A committed conf change is being applied (the core applies it in
 * raft_advance).  Under mu. */
void node_conf_applied(struct raft_node *n, const struct raft_entry *e)
{
	struct raft_conf_change cc;
	if (raft_conf_change_decode(e->data, e->len, &cc) != 0)
		return; /* the core refuses it too */
	const char *what = cc.type == RAFT_CC_ADD_LEARNER ? "added as a learner"
			   : cc.type == RAFT_CC_PROMOTE  ? "promoted to voter"
							 : "removed";
	node_logf(n, 1, "membership: node %llu %s (index %llu)",
		  (unsigned long long)cc.node, what,
		  (unsigned long long)e->index);
	node_lease_drop(n); /* won under the old configuration's quorum */
	if (cc.type == RAFT_CC_REMOVE && cc.node != n->opts.id) {
		node_addrs_remove(n, cc.node);
		(void)node_addrs_save(n);
	}
}

static void fill_member(struct raft_node *n, struct raft_node_member *m,
			uint64_t id, bool learner)
{
	memset(m, 0, sizeof *m);
	m->id = id;
	m->learner = learner;
	const char *a = node_addrs_get(n, id);
	if (a)
		memcpy(m->addr, a, strlen(a) + 1);
	bool self = id == n->opts.id;
	m->connected = self || n->net->connected(n->net->ctx, id);
	if (n->st.role != RAFT_LEADER)
		return;
	uint64_t commit = n->st.hs.commit;
	if (self) {
		m->match = n->st.last_index;
		m->healthy = true;
	}
	for (uint32_t i = 0; i < n->st.n_peers && !self; i++)
		if (n->st.peers[i].id == id)
			m->match = n->st.peers[i].match;
	for (size_t i = 0; i < 2 * RAFT_NODES_MAX && !self; i++)
		if (n->heard_id[i] == id)
			m->healthy = n->ticks - n->heard_tick[i] <=
				     n->opts.election_ticks;
	m->lag = commit > m->match ? commit - m->match : 0;
}

void raft_node_status(struct raft_node *n, struct raft_node_status *st)
{
	memset(st, 0, sizeof *st);
	pthread_mutex_lock(&n->mu);
	st->id = n->opts.id;
	st->role = n->st.role;
	st->leader = n->st.leader;
	st->term = n->st.hs.term;
	st->commit = n->st.hs.commit;
	st->applied = n->applied;
	st->first_index = n->st.first_index;
	st->last_index = n->st.last_index;
	st->snapshot_index = n->snap_index;
	st->error = n->error;
	st->lease_ms_left = node_lease_left(n);
	st->reads_by_lease = n->reads_by_lease;
	st->read_rounds = n->read_rounds;
	st->failed_leaderless = n->failed_leaderless;
	const struct raft_conf_state *cs = &n->st.conf;
	for (uint32_t i = 0; i < cs->n_voters; i++)
		fill_member(n, &st->members[st->n_members++], cs->voters[i],
			    false);
	for (uint32_t i = 0; i < cs->n_learners &&
			     st->n_members < RAFT_NODES_MAX; i++)
		fill_member(n, &st->members[st->n_members++],
			    cs->learners[i], true);
	pthread_mutex_unlock(&n->mu);
}
