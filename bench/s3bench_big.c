/*
 * s3bench_big.c — the memory case of s3bench: one object of big_bytes
 * (5 GiB, S3's single-PUT maximum) uploaded from the generator and
 * downloaded with every byte verified, over one connection, while a thread
 * samples the server's VmRSS every SAMPLE_MS from /proc/PID/status; the
 * server's VmHWM (peak RSS of its whole life, so every earlier case too)
 * is read at the end.
 */
#include "bench/s3bench_cases.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/assert.h"

#define SAMPLE_MS 50
#define RSS_TARGET_MB 200.0

/* A "VmRSS:" style line of /proc/PID/status, in MiB; -1 if unreadable. */
static double proc_status_mb(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	double mb = -1;
	size_t fl = strlen(field);
	while (fgets(line, sizeof line, f) != NULL) { /* bounded by the file */
		if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
			mb = strtod(line + fl + 1, NULL) / 1024.0; /* kB */
			break;
		}
	}
	fclose(f);
	return mb;
}

void s3b_server_rss(const char *when)
{
	if (s3b_opt.server_pid <= 0)
		return;
	char name[64], note[120];
	snprintf(name, sizeof name, "server_rss_after_%s", when);
	snprintf(note, sizeof note, "VmHWM (peak so far) %.1f MB",
		 proc_status_mb(s3b_opt.server_pid, "VmHWM"));
	s3b_result(name, NULL, proc_status_mb(s3b_opt.server_pid, "VmRSS"), "MB", 0, S3B_INFO,
		   0, note);
}

struct sampler {
	pid_t pid;
	atomic_bool stop;
	double max_mb;
	unsigned samples;
};

static void *sample_thread(void *arg)
{
	struct sampler *s = arg;
	struct timespec ts = {0, SAMPLE_MS * 1000000L};
	/* Bounded by the transfer: the main thread sets stop when it ends. */
	while (!atomic_load(&s->stop)) {
		double mb = proc_status_mb(s->pid, "VmRSS");
		if (mb > s->max_mb)
			s->max_mb = mb;
		s->samples++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

struct big {
	bool get;
};

static int op_big(void *arg, struct s3b_conn *c, uint64_t i, uint64_t *bytes)
{
	(void)i;
	const struct big *b = arg;
	char target[160];
	snprintf(target, sizeof target, "/%s/big", s3b_opt.bucket);
	*bytes += s3b_opt.big_bytes;
	return b->get ? s3b_get_verified(c, target, "big", s3b_opt.big_bytes)
		      : s3b_put(c, target, "big", s3b_opt.big_bytes);
}

/* One transfer of the big object, RSS sampled; results recorded. */
static void transfer(bool get)
{
	struct sampler s = {.pid = s3b_opt.server_pid};
	pthread_t th;
	bool sampling = s.pid > 0 && pthread_create(&th, NULL, sample_thread, &s) == 0;
	struct big b = {get};
	struct s3b_phase_stats st;
	int rc = s3b_phase_run(&s3b_opt.server, 1, 1, op_big, &b, &st);
	if (sampling) {
		atomic_store(&s.stop, true);
		pthread_join(th, NULL);
	}
	if (rc != 0)
		s3b_die(get ? "GET big object" : "PUT big object", rc);
	char name[64], note[120], size[32];
	if (s3b_opt.big_bytes % (1ull << 30) == 0)
		snprintf(size, sizeof size, "%" PRIu64 "GiB", s3b_opt.big_bytes >> 30);
	else
		snprintf(size, sizeof size, "%" PRIu64 "MiB", s3b_opt.big_bytes >> 20);
	snprintf(name, sizeof name, "%s_%s_1c", get ? "get" : "put", size);
	s3b_result(name, &st, (double)st.bytes / (1 << 20) / st.seconds, "MB/s", 0, S3B_INFO,
		   0, get ? "every byte verified" : "body from the generator");
	if (!sampling)
		return;
	snprintf(name, sizeof name, "server_rss_max_%s_%s", get ? "get" : "put", size);
	snprintf(note, sizeof note, "max VmRSS of %u samples, every %d ms", s.samples,
		 SAMPLE_MS);
	s3b_result(name, NULL, s.max_mb, "MB", 0, S3B_VALUE_MAX, RSS_TARGET_MB, note);
}

void s3b_case_big(void)
{
	printf("big object: %" PRIu64 " bytes up and down, one connection%s\n",
	       s3b_opt.big_bytes, s3b_opt.server_pid > 0 ? ", server RSS sampled" : "");
	transfer(false);
	transfer(true);
	struct s3b_conn *c = NULL;
	char target[160];
	snprintf(target, sizeof target, "/%s/big", s3b_opt.bucket);
	int rc = s3b_conn_new(&s3b_opt.server, &c);
	if (rc == 0)
		rc = s3b_simple(c, "DELETE", target, 204);
	s3b_conn_free(c);
	if (rc != 0)
		s3b_die("DELETE big object", rc);
}
