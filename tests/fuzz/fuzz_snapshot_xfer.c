/*
 * fuzz_snapshot_xfer.c — feeds untrusted frames to a snapshot receiver.
 * The input is a sequence of frames, each as len:u16 (big-endian) then
 * len bytes (a short tail is one last frame), fed in order to one
 * receiver staging into a scratch directory; every 4th byte of an
 * ack-shaped input is also given to a sender as an ack.  Never crashes;
 * every ack it answers with decodes; a completed transfer's ready
 * directory lies inside the staging root and holds only valid names; the
 * receiver writes nowhere else.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/assert.h"
#include "raft/snapshot_xfer_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[256];
static char staging[300];
static char src[300];

static void teardown(void)
{
	char p[400];
	snprintf(p, sizeof p, "%s/a", src);
	unlink(p);
	rmdir(src);
	rmdir(staging);
	rmdir(root);
}

static void setup(void)
{
	if (root[0] != '\0')
		return;
	const char *t = getenv("TMPDIR");
	snprintf(root, sizeof root, "%s/vs-fuzz-snap-XXXXXX", t ? t : "/tmp");
	ASSERT(mkdtemp(root) != NULL);
	snprintf(staging, sizeof staging, "%s/staging", root);
	snprintf(src, sizeof src, "%s/src", root);
	/* A tiny snapshot for the sender to answer acks about. */
	ASSERT(mkdir(src, 0700) == 0);
	char p[400];
	snprintf(p, sizeof p, "%s/a", src);
	FILE *f = fopen(p, "w");
	ASSERT(f != NULL);
	fputs("hello", f);
	fclose(f);
	atexit(teardown);
}

/* Only the staging root (and src) may exist under root. */
static void check_root(void)
{
	DIR *d = opendir(root);
	ASSERT(d != NULL);
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		ASSERT(strcmp(e->d_name, ".") == 0 ||
		       strcmp(e->d_name, "..") == 0 ||
		       strcmp(e->d_name, "staging") == 0 ||
		       strcmp(e->d_name, "src") == 0);
	closedir(d);
}

static void check_ready(const char *dir)
{
	ASSERT(strncmp(dir, staging, strlen(staging)) == 0);
	DIR *d = opendir(dir);
	ASSERT(d != NULL);
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			ASSERT(snap_name_valid(e->d_name, strlen(e->d_name)));
	closedir(d);
}

static void feed_all(struct snap_recv *r, struct snap_send *s,
                     const uint8_t *data, size_t size)
{
	size_t o = 0;
	/* Bounded: every round consumes at least two bytes. */
	while (size - o >= 2) {
		size_t n = ((size_t)data[o] << 8) | data[o + 1];
		o += 2;
		if (n > size - o)
			n = size - o;
		const void *ack;
		size_t an;
		int rc = snap_recv_feed(r, data + o, n, &ack, &an);
		ASSERT(rc == SNAP_RECV_CONTINUE || rc == SNAP_RECV_COMPLETE ||
		       rc == SNAP_ECORRUPT || rc == SNAP_EVERSION);
		if (ack != NULL) {
			struct snap_ack a;
			ASSERT(an == SNAP_ACK_BYTES);
			ASSERT(snap_ack_decode(ack, an, &a) == 0);
		}
		if (rc == SNAP_RECV_COMPLETE) {
			struct raft_snapshot_meta m;
			const char *dir = snap_recv_ready(r, &m);
			ASSERT(dir != NULL);
			check_ready(dir);
		}
		if (n == SNAP_ACK_BYTES) {
			int ar = snap_send_ack(s, data + o, n);
			ASSERT(ar <= SNAP_SEND_COMPLETE);
			const void *fr;
			size_t fn;
			ASSERT(snap_send_next(s, &fr, &fn) <=
			       SNAP_SEND_COMPLETE);
		}
		o += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	struct snap_recv *r;
	ASSERT(snap_recv_new(staging, &r) == 0);
	struct raft_snapshot_meta meta = {.index = 5, .term = 2};
	struct snap_send *s;
	ASSERT(snap_send_open(src, &meta, 1, 2, &s) == 0);
	feed_all(r, s, data, size);
	snap_send_close(s);
	snap_recv_free(r);
	check_root();
	/* A new receiver removes every transfer, finished or not. */
	ASSERT(snap_recv_new(staging, &r) == 0);
	snap_recv_free(r);
	ASSERT(rmdir(staging) == 0);
	return 0;
}
