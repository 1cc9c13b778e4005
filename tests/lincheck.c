/*
 * lincheck.c — parsing text histories and explaining a verdict (the format
 * is in lincheck.h).  The search itself is tests/linearizability.c; this file
 * maps string keys and values to the integers it works on, and, when a key
 * fails, shrinks that key's history so that a person can see why.
 */
#include "tests/lincheck.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LC_FIELDS_MAX 9
/* Keys larger than this are printed in full rather than reduced: each
 * reduction step is a full search of the key, and there is one per op. */
#define LC_REDUCE_OPS_MAX 400
#define LC_PRINT_OPS_MAX 60

/* ---- interned strings ---------------------------------------------- */

static uint64_t lc_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int lc_names_grow(struct lincheck_names *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 64;
	uint32_t *slots = calloc(nslots, sizeof *slots);
	if (slots == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t j = lc_hash(t->names[i]) & (nslots - 1);
		while (slots[j] != 0)
			j = (j + 1) & (nslots - 1);
		slots[j] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

/* The id of s in t, adding it if new; -ENOMEM. */
static int64_t lc_names_intern(struct lincheck_names *t, const char *s)
{
	if ((t->n + 1) * 2 > t->nslots && lc_names_grow(t) != 0)
		return -ENOMEM;
	size_t j = lc_hash(s) & (t->nslots - 1);
	for (size_t probes = 0; probes < t->nslots; probes++) {
		uint32_t id = t->slots[j];
		if (id == 0)
			break;
		if (strcmp(t->names[id - 1], s) == 0)
			return id - 1;
		j = (j + 1) & (t->nslots - 1);
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **names = realloc(t->names, cap * sizeof *names);
		if (names == NULL)
			return -ENOMEM;
		t->names = names;
		t->cap = cap;
	}
	char *copy = strdup(s);
	if (copy == NULL)
		return -ENOMEM;
	t->names[t->n] = copy;
	t->slots[j] = (uint32_t)t->n + 1;
	return (int64_t)t->n++;
}

static void lc_names_free(struct lincheck_names *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

void lincheck_hist_init(struct lincheck_hist *h)
{
	memset(h, 0, sizeof *h);
}

void lincheck_hist_free(struct lincheck_hist *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		free(h->lines[i]);
	free(h->ops);
	free(h->lines);
	lc_names_free(&h->keys);
	lc_names_free(&h->vals);
	memset(h, 0, sizeof *h);
}

/* ---- parsing --------------------------------------------------------- */

/* A value token as a lin_op value: '-' is absent, others are ids + 1. */
static int lc_value(struct lincheck_hist *h, const char *tok, uint64_t *out)
{
	if (strcmp(tok, "-") == 0) {
		*out = LIN_ABSENT;
		return 0;
	}
	int64_t id = lc_names_intern(&h->vals, tok);
	if (id < 0)
		return (int)id;
	*out = (uint64_t)id + 1;
	return 0;
}

static bool lc_u64(const char *tok, uint64_t *out)
{
	char *end;
	if (*tok < '0' || *tok > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(tok, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

static int lc_kind(const char *tok, enum lin_kind *kind)
{
	static const char *const names[] = {"put", "get", "delete", "cas"};
	static const enum lin_kind kinds[] = {LIN_PUT, LIN_GET, LIN_DELETE,
					      LIN_CAS};
	for (size_t i = 0; i < 4; i++)
		if (strcmp(tok, names[i]) == 0) {
			*kind = kinds[i];
			return 0;
		}
	return -EINVAL;
}

/* Fills op's value fields from the VALUE and RESULT fields; or a reason. */
static const char *lc_values(struct lincheck_hist *h, struct lin_op *op,
			     char *value, const char *result, bool ok)
{
	switch (op->kind) {
	case LIN_PUT:
		if (strcmp(value, "-") == 0)
			return "put needs a value ('-' is absent)";
		return lc_value(h, value, &op->value) ? "out of memory" : NULL;
	case LIN_DELETE:
		return NULL;
	case LIN_GET:
		if (ok && result == NULL)
			return "a completed get needs a RESULT ('-' if absent)";
		if (!ok)
			return NULL;
		return lc_value(h, result, &op->value) ? "out of memory" : NULL;
	case LIN_CAS: {
		char *comma = strchr(value, ',');
		if (comma == NULL)
			return "cas VALUE is EXPECT,NEW";
		*comma = '\0';
		if (strcmp(comma + 1, "-") == 0)
			return "cas cannot write absent ('-')";
		if (lc_value(h, value, &op->expect) ||
		    lc_value(h, comma + 1, &op->value))
			return "out of memory";
		if (!ok)
			return NULL;
		if (result != NULL && strcmp(result, "true") == 0)
			op->ok = true;
		else if (result != NULL && strcmp(result, "false") == 0)
			op->ok = false;
		else
			return "a completed cas needs RESULT true or false";
		return NULL;
	}
	}
	return "bad op";
}

static int lc_append(struct lincheck_hist *h, const struct lin_op *op,
		     const char *line)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct lin_op *ops = realloc(h->ops, cap * sizeof *ops);
		if (ops == NULL)
			return -ENOMEM;
		h->ops = ops;
		char **lines = realloc(h->lines, cap * sizeof *lines);
		if (lines == NULL)
			return -ENOMEM;
		h->lines = lines;
		h->cap = cap;
	}
	char *copy = strdup(line);
	if (copy == NULL)
		return -ENOMEM;
	size_t len = strlen(copy);
	while (len > 0 && (copy[len - 1] == '\n' || copy[len - 1] == '\r'))
		copy[--len] = '\0';
	h->ops[h->n] = *op;
	h->lines[h->n++] = copy;
	return 0;
}

/* Parses one non-comment line; returns NULL or the reason it is bad. */
static const char *lc_parse_line(struct lincheck_hist *h, char *buf,
				 const char *line, int *rc)
{
	char *f[LC_FIELDS_MAX + 1];
	int nf = 0;
	for (char *save, *t = strtok_r(buf, " \t\r\n", &save); t != NULL;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		if (nf == LC_FIELDS_MAX)
			return "too many fields";
		f[nf++] = t;
	}
	if (nf < 7)
		return "want CLIENT OP KEY VALUE CALL RET OUTCOME [RESULT]";
	struct lin_op op = {0};
	uint64_t client;
	if (!lc_u64(f[0], &client) || client > UINT32_MAX)
		return "CLIENT is not an unsigned 32-bit integer";
	op.client = (uint32_t)client;
	if (lc_kind(f[1], &op.kind))
		return "OP is not put, get, delete or cas";
	bool ok = strcmp(f[6], "ok") == 0, unknown = strcmp(f[6], "unknown") == 0;
	if (!ok && !unknown && strcmp(f[6], "fail") != 0)
		return "OUTCOME is not ok, fail or unknown";
	if (!lc_u64(f[4], &op.call))
		return "CALL is not an unsigned integer";
	if (unknown && strcmp(f[5], "-") == 0)
		op.ret = LIN_TIME_INF;
	else if (!lc_u64(f[5], &op.ret) || op.ret <= op.call)
		return "RET is not an unsigned integer greater than CALL";
	if (!ok && !unknown) {
		h->failed++; /* no effect: nothing to check */
		return NULL;
	}
	int64_t key = lc_names_intern(&h->keys, f[2]);
	if (key < 0)
		return "out of memory";
	op.key = (uint64_t)key;
	const char *why = lc_values(h, &op, f[3], nf > 7 ? f[7] : NULL, ok);
	if (why != NULL)
		return why;
	if (unknown) {
		op.ret = LIN_TIME_INF;
		h->unknown++;
	}
	*rc = lc_append(h, &op, line);
	return *rc ? "out of memory" : NULL;
}

int lincheck_parse(struct lincheck_hist *h, FILE *in, const char *name,
		   FILE *err)
{
	char *line = NULL, *buf = NULL;
	size_t cap = 0, bufcap = 0;
	ssize_t len;
	int rc = 0;
	for (size_t lineno = 1; (len = getline(&line, &cap, in)) >= 0;
	     lineno++) {
		const char *p = line + strspn(line, " \t\r\n");
		if (*p == '\0' || *p == '#')
			continue;
		if ((size_t)len + 1 > bufcap) {
			free(buf);
			bufcap = (size_t)len + 1;
			buf = malloc(bufcap);
			if (buf == NULL) {
				rc = -ENOMEM;
				break;
			}
		}
		memcpy(buf, line, (size_t)len + 1);
		const char *why = lc_parse_line(h, buf, line, &rc);
		if (why != NULL) {
			fprintf(err, "%s:%zu: %s\n", name, lineno, why);
			rc = rc ? rc : -EINVAL;
			break;
		}
	}
	free(line);
	free(buf);
	return rc;
}

/* ---- explaining a failure ------------------------------------------- */

static int lc_call_cmp(const void *a, const void *b)
{
	const struct lin_op *x = a, *y = b;
	return x->call < y->call ? -1 : x->call > y->call;
}

/* Still a proven violation?  Undecided counts as no: we only shrink to a
 * history that is certainly wrong. */
static bool lc_fails(const struct lin_op *ops, size_t n, uint64_t budget)
{
	return lin_check(ops, n, budget, NULL) == LIN_VIOLATION;
}

static bool lc_value_used(const struct lin_op *ops, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if ((ops[i].kind == LIN_GET && ops[i].value == v) ||
		    (ops[i].kind == LIN_CAS && ops[i].expect == v))
			return true;
	return false;
}

/*
 * Shrinks a failing key's ops in place, keeping it failing: drops reads,
 * weakens completed writes to unknown, drops unknown writes nobody
 * observed.  Each step only removes constraints, so the result is still a
 * genuine violation, and no single further step of these kinds fixes it.
 * Returns the new count.  The .ret of a weakened write is LIN_TIME_INF;
 * .client keeps the index of its source line (set by the caller).
 */
static size_t lc_reduce(struct lin_op *ops, size_t n, uint64_t budget)
{
	for (size_t i = n; i-- > 0;) {
		if (ops[i].kind != LIN_GET)
			continue;
		struct lin_op saved = ops[i];
		memmove(&ops[i], &ops[i + 1], (n - i - 1) * sizeof *ops);
		if (lc_fails(ops, n - 1, budget)) {
			n--;
			continue;
		}
		memmove(&ops[i + 1], &ops[i], (n - i - 1) * sizeof *ops);
		ops[i] = saved;
	}
	for (size_t i = n; i-- > 0;) {
		if (ops[i].kind == LIN_GET || ops[i].ret == LIN_TIME_INF)
			continue;
		uint64_t ret = ops[i].ret;
		ops[i].ret = LIN_TIME_INF;
		if (!lc_fails(ops, n, budget))
			ops[i].ret = ret;
	}
	for (size_t i = n; i-- > 0;) {
		if (ops[i].ret != LIN_TIME_INF ||
		    lc_value_used(ops, n, ops[i].value))
			continue;
		struct lin_op saved = ops[i];
		memmove(&ops[i], &ops[i + 1], (n - i - 1) * sizeof *ops);
		if (lc_fails(ops, n - 1, budget)) {
			n--;
			continue;
		}
		memmove(&ops[i + 1], &ops[i], (n - i - 1) * sizeof *ops);
		ops[i] = saved;
	}
	return n;
}

/* A read of a value no write on the key wrote: the plainest explanation. */
static void lc_explain_phantom(const struct lincheck_hist *h,
			       const struct lin_op *ops, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = ops[i].kind == LIN_GET ? ops[i].value
			     : ops[i].kind == LIN_CAS ? ops[i].expect
						      : LIN_ABSENT;
		if (v == LIN_ABSENT)
			continue;
		bool written = false;
		for (size_t j = 0; j < n && !written; j++)
			written = (ops[j].kind == LIN_PUT ||
				   ops[j].kind == LIN_CAS) &&
				  ops[j].value == v;
		if (!written)
			fprintf(out, "  value '%s' was observed but never "
				     "written (or its write failed) on this key\n",
				h->vals.names[v - 1]);
	}
}

static void lc_explain(const struct lincheck_hist *h, uint64_t key,
		       uint64_t budget, FILE *out)
{
	size_t m = 0;
	struct lin_op *ops = malloc((h->n ? h->n : 1) * sizeof *ops);
	if (ops == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		if (h->ops[i].key == key) {
			ops[m] = h->ops[i];
			ops[m++].client = (uint32_t)i; /* source line, below */
		}
	qsort(ops, m, sizeof *ops, lc_call_cmp);
	fprintf(out, "key '%s': %zu operations\n", h->keys.names[key], m);
	lc_explain_phantom(h, ops, m, out);
	size_t k = m;
	if (m <= LC_REDUCE_OPS_MAX) {
		k = lc_reduce(ops, m, budget);
		fprintf(out, "a reduced history that still fails (%zu of %zu "
			     "ops; '(now unknown)' marks a completed write "
			     "the failure does not depend on):\n", k, m);
	} else {
		fprintf(out, "too many to reduce; the first %d by call "
			     "time:\n", LC_PRINT_OPS_MAX);
	}
	for (size_t i = 0; i < k && i < LC_PRINT_OPS_MAX; i++) {
		const struct lin_op *src = &h->ops[ops[i].client];
		bool weakened = src->ret != LIN_TIME_INF &&
				ops[i].ret == LIN_TIME_INF;
		fprintf(out, "  %s%s\n", h->lines[ops[i].client],
			weakened ? "   (now unknown)" : "");
	}
	free(ops);
}

int lincheck_verdict(const struct lincheck_hist *h, uint64_t step_budget,
		     FILE *out)
{
	struct lin_report rep = {0};
	int rc = lin_check(h->ops, h->n, step_budget, &rep);
	if (rc < 0) {
		fprintf(out, "lincheck: cannot check: %s\n", strerror(-rc));
		return LINCHECK_UNDECIDED;
	}
	fprintf(out, "%s: %zu ops (%zu unknown outcome, %zu failed left out) "
		     "on %zu keys, largest key %zu ops, %" PRIu64 " steps\n",
		lin_result_name(rc), h->n, h->unknown, h->failed, rep.keys,
		rep.largest_key, rep.steps);
	if (rc == LIN_VIOLATION)
		lc_explain(h, rep.bad_key, step_budget, out);
	else if (rc == LIN_UNDECIDED)
		fprintf(out, "key '%s' exhausted the search budget: a failure "
			     "to investigate, not a pass\n",
			h->keys.names[rep.bad_key]);
	return rc == LIN_OK ? LINCHECK_OK
	       : rc == LIN_VIOLATION ? LINCHECK_VIOLATION
				     : LINCHECK_UNDECIDED;
}
