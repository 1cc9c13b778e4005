/*
 * raftbench.c — committed entries per second through the pure raft core,
 * with no I/O: in-memory storage, a lossless in-process network, every node
 * in one thread.  It measures the core's own overhead (log handling,
 * progress tracking, ready/advance bookkeeping, copying entries), which
 * bounds what the real node can reach before disks and sockets.
 *
 *   bench/raftbench [--entries N] [--quick]
 *
 * Prints a table, then one machine-readable line per case:
 *   raftbench nodes=3 entry_bytes=64 entries=200000 seconds=0.41 entries_per_s=...
 *
 * Method: node 1 campaigns; then the leader proposes up to `window` entries
 * ahead of its applied index, and every node's ready is handled in turn
 * (persist = copy into memory, messages stepped straight into the peer,
 * committed entries counted) until all entries are applied on the leader.
 * Each node compacts its in-memory log behind its applied index so memory
 * stays bounded with 1 MiB entries.
 */
#include "raft/raft.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NODES_MAX 5

/* An in-memory log: snapshot point + entries after it (data owned). */
struct mem {
	struct raft_hard_state hs;
	struct raft_conf_state conf;
	struct raft_snapshot_meta snap;
	struct raft_entry *e;
	size_t n, cap;
};

struct node {
	struct raft *r;
	struct mem m;
	uint64_t applied;
};

static struct node nodes[NODES_MAX];
static int n_nodes;

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "raftbench: out of memory\n");
		exit(1);
	}
	return p;
}

static uint64_t mem_last(const struct mem *m)
{
	return m->snap.index + m->n;
}

static int m_init(void *ctx, struct raft_hard_state *hs,
		  struct raft_conf_state *conf)
{
	struct mem *m = ctx;
	*hs = m->hs;
	*conf = m->conf;
	return 0;
}

static uint64_t m_first(void *ctx)
{
	return ((struct mem *)ctx)->snap.index + 1;
}

static uint64_t m_last(void *ctx)
{
	return mem_last(ctx);
}

static int m_term(void *ctx, uint64_t i, uint64_t *t)
{
	struct mem *m = ctx;
	if (i < m->snap.index)
		return RAFT_ERR_COMPACTED;
	if (i > mem_last(m))
		return RAFT_ERR_UNAVAILABLE;
	*t = i == m->snap.index ? m->snap.term
				: m->e[i - m->snap.index - 1].term;
	return 0;
}

static int m_entries(void *ctx, uint64_t lo, uint64_t hi, uint64_t max_bytes,
		     struct raft_entry *out, size_t *n)
{
	struct mem *m = ctx;
	if (lo <= m->snap.index)
		return RAFT_ERR_COMPACTED;
	if (hi > mem_last(m) + 1)
		return RAFT_ERR_UNAVAILABLE;
	size_t k = 0;
	uint64_t bytes = 0;
	for (uint64_t i = lo; i < hi; i++) {
		const struct raft_entry *e = &m->e[i - m->snap.index - 1];
		if (k > 0 && bytes + e->len > max_bytes)
			break;
		bytes += e->len;
		out[k++] = *e;
	}
	*n = k;
	return 0;
}

static int m_snapshot(void *ctx, struct raft_snapshot *out)
{
	struct mem *m = ctx;
	memset(out, 0, sizeof *out);
	out->meta = m->snap;
	return 0;
}

static void mem_append(struct mem *m, const struct raft_entry *e, size_t n)
{
	if (n == 0)
		return;
	while (mem_last(m) >= e[0].index) {
		free(m->e[m->n - 1].data);
		m->n--;
	}
	if (m->n + n > m->cap) {
		m->cap = (m->n + n) * 2;
		m->e = realloc(m->e, m->cap * sizeof *m->e);
		if (m->e == NULL)
			exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		struct raft_entry x = e[i];
		x.data = NULL;
		if (x.len > 0) {
			x.data = xmalloc(x.len);
			memcpy(x.data, e[i].data, x.len);
		}
		m->e[m->n++] = x;
	}
}

static void mem_compact(struct node *nd, uint64_t keep)
{
	struct mem *m = &nd->m;
	if (nd->applied < m->snap.index + 2 * keep)
		return;
	uint64_t to = nd->applied - keep;
	size_t drop = (size_t)(to - m->snap.index);
	m->snap.term = m->e[drop - 1].term;
	m->snap.index = to;
	raft_conf_state(nd->r, &m->snap.conf);
	for (size_t i = 0; i < drop; i++)
		free(m->e[i].data);
	memmove(m->e, m->e + drop, (m->n - drop) * sizeof *m->e);
	m->n -= drop;
	if (raft_compact(nd->r, to) != 0) {
		fprintf(stderr, "raftbench: raft_compact refused\n");
		exit(1);
	}
}

static void deliver(const struct raft_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t to = msgs[i].to;
		if (to >= 1 && to <= (uint64_t)n_nodes)
			raft_step(nodes[to - 1].r, &msgs[i]);
	}
}

/* Handles every ready until nothing is left; bounded. */
static void settle(uint64_t keep)
{
	for (int round = 0; round < 1000; round++) {
		bool any = false;
		for (int k = 0; k < n_nodes; k++) {
			struct node *nd = &nodes[k];
			if (!raft_has_ready(nd->r))
				continue;
			any = true;
			struct raft_ready rd;
			raft_ready(nd->r, &rd);
			deliver(rd.msgs, rd.n_msgs);
			mem_append(&nd->m, rd.entries, rd.n_entries);
			if (rd.has_hard_state)
				nd->m.hs = rd.hs;
			deliver(rd.msgs_after_persist, rd.n_msgs_after_persist);
			if (rd.n_committed > 0)
				nd->applied =
					rd.committed[rd.n_committed - 1].index;
			raft_advance(nd->r, &rd);
			mem_compact(nd, keep);
		}
		if (!any)
			return;
	}
}

static void setup(int n)
{
	n_nodes = n;
	for (int k = 0; k < n; k++) {
		struct node *nd = &nodes[k];
		memset(nd, 0, sizeof *nd);
		nd->m.conf.n_voters = (uint32_t)n;
		for (int v = 0; v < n; v++)
			nd->m.conf.voters[v] = (uint64_t)v + 1;
		struct raft_config cfg;
		raft_config_default(&cfg);
		cfg.id = (uint64_t)k + 1;
		cfg.seed = 42 + (uint64_t)k;
		cfg.election_tick = 10;
		cfg.heartbeat_tick = 1;
		cfg.max_msg_bytes = 1 << 20;
		cfg.max_inflight_msgs = 256;
		cfg.max_entry_bytes = 2 << 20;
		struct raft_storage st = {.ctx = &nd->m,
					  .initial_state = m_init,
					  .first_index = m_first,
					  .last_index = m_last,
					  .term = m_term,
					  .entries = m_entries,
					  .snapshot = m_snapshot};
		if (raft_new(&cfg, &st, &nd->r) != 0) {
			fprintf(stderr, "raftbench: raft_new failed\n");
			exit(1);
		}
	}
	raft_campaign(nodes[0].r);
	settle(64);
}

static void teardown(void)
{
	for (int k = 0; k < n_nodes; k++) {
		raft_free(nodes[k].r);
		for (size_t i = 0; i < nodes[k].m.n; i++)
			free(nodes[k].m.e[i].data);
		free(nodes[k].m.e);
	}
}

static char machine[8][160];
static int n_machine;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_case(int n, size_t bytes, uint64_t entries)
{
	setup(n);
	struct raft_status st;
	raft_status(nodes[0].r, &st);
	if (st.role != RAFT_LEADER) {
		fprintf(stderr, "raftbench: node 1 did not become leader\n");
		exit(1);
	}
	uint8_t *payload = xmalloc(bytes);
	memset(payload, 0x5a, bytes);
	uint64_t window = bytes >= 65536 ? 8 : 256;
	uint64_t keep = bytes >= 65536 ? 4 : 256;
	uint64_t base = nodes[0].applied, proposed = 0, last_index = 0;
	double t0 = now_s();
	for (uint64_t guard = 0; guard < 100 * entries + 1000; guard++) {
		while (proposed < entries &&
		       last_index < nodes[0].applied + window) {
			if (raft_propose(nodes[0].r, payload, bytes,
					 &last_index) != 0) {
				fprintf(stderr, "raftbench: propose failed\n");
				exit(1);
			}
			proposed++;
		}
		settle(keep);
		if (nodes[0].applied >= base + entries + 0 &&
		    proposed == entries)
			break;
	}
	double dt = now_s() - t0;
	uint64_t done = nodes[0].applied - base;
	printf("| %5d | %11zu | %8" PRIu64 " | %8.3f | %12.0f | %9.1f |\n", n,
	       bytes, done, dt, (double)done / dt,
	       (double)done * (double)bytes / dt / 1048576.0);
	snprintf(machine[n_machine++], sizeof machine[0],
		"raftbench nodes=%d entry_bytes=%zu entries=%" PRIu64
		" seconds=%.4f entries_per_s=%.0f mib_per_s=%.1f",
		n, bytes, done, dt, (double)done / dt,
		(double)done * (double)bytes / dt / 1048576.0);
	free(payload);
	teardown();
}

int main(int argc, char **argv)
{
	uint64_t small = 200000, big = 400;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			small = 20000;
			big = 40;
		} else if (strcmp(argv[i], "--entries") == 0 && i + 1 < argc) {
			small = strtoull(argv[++i], NULL, 0);
			big = small / 500 + 1;
		} else {
			fprintf(stderr,
				"usage: raftbench [--entries N] [--quick]\n");
			return 2;
		}
	}
	printf("| nodes | entry bytes |  entries |  seconds |    entries/s |     MiB/s |\n");
	printf("|------:|------------:|---------:|---------:|-------------:|----------:|\n");
	run_case(3, 64, small);
	run_case(5, 64, small);
	run_case(3, 1 << 20, big);
	run_case(5, 1 << 20, big);
	printf("\n");
	for (int i = 0; i < n_machine; i++)
		printf("%s\n", machine[i]);
	return 0;
}
