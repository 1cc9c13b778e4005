/*
 * raft_log_store_test.h — what the raft log store's suites share: a
 * reference model of the stable log (snapshot, entries, hard state), a
 * comparison of a store against it, and a log callback that keeps the
 * store's messages for assertions.
 */
#ifndef VS_TESTS_RAFT_LOG_STORE_TEST_H
#define VS_TESTS_RAFT_LOG_STORE_TEST_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/log_store.h"
#include "tests/fault_io.h"
#include "tests/testutil.h"

/* The directory the fault_io tests put the store in. */
#define LS_DIR "/rl"

/* The last few log lines of a store. */
struct lst_log {
	char lines[16][512];
	unsigned next;
};
void lst_log_fn(void *ctx, enum kv_log_level level, const char *msg);
bool lst_log_has(const struct lst_log *l, const char *needle);
void lst_log_dump(const struct lst_log *l, char *buf, size_t len);

/* The model: entries snap.index+1 .. snap.index+n. */
struct lsm_ent {
	uint64_t term;
	uint8_t type;
	uint32_t len;
	uint8_t *data;
};
struct lsm {
	struct raft_snapshot_meta snap;
	struct raft_hard_state hs;
	struct lsm_ent *e;
	size_t n, cap;
};
struct lsm *lsm_new(void);
void lsm_free(struct lsm *m);
struct lsm *lsm_copy(const struct lsm *m);
uint64_t lsm_last(const struct lsm *m);
/* Term of i in [snap.index, last]. */
uint64_t lsm_term(const struct lsm *m, uint64_t i);
/* As raft_log_store_append (caller checked validity). */
void lsm_append(struct lsm *m, const struct raft_entry *e, size_t n);
/* As raft_log_store_set_snapshot (same keep-the-suffix rule). */
void lsm_set_snapshot(struct lsm *m, const struct raft_snapshot_meta *meta);
/*
 * Compares everything readable from ls with m (entries read back with a
 * random max_bytes).  true if equal; else why says what differs.
 */
bool lsm_matches(struct raft_log_store *ls, const struct lsm *m,
		 struct test_rng *g, char *why, size_t why_len);

/* Options for a store on f (small segments), logging into log. */
void lst_options(struct raft_log_store_options *o, struct fault_io *f,
		 struct lst_log *log);

Suite *raft_log_store_suite(void);
Suite *raft_log_store_faults_suite(void);
Suite *raft_log_store_model_suite(void);

#endif /* VS_TESTS_RAFT_LOG_STORE_TEST_H */
