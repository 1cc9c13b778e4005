/*
 * kv_killer.c — the driver of the real-process kill test
 * (tests/check_kv_kill.sh, issue 2 §4).
 *
 *   kv_killer write DIR THREADS TAG   concurrent writers (KV_SYNC_GROUP) put
 *       keys "TAG/<thread>/<n>" and print each key on stdout, with one
 *       write(2), only after kv_put has returned 0 (durable); thread 0 also
 *       takes a checkpoint every 300 puts and deletes some of its own
 *       "scratch" keys.  Runs until killed (bounded: WRITES_MAX per thread).
 *   kv_killer verify DIR ACKFILE      reopens DIR and checks that every key in
 *       ACKFILE is present with its value; prints a summary; exit 1 if not.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/kv.h"

#define WRITES_MAX 1000000u
#define THREADS_MAX 64

struct writer {
	struct kv *kv;
	unsigned id;
	const char *tag;
};

/* The value of a key: derived from it, so verify needs only the key. */
static size_t value_of(const char *key, char *val, size_t cap)
{
	size_t kl = strlen(key), n = 64 + kl % 97;
	if (n > cap)
		n = cap;
	for (size_t i = 0; i < n; i++)
		val[i] = (char)('!' + (key[i % kl] + i) % 90);
	return n;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char key[96], val[256], line[128];
	for (unsigned n = 0; n < WRITES_MAX; n++) {
		int kl = snprintf(key, sizeof key, "%s/%u/%u", w->tag, w->id, n);
		size_t vl = value_of(key, val, sizeof val);
		int rc = kv_put(w->kv, key, (size_t)kl, val, vl);
		if (rc != 0) {
			fprintf(stderr, "kv_killer: put %s: %s\n", key, kv_strerror(rc));
			exit(3);
		}
		int ll = snprintf(line, sizeof line, "%s\n", key);
		if (write(STDOUT_FILENO, line, (size_t)ll) != ll)
			exit(4);
		if (w->id == 0 && n % 300 == 299 && kv_checkpoint(w->kv) != 0)
			exit(5);
		if (w->id == 0 && n % 7 == 3) { /* churn for compaction */
			snprintf(key, sizeof key, "scratch/%u", n % 50);
			if (kv_put(w->kv, key, strlen(key), val, vl) != 0 ||
			    kv_del(w->kv, key, strlen(key)) != 0)
				exit(6);
		}
	}
	return NULL;
}

static int do_write(const char *dir, unsigned threads, const char *tag)
{
	struct kv_options o;
	kv_options_init(&o);
	o.segment_bytes = 256 * 1024; /* rolls and compacts within a cycle */
	struct kv *kv = NULL;
	int rc = kv_open(dir, &o, &kv);
	if (rc != 0) {
		fprintf(stderr, "kv_killer: open %s: %s\n", dir, kv_strerror(rc));
		return 2;
	}
	pthread_t th[THREADS_MAX];
	struct writer w[THREADS_MAX];
	for (unsigned i = 0; i < threads; i++) {
		w[i] = (struct writer){ .kv = kv, .id = i, .tag = tag };
		if (pthread_create(&th[i], NULL, writer_main, &w[i]) != 0)
			return 2;
	}
	for (unsigned i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	return kv_close(kv) == 0 ? 0 : 1;
}

static int do_verify(const char *dir, const char *ackfile)
{
	struct kv *kv = NULL;
	int rc = kv_open(dir, NULL, &kv);
	if (rc != 0) {
		fprintf(stderr, "kv_killer: reopen %s after kill: %s\n", dir, kv_strerror(rc));
		return 1;
	}
	FILE *fp = fopen(ackfile, "r");
	char line[256], val[256];
	uint64_t ok = 0, bad = 0;
	while (fp != NULL && fgets(line, sizeof line, fp) != NULL) {
		size_t n = strlen(line);
		if (n == 0 || line[n - 1] != '\n')
			continue; /* a line cut by the kill was never complete */
		line[--n] = '\0';
		size_t vl = value_of(line, val, sizeof val);
		void *got = NULL;
		size_t gl = 0;
		rc = kv_get(kv, line, n, &got, &gl);
		if (rc != 0 || gl != vl || memcmp(got, val, vl) != 0) {
			if (bad++ < 5)
				fprintf(stderr, "kv_killer: acknowledged key %s: %s\n", line,
					rc ? kv_strerror(rc) : "wrong value");
		} else {
			ok++;
		}
		free(got);
	}
	if (fp != NULL)
		fclose(fp);
	struct kv_stats st;
	kv_stats(kv, &st);
	printf("verify: %" PRIu64 " acknowledged keys present, %" PRIu64 " lost; %" PRIu64
	       " keys, %" PRIu64 " segments\n", ok, bad, st.keys, st.segments);
	rc = kv_close(kv);
	return bad == 0 && rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "write") == 0) {
		unsigned t = (unsigned)atoi(argv[3]);
		if (t < 1 || t > THREADS_MAX)
			return 2;
		return do_write(argv[2], t, argv[4]);
	}
	if (argc == 4 && strcmp(argv[1], "verify") == 0)
		return do_verify(argv[2], argv[3]);
	fprintf(stderr, "usage: kv_killer write DIR THREADS TAG | verify DIR ACKFILE\n");
	return 2;
}
