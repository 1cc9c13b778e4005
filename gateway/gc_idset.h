/*
 * gc_idset.h — a set of 16-byte data ids (open addressing, linear
 * probing), the collector's mark set.  Internal to gc.c and its tests.
 * Memory: 32 bytes per live extent at most (load factor <= 1/2).
 */
#ifndef VS_GATEWAY_GC_IDSET_H
#define VS_GATEWAY_GC_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gc_idset {
	uint8_t (*slot)[16];
	bool *used;
	size_t cap, n;
};

void gc_idset_init(struct gc_idset *s);
void gc_idset_clear(struct gc_idset *s); /* frees */
int gc_idset_add(struct gc_idset *s, const uint8_t id[16]);
bool gc_idset_has(const struct gc_idset *s, const uint8_t id[16]);

#endif /* VS_GATEWAY_GC_IDSET_H */
