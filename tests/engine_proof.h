/*
 * engine_proof.h — what the engine's model, crash and fault suites share:
 * engine options over a fault_io disk, a log callback that keeps the
 * engine's messages for assertions, and the suites' constructors.
 */
#ifndef VS_TESTS_ENGINE_PROOF_H
#define VS_TESTS_ENGINE_PROOF_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/kv.h"
#include "tests/fault_io.h"

/* The directory every fault_io test uses for its engine. */
#define PROOF_DIR "/db"

/* Keeps the last few engine log lines (thread-safe). */
struct proof_log {
	char lines[16][512];
	unsigned next;
};
void proof_log_fn(void *ctx, enum kv_log_level level, const char *msg);
/* True if any kept line contains needle. */
bool proof_log_has(struct proof_log *l, const char *needle);
/* All kept lines joined with " | ", into buf. */
void proof_log_dump(struct proof_log *l, char *buf, size_t len);

/*
 * Options for an engine on fault_io f: small segments (so rolling, sealing
 * and compaction happen in small workloads), no background compaction (so
 * the I/O sequence is deterministic), the log into log (may be NULL).
 */
void proof_options(struct kv_options *o, struct fault_io *f, struct proof_log *log,
		   enum kv_sync_mode mode);
/* A fresh fault_io disk with PROOF_DIR created durably. */
struct fault_io *proof_disk_new(uint64_t seed);

Suite *fault_io_suite(void);
Suite *engine_model_suite(void);
Suite *engine_crash_suite(void);
Suite *engine_faults_suite(void);

#endif /* VS_TESTS_ENGINE_PROOF_H */
