/*
 * test_engine.h — the engine's unit suites (tests/test_engine_<concept>.c)
 * and helpers they share.
 */
#ifndef VS_TESTS_TEST_ENGINE_H
#define VS_TESTS_TEST_ENGINE_H

#include <check.h>

#include "engine/kv.h"

Suite *test_engine_basic_suite(void);

/* Options for tests: tiny segments, no background compaction, no limits. */
void test_engine_opts(struct kv_options *o, uint64_t segment_bytes);

#endif /* VS_TESTS_TEST_ENGINE_H */
