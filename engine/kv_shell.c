/*
 * kv_shell.c — veristore-kv, an interactive shell over one engine directory
 * (issue 2 §3).  It reads one command per line from stdin, a terminal or a
 * pipe, and answers on stdout; a prompt is shown only on a terminal.
 *
 * Durability of the OK: a write's OK is printed only once the write is as
 * durable as the sync mode promises.  With SETBATCH n (n > 1) writes are
 * collected into one batch and written, as one atomic record, every n
 * writes; their OKs are printed together when that group is durable.  A
 * read, FLUSH, EXIT or end of input writes the pending group first, so a
 * clean exit never loses a buffered write and reads see earlier writes.
 * In --sync none mode the shell calls kv_sync() before printing OKs, so OK
 * still means durable; in --sync interval mode OK means durable within the
 * engine's interval (10 ms), as that mode promises.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/kv.h"

#define SHELL_LINE_MAX ((size_t)KV_KEY_MAX + KV_VALUE_MAX + 64)
#define SHELL_SCAN_DEFAULT 100

struct shell {
	struct kv *kv;
	enum kv_sync_mode mode;
	struct kv_batch *pending; /* writes not yet written (SETBATCH) */
	uint64_t group;           /* writes per group, >= 1 */
	bool verbose_log;
};

static const char usage[] =
	"usage: veristore-kv [--data-dir DIR] [--sync group|interval|none] [--help]\n"
	"\n"
	"An interactive shell over a VeriStore engine directory (default ./data/kv).\n"
	"Commands are read one per line from stdin (a terminal or a pipe):\n"
	"  PUT key value     store value (the rest of the line, spaces included)\n"
	"  GET key           print the value, or ERR not found\n"
	"  DEL key           delete key (deleting an absent key is OK)\n"
	"  SIZE              print the number of keys\n"
	"  SCAN prefix [n]   print up to n (default 100) 'key value' lines, then (N keys)\n"
	"  SNAP              write a checkpoint\n"
	"  FLUSH             make every write durable\n"
	"  SETBATCH n        group n writes into one durable batch (default 1)\n"
	"  BENCH n           n durable 100-byte puts; prints ops/s\n"
	"  STATS             print engine statistics\n"
	"  COMPACT           compact every sealed segment with dead bytes\n"
	"  EXIT              write pending writes, close and exit\n"
	"Each write prints OK only once it is durable: with SETBATCH n the OKs of a\n"
	"group of n writes are printed together when the group is synced.  Reads,\n"
	"FLUSH, EXIT and end of input write a pending group first; a clean EXIT or\n"
	"end of input never loses a write.  Errors print ERR <message>.\n"
	"--sync group (default): a write is fdatasync'd before OK (group commit);\n"
	"--sync interval: durable within 10 ms of OK; --sync none: the shell syncs\n"
	"before each OK itself.\n";

static void print_err(int rc)
{
	printf("ERR %s\n", kv_strerror(rc));
}

/* Writes the pending group, then prints one OK (or ERR) per write in it. */
static int shell_flush_pending(struct shell *sh)
{
	size_t n = kv_batch_count(sh->pending);
	if (n == 0)
		return 0;
	int rc = kv_write(sh->kv, sh->pending);
	if (rc == 0 && sh->mode == KV_SYNC_NONE)
		rc = kv_sync(sh->kv);
	kv_batch_clear(sh->pending);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			puts("OK");
		else
			print_err(rc);
	}
	return rc;
}

/* Queues one write; writes the group once it holds sh->group writes. */
static void shell_write(struct shell *sh, bool del, const char *key,
			const char *val, size_t val_len)
{
	int rc = del ? kv_batch_del(sh->pending, key, strlen(key)) :
		       kv_batch_put(sh->pending, key, strlen(key), val, val_len);
	if (rc != 0) {
		print_err(rc);
		return;
	}
	if (kv_batch_count(sh->pending) >= sh->group)
		shell_flush_pending(sh);
}

static void cmd_get(struct shell *sh, const char *key)
{
	void *v = NULL;
	size_t vl = 0;
	int rc = kv_get(sh->kv, key, strlen(key), &v, &vl);
	if (rc == KV_ENOTFOUND) {
		puts("ERR not found");
		return;
	}
	if (rc != 0) {
		print_err(rc);
		return;
	}
	fwrite(v, 1, vl, stdout);
	putchar('\n');
	free(v);
}

static void cmd_scan(struct shell *sh, const char *prefix, uint64_t limit)
{
	struct kv_iter_options io = { .prefix = prefix, .prefix_len = strlen(prefix) };
	struct kv_iter *it = NULL;
	int rc = kv_iter_new(sh->kv, &io, &it);
	if (rc == 0)
		rc = kv_iter_first(it);
	uint64_t n = 0;
	while (rc == 0 && n < limit && kv_iter_valid(it)) {
		size_t kl = 0, vl = 0;
		const void *k = kv_iter_key(it, &kl);
		const void *v = NULL;
		rc = kv_iter_value(it, &v, &vl);
		if (rc != 0)
			break;
		fwrite(k, 1, kl, stdout);
		putchar(' ');
		fwrite(v, 1, vl, stdout);
		putchar('\n');
		n++;
		rc = kv_iter_next(it);
	}
	kv_iter_free(it);
	if (rc != 0)
		print_err(rc);
	else
		printf("(%" PRIu64 " keys)\n", n);
}

static void cmd_stats(struct shell *sh)
{
	struct kv_stats s;
	int rc = kv_stats(sh->kv, &s);
	if (rc != 0) {
		print_err(rc);
		return;
	}
	printf("keys %" PRIu64 "\nlive_bytes %" PRIu64 "\ndead_bytes %" PRIu64
	       "\nsegments %" PRIu64 "\nindex_bytes %" PRIu64 "\nwrites %" PRIu64
	       "\nfsyncs %" PRIu64 "\ngroups %" PRIu64 "\ngroup_max %" PRIu64
	       "\ncompactions %" PRIu64 "\ncompacted_bytes %" PRIu64
	       "\ncheckpoints %" PRIu64 "\napplied_index %" PRIu64 "\n",
	       s.keys, s.live_bytes, s.dead_bytes, s.segments, s.index_bytes, s.writes,
	       s.fsyncs, s.groups, s.group_max, s.compactions, s.compacted_bytes,
	       s.checkpoints, s.applied_index);
}

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n durable puts, one at a time, as the current sync mode makes them. */
static void cmd_bench(struct shell *sh, uint64_t n)
{
	char key[32], val[100];
	memset(val, 'b', sizeof val);
	double t0 = now_sec();
	int rc = 0;
	for (uint64_t i = 0; i < n && rc == 0; i++) {
		int kl = snprintf(key, sizeof key, "bench/%012" PRIu64, i);
		rc = kv_put(sh->kv, key, (size_t)kl, val, sizeof val);
		if (rc == 0 && sh->mode == KV_SYNC_NONE)
			rc = kv_sync(sh->kv);
	}
	double dt = now_sec() - t0;
	if (rc != 0)
		print_err(rc);
	else
		printf("BENCH puts=%" PRIu64 " secs=%.3f ops/s=%.0f\n", n, dt,
		       dt > 0 ? (double)n / dt : 0.0);
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end = NULL;
	if (s == NULL || *s == '\0' || *s == '-')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* Splits off the next space-separated word of *rest (NULL if none). */
static char *next_word(char **rest)
{
	char *s = *rest;
	while (*s == ' ')
		s++;
	if (*s == '\0')
		return NULL;
	char *w = s;
	while (*s != '\0' && *s != ' ')
		s++;
	if (*s == ' ')
		*s++ = '\0';
	*rest = s;
	return w;
}

/* Runs one command line; returns false on EXIT. */
static bool shell_run(struct shell *sh, char *line, size_t len)
{
	char *rest = line;
	char *cmd = next_word(&rest);
	if (cmd == NULL)
		return true;
	bool is_write = !strcasecmp(cmd, "PUT") || !strcasecmp(cmd, "DEL");
	if (!is_write && strcasecmp(cmd, "SETBATCH") != 0)
		shell_flush_pending(sh); /* reads and the rest see earlier writes */
	if (!strcasecmp(cmd, "PUT")) {
		char *key = next_word(&rest);
		if (key == NULL || rest == line + len) {
			puts("ERR usage: PUT key value");
			return true;
		}
		shell_write(sh, false, key, rest, (size_t)(line + len - rest));
		return true;
	}
	char *arg = next_word(&rest);
	char *arg2 = next_word(&rest);
	uint64_t n = 0;
	int rc = 0;
	if (!strcasecmp(cmd, "DEL") && arg != NULL) {
		shell_write(sh, true, arg, NULL, 0);
	} else if (!strcasecmp(cmd, "GET") && arg != NULL) {
		cmd_get(sh, arg);
	} else if (!strcasecmp(cmd, "SIZE")) {
		struct kv_stats s;
		rc = kv_stats(sh->kv, &s);
		if (rc == 0)
			printf("%" PRIu64 "\n", s.keys);
	} else if (!strcasecmp(cmd, "SCAN")) {
		n = SHELL_SCAN_DEFAULT;
		if (arg2 != NULL && !parse_u64(arg2, &n))
			puts("ERR usage: SCAN prefix [limit]");
		else
			cmd_scan(sh, arg ? arg : "", n);
	} else if (!strcasecmp(cmd, "SNAP") || !strcasecmp(cmd, "FLUSH") ||
		   !strcasecmp(cmd, "COMPACT")) {
		rc = !strcasecmp(cmd, "SNAP")  ? kv_checkpoint(sh->kv) :
		     !strcasecmp(cmd, "FLUSH") ? kv_sync(sh->kv) :
						 kv_compact(sh->kv, 0.0);
		if (rc == 0)
			puts("OK");
	} else if (!strcasecmp(cmd, "SETBATCH") && parse_u64(arg, &n) && n >= 1) {
		sh->group = n;
		if (kv_batch_count(sh->pending) >= n)
			shell_flush_pending(sh);
		puts("OK");
	} else if (!strcasecmp(cmd, "BENCH") && parse_u64(arg, &n)) {
		cmd_bench(sh, n);
	} else if (!strcasecmp(cmd, "STATS")) {
		cmd_stats(sh);
	} else if (!strcasecmp(cmd, "EXIT") || !strcasecmp(cmd, "QUIT")) {
		return false;
	} else {
		printf("ERR unknown command or bad arguments: %s (try --help)\n", cmd);
	}
	if (rc != 0)
		print_err(rc);
	return true;
}

/* mkdir -p for the parents of dir, so the default ./data/kv just works. */
static int mkdir_parents(const char *dir)
{
	char *p = strdup(dir);
	if (p == NULL)
		return -ENOMEM;
	int rc = 0;
	for (char *s = p + 1; *s != '\0' && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			rc = -errno;
		*s = '/';
	}
	free(p);
	return rc;
}

static void shell_log(void *ctx, enum kv_log_level level, const char *msg)
{
	struct shell *sh = ctx;
	if (level >= KV_LOG_WARN || sh->verbose_log)
		fprintf(stderr, "veristore-kv: %s\n", msg);
}

static int parse_args(int argc, char **argv, const char **dir, enum kv_sync_mode *mode)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			exit(0);
		} else if (!strcmp(a, "--data-dir") && i + 1 < argc) {
			*dir = argv[++i];
		} else if (!strcmp(a, "--sync") && i + 1 < argc) {
			const char *m = argv[++i];
			if (!strcmp(m, "group"))
				*mode = KV_SYNC_GROUP;
			else if (!strcmp(m, "interval"))
				*mode = KV_SYNC_INTERVAL;
			else if (!strcmp(m, "none"))
				*mode = KV_SYNC_NONE;
			else
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = "./data/kv";
	struct shell sh = { .group = 1, .mode = KV_SYNC_GROUP };
	if (parse_args(argc, argv, &dir, &sh.mode) != 0) {
		fputs(usage, stderr);
		return 2;
	}
	sh.verbose_log = getenv("VERISTORE_KV_VERBOSE") != NULL;
	struct kv_options o;
	kv_options_init(&o);
	o.sync_mode = sh.mode;
	o.log_fn = shell_log;
	o.log_ctx = &sh;
	int rc = mkdir_parents(dir);
	if (rc == 0)
		rc = kv_open(dir, &o, &sh.kv);
	if (rc == 0)
		rc = kv_batch_new(&sh.pending);
	if (rc != 0) {
		fprintf(stderr, "veristore-kv: cannot open %s: %s\n", dir, kv_strerror(rc));
		kv_close(sh.kv);
		return 1;
	}
	bool tty = isatty(STDIN_FILENO);
	char *line = NULL;
	size_t cap = 0;
	for (;;) {
		if (tty) {
			fputs("kv> ", stdout);
		}
		fflush(stdout);
		ssize_t n = getline(&line, &cap, stdin);
		if (n < 0)
			break; /* end of input: like EXIT */
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if ((size_t)n > SHELL_LINE_MAX) {
			puts("ERR line too long");
			continue;
		}
		if (!shell_run(&sh, line, (size_t)n))
			break;
	}
	free(line);
	int frc = shell_flush_pending(&sh);
	kv_batch_free(sh.pending);
	rc = kv_close(sh.kv);
	fflush(stdout);
	if (rc != 0)
		fprintf(stderr, "veristore-kv: close: %s\n", kv_strerror(rc));
	return rc != 0 || frc != 0 ? 1 : 0;
}
