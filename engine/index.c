/*
 * index.c — the ordered index as a two-level sorted structure: a directory
 * (sorted array) of leaves, each leaf a sorted array of up to LEAF_MAX
 * pointers to entries that hold their key inline.
 *
 * Why this shape: a lookup is two binary searches (O(log n)), ordered
 * seek/next are trivial, and memory per key is one 8-byte slot plus an
 * 18-byte header and the key in one malloc block -- about 40-48 bytes plus
 * the key, under the 64-byte target, with no per-node pointers as in a
 * skiplist.  A full leaf splits in two; an append past the last key starts
 * a fresh leaf so sequential loads (checkpoints) fill leaves completely.
 * Inserting a leaf moves the directory (n / LEAF_MAX pointers), which is
 * cheap up to tens of millions of keys; a third level would be the next
 * step beyond that.  Leaves are not merged, only freed when empty.
 */
#include "engine/index.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

#define LEAF_MAX 128

struct leaf {
	uint32_t n;
	struct kv_ient *e[LEAF_MAX];
};

struct kv_index {
	struct leaf **dir;
	size_t nleaves, cap;
	uint64_t count;
	uint64_t bytes; /* entries and leaves; the directory is added on read */
};

int kv_key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;
	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int ent_cmp(const struct kv_ient *e, const void *key, size_t klen)
{
	return kv_key_cmp(e->key, e->klen, key, klen);
}

int kv_index_new(struct kv_index **out)
{
	struct kv_index *ix = calloc(1, sizeof *ix);
	if (ix == NULL)
		return -ENOMEM;
	*out = ix;
	return 0;
}

void kv_index_free(struct kv_index *ix)
{
	if (ix == NULL)
		return;
	for (size_t i = 0; i < ix->nleaves; i++) {
		struct leaf *lf = ix->dir[i];
		for (uint32_t j = 0; j < lf->n; j++)
			free(lf->e[j]);
		free(lf);
	}
	free(ix->dir);
	free(ix);
}

/* The leaf that holds or would hold key: the last whose first key <= key. */
static size_t leaf_find(const struct kv_index *ix, const void *key,
			size_t klen)
{
	size_t lo = 1, hi = ix->nleaves;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ent_cmp(ix->dir[mid]->e[0], key, klen) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

/* First slot in lf with key >= key (> key if after). */
static uint32_t slot_find(const struct leaf *lf, const void *key, size_t klen,
			  bool after, bool *equal)
{
	uint32_t lo = 0, hi = lf->n;
	*equal = false;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = ent_cmp(lf->e[mid], key, klen);
		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!after && lo < lf->n && ent_cmp(lf->e[lo], key, klen) == 0)
		*equal = true;
	return lo;
}

static struct leaf *leaf_new(struct kv_index *ix)
{
	struct leaf *lf = malloc(sizeof *lf);
	if (lf == NULL)
		return NULL;
	lf->n = 0;
	ix->bytes += malloc_usable_size(lf);
	return lf;
}

/* Puts leaf lf into the directory at position at. */
static int dir_insert(struct kv_index *ix, size_t at, struct leaf *lf)
{
	if (ix->nleaves == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 16;
		void *p = realloc(ix->dir, cap * sizeof *ix->dir);
		if (p == NULL)
			return -ENOMEM;
		ix->dir = p;
		ix->cap = cap;
	}
	memmove(&ix->dir[at + 1], &ix->dir[at],
		(ix->nleaves - at) * sizeof *ix->dir);
	ix->dir[at] = lf;
	ix->nleaves++;
	return 0;
}

/*
 * Makes room in full leaf li for a new entry at slot; sets *li and *slot to
 * where it now goes.
 */
static int leaf_split(struct kv_index *ix, size_t *li, uint32_t *slot)
{
	struct leaf *lf = ix->dir[*li];
	struct leaf *nl = leaf_new(ix);
	if (nl == NULL)
		return -ENOMEM;
	/* Appending past the end of the last leaf: leave it full. */
	uint32_t keep = (*slot == LEAF_MAX && *li + 1 == ix->nleaves)
				? LEAF_MAX
				: LEAF_MAX / 2;
	nl->n = LEAF_MAX - keep;
	memcpy(nl->e, lf->e + keep, nl->n * sizeof *nl->e);
	if (dir_insert(ix, *li + 1, nl) != 0) {
		ix->bytes -= malloc_usable_size(nl);
		free(nl);
		return -ENOMEM;
	}
	lf->n = keep;
	if (*slot >= keep) {
		*slot -= keep;
		(*li)++;
	}
	return 0;
}

static struct kv_ient *ent_new(struct kv_index *ix, const void *key,
			       size_t klen, uint32_t seg, uint64_t off,
			       uint32_t vlen)
{
	struct kv_ient *e = malloc(offsetof(struct kv_ient, key) + klen);
	if (e == NULL)
		return NULL;
	e->off = off;
	e->seg = seg;
	e->vlen = vlen;
	e->klen = (uint16_t)klen;
	memcpy(e->key, key, klen);
	ix->bytes += malloc_usable_size(e);
	return e;
}

int kv_index_put(struct kv_index *ix, const void *key, size_t klen,
		 uint32_t seg, uint64_t off, uint32_t vlen, struct kv_iloc *old)
{
	ASSERT(klen > 0 && klen <= UINT16_MAX);
	if (ix->nleaves == 0) {
		struct leaf *lf = leaf_new(ix);
		if (lf == NULL || dir_insert(ix, 0, lf) != 0) {
			if (lf != NULL)
				ix->bytes -= malloc_usable_size(lf);
			free(lf);
			return -ENOMEM;
		}
	}
	size_t li = leaf_find(ix, key, klen);
	bool eq;
	uint32_t slot = slot_find(ix->dir[li], key, klen, false, &eq);
	if (eq) {
		struct kv_ient *e = ix->dir[li]->e[slot];
		if (old != NULL)
			*old = (struct kv_iloc){e->seg, e->off, e->vlen};
		e->seg = seg;
		e->off = off;
		e->vlen = vlen;
		return 1;
	}
	struct kv_ient *e = ent_new(ix, key, klen, seg, off, vlen);
	if (e == NULL)
		return -ENOMEM;
	if (ix->dir[li]->n == LEAF_MAX && leaf_split(ix, &li, &slot) != 0) {
		ix->bytes -= malloc_usable_size(e);
		free(e);
		return -ENOMEM;
	}
	struct leaf *lf = ix->dir[li];
	memmove(&lf->e[slot + 1], &lf->e[slot], (lf->n - slot) * sizeof *lf->e);
	lf->e[slot] = e;
	lf->n++;
	ix->count++;
	return 0;
}

int kv_index_del(struct kv_index *ix, const void *key, size_t klen,
		 struct kv_iloc *old)
{
	if (ix->nleaves == 0)
		return 0;
	size_t li = leaf_find(ix, key, klen);
	struct leaf *lf = ix->dir[li];
	bool eq;
	uint32_t slot = slot_find(lf, key, klen, false, &eq);
	if (!eq)
		return 0;
	struct kv_ient *e = lf->e[slot];
	if (old != NULL)
		*old = (struct kv_iloc){e->seg, e->off, e->vlen};
	ix->bytes -= malloc_usable_size(e);
	free(e);
	memmove(&lf->e[slot], &lf->e[slot + 1],
		(lf->n - slot - 1) * sizeof *lf->e);
	lf->n--;
	ix->count--;
	if (lf->n == 0) {
		memmove(&ix->dir[li], &ix->dir[li + 1],
			(ix->nleaves - li - 1) * sizeof *ix->dir);
		ix->nleaves--;
		ix->bytes -= malloc_usable_size(lf);
		free(lf);
	}
	return 1;
}

struct kv_ient *kv_index_get(struct kv_index *ix, const void *key,
			     size_t klen)
{
	if (ix->nleaves == 0)
		return NULL;
	struct leaf *lf = ix->dir[leaf_find(ix, key, klen)];
	bool eq;
	uint32_t slot = slot_find(lf, key, klen, false, &eq);
	return eq ? lf->e[slot] : NULL;
}

const struct kv_ient *kv_index_seek(struct kv_index *ix, const void *key,
				    size_t klen, bool after)
{
	if (ix->nleaves == 0)
		return NULL;
	if (key == NULL)
		return ix->dir[0]->e[0];
	size_t li = leaf_find(ix, key, klen);
	bool eq;
	uint32_t slot = slot_find(ix->dir[li], key, klen, after, &eq);
	if (slot < ix->dir[li]->n)
		return ix->dir[li]->e[slot];
	return li + 1 < ix->nleaves ? ix->dir[li + 1]->e[0] : NULL;
}

int kv_index_walk(struct kv_index *ix,
		  int (*fn)(void *arg, const struct kv_ient *e), void *arg)
{
	for (size_t i = 0; i < ix->nleaves; i++)
		for (uint32_t j = 0; j < ix->dir[i]->n; j++) {
			int rc = fn(arg, ix->dir[i]->e[j]);
			if (rc != 0)
				return rc;
		}
	return 0;
}

uint64_t kv_index_count(const struct kv_index *ix)
{
	return ix->count;
}

uint64_t kv_index_bytes(const struct kv_index *ix)
{
	uint64_t dir = ix->dir ? malloc_usable_size(ix->dir) : 0;
	return ix->bytes + dir + sizeof *ix;
}

void kv_index_check(const struct kv_index *ix)
{
	uint64_t n = 0;
	const struct kv_ient *prev = NULL;
	for (size_t i = 0; i < ix->nleaves; i++) {
		ASSERT(ix->dir[i]->n > 0 && ix->dir[i]->n <= LEAF_MAX);
		for (uint32_t j = 0; j < ix->dir[i]->n; j++) {
			const struct kv_ient *e = ix->dir[i]->e[j];
			if (prev != NULL)
				ASSERT(kv_key_cmp(prev->key, prev->klen, e->key,
						  e->klen) < 0);
			prev = e;
			n++;
		}
	}
	ASSERT(n == ix->count);
}
