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

/* One result: the table row and the machine-readable line. */
static void report(const char *name, double value, const char *unit, double ratio,
		   double target, bool higher_better)
{
	printf("%-34s %14.1f %-8s", name, value, unit);
	if (target > 0) {
		bool pass = higher_better ? ratio >= target : ratio < target;
		printf(" ratio %.2f (target %s%.2f) %s\n", ratio, higher_better ? ">=" : "<",
		       target, pass ? "PASS" : "MISS");
		printf("BENCH name=%s value=%.2f unit=%s ratio=%.3f target=%.2f result=%s\n",
			name, value, unit, ratio, target, pass ? "PASS" : "MISS");
	} else {
		printf("\n");
		printf("BENCH name=%s value=%.2f unit=%s\n", name, value, unit);
	}
	fflush(stdout);
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", base_dir, name);
}

/* ---- raw limits -------------------------------------------------------- */

static void raw_fdatasync(void)
{
	char p[4200];
	path_of(p, sizeof p, "raw-fsync");
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || posix_fallocate(fd, 0, 64 << 20) != 0 || fsync(fd) != 0)
		die("raw file", -errno);
	char buf[128];
	memset(buf, 'r', sizeof buf);
	unsigned n = quick ? 500 : 3000;
	double t0 = now();
	for (unsigned i = 0; i < n; i++) {
		if (pwrite(fd, buf, sizeof buf, (off_t)i * sizeof buf) != (ssize_t)sizeof buf ||
		    fdatasync(fd) != 0)
			die("raw fdatasync", -errno);
	}
	raw_fsync_per_sec = n / (now() - t0);
	close(fd);
	unlink(p);
	report("raw_fdatasync_128B", raw_fsync_per_sec, "ops/s", 0, 0, true);
}

static void raw_bandwidth(void)
{
	char p[4200];
	path_of(p, sizeof p, "raw-seq");
	size_t chunk = 1 << 20, total = (size_t)(quick ? 64 : 256) << 20;
	char *buf = malloc(chunk);
	memset(buf, 'w', chunk);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("raw seq", -errno);
	double t0 = now();
	for (size_t off = 0; off < total; off += chunk)
		if (pwrite(fd, buf, chunk, (off_t)off) != (ssize_t)chunk)
			die("raw seq write", -errno);
	if (fsync(fd) != 0)
		die("raw seq fsync", -errno);
	raw_mb_per_sec = (double)total / (1 << 20) / (now() - t0);
	close(fd);
	unlink(p);
	free(buf);
	report("raw_seq_write_fsync", raw_mb_per_sec, "MB/s", 0, 0, true);
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
		report("seq_put_sync_every_write", ops, "ops/s", ops / raw_fsync_per_sec, 0.9,
		       true);
	else
		report("seq_put_sync_every_5", ops, "ops/s", ops / raw_fsync_per_sec, 0, true);
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
	unsigned total = quick ? 2000 : 8000;
	if (total / threads < 20)
		total = threads * 20;
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
	report(name, ops, "ops/s", ops / raw_fsync_per_sec, threads == 64 ? 5.0 : 0, true);
	printf("%-34s groups %" PRIu64 ", largest group %" PRIu64 " batches\n", "",
	       st.groups, st.group_max);
}

static void case_large_values(void)
{
	unsigned n = quick ? 64 : 256;
	size_t vl = 1 << 20;
	char *v = malloc(vl);
	memset(v, 'L', vl);
	struct kv *kv = eng_open("large", KV_SYNC_GROUP, true);
	double t0 = now();
	for (unsigned i = 0; i < n; i++)
		put_or_die(kv, i, v, vl);
	double mbs = (double)n / (now() - t0);
	kv_close(kv);
	free(v);
	report("durable_1MiB_values", mbs, "MB/s", mbs / raw_mb_per_sec, 0.7, true);
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
	report("random_get", gets / (now() - t0), "ops/s", 0, 0, true);
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
	report("prefix_scan_with_values", seen / (now() - t0), "keys/s", 0, 0, true);
	struct kv_stats st;
	kv_stats(kv, &st);
	double per_key = (double)st.index_bytes / (double)st.keys - 16.0; /* key is 16 B */
	report("index_bytes_per_key_beyond_key", per_key, "B", per_key / 64.0, 1.0, false);
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
	report(name, no_ckpt * 1000, "ms", 0, 0, false);
	snprintf(name, sizeof name, "restart_%" PRIu64 "k_keys_checkpoint", n / 1000);
	report(name, with_ckpt * 1000, "ms", with_ckpt / 1.0, 1.0, false);
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
	report("compaction", mb / dt, "MB/s", 0, 0, true);
	printf("%-34s %.1f MB copied from %" PRIu64 " segments in %.2f s\n", "", mb,
	       b.compactions - a.compactions, dt);
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
	raw_fdatasync();
	raw_bandwidth();
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
	if (temp)
		rmtree(base_dir);
	return 0;
}
