/*
 * kvbench.c — the engine's benchmark (issue 2 §5).  Measures, in the same
 * run and on the same file system, the raw limits (single-thread
 * fdatasync rate on a preallocated file; sequential write bandwidth with a
 * final fsync) and the engine's cases, and prints a table plus one line per
 * case for machines:
 *   BENCH name=<case> value=<v> unit=<u> [ratio=<r> target=<t> result=PASS|MISS]
 *
 *   kvbench [--dir DIR] [--quick]
 * --dir: where to put files (default ./kvbench.XXXXXX under the current
 * directory, the build dir, removed at exit).  --quick: smaller counts.
 * Not a test: nothing here asserts on time.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/raw_limits.h"
#include "engine/kv.h"

static bool quick;
static char base_dir[4096];
static double raw_fsync_per_sec, raw_mb_per_sec;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "kvbench: %s: %s\n", what, kv_strerror(rc));
	exit(1);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void rmtree(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Results are kept and printed at the end.  Each ratio is taken against the
 * raw limit measured just before that case (raw_near()), because on a
 * shared virtual disk the fdatasync rate drifts by 2x within minutes; the
 * raw limits at the start and the end of the run are printed too.
 */
enum basis { BASIS_NONE, BASIS_FSYNC, BASIS_BW, BASIS_SELF };

struct result {
	char name[64], unit[16], note[96];
	double value, target, base;
	enum basis basis;
	bool higher_better;
};

static struct result results[64];
static unsigned nresults;

static void report(const char *name, double value, const char *unit, enum basis b,
		   double target, bool higher_better)
{
	if (nresults == 64)
		return;
	struct result *r = &results[nresults++];
	snprintf(r->name, sizeof r->name, "%s", name);
	snprintf(r->unit, sizeof r->unit, "%s", unit);
	r->value = value;
	r->basis = b;
	r->base = b == BASIS_FSYNC ? raw_fsync_per_sec : b == BASIS_BW ? raw_mb_per_sec :
		  b == BASIS_SELF ? 1.0 : 0.0;
	r->target = target;
	r->higher_better = higher_better;
	printf("  measured %-34s %12.1f %s\n", name, value, unit);
	fflush(stdout);
}

static void note(const char *text)
{
	if (nresults > 0)
		snprintf(results[nresults - 1].note, sizeof results[0].note, "%s", text);
}

/* The table, then one machine-readable line per case. */
static void print_results(void)
{
	printf("\n%-36s %12s %-6s %9s %8s %8s %s\n", "case", "value", "unit", "base",
	       "ratio", "target", "result");
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < nresults; i++) {
			struct result *r = &results[i];
			double base = r->base;
			double ratio = base > 0 ? r->value / base : 0;
			bool judged = r->target > 0;
			bool ok = r->higher_better ? ratio >= r->target : ratio < r->target;
			const char *res = !judged ? "" : ok ? "PASS" : "MISS";
			if (pass == 0) {
				printf("%-36s %12.1f %-6s ", r->name, r->value, r->unit);
				if (base > 0)
					printf("%9.1f %8.2f ", base, ratio);
				else
					printf("%9s %8s ", "", "");
				if (judged)
					printf("%s%-6.2f %s", r->higher_better ? ">=" : "<", r->target,
					       res);
				printf("%s%s\n", r->note[0] ? "  " : "", r->note);
			} else {
				printf("BENCH name=%s value=%.2f unit=%s", r->name, r->value, r->unit);
				if (base > 0)
					printf(" base=%.2f ratio=%.3f", base, ratio);
				if (judged)
					printf(" target=%s%.2f result=%s", r->higher_better ? ">=" : "<",
					       r->target, res);
				printf("\n");
			}
		}
	}
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", base_dir, name);
}

/* ---- raw limits -------------------------------------------------------- */

/*
 * The raw limits (bench/raw_limits.h, shared with s3bench): the
 * single-thread fdatasync rate on a preallocated file, and sequential
 * write bandwidth with a final fsync, both in base_dir.
 */
static double raw_fdatasync(void)
{
	double rate = 0;
	int rc = raw_fdatasync_per_sec(base_dir, quick ? 500 : 2000,
				       (size_t)(quick ? 4 : 16) << 20, &rate);
	if (rc != 0)
		die("raw fdatasync", rc);
	return rate;
}

static double raw_bandwidth(void)
{
	double mbs = 0;
	int rc = raw_seq_write_mb_per_sec(base_dir, (size_t)(quick ? 64 : 256) << 20, &mbs);
	if (rc != 0)
		die("raw sequential write", rc);
	return mbs;
}

static void raw_limits(const char *when)
{
	char name[64];
	raw_fsync_per_sec = raw_fdatasync();
	raw_mb_per_sec = raw_bandwidth();
	snprintf(name, sizeof name, "raw_fdatasync_128B_%s", when);
	report(name, raw_fsync_per_sec, "ops/s", BASIS_NONE, 0, true);
	snprintf(name, sizeof name, "raw_seq_write_fsync_%s", when);
	report(name, raw_mb_per_sec, "MB/s", BASIS_NONE, 0, true);
}

/* Re-measures one raw limit right before a case that is judged by it. */
static void raw_near(enum basis b)
{
	if (b == BASIS_FSYNC)
		raw_fsync_per_sec = raw_fdatasync();
	else if (b == BASIS_BW)
		raw_mb_per_sec = raw_bandwidth();
}

/* ---- engine helpers ---------------------------------------------------- */

static struct kv *eng_open(const char *name, enum kv_sync_mode mode, bool fresh)
{
	char p[4200];
	path_of(p, sizeof p, name);
	if (fresh)
		rmtree(p);
	struct kv_options o;
	kv_options_init(&o);
	o.sync_mode = mode;
	struct kv *kv = NULL;
	int rc = kv_open(p, &o, &kv);
	if (rc != 0)
		die("kv_open", rc);
	return kv;
}

static size_t key_of(char *buf, uint64_t i)
{
	return (size_t)snprintf(buf, 32, "key/%012" PRIu64, i);
}

static void put_or_die(struct kv *kv, uint64_t i, const void *v, size_t vl)
{
	char k[32];
	int rc = kv_put(kv, k, key_of(k, i), v, vl);
	if (rc != 0)
		die("kv_put", rc);
}

/* 10,000 sequential small puts, synced every `every` writes, then FLUSH. */
static void case_sequential(unsigned every)
{
	unsigned n = quick ? 2000 : 10000;
	char v[100];
	memset(v, 'v', sizeof v);
	raw_near(BASIS_FSYNC);
	struct kv *kv = eng_open(every == 1 ? "seq1" : "seq5",
				 every == 1 ? KV_SYNC_GROUP : KV_SYNC_NONE, true);
	double t0 = now();
	for (unsigned i = 0; i < n; i++) {
		put_or_die(kv, i, v, sizeof v);
		if (every > 1 && (i + 1) % every == 0 && kv_sync(kv) != 0)
			die("kv_sync", -1);
	}
	if (kv_sync(kv) != 0)
		die("final flush", -1);
	double ops = n / (now() - t0);
	kv_close(kv);
	if (every == 1)
		report("seq_put_sync_every_write", ops, "ops/s", BASIS_FSYNC, 0.9, true);
	else
		report("seq_put_sync_every_5", ops, "ops/s", BASIS_FSYNC, 0, true);
}

struct wctx {
	struct kv *kv;
	unsigned id, n;
};

static void *writer(void *arg)
{
	struct wctx *w = arg;
	char v[100];
	memset(v, 'c', sizeof v);
	for (unsigned i = 0; i < w->n; i++)
		put_or_die(w->kv, (uint64_t)w->id << 32 | i, v, sizeof v);
	return NULL;
}

static void case_concurrent(unsigned threads)
{
	unsigned total = quick ? 1000 : threads == 1 ? 3000 : 8000;
	if (total / threads < 20)
		total = threads * 20;
	raw_near(BASIS_FSYNC);
	struct kv *kv = eng_open("conc", KV_SYNC_GROUP, true);
	pthread_t th[64];
	struct wctx w[64];
	double t0 = now();
	for (unsigned i = 0; i < threads; i++) {
		w[i] = (struct wctx){ .kv = kv, .id = i, .n = total / threads };
		pthread_create(&th[i], NULL, writer, &w[i]);
	}
	for (unsigned i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	double ops = (double)(total / threads * threads) / (now() - t0);
	struct kv_stats st;
	kv_stats(kv, &st);
	kv_close(kv);
	char name[64];
	snprintf(name, sizeof name, "durable_put_%u_writers", threads);
	report(name, ops, "ops/s", BASIS_FSYNC, threads == 64 ? 5.0 : 0, true);
	char text[96];
	snprintf(text, sizeof text, "%" PRIu64 " group commits, largest %" PRIu64 " batches",
		 st.groups, st.group_max);
	note(text);
}

static void case_large_values(void)
{
	unsigned n = quick ? 64 : 256;
	size_t vl = 1 << 20;
	char *v = malloc(vl);
	memset(v, 'L', vl);
	raw_near(BASIS_BW);
	struct kv *kv = eng_open("large", KV_SYNC_GROUP, true);
	double t0 = now();
	for (unsigned i = 0; i < n; i++)
		put_or_die(kv, i, v, vl);
	double mbs = (double)n / (now() - t0);
	kv_close(kv);
	free(v);
	report("durable_1MiB_values", mbs, "MB/s", BASIS_BW, 0.7, true);
}

/* Loads n keys with small values in batches, durably at the end. */
static void load(struct kv *kv, uint64_t n, size_t vl)
{
	char v[256], k[32];
	memset(v, 'x', sizeof v);
	struct kv_batch *b = NULL;
	if (kv_batch_new(&b) != 0)
		die("batch", -1);
	for (uint64_t i = 0; i < n; i++) {
		kv_batch_put(b, k, key_of(k, i), v, vl);
		if (kv_batch_count(b) == 1000 || i + 1 == n) {
			int rc = kv_write(kv, b);
			if (rc != 0)
				die("load", rc);
			kv_batch_clear(b);
		}
	}
	kv_batch_free(b);
	if (kv_sync(kv) != 0)
		die("load sync", -1);
}

static void case_reads(void)
{
	uint64_t n = quick ? 20000 : 200000;
	struct kv *kv = eng_open("reads", KV_SYNC_NONE, true);
	load(kv, n, 100);
	unsigned gets = quick ? 50000 : 300000;
	uint64_t x = 88172645463325252ull;
	char k[32];
	double t0 = now();
	for (unsigned i = 0; i < gets; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		void *v = NULL;
		size_t vl;
		int rc = kv_get(kv, k, key_of(k, x % n), &v, &vl);
		if (rc != 0)
			die("kv_get", rc);
		free(v);
	}
	report("random_get", gets / (now() - t0), "ops/s", BASIS_NONE, 0, true);
	struct kv_iter_options io = { .prefix = "key/", .prefix_len = 4 };
	struct kv_iter *it = NULL;
	uint64_t seen = 0;
	t0 = now();
	if (kv_iter_new(kv, &io, &it) != 0 || kv_iter_first(it) != 0)
		die("iter", -1);
	while (kv_iter_valid(it)) {
		size_t kl;
		const void *v;
		size_t vl;
		kv_iter_key(it, &kl);
		if (kv_iter_value(it, &v, &vl) != 0 || kv_iter_next(it) != 0)
			die("iter step", -1);
		seen++;
	}
	kv_iter_free(it);
	report("prefix_scan_with_values", seen / (now() - t0), "keys/s", BASIS_NONE, 0, true);
	struct kv_stats st;
	kv_stats(kv, &st);
	double per_key = (double)st.index_bytes / (double)st.keys - 16.0; /* key is 16 B */
	/* Target: under 64 bytes plus the key (ratio column = the value). */
	report("index_bytes_per_key_beyond_key", per_key, "B", BASIS_SELF, 64.0, false);
	char text[96];
	snprintf(text, sizeof text, "%.1f B per key including the 16-byte key",
		 per_key + 16);
	note(text);
	kv_close(kv);
}

static double timed_open(const char *name)
{
	double t0 = now();
	struct kv *kv = eng_open(name, KV_SYNC_NONE, false);
	double dt = now() - t0;
	kv_close(kv);
	return dt;
}

static void case_restart(void)
{
	uint64_t n = quick ? 100000 : 1000000;
	struct kv *kv = eng_open("restart", KV_SYNC_NONE, true);
	load(kv, n, 32);
	kv_close(kv);
	double no_ckpt = timed_open("restart");
	kv = eng_open("restart", KV_SYNC_NONE, false);
	int rc = kv_checkpoint(kv);
	if (rc != 0)
		die("checkpoint", rc);
	kv_close(kv);
	double with_ckpt = timed_open("restart");
	char name[64];
	snprintf(name, sizeof name, "restart_%" PRIu64 "k_keys_no_checkpoint", n / 1000);
	report(name, no_ckpt * 1000, "ms", BASIS_NONE, 0, false);
	snprintf(name, sizeof name, "restart_%" PRIu64 "k_keys_checkpoint", n / 1000);
	report(name, with_ckpt, "s", BASIS_SELF, 1.0, false);
}

static void case_compaction(void)
{
	uint64_t n = quick ? 50000 : 300000;
	char p[4200];
	path_of(p, sizeof p, "compact");
	rmtree(p);
	struct kv_options o;
	kv_options_init(&o);
	o.sync_mode = KV_SYNC_NONE;
	o.segment_bytes = 8 << 20;
	o.background_compaction = false;
	struct kv *kv = NULL;
	int rc = kv_open(p, &o, &kv);
	if (rc != 0)
		die("open compact", rc);
	load(kv, n, 200);
	load(kv, n / 2, 200); /* overwrite half: dead bytes in every old segment */
	struct kv_stats a, b;
	kv_stats(kv, &a);
	double t0 = now();
	rc = kv_compact(kv, 0.0);
	double dt = now() - t0;
	if (rc != 0)
		die("kv_compact", rc);
	kv_stats(kv, &b);
	double mb = (double)(b.compacted_bytes - a.compacted_bytes) / (1 << 20);
	report("compaction", mb / dt, "MB/s", BASIS_NONE, 0, true);
	char text[96];
	snprintf(text, sizeof text, "%.1f MB copied from %" PRIu64 " segments in %.2f s", mb,
		 b.compactions - a.compactions, dt);
	note(text);
	kv_close(kv);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else {
			fprintf(stderr, "usage: kvbench [--dir DIR] [--quick]\n");
			return 2;
		}
	}
	bool temp = dir == NULL;
	if (temp) {
		strcpy(base_dir, "./kvbench.XXXXXX");
		if (mkdtemp(base_dir) == NULL)
			die("mkdtemp", -errno);
	} else {
		snprintf(base_dir, sizeof base_dir, "%s", dir);
		if (mkdir(base_dir, 0755) != 0 && errno != EEXIST)
			die(base_dir, -errno);
	}
	printf("kvbench in %s%s (one BENCH line per case for machines)\n", base_dir,
	       quick ? " (quick)" : "");
	raw_limits("before");
	case_sequential(1);
	case_sequential(5);
	case_concurrent(1);
	case_concurrent(4);
	case_concurrent(16);
	case_concurrent(64);
	case_large_values();
	case_reads();
	case_restart();
	case_compaction();
	raw_limits("after");
	printf("\nratios: against the raw limit measured just before each case (BASE column)\n");
	print_results();
	if (temp)
		rmtree(base_dir);
	return 0;
}
