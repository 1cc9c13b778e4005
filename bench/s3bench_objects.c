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
			 o->kind == K_GET ? i * GET_STRIDE % o->n : i);
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
				  enum small_kind kind, uint64_t n, uint64_t bytes)
{
	struct objs o = {kind, n, bytes};
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

void s3b_case_small(void)
{
	uint64_t n = s3b_opt.small_ops;
	struct s3b_phase_stats st, ceil;
	printf("4 KiB objects, %u connections, %" PRIu64 " ops per phase\n", SMALL_CONNS, n);
	ceil = run("ceiling PUT", true, SMALL_CONNS, K_CEIL_PUT, n, SMALL_BYTES);
	s3b_result("ceiling_put_4KiB_16c", &ceil, ops_per_s(&ceil), "ops/s", 0, S3B_INFO, 0,
		   "trivial responder, body discarded");
	double fs = s3b_raw_fsync();
	st = run("PUT 4 KiB", false, SMALL_CONNS, K_PUT, n, SMALL_BYTES);
	s3b_result("put_4KiB_16c", &st, ops_per_s(&st), "ops/s", fs, S3B_RATIO_MIN, 3.0,
		   "base: raw fdatasync/s just before");
	ceil = run("ceiling GET", true, SMALL_CONNS, K_CEIL_GET, n, SMALL_BYTES);
	s3b_result("ceiling_get_4KiB_16c", &ceil, ops_per_s(&ceil), "ops/s", 0, S3B_INFO, 0,
		   "trivial responder");
	st = run("GET 4 KiB", false, SMALL_CONNS, K_GET, n, SMALL_BYTES);
	s3b_result("get_4KiB_16c", &st, ops_per_s(&st), "ops/s", ops_per_s(&ceil),
		   S3B_RATIO_MIN, 0.5, "base: ceiling GET just before");
	st = run("HEAD 4 KiB", false, SMALL_CONNS, K_HEAD, n, SMALL_BYTES);
	s3b_result("head_4KiB_16c", &st, ops_per_s(&st), "ops/s", 0, S3B_INFO, 0, NULL);
	st = run("DELETE 4 KiB", false, SMALL_CONNS, K_DELETE, n, SMALL_BYTES);
	s3b_result("delete_4KiB_16c", &st, ops_per_s(&st), "ops/s", 0, S3B_INFO, 0, NULL);
	/* A deleted object must be gone. */
	struct s3b_conn *c = NULL;
	char target[160], name[64];
	obj_name(name, sizeof name, SMALL_BYTES, n / 2);
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
	struct s3b_phase_stats st, ceil;
	printf("%" PRIu64 " MiB objects, one connection, %" PRIu64 " ops per phase\n",
	       bytes >> 20, n);
	double bw = s3b_raw_bandwidth();
	st = run("PUT large", false, 1, K_PUT, n, bytes);
	s3b_result("put_64MiB_1c", &st, mb_per_s(&st), "MB/s", bw, S3B_RATIO_MIN, 0.5,
		   "base: raw sequential write+fsync MB/s just before");
	ceil = run("ceiling GET large", true, 1, K_CEIL_GET, n, bytes);
	s3b_result("ceiling_get_64MiB_1c", &ceil, mb_per_s(&ceil), "MB/s", 0, S3B_INFO, 0,
		   "trivial responder");
	st = run("GET large", false, 1, K_GET, n, bytes);
	s3b_result("get_64MiB_1c", &st, mb_per_s(&st), "MB/s", mb_per_s(&ceil),
		   S3B_RATIO_MIN, 0.35, "base: ceiling GET just before");
	run("DELETE large", false, 1, K_DELETE, n, bytes);
}
