/*
 * test_engine.h — the engine's unit suites (tests/test_engine_<concept>.c)
 * and helpers they share (defined in tests/check_engine.c).
 */
#ifndef VS_TESTS_TEST_ENGINE_H
#define VS_TESTS_TEST_ENGINE_H

#include <check.h>
#include <stddef.h>

#include "engine/kv.h"

Suite *test_engine_basic_suite(void);
Suite *test_engine_crc32c_suite(void);
Suite *test_engine_record_suite(void);
Suite *test_engine_index_suite(void);
Suite *test_engine_iter_suite(void);
Suite *test_engine_group_suite(void);
Suite *test_engine_checkpoint_suite(void);
Suite *test_engine_compact_suite(void);
Suite *test_engine_recovery_suite(void);

/* Options for tests: tiny segments, no background compaction, no limits. */
void test_engine_opts(struct kv_options *o, uint64_t segment_bytes);

/* kv_put of NUL-terminated strings; asserts success. */
void test_kv_put(struct kv *kv, const char *key, const char *val);
/* Asserts key holds val (NULL: absent). */
void test_kv_expect(struct kv *kv, const char *key, const char *val);
/* Asserts a and b hold the same keys and values (by full scans). */
void test_kv_equal(struct kv *a, struct kv *b);

/* A log callback that remembers the last ERROR/WARN message. */
struct test_log {
	char last_error[512];
	char last_warn[512];
	int errors, warns;
};
void test_log_fn(void *ctx, enum kv_log_level lv, const char *msg);

#endif /* VS_TESTS_TEST_ENGINE_H */
