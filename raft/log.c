/*
 * log.c — the node's view of its Raft log: the stable prefix in storage and
 * the unstable tail in memory (etcd's raftLog + unstable).
 *
 * Invariants: storage answers for indexes below offset (entries at or above
 * offset in storage are stale: the driver deletes them when it persists the
 * tail, ready step 3); unstable[i].index == offset + i; committed never moves
 * back; applied <= committed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "raft/raft_int.h"

int raft_log_init(struct raft_log *l, const struct raft_storage *st)
{
	memset(l, 0, sizeof(*l));
	l->st = *st;
	uint64_t first = st->first_index(st->ctx);
	uint64_t last = st->last_index(st->ctx);
	if (first == 0 || last + 1 < first)
		return RAFT_ERR_CORRUPT;
	l->offset = last + 1;
	l->committed = first - 1;
	l->applied = first - 1;
	return 0;
}

static void free_entries(struct raft_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].data);
}

void raft_log_free(struct raft_log *l)
{
	free_entries(l->unstable, l->n_unstable);
	free(l->unstable);
	if (l->has_snap)
		free(l->snap.data);
	memset(l, 0, sizeof(*l));
}

uint64_t raft_log_first_index(const struct raft_log *l)
{
	if (l->has_snap)
		return l->snap.meta.index + 1;
	return l->st.first_index(l->st.ctx);
}

uint64_t raft_log_last_index(const struct raft_log *l)
{
	if (l->n_unstable > 0)
		return l->offset + l->n_unstable - 1;
	return l->offset - 1;
}

/* Last index that is durable and still part of this log. */
uint64_t raft_log_stable_index(const struct raft_log *l)
{
	if (l->has_snap)
		return 0; /* nothing durable matches until the snapshot is */
	return l->offset - 1;
}

int raft_log_term_at(const struct raft_log *l, uint64_t i, uint64_t *term)
{
	if (l->has_snap && i == l->snap.meta.index) {
		*term = l->snap.meta.term;
		return 0;
	}
	if (i >= l->offset) {
		if (i - l->offset >= l->n_unstable)
			return RAFT_ERR_UNAVAILABLE;
		*term = l->unstable[i - l->offset].term;
		return 0;
	}
	if (l->has_snap)
		return RAFT_ERR_COMPACTED; /* below a pending snapshot */
	if (i == 0) {
		*term = 0;
		return 0;
	}
	return l->st.term(l->st.ctx, i, term);
}

uint64_t raft_log_last_term(const struct raft_log *l)
{
	uint64_t t = 0;
	int rc = raft_log_term_at(l, raft_log_last_index(l), &t);
	ASSERT(rc == 0);
	return t;
}

bool raft_log_match_term(const struct raft_log *l, uint64_t i, uint64_t t)
{
	uint64_t got;
	if (raft_log_term_at(l, i, &got) != 0)
		return false;
	return got == t;
}

/* §5.4.1: a candidate's log is at least as up to date as ours. */
bool raft_log_up_to_date(const struct raft_log *l, uint64_t idx, uint64_t t)
{
	uint64_t lt = raft_log_last_term(l);
	return t > lt || (t == lt && idx >= raft_log_last_index(l));
}

static void copy_entry(struct raft_entry *dst, const struct raft_entry *src)
{
	*dst = *src;
	dst->data = NULL;
	if (src->len > 0) {
		dst->data = raft_xmalloc(src->len);
		memcpy(dst->data, src->data, src->len);
	}
}

/*
 * Appends copies of e[0..n) (contiguous) at e[0].index, truncating every
 * entry at or after it first.  Callers guarantee e[0].index > committed.
 */
void raft_log_append(struct raft_log *l, const struct raft_entry *e, size_t n)
{
	if (n == 0)
		return;
	uint64_t after = e[0].index;
	ASSERT(after > l->committed);
	ASSERT(after <= raft_log_last_index(l) + 1);
	if (after <= l->offset) {
		/* Replaces the whole tail, and the stale part of storage. */
		free_entries(l->unstable, l->n_unstable);
		l->n_unstable = 0;
		l->offset = after;
	} else {
		size_t keep = (size_t)(after - l->offset);
		free_entries(l->unstable + keep, l->n_unstable - keep);
		l->n_unstable = keep;
	}
	if (l->n_unstable + n > l->cap_unstable) {
		size_t cap = l->cap_unstable ? l->cap_unstable : 16;
		while (cap < l->n_unstable + n)
			cap *= 2;
		l->unstable =
			raft_xrealloc(l->unstable, cap * sizeof(*l->unstable));
		l->cap_unstable = cap;
	}
	for (size_t i = 0; i < n; i++) {
		ASSERT(e[i].index == after + i);
		copy_entry(&l->unstable[l->n_unstable++], &e[i]);
	}
}

/*
 * Copies entries [lo, hi) (stopping once data exceeds max_bytes, at least
 * one) into one allocated block *block holding the array and the data.
 * Returns 0 or RAFT_ERR_COMPACTED / a storage error.
 */
int raft_log_slice(const struct raft_log *l, uint64_t lo, uint64_t hi,
		   uint64_t max_bytes, struct raft_entry **out, size_t *n,
		   void **block)
{
	ASSERT(lo < hi && hi <= raft_log_last_index(l) + 1);
	if (lo < raft_log_first_index(l))
		return RAFT_ERR_COMPACTED;
	size_t want = (size_t)(hi - lo);
	struct raft_entry *tmp = raft_xmalloc(want * sizeof(*tmp));
	size_t got = 0;
	uint64_t bytes = 0;
	if (lo < l->offset) {
		uint64_t shi = hi < l->offset ? hi : l->offset;
		size_t sn = 0;
		int rc = l->st.entries(l->st.ctx, lo, shi, max_bytes, tmp, &sn);
		if (rc != 0 || sn == 0 || sn > shi - lo) {
			free(tmp);
			return rc != 0 ? rc : RAFT_ERR_CORRUPT;
		}
		got = sn;
		for (size_t i = 0; i < sn; i++)
			bytes += tmp[i].len;
		if (sn < shi - lo)
			hi = lo + sn; /* storage stopped at the byte bound */
	}
	for (uint64_t i = lo + got; i < hi; i++) {
		const struct raft_entry *u = &l->unstable[i - l->offset];
		if (got > 0 && bytes + u->len > max_bytes)
			break;
		tmp[got++] = *u;
		bytes += u->len;
	}
	/* One block: the array, then the data, so one free releases all. */
	size_t total = got * sizeof(struct raft_entry) + (size_t)bytes;
	void *b = raft_xmalloc(total ? total : 1); /* malloc: aligned */
	struct raft_entry *arr = b;
	uint8_t *p = (uint8_t *)b + got * sizeof(struct raft_entry);
	for (size_t i = 0; i < got; i++) {
		arr[i] = tmp[i];
		arr[i].data = NULL;
		if (tmp[i].len > 0) {
			memcpy(p, tmp[i].data, tmp[i].len);
			arr[i].data = p;
			p += tmp[i].len;
		}
		ASSERT(arr[i].index == lo + i);
	}
	free(tmp);
	*out = arr;
	*n = got;
	*block = b;
	return 0;
}

/*
 * The index of the first entry of e[] that conflicts with the log (same
 * index, different term) or is new; 0 if all are already present (§5.3:
 * "if an existing entry conflicts ... delete it and all that follow").
 */
uint64_t raft_log_find_conflict(const struct raft_log *l,
				const struct raft_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!raft_log_match_term(l, e[i].index, e[i].term))
			return e[i].index;
	return 0;
}

/*
 * Fast backtracking hint (§5.3 end; etcd findConflictByTerm): the largest
 * index <= index whose term is <= term, and its term.  Bounded by the log.
 */
void raft_log_find_conflict_by_term(const struct raft_log *l, uint64_t index,
				    uint64_t term, uint64_t *hint_index,
				    uint64_t *hint_term)
{
	uint64_t last = raft_log_last_index(l);
	if (index > last)
		index = last;
	for (;;) {
		uint64_t t;
		if (raft_log_term_at(l, index, &t) != 0) {
			*hint_index = index;
			*hint_term = 0;
			return;
		}
		if (t <= term || index == 0) {
			*hint_index = index;
			*hint_term = t;
			return;
		}
		index--;
	}
}

void raft_log_commit_to(struct raft_log *l, uint64_t index)
{
	if (index <= l->committed)
		return;
	ASSERT(index <= raft_log_last_index(l));
	l->committed = index;
}

/* §7: discard the log and take the snapshot (pending until durable). */
void raft_log_restore(struct raft_log *l, const struct raft_snapshot *s)
{
	free_entries(l->unstable, l->n_unstable);
	l->n_unstable = 0;
	if (l->has_snap)
		free(l->snap.data);
	l->snap = *s;
	l->snap.data = NULL;
	if (s->len > 0) {
		l->snap.data = raft_xmalloc(s->len);
		memcpy(l->snap.data, s->data, s->len);
	}
	l->has_snap = true;
	l->offset = s->meta.index + 1;
	ASSERT(s->meta.index >= l->committed);
	l->committed = s->meta.index;
}

/* The first n unstable entries are durable now (ready step 3 done). */
void raft_log_stable_to(struct raft_log *l, size_t n)
{
	ASSERT(n <= l->n_unstable);
	if (n == 0)
		return;
	free_entries(l->unstable, n);
	memmove(l->unstable, l->unstable + n,
		(l->n_unstable - n) * sizeof(*l->unstable));
	l->n_unstable -= n;
	l->offset += n;
}
