/*
 * gc_idset.c — the collector's set of data ids (see gc_idset.h).  Ids are
 * half time, half random; the random half hashes well.
 */
#include "gateway/gc_idset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

void gc_idset_init(struct gc_idset *s)
{
	memset(s, 0, sizeof *s);
}

void gc_idset_clear(struct gc_idset *s)
{
	free(s->slot);
	free(s->used);
	gc_idset_init(s);
}

static size_t id_hash(const uint8_t id[16])
{
	uint64_t a, b;
	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull));
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return (size_t)(h ^ (h >> 29));
}

static bool find(const struct gc_idset *s, const uint8_t id[16], size_t *at)
{
	size_t mask = s->cap - 1;
	size_t i = id_hash(id) & mask;
	for (size_t probes = 0; probes < s->cap; probes++) {
		if (!s->used[i]) {
			*at = i;
			return false;
		}
		if (memcmp(s->slot[i], id, 16) == 0) {
			*at = i;
			return true;
		}
		i = (i + 1) & mask;
	}
	UNREACHABLE(); /* load factor <= 1/2 leaves free slots */
	return false;
}

static int grow(struct gc_idset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	struct gc_idset n = {.cap = cap};
	n.slot = malloc(cap * sizeof *n.slot);
	n.used = calloc(cap, sizeof *n.used);
	if (n.slot == NULL || n.used == NULL) {
		free(n.slot);
		free(n.used);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->used[i])
			continue;
		size_t at = 0;
		bool dup = find(&n, s->slot[i], &at);
		ASSERT(!dup);
		memcpy(n.slot[at], s->slot[i], 16);
		n.used[at] = true;
		n.n++;
	}
	gc_idset_clear(s);
	*s = n;
	return 0;
}

int gc_idset_add(struct gc_idset *s, const uint8_t id[16])
{
	if (2 * (s->n + 1) > s->cap) {
		int rc = grow(s);
		if (rc != 0)
			return rc;
	}
	size_t at = 0;
	if (find(s, id, &at))
		return 0;
	memcpy(s->slot[at], id, 16);
	s->used[at] = true;
	s->n++;
	return 0;
}

bool gc_idset_has(const struct gc_idset *s, const uint8_t id[16])
{
	if (s->cap == 0)
		return false;
	size_t at = 0;
	return find(s, id, &at);
}
