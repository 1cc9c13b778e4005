/*
 * kv_model.h — the reference model the engine's model and crash tests
 * compare against: a sorted array of key/value byte strings with the
 * engine's order (memcmp, shorter first on a tie) and nothing else.  It is
 * deliberately naive, so that it is obviously right.
 */
#ifndef VS_TESTS_KV_MODEL_H
#define VS_TESTS_KV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/kv.h"

struct kv_model_entry {
	uint8_t *key, *val; /* owned */
	size_t key_len, val_len;
};

struct kv_model {
	struct kv_model_entry *e;
	size_t n, cap;
	uint64_t applied_index;
};

/* One mutation of a batch, applied to the model in order. */
struct kv_model_op {
	bool del;
	const void *key;
	size_t key_len;
	const void *val;
	size_t val_len;
};

struct kv_model *kv_model_new(void);
void kv_model_free(struct kv_model *m);
struct kv_model *kv_model_copy(const struct kv_model *m);
void kv_model_put(struct kv_model *m, const void *k, size_t kl, const void *v,
		  size_t vl);
void kv_model_del(struct kv_model *m, const void *k, size_t kl);
/* The entry for k, or NULL; borrowed until the model changes. */
const struct kv_model_entry *kv_model_get(const struct kv_model *m,
					  const void *k, size_t kl);
/* Index of the first entry >= k (m->n if none). */
size_t kv_model_lower_bound(const struct kv_model *m, const void *k, size_t kl);
bool kv_model_equal(const struct kv_model *a, const struct kv_model *b);
/* The engine's key order: <0, 0, >0. */
int kv_model_keycmp(const void *a, size_t al, const void *b, size_t bl);

/*
 * Reads the whole engine (iterator + values) into a new model, with its
 * applied index; returns 0 or the first engine error (and *out untouched).
 */
int kv_model_from_engine(struct kv *kv, struct kv_model **out);
/*
 * Describes the first difference between a (expected) and b (got) in buf,
 * for failure messages.
 */
void kv_model_diff(const struct kv_model *a, const struct kv_model *b, char *buf,
		   size_t len);

#endif /* VS_TESTS_KV_MODEL_H */
