/*
 * kv_model.c — the naive reference map for the engine tests; see kv_model.h.
 */
#include "tests/kv_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

static void *dup_bytes(const void *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	ASSERT(d != NULL);
	if (n)
		memcpy(d, p, n);
	return d;
}

int kv_model_keycmp(const void *a, size_t al, const void *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int c = n ? memcmp(a, b, n) : 0;
	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

struct kv_model *kv_model_new(void)
{
	struct kv_model *m = calloc(1, sizeof *m);
	ASSERT(m != NULL);
	return m;
}

void kv_model_free(struct kv_model *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].key);
		free(m->e[i].val);
	}
	free(m->e);
	free(m);
}

struct kv_model *kv_model_copy(const struct kv_model *m)
{
	struct kv_model *c = kv_model_new();
	c->cap = m->n ? m->n : 1;
	c->e = malloc(c->cap * sizeof *c->e);
	ASSERT(c->e != NULL);
	for (size_t i = 0; i < m->n; i++) {
		c->e[i].key = dup_bytes(m->e[i].key, m->e[i].key_len);
		c->e[i].key_len = m->e[i].key_len;
		c->e[i].val = dup_bytes(m->e[i].val, m->e[i].val_len);
		c->e[i].val_len = m->e[i].val_len;
	}
	c->n = m->n;
	c->applied_index = m->applied_index;
	return c;
}

size_t kv_model_lower_bound(const struct kv_model *m, const void *k, size_t kl)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (kv_model_keycmp(m->e[mid].key, m->e[mid].key_len, k, kl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct kv_model_entry *kv_model_get(const struct kv_model *m,
					  const void *k, size_t kl)
{
	size_t i = kv_model_lower_bound(m, k, kl);
	if (i < m->n && kv_model_keycmp(m->e[i].key, m->e[i].key_len, k, kl) == 0)
		return &m->e[i];
	return NULL;
}

void kv_model_put(struct kv_model *m, const void *k, size_t kl, const void *v,
		  size_t vl)
{
	size_t i = kv_model_lower_bound(m, k, kl);
	if (i < m->n && kv_model_keycmp(m->e[i].key, m->e[i].key_len, k, kl) == 0) {
		free(m->e[i].val);
		m->e[i].val = dup_bytes(v, vl);
		m->e[i].val_len = vl;
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 16;
		m->e = realloc(m->e, m->cap * sizeof *m->e);
		ASSERT(m->e != NULL);
	}
	memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof *m->e);
	m->e[i].key = dup_bytes(k, kl);
	m->e[i].key_len = kl;
	m->e[i].val = dup_bytes(v, vl);
	m->e[i].val_len = vl;
	m->n++;
}

void kv_model_del(struct kv_model *m, const void *k, size_t kl)
{
	size_t i = kv_model_lower_bound(m, k, kl);
	if (i >= m->n || kv_model_keycmp(m->e[i].key, m->e[i].key_len, k, kl) != 0)
		return;
	free(m->e[i].key);
	free(m->e[i].val);
	memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof *m->e);
	m->n--;
}

bool kv_model_equal(const struct kv_model *a, const struct kv_model *b)
{
	if (a->n != b->n || a->applied_index != b->applied_index)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct kv_model_entry *x = &a->e[i], *y = &b->e[i];
		if (kv_model_keycmp(x->key, x->key_len, y->key, y->key_len) != 0 ||
		    x->val_len != y->val_len ||
		    (x->val_len && memcmp(x->val, y->val, x->val_len) != 0))
			return false;
	}
	return true;
}

int kv_model_from_engine(struct kv *kv, struct kv_model **out)
{
	struct kv_iter *it = NULL;
	struct kv_model *m = kv_model_new();
	int rc = kv_iter_new(kv, NULL, &it);
	if (rc == 0)
		rc = kv_iter_first(it);
	/* Bounded: the engine's key count can not exceed what the tests wrote. */
	for (size_t steps = 0; rc == 0 && kv_iter_valid(it); steps++) {
		ASSERT(steps < 10000000);
		size_t kl = 0, vl = 0;
		const void *k = kv_iter_key(it, &kl);
		const void *v = NULL;
		rc = kv_iter_value(it, &v, &vl);
		if (rc != 0)
			break;
		if (m->n > 0 &&
		    kv_model_keycmp(m->e[m->n - 1].key, m->e[m->n - 1].key_len, k, kl) >= 0) {
			rc = KV_ECORRUPT; /* out of order or repeated: reported as a diff */
			fprintf(stderr, "kv_model_from_engine: iterator order broken at key %zu\n",
				m->n);
			break;
		}
		kv_model_put(m, k, kl, v, vl);
		rc = kv_iter_next(it);
	}
	kv_iter_free(it);
	if (rc != 0) {
		kv_model_free(m);
		return rc;
	}
	m->applied_index = kv_applied_index(kv);
	*out = m;
	return 0;
}

static void fmt_key(char *buf, size_t len, const uint8_t *k, size_t kl)
{
	size_t o = 0;
	for (size_t i = 0; i < kl && o + 5 < len; i++) {
		if (k[i] >= 0x20 && k[i] < 0x7f)
			buf[o++] = (char)k[i];
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", k[i]);
	}
	buf[o < len ? o : len - 1] = '\0';
}

void kv_model_diff(const struct kv_model *a, const struct kv_model *b, char *buf,
		   size_t len)
{
	char ka[64], kb[64];
	size_t n = a->n < b->n ? a->n : b->n;
	for (size_t i = 0; i < n; i++) {
		const struct kv_model_entry *x = &a->e[i], *y = &b->e[i];
		if (kv_model_keycmp(x->key, x->key_len, y->key, y->key_len) != 0) {
			fmt_key(ka, sizeof ka, x->key, x->key_len);
			fmt_key(kb, sizeof kb, y->key, y->key_len);
			snprintf(buf, len, "entry %zu: expected key '%s', got '%s'", i, ka, kb);
			return;
		}
		if (x->val_len != y->val_len ||
		    (x->val_len && memcmp(x->val, y->val, x->val_len) != 0)) {
			fmt_key(ka, sizeof ka, x->key, x->key_len);
			snprintf(buf, len, "key '%s': expected value of %zu bytes, got %zu bytes%s",
				 ka, x->val_len, y->val_len,
				 x->val_len == y->val_len ? " (different bytes)" : "");
			return;
		}
	}
	if (a->n != b->n) {
		const struct kv_model *l = a->n > b->n ? a : b;
		fmt_key(ka, sizeof ka, l->e[n].key, l->e[n].key_len);
		snprintf(buf, len, "expected %zu keys, got %zu (first extra/missing '%s')",
			 a->n, b->n, ka);
		return;
	}
	snprintf(buf, len, "applied index: expected %llu, got %llu",
		 (unsigned long long)a->applied_index, (unsigned long long)b->applied_index);
}
