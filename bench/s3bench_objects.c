/*
 * s3bench_objects.c — the object cases of s3bench: 4 KiB PUT/GET/HEAD/
 * DELETE over 16 connections, and 64 MiB PUT/GET over one, each judged
 * against its limit measured just before it (the raw disk, or the trivial
 * responder bench/http_ceiling serving the same body size to the same
 * client doing the same verification).
 */
#include "bench/s3bench_cases.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine/assert.h"

#define SMALL_BYTES 4096u
#define SMALL_CONNS 16u
#define GET_STRIDE 7919u /* prime: op i reads key i * 7919 mod n, each once */

enum small_kind { K_PUT, K_GET, K_HEAD, K_DELETE, K_CEIL_PUT, K_CEIL_GET };

struct objs {
	enum small_kind kind;
	uint64_t n, bytes;
	uint64_t first; /* op i names object first + i (GET: a permutation) */
};

static void obj_name(char *name, size_t cap, uint64_t bytes, uint64_t i)
{
	snprintf(name, cap, "%s/%08" PRIu64, bytes == SMALL_BYTES ? "s" : "L", i);
}

static int op_obj(void *arg, struct s3b_conn *c, uint64_t i, uint64_t *bytes)
{
	const struct objs *o = arg;
	char name[64], target[160];
	if (o->kind == K_CEIL_PUT || o->kind == K_CEIL_GET)
		snprintf(name, sizeof name, "c/%" PRIu64, o->bytes);
	else
		obj_name(name, sizeof name, o->bytes,
			 o->first + (o->kind == K_GET ? i * GET_STRIDE % o->n : i));
	if (o->kind == K_CEIL_PUT || o->kind == K_CEIL_GET)
		snprintf(target, sizeof target, "/%s", name);
	else
		snprintf(target, sizeof target, "/%s/%s", s3b_opt.bucket, name);
	switch (o->kind) {
	case K_PUT:
	case K_CEIL_PUT:
		*bytes += o->bytes;
		return s3b_put(c, target, name, o->bytes);
	case K_GET:
	case K_CEIL_GET:
		*bytes += o->bytes;
		return s3b_get_verified(c, target, name, o->bytes);
	case K_HEAD:
		return s3b_simple(c, "HEAD", target, 200);
	case K_DELETE:
		return s3b_simple(c, "DELETE", target, 204);
	}
	return -1;
}

/* Runs one phase and returns its stats; dies on a failure. */
static struct s3b_phase_stats run(const char *what, bool ceiling, unsigned conns,
				  enum small_kind kind, uint64_t n, uint64_t bytes,
				  uint64_t first)
{
	struct objs o = {kind, n, bytes, first};
	struct s3b_phase_stats st;
	int rc = s3b_phase_run(ceiling ? &s3b_opt.ceiling : &s3b_opt.server, conns, n,
			       op_obj, &o, &st);
	if (rc != 0)
		s3b_die(what, rc);
	return st;
}

static double ops_per_s(const struct s3b_phase_stats *st)
{
	return (double)st->ops / st->seconds;
}

static double mb_per_s(const struct s3b_phase_stats *st)
{
	return (double)st->bytes / (1 << 20) / st->seconds;
}

/* Index of the median of n values (the lower one for even n). */
static unsigned median_index(const double *v, unsigned n)
{
	unsigned best = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned below = 0, equal_before = 0;
		for (unsigned j = 0; j < n; j++) {
			below += v[j] < v[i];
			equal_before += j < i && v[j] == v[i];
		}
		if (below + equal_before == (n - 1) / 2)
			best = i;
	}
	return best;
}

/*
 * A judged case as rounds of (limit, case) pairs a few seconds apart, so
 * that a drift of the shared disk or CPUs hits both sides of a pair: the
 * judged ratio is the median of the rounds' ratios; the value and base
 * shown are the medians of each side, the latencies those of the median
 * round.
 */
struct pairs {
	double value[S3B_ROUNDS_MAX], base[S3B_ROUNDS_MAX];
	struct s3b_phase_stats st[S3B_ROUNDS_MAX];
	unsigned n;
};

static void pairs_report(const struct pairs *p, const char *name, const char *unit,
			 double target, const char *what)
{
	double ratio[S3B_ROUNDS_MAX];
	char note[120];
	int o = snprintf(note, sizeof note, "%s; ratio = median of rounds:", what);
	for (unsigned r = 0; r < p->n; r++) {
		ratio[r] = p->value[r] / p->base[r];
		if (o > 0 && (size_t)o < sizeof note)
			o += snprintf(note + o, sizeof note - (size_t)o, " %.2f", ratio[r]);
	}
	unsigned m = median_index(p->value, p->n);
	s3b_result(name, &p->st[m], p->value[m], unit, p->base[median_index(p->base, p->n)],
		   S3B_RATIO_MIN, target, note);
	/* The pairs, not the two medians, are what was measured together. */
	s3b_result_ratio(ratio[median_index(ratio, p->n)]);
}

static unsigned rounds(void)
{
	return s3b_opt.quick ? 3 : 5;
}

void s3b_case_small(void)
{
	uint64_t n = s3b_opt.small_ops, total = n * rounds();
	struct s3b_phase_stats st;
	struct pairs put = {.n = rounds()}, get = {.n = rounds()};
	printf("4 KiB objects, %u connections, %u rounds of %" PRIu64 " ops\n", SMALL_CONNS,
	       rounds(), n);
	for (unsigned r = 0; r < rounds(); r++) {
		put.base[r] = s3b_raw_fsync();
		put.st[r] = run("PUT 4 KiB", false, SMALL_CONNS, K_PUT, n, SMALL_BYTES, r * n);
		put.value[r] = ops_per_s(&put.st[r]);
	}
	pairs_report(&put, "put_4KiB_16c", "ops/s", 3.0, "base: raw fdatasync/s");
	st = run("ceiling PUT", true, SMALL_CONNS, K_CEIL_PUT, n, SMALL_BYTES, 0);
	s3b_result("ceiling_put_4KiB_16c", &st, ops_per_s(&st), "ops/s", 0, S3B_INFO, 0,
		   "trivial responder, body discarded");
	for (unsigned r = 0; r < rounds(); r++) {
		struct s3b_phase_stats c = run("ceiling GET", true, SMALL_CONNS, K_CEIL_GET, n,
					       SMALL_BYTES, 0);
		get.base[r] = ops_per_s(&c);
		get.st[r] = run("GET 4 KiB", false, SMALL_CONNS, K_GET, n, SMALL_BYTES, r * n);
		get.value[r] = ops_per_s(&get.st[r]);
	}
	pairs_report(&get, "get_4KiB_16c", "ops/s", 0.5, "base: ceiling GET/s");
	st = run("HEAD 4 KiB", false, SMALL_CONNS, K_HEAD, total, SMALL_BYTES, 0);
	s3b_result("head_4KiB_16c", &st, ops_per_s(&st), "ops/s", 0, S3B_INFO, 0, NULL);
	st = run("DELETE 4 KiB", false, SMALL_CONNS, K_DELETE, total, SMALL_BYTES, 0);
	s3b_result("delete_4KiB_16c", &st, ops_per_s(&st), "ops/s", 0, S3B_INFO, 0, NULL);
	/* A deleted object must be gone. */
	struct s3b_conn *c = NULL;
	char target[160], name[64];
	obj_name(name, sizeof name, SMALL_BYTES, total / 2);
	snprintf(target, sizeof target, "/%s/%s", s3b_opt.bucket, name);
	int rc = s3b_conn_new(&s3b_opt.server, &c);
	if (rc == 0)
		rc = s3b_simple(c, "GET", target, 404);
	s3b_conn_free(c);
	if (rc != 0)
		s3b_die("GET after DELETE", rc);
}

void s3b_case_large(void)
{
	uint64_t n = s3b_opt.large_ops, bytes = s3b_opt.large_bytes;
	struct pairs put = {.n = rounds()}, get = {.n = rounds()};
	printf("%" PRIu64 " MiB objects, one connection, %u rounds of %" PRIu64 " ops\n",
	       bytes >> 20, rounds(), n);
	for (unsigned r = 0; r < rounds(); r++) {
		put.base[r] = s3b_raw_bandwidth();
		put.st[r] = run("PUT large", false, 1, K_PUT, n, bytes, r * n);
		put.value[r] = mb_per_s(&put.st[r]);
	}
	pairs_report(&put, "put_64MiB_1c", "MB/s", 0.5, "base: raw seq write+fsync MB/s");
	/* What the client and HTTP alone reach: shows the client is not the limit. */
	struct s3b_phase_stats st = run("ceiling PUT large", true, 1, K_CEIL_PUT, n, bytes, 0);
	s3b_result("ceiling_put_64MiB_1c", &st, mb_per_s(&st), "MB/s", 0, S3B_INFO, 0,
		   "trivial responder, body discarded");
	for (unsigned r = 0; r < rounds(); r++) {
		struct s3b_phase_stats c = run("ceiling GET large", true, 1, K_CEIL_GET, n,
					       bytes, 0);
		get.base[r] = mb_per_s(&c);
		get.st[r] = run("GET large", false, 1, K_GET, n, bytes, r * n);
		get.value[r] = mb_per_s(&get.st[r]);
	}
	pairs_report(&get, "get_64MiB_1c", "MB/s", 0.35, "base: ceiling GET MB/s");
	run("DELETE large", false, 1, K_DELETE, n * rounds(), bytes, 0);
}
