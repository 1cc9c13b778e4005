/*
 * s3bench.c — the gateway benchmark (issue 3, "Benchmark"): drives a
 * running veristore and, in the same run, the trivial libmicrohttpd
 * responder bench/http_ceiling (the HTTP ceiling) and the raw disk limits
 * on the data directory's file system (bench/raw_limits.h), then prints a
 * table and one line per case:
 *   BENCH name=<case> value=<v> unit=<u> [base=<b> ratio=<r>] [mbps=.. p50_ms=..
 *         p90_ms=.. p99_ms=.. max_ms=..] [target=<t> result=PASS|MISS]
 *
 * Each judged case is compared with its limit measured just before it,
 * because the disk and the shared CPUs drift within minutes.  Every body
 * read is verified byte for byte (content is a function of seed, name and
 * offset: s3bench_gen.c); every list page is checked key by key.  Not a
 * test: nothing asserts on time.  bench/s3bench-run.sh starts both servers
 * and runs this; see bench/README.md ("Gateway").
 */
#include "bench/s3bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/raw_limits.h"
#include "bench/s3bench_cases.h"
#include "engine/assert.h"

struct s3b_options s3b_opt = {
	.bucket = "s3bench",
	.list_bucket = "s3bench-list",
	.seed = 1,
	.region = "us-east-1",
	.small_ops = 8000,  /* per round, 5 rounds */
	.large_ops = 3,     /* per round, 5 rounds */
	.large_bytes = 64ull << 20,
	.list_keys = 1000000,
	.list_groups = 1000,
	.list_ops = 51,
	.big_bytes = 5ull << 30,
};

static void usage(void)
{
	fprintf(stderr,
		"usage: s3bench --endpoint HOST:PORT --ceiling HOST:PORT --raw-dir DIR\n"
		"               [--server-pid PID] [--quick] [--seed N] [--sha256]\n"
		"               [--small-ops N] [--large-ops N] (per round)\n"
		"               [--list-keys N] [--list-load-skip] [--big-bytes N]\n"
		"               [--only small|large|list|big]...\n"
		"credentials: VERISTORE_ACCESS_KEY and VERISTORE_SECRET_KEY\n");
	exit(2);
}

static void parse_addr(const char *s, struct s3b_endpoint *ep)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (colon == NULL || (size_t)(colon - s) >= sizeof host)
		usage();
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	ep->addr.sin_family = AF_INET;
	ep->addr.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &ep->addr.sin_addr) != 1)
		usage();
	snprintf(ep->host, sizeof ep->host, "%s", s);
}

static void parse_args(int argc, char **argv)
{
	bool quick = false, keys_given = false;
	unsigned ops_given = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--quick")) {
			quick = true;
		} else if (!strcmp(a, "--sha256")) {
			s3b_opt.server.payload_sha256 = true;
		} else if (!strcmp(a, "--list-load-skip")) {
			s3b_opt.list_load_skip = true;
		} else if (v == NULL) {
			usage();
		} else if (!strcmp(a, "--endpoint")) {
			parse_addr(v, &s3b_opt.server), i++;
		} else if (!strcmp(a, "--ceiling")) {
			parse_addr(v, &s3b_opt.ceiling), i++;
		} else if (!strcmp(a, "--raw-dir")) {
			s3b_opt.raw_dir = v, i++;
		} else if (!strcmp(a, "--server-pid")) {
			s3b_opt.server_pid = atoi(v), i++;
		} else if (!strcmp(a, "--seed")) {
			s3b_opt.seed = strtoull(v, NULL, 0), i++;
		} else if (!strcmp(a, "--list-keys")) {
			s3b_opt.list_keys = strtoull(v, NULL, 0), keys_given = true, i++;
		} else if (!strcmp(a, "--small-ops")) {
			s3b_opt.small_ops = strtoull(v, NULL, 0), ops_given |= 1, i++;
		} else if (!strcmp(a, "--large-ops")) {
			s3b_opt.large_ops = strtoull(v, NULL, 0), ops_given |= 2, i++;
		} else if (!strcmp(a, "--big-bytes")) {
			s3b_opt.big_bytes = strtoull(v, NULL, 0), i++;
		} else if (!strcmp(a, "--only")) {
			s3b_opt.only_mask |= !strcmp(v, "small") ? 1u : !strcmp(v, "large") ? 2u :
					     !strcmp(v, "list") ? 4u : !strcmp(v, "big") ? 8u : 0u;
			i++;
		} else {
			usage();
		}
	}
	if (s3b_opt.server.host[0] == '\0' || s3b_opt.ceiling.host[0] == '\0' ||
	    s3b_opt.raw_dir == NULL)
		usage();
	if (quick) {
		s3b_opt.quick = true;
		if (!(ops_given & 1))
			s3b_opt.small_ops = 2000; /* 3 rounds */
		if (!(ops_given & 2))
			s3b_opt.large_ops = 2;
		if (!keys_given)
			s3b_opt.list_keys = 100000;
	}
	if (s3b_opt.list_keys < s3b_opt.list_groups * 2 ||
	    s3b_opt.list_keys % s3b_opt.list_groups != 0) {
		fprintf(stderr, "s3bench: --list-keys must be a multiple of %" PRIu64 "\n",
			s3b_opt.list_groups);
		exit(2);
	}
	if (s3b_opt.only_mask == 0)
		s3b_opt.only_mask = 15;
}

static void credentials(void)
{
	s3b_opt.server.access_key = getenv("VERISTORE_ACCESS_KEY");
	s3b_opt.server.secret_key = getenv("VERISTORE_SECRET_KEY");
	if (s3b_opt.server.access_key == NULL || s3b_opt.server.secret_key == NULL) {
		fprintf(stderr, "s3bench: set VERISTORE_ACCESS_KEY and VERISTORE_SECRET_KEY\n");
		exit(2);
	}
	s3b_opt.server.region = s3b_opt.region;
	/* The ceiling gets the same signed requests: the client's work per
	 * request is then the same on both sides of a ratio. */
	struct sockaddr_in a = s3b_opt.ceiling.addr;
	char h[64];
	memcpy(h, s3b_opt.ceiling.host, sizeof h);
	s3b_opt.ceiling = s3b_opt.server;
	s3b_opt.ceiling.addr = a;
	memcpy(s3b_opt.ceiling.host, h, sizeof h);
}

void s3b_die(const char *what, int rc)
{
	fprintf(stderr, "s3bench: %s: %s (%d)\n", what, rc < 0 ? strerror(-rc) : "failed", rc);
	exit(1);
}

double s3b_raw_fsync(void)
{
	double rate = 0;
	int rc = raw_fdatasync_per_sec(s3b_opt.raw_dir, s3b_opt.quick ? 500 : 1000,
				       (size_t)(s3b_opt.quick ? 4 : 16) << 20, &rate);
	if (rc != 0)
		s3b_die("raw fdatasync", rc);
	return rate;
}

double s3b_raw_bandwidth(void)
{
	double mbs = 0;
	int rc = raw_seq_write_mb_per_sec(s3b_opt.raw_dir,
					  (size_t)(s3b_opt.quick ? 64 : 256) << 20, &mbs);
	if (rc != 0)
		s3b_die("raw sequential write", rc);
	return mbs;
}

static void raw_limits(const char *when)
{
	char name[64];
	snprintf(name, sizeof name, "raw_fdatasync_128B_%s", when);
	s3b_result(name, NULL, s3b_raw_fsync(), "ops/s", 0, S3B_INFO, 0, NULL);
	snprintf(name, sizeof name, "raw_seq_write_fsync_%s", when);
	s3b_result(name, NULL, s3b_raw_bandwidth(), "MB/s", 0, S3B_INFO, 0, NULL);
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	credentials();
	printf("s3bench: server %s, ceiling %s, raw files in %s, seed %" PRIu64 "%s\n",
	       s3b_opt.server.host, s3b_opt.ceiling.host, s3b_opt.raw_dir, s3b_opt.seed,
	       s3b_opt.quick ? " (quick)" : "");
	printf("payload: %s\n", s3b_opt.server.payload_sha256 ? "signed SHA-256" :
	       "UNSIGNED-PAYLOAD");
	s3b_bucket_create(s3b_opt.bucket);
	raw_limits("start");
	/*
	 * The big object before the listing: the 5 GiB transfer's RSS is then
	 * not mixed with the index of the listing's million keys; the RSS
	 * after every case shows what each adds.
	 */
	s3b_server_rss("start");
	if (s3b_opt.only_mask & 1) {
		s3b_case_small();
		s3b_server_rss("small");
	}
	if (s3b_opt.only_mask & 2) {
		s3b_case_large();
		s3b_server_rss("large");
	}
	if (s3b_opt.only_mask & 8) {
		s3b_case_big();
		s3b_server_rss("big");
	}
	if (s3b_opt.only_mask & 4) {
		s3b_case_list();
		s3b_server_rss("list");
	}
	raw_limits("end");
	s3b_results_print();
	return 0;
}
