/*
 * test_object.h — what the object layer's test files share: the store
 * backends they run against, a counting wrapper, and the suites.
 */
#ifndef VS_TESTS_TEST_OBJECT_H
#define VS_TESTS_TEST_OBJECT_H

#include <check.h>
#include <stdint.h>

#include "gateway/gc.h"
#include "gateway/object.h"
#include "gateway/store.h"

/*
 * An in-memory implementation of store.h (sorted array, one mutex), used
 * to test the layer independently of the engine and as the reference for
 * the store contract.  Its contents live in *shared so that closing and
 * reopening a store over the same shared state models a restart.
 */
struct memstore_data;
struct memstore_data *memstore_data_new(void);
void memstore_data_free(struct memstore_data *d);
int memstore_open(struct memstore_data *d, struct store **out);
size_t memstore_count_prefix(struct memstore_data *d, const void *prefix,
			     size_t len);

/* Counts calls into the wrapped store; the wrapper does not own inner. */
struct store_counts {
	uint64_t submits, gets, value_opens, scans, seeks, nexts;
};
int counting_store_new(struct store *inner, struct store **out);
void counting_store_counts(struct store *s, struct store_counts *out);
void counting_store_reset(struct store *s);

/*
 * The backend the suites run on: the local adapter over the engine in a
 * temp dir when the engine is linked (TEST_OBJECT_ENGINE), else the
 * memory store.  Reopening models a restart.
 */
struct test_backend;
struct test_backend *test_backend_new(const char *tag);
/* The memory store regardless of the build. */
struct test_backend *test_backend_new_kind(const char *tag, bool memory);
struct store *test_backend_open(struct test_backend *b);
/* Whether b is store_raft (VERISTORE_TEST_STORE=raft). */
bool test_backend_raft(const struct test_backend *b);
void test_backend_close(struct test_backend *b); /* closes the store */
void test_backend_free(struct test_backend *b);
/* Number of chunk keys present (for GC assertions). */
size_t test_backend_chunks(struct test_backend *b);
size_t test_backend_count_family(struct test_backend *b, char tag);

/* The store contract's checks (test_object_store.c), for any store. */
void store_contract_conditions(struct store *s);
void store_contract_scan(struct store *s);

/* A settable clock for obj_options / gc_options. */
struct test_clock {
	uint64_t ns;
};
uint64_t test_clock_ns(void *ctx);

/* Layer helpers: PUT bytes (the ETag is a 32-hex digest of the bytes the
 * test computes itself; the layer does not hash), GET whole object into a
 * malloc'd buffer reading in pieces of piece bytes. */
void test_etag(const void *data, size_t len, char out[33]);
int tobj_put(struct obj *o, const char *bucket, const char *key,
	     const void *data, size_t len, const struct obj_cond *cond);
int tobj_get(struct obj *o, const char *bucket, const char *key,
	     const struct obj_range *range, size_t piece, uint8_t **data,
	     size_t *len);
/* A layer over a fresh backend with chunk_bytes and the test clock. */
struct tenv {
	struct test_backend *be;
	struct store *st;
	struct obj *o;
	struct test_clock clock;
	uint32_t chunk_bytes;
};
void tenv_init(struct tenv *e, const char *tag, uint32_t chunk_bytes);
void tenv_init_kind(struct tenv *e, const char *tag, uint32_t chunk_bytes,
		    bool memory);
void tenv_reopen(struct tenv *e); /* restart: close and reopen the store */
void tenv_fini(struct tenv *e);

/* test_object_list.c: the brute-force listing reference, and a check of
 * obj_list against it over the sorted keys[0..n). */
void ref_list(char **keys, size_t n, const char *prefix, const char *delim,
	      const char *after, uint32_t max, char *out, size_t cap,
	      bool *truncated, char *next, size_t next_cap);
void check_listing(struct obj *o, const char *bucket, char **keys, size_t n,
		   const char *prefix, const char *delim, const char *after,
		   uint32_t max);

Suite *suite_object_meta(void);
Suite *suite_object_store(void);
Suite *suite_object_ops(void);
Suite *suite_object_list(void);
Suite *suite_object_multipart(void);
Suite *suite_object_gc(void);
Suite *suite_object_model(void);
Suite *suite_object_crash(void);
Suite *suite_object_store_raft(void);

#endif /* VS_TESTS_TEST_OBJECT_H */
