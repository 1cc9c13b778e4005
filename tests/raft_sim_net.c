/*
 * raft_sim_net.c — messages in flight: a binary heap ordered by delivery
 * step, then by send order, so that delivery is deterministic.  Random
 * delays reorder messages; the caller decides drops, duplicates and cuts.
 * Each message is a deep copy (the core's pointers die at raft_advance).
 */
#include "tests/raft_sim.h"

#include "engine/assert.h"

#include <stdlib.h>
#include <string.h>

void sim_msg_copy(struct raft_msg *dst, const struct raft_msg *src)
{
	*dst = *src;
	dst->entries = NULL;
	if (src->n_entries > 0) {
		dst->entries = calloc(src->n_entries, sizeof *dst->entries);
		ASSERT(dst->entries != NULL);
		for (size_t i = 0; i < src->n_entries; i++) {
			dst->entries[i] = src->entries[i];
			uint32_t len = src->entries[i].len;
			dst->entries[i].data = NULL;
			if (len > 0) {
				dst->entries[i].data = malloc(len);
				ASSERT(dst->entries[i].data != NULL);
				memcpy(dst->entries[i].data,
				       src->entries[i].data, len);
			}
		}
	}
	dst->snapshot.data = NULL;
	if (src->snapshot.len > 0) {
		dst->snapshot.data = malloc(src->snapshot.len);
		ASSERT(dst->snapshot.data != NULL);
		memcpy(dst->snapshot.data, src->snapshot.data,
		       src->snapshot.len);
	}
}

void sim_msg_free(struct raft_msg *m)
{
	for (size_t i = 0; i < m->n_entries; i++)
		free(m->entries[i].data);
	free(m->entries);
	free(m->snapshot.data);
	m->entries = NULL;
	m->snapshot.data = NULL;
	m->n_entries = 0;
}

static bool before(const struct sim_msg *a, const struct sim_msg *b)
{
	return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

void sim_net_push(struct sim_net *net, uint64_t at, const struct raft_msg *m)
{
	if (net->n == net->cap) {
		net->cap = net->cap ? net->cap * 2 : 64;
		net->heap = realloc(net->heap, net->cap * sizeof *net->heap);
		ASSERT(net->heap != NULL);
	}
	size_t i = net->n++;
	struct sim_msg x = {.at = at, .seq = net->seq++};
	sim_msg_copy(&x.m, m);
	while (i > 0 && before(&x, &net->heap[(i - 1) / 2])) {
		net->heap[i] = net->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	net->heap[i] = x;
}

bool sim_net_pop(struct sim_net *net, uint64_t now, struct sim_msg *out)
{
	if (net->n == 0 || net->heap[0].at > now)
		return false;
	*out = net->heap[0];
	struct sim_msg x = net->heap[--net->n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct sim_msg *best = &x;
		if (l < net->n && before(&net->heap[l], best)) {
			m = l;
			best = &net->heap[l];
		}
		if (r < net->n && before(&net->heap[r], best))
			m = r;
		if (m == i)
			break;
		net->heap[i] = net->heap[m];
		i = m;
	}
	if (net->n > 0)
		net->heap[i] = x;
	return true;
}

void sim_net_free(struct sim_net *net)
{
	for (size_t i = 0; i < net->n; i++)
		sim_msg_free(&net->heap[i].m);
	free(net->heap);
	memset(net, 0, sizeof *net);
}
