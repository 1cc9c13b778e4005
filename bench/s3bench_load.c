/*
 * s3bench_load.c — phases of many connections and the result table
 * (s3bench.h).  One thread per connection takes op numbers from a shared
 * counter, so a slow connection does less work instead of holding the
 * phase; every op's latency is kept (ops are bounded by the caller) and
 * sorted once for the percentiles.
 */
#include "bench/s3bench.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/assert.h"

double s3b_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct phase {
	const struct s3b_endpoint *ep;
	uint64_t ops;
	s3b_op_fn op;
	void *arg;
	atomic_uint_fast64_t next;
	atomic_int failed; /* first failure, 0 if none */
	float *lat_ms;     /* one per op, indexed by op number */
	atomic_uint_fast64_t bytes, reconnects;
};

static void *phase_thread(void *arg)
{
	struct phase *p = arg;
	struct s3b_conn *c = NULL;
	int rc = s3b_conn_new(p->ep, &c);
	if (rc != 0) {
		int zero = 0;
		atomic_compare_exchange_strong(&p->failed, &zero, rc);
		return NULL;
	}
	uint64_t bytes = 0;
	for (;;) { /* bounded: p->ops op numbers in total */
		if (atomic_load(&p->failed) != 0)
			break;
		uint64_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->ops)
			break;
		double t0 = s3b_now();
		rc = p->op(p->arg, c, i, &bytes);
		p->lat_ms[i] = (float)((s3b_now() - t0) * 1e3);
		if (rc != 0) {
			int zero = 0;
			atomic_compare_exchange_strong(&p->failed, &zero, rc);
			break;
		}
	}
	atomic_fetch_add(&p->bytes, bytes);
	atomic_fetch_add(&p->reconnects, s3b_conn_connects(c) - 1);
	s3b_conn_free(c);
	return NULL;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

static double pct(const float *sorted, uint64_t n, double q)
{
	uint64_t i = (uint64_t)(q * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

int s3b_phase_run(const struct s3b_endpoint *ep, unsigned conns, uint64_t ops,
		  s3b_op_fn op, void *arg, struct s3b_phase_stats *out)
{
	ASSERT(conns >= 1 && conns <= S3B_CONNS_MAX && ops >= 1);
	struct phase p = {.ep = ep, .ops = ops, .op = op, .arg = arg};
	p.lat_ms = calloc(ops, sizeof *p.lat_ms);
	if (p.lat_ms == NULL)
		return -ENOMEM;
	pthread_t th[S3B_CONNS_MAX];
	unsigned started = 0;
	double t0 = s3b_now();
	for (; started < conns; started++)
		if (pthread_create(&th[started], NULL, phase_thread, &p) != 0)
			break;
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	double dt = s3b_now() - t0;
	int rc = started == 0 ? -EAGAIN : atomic_load(&p.failed);
	if (rc == 0) {
		qsort(p.lat_ms, ops, sizeof *p.lat_ms, cmp_float);
		*out = (struct s3b_phase_stats){
			.ops = ops, .bytes = atomic_load(&p.bytes), .seconds = dt,
			.reconnects = atomic_load(&p.reconnects),
			.p50_ms = pct(p.lat_ms, ops, 0.50), .p90_ms = pct(p.lat_ms, ops, 0.90),
			.p99_ms = pct(p.lat_ms, ops, 0.99), .max_ms = p.lat_ms[ops - 1]};
	}
	free(p.lat_ms);
	return rc;
}

/* ---- results ----------------------------------------------------------- */



#define RESULTS_MAX 64

struct result {
	char name[64], unit[16], note[120];
	bool has_stats;
	struct s3b_phase_stats st;
	double value, base, target;
	double ratio; /* judged ratio when > 0, else value / base */
	enum s3b_judge judge;
};

static struct result results[RESULTS_MAX];
static unsigned nresults;

void s3b_result_ratio(double ratio)
{
	if (nresults > 0)
		results[nresults - 1].ratio = ratio;
}

void s3b_result(const char *name, const struct s3b_phase_stats *st, double value,
		const char *unit, double base, enum s3b_judge judge, double target,
		const char *note)
{
	if (nresults == RESULTS_MAX)
		return;
	struct result *r = &results[nresults++];
	snprintf(r->name, sizeof r->name, "%s", name);
	snprintf(r->unit, sizeof r->unit, "%s", unit);
	snprintf(r->note, sizeof r->note, "%s", note ? note : "");
	r->has_stats = st != NULL;
	if (st != NULL)
		r->st = *st;
	r->value = value;
	r->base = base;
	r->judge = judge;
	r->target = target;
	printf("  measured %-30s %12.2f %-6s", name, value, unit);
	if (st != NULL)
		printf("  (%" PRIu64 " ops, %.1f MB/s, p50 %.2f p99 %.2f max %.2f ms, "
		       "%" PRIu64 " reconnects)", st->ops,
		       (double)st->bytes / (1 << 20) / st->seconds, st->p50_ms, st->p99_ms,
		       st->max_ms, st->reconnects);
	printf("\n");
	fflush(stdout);
}

static const char *verdict(const struct result *r, double *ratio)
{
	*ratio = r->ratio > 0 ? r->ratio : r->base > 0 ? r->value / r->base : 0;
	switch (r->judge) {
	case S3B_RATIO_MIN: return *ratio >= r->target ? "PASS" : "MISS";
	case S3B_VALUE_MAX: return r->value < r->target ? "PASS" : "MISS";
	default: return "";
	}
}

static void print_row(const struct result *r)
{
	double ratio;
	const char *v = verdict(r, &ratio);
	printf("%-30s %11.2f %-6s", r->name, r->value, r->unit);
	if (r->base > 0)
		printf(" %10.2f %6.2f", r->base, ratio);
	else
		printf(" %10s %6s", "", "");
	if (r->has_stats)
		printf(" %8.1f %7.2f %7.2f %7.2f %8.2f", (double)r->st.bytes / (1 << 20) /
		       r->st.seconds, r->st.p50_ms, r->st.p90_ms, r->st.p99_ms, r->st.max_ms);
	else
		printf(" %8s %7s %7s %7s %8s", "", "", "", "", "");
	if (r->judge == S3B_RATIO_MIN)
		printf("  >=%.2f %s", r->target, v);
	else if (r->judge == S3B_VALUE_MAX)
		printf("  <%.0f %s", r->target, v);
	printf("%s%s\n", r->note[0] ? "  " : "", r->note);
}

static void print_machine(const struct result *r)
{
	double ratio;
	const char *v = verdict(r, &ratio);
	printf("BENCH name=%s value=%.2f unit=%s", r->name, r->value, r->unit);
	if (r->base > 0)
		printf(" base=%.2f ratio=%.3f", r->base, ratio);
	if (r->has_stats)
		printf(" mbps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f"
		       " reconnects=%" PRIu64,
		       (double)r->st.bytes / (1 << 20) / r->st.seconds, r->st.p50_ms,
		       r->st.p90_ms, r->st.p99_ms, r->st.max_ms, r->st.reconnects);
	if (r->judge == S3B_RATIO_MIN)
		printf(" target=>=%.2f result=%s", r->target, v);
	else if (r->judge == S3B_VALUE_MAX)
		printf(" target=<%.0f result=%s", r->target, v);
	printf("\n");
}

void s3b_results_print(void)
{
	printf("\n%-30s %11s %-6s %10s %6s %8s %7s %7s %7s %8s  %s\n", "case", "value", "unit",
	       "base", "ratio", "MB/s", "p50ms", "p90ms", "p99ms", "max ms", "target");
	for (unsigned i = 0; i < nresults; i++)
		print_row(&results[i]);
	printf("\n");
	for (unsigned i = 0; i < nresults; i++)
		print_machine(&results[i]);
	fflush(stdout);
}
