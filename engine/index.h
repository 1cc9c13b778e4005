/*
 * index.h — the engine's in-memory ordered index: key -> place of its
 * newest value in the log (internal to engine/).
 *
 * Not thread-safe: the engine guards it with a reader/writer lock.
 */
#ifndef VS_ENGINE_INDEX_H
#define VS_ENGINE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One key.  off is the offset of the value's entry header (entry.h) in
 * segment seg; the entry is KV_ENT_HDR + klen + vlen bytes.  Owned by the
 * index; a borrowed pointer is valid until the index is next modified.
 */
struct kv_ient {
	uint64_t off;
	uint32_t seg;
	uint32_t vlen;
	uint16_t klen;
	unsigned char key[];
};

struct kv_index;

/* Where a key's previous value was, for dead-byte accounting. */
struct kv_iloc {
	uint32_t seg;
	uint64_t off;
	uint32_t vlen;
};

int kv_index_new(struct kv_index **out);
void kv_index_free(struct kv_index *ix);

/* Byte order of keys: memcmp, the shorter first on a common prefix. */
int kv_key_cmp(const void *a, size_t alen, const void *b, size_t blen);

/*
 * Inserts key or replaces its place.  Returns 1 if it replaced (old filled
 * in if not NULL), 0 if inserted, -ENOMEM.
 */
int kv_index_put(struct kv_index *ix, const void *key, size_t klen,
		 uint32_t seg, uint64_t off, uint32_t vlen, struct kv_iloc *old);
/* Removes key: 1 (old filled in if not NULL) or 0 if absent. */
int kv_index_del(struct kv_index *ix, const void *key, size_t klen,
		 struct kv_iloc *old);
/* The entry of key or NULL.  Its seg/off may be changed in place. */
struct kv_ient *kv_index_get(struct kv_index *ix, const void *key,
			     size_t klen);
/*
 * The first entry with key >= key (> key if after), or the first entry if
 * key is NULL; NULL at the end.
 */
const struct kv_ient *kv_index_seek(struct kv_index *ix, const void *key,
				    size_t klen, bool after);
/* Calls fn on every entry in order; stops on a non-zero return. */
int kv_index_walk(struct kv_index *ix,
		  int (*fn)(void *arg, const struct kv_ient *e), void *arg);
uint64_t kv_index_count(const struct kv_index *ix);
/* Heap bytes held by the index (malloc_usable_size of every block). */
uint64_t kv_index_bytes(const struct kv_index *ix);
/* Checks ordering and counts; for tests and debug builds. */
void kv_index_check(const struct kv_index *ix);

#endif /* VS_ENGINE_INDEX_H */
