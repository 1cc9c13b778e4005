/*
 * linearizability.h — a checker for key-value histories.
 *
 * A history is a set of client operations (put, get, delete, compare-and-set),
 * each with a logical invocation time and response time.  The history is
 * linearizable (Herlihy & Wing 1990) if every operation can be given a point
 * between its invocation and its response such that, in that order, each
 * operation's result is what a single sequential key-value map would have
 * returned.
 *
 * Operations whose outcome is unknown (the client timed out: the operation
 * may or may not have taken effect) have response time LIN_TIME_INF and no
 * observed result; as in Porcupine, such an operation may be linearized at
 * any point after its invocation, including after everything else, which is
 * the same as never having happened.
 *
 * Method: linearizability is compositional (Herlihy & Wing, "locality"), so
 * the history is split by key and each key's sub-history is checked alone.
 * Each is checked with the Wing & Gong search as improved by Lowe ("Testing
 * for linearizability", 2017): operations are tried in invocation order, a
 * partial linearization is extended depth-first and undone on a dead end, and
 * a cache of visited (set of linearized operations, model state) pairs prunes
 * repeated work.  A step budget bounds the search; running out of it gives
 * LIN_UNDECIDED, which callers must treat as a failure, never a pass.
 *
 * Values are uint64_t; LIN_ABSENT (0) means "no value", so writers use
 * non-zero values.  Not thread-safe; no global state.
 */
#ifndef VS_TESTS_LINEARIZABILITY_H
#define VS_TESTS_LINEARIZABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LIN_ABSENT   0u
#define LIN_TIME_INF UINT64_MAX

enum lin_kind {
	LIN_PUT,    /* key := value */
	LIN_GET,    /* observes value (LIN_ABSENT if none) */
	LIN_DELETE, /* key := absent */
	LIN_CAS,    /* if key == expect then key := value; ok says which */
};

struct lin_op {
	enum lin_kind kind;
	uint32_t client; /* for reports only */
	uint64_t key;
	uint64_t value;  /* PUT: written; CAS: new value; GET: observed */
	uint64_t expect; /* CAS: expected current value (LIN_ABSENT allowed) */
	bool ok;         /* CAS: whether it swapped (ignored when unknown) */
	uint64_t call;   /* invocation time */
	uint64_t ret;    /* response time, > call, or LIN_TIME_INF if unknown */
};

enum lin_result {
	LIN_OK = 0,        /* linearizable */
	LIN_VIOLATION = 1, /* proven not linearizable */
	LIN_UNDECIDED = 2, /* budget exhausted: a failure to investigate */
};

struct lin_report {
	uint64_t steps;     /* search steps used, over all keys */
	uint64_t bad_key;   /* the key whose sub-history failed (if not OK) */
	size_t keys;        /* distinct keys checked */
	size_t largest_key; /* most operations on one key */
};

/*
 * Checks ops[0..n) (borrowed; not modified).  step_budget bounds the total
 * search steps over all keys (0 means a default of 50 million).  Returns a
 * lin_result (>= 0), or -ENOMEM, or -EINVAL for a malformed operation
 * (ret <= call, a GET with unknown outcome is fine and simply ignored).
 * report may be NULL.
 */
int lin_check(const struct lin_op *ops, size_t n, uint64_t step_budget,
	      struct lin_report *report);

const char *lin_result_name(int result);

/* Prints the operations on key, in invocation order, one per line. */
void lin_print_key(FILE *out, const struct lin_op *ops, size_t n,
		   uint64_t key);

#endif /* VS_TESTS_LINEARIZABILITY_H */
