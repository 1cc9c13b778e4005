/*
 * lincheck.h — a text history of key-value operations, as recorded by the
 * multi-process cluster tests (tests/cluster/), checked for linearizability
 * with tests/linearizability.h.
 *
 * The history format, one operation per line, fields separated by blanks
 * (blank lines and lines starting with '#' are ignored):
 *
 *   CLIENT OP KEY VALUE CALL RET OUTCOME [RESULT]
 *
 *   CLIENT   unsigned integer, for reports only
 *   OP       put | get | delete | cas
 *   KEY      any token without blanks
 *   VALUE    put: the value written; cas: EXPECT,NEW (EXPECT '-' means
 *            "expects the key absent"); get, delete: '-'
 *   CALL     invocation time, ns (unsigned integer)
 *   RET      response time, ns, > CALL; '-' allowed when OUTCOME is unknown
 *   OUTCOME  ok      — the operation completed and RESULT is what it saw;
 *            fail    — definitely had no effect (e.g. a 4xx refusal): left
 *                      out of the check;
 *            unknown — may or may not have taken effect (a 503, a timeout,
 *                      a dropped connection): it may be placed anywhere
 *                      after CALL, or nowhere.  An unknown get is ignored.
 *   RESULT   get ok: the value observed, '-' when the key was absent;
 *            cas ok: true (swapped) or false (not swapped); else omitted
 *            or '-'.
 *
 * Values are tokens; '-' is "absent" and cannot be written.  Writers should
 * write a unique value per operation, so that a read of a value that was
 * never written (or whose write failed) cannot hide behind another write.
 */
#ifndef VS_TESTS_LINCHECK_H
#define VS_TESTS_LINCHECK_H

#include "tests/linearizability.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes of tests/lincheck and results of lincheck_verdict. */
enum lincheck_exit {
	LINCHECK_OK = 0,        /* linearizable */
	LINCHECK_VIOLATION = 1, /* proven not linearizable */
	LINCHECK_UNDECIDED = 2, /* search budget exhausted, or bad input */
};

/* Interned strings: id i names names[i]; owned by the table. */
struct lincheck_names {
	char **names;
	size_t n, cap;
	uint32_t *slots; /* open addressing; 0 = empty, else id + 1 */
	size_t nslots;
};

struct lincheck_hist {
	struct lin_op *ops; /* ops[i].key indexes keys; values index vals */
	char **lines;       /* the source text of ops[i], for reports */
	size_t n, cap;
	struct lincheck_names keys;
	struct lincheck_names vals; /* value v (>= 1) is vals.names[v - 1] */
	size_t failed;              /* 'fail' lines left out */
	size_t unknown;             /* 'unknown' lines kept */
};

void lincheck_hist_init(struct lincheck_hist *h);
void lincheck_hist_free(struct lincheck_hist *h);

/*
 * Reads a whole history from in into h (initialised, may already hold
 * lines).  On a malformed line prints "NAME:LINE: reason" to err and returns
 * -EINVAL; -ENOMEM when out of memory; 0 on success.
 */
int lincheck_parse(struct lincheck_hist *h, FILE *in, const char *name,
		   FILE *err);

/*
 * Checks h and prints the verdict to out: a one-line summary, and when the
 * history is not linearizable the failing key with a reduced sub-history
 * (reads dropped, writes made unknown, as long as it still fails) in the
 * source format.  step_budget as in lin_check.  Returns an lincheck_exit.
 */
int lincheck_verdict(const struct lincheck_hist *h, uint64_t step_budget,
		     FILE *out);

#endif /* VS_TESTS_LINCHECK_H */
