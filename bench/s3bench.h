/*
 * s3bench.h — the gateway benchmark's load tool (issue 3, "Benchmark"):
 * object content derived from a key and a seed (s3bench_gen.c), one
 * HTTP/1.1 keep-alive connection with SigV4 header auth (s3bench_http.c),
 * and phases of many connections with latency statistics and the result
 * table (s3bench_load.c).  The cases are in s3bench.c.
 *
 * Threads: one thread per connection; a connection is used by one thread.
 */
#ifndef VS_BENCH_S3BENCH_H
#define VS_BENCH_S3BENCH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- content (s3bench_gen.c) ------------------------------------------- */

/*
 * Every object's bytes are a pure function of (seed, name, offset), so a
 * GET can be verified at any offset without storing what was written: the
 * 8-byte little-endian word j of an object is splitmix64(h + j * golden),
 * h = s3b_gen_hash(seed, name).
 */
uint64_t s3b_gen_hash(uint64_t seed, const char *name);
void s3b_gen_fill(uint64_t h, uint64_t offset, void *buf, size_t len);
/* True when buf holds exactly the content at offset. */
bool s3b_gen_check(uint64_t h, uint64_t offset, const void *buf, size_t len);

/* ---- one connection (s3bench_http.c) ----------------------------------- */

struct s3b_endpoint {
	struct sockaddr_in addr;
	char host[64];          /* "127.0.0.1:9000", the Host header */
	const char *access_key; /* NULL: send no Authorization */
	const char *secret_key;
	const char *region;
	bool payload_sha256;    /* sign a real body SHA-256, else UNSIGNED-PAYLOAD */
};

/* Fills buf with len bytes of the body at offset; 0 or negative. */
typedef int (*s3b_fill_fn)(void *arg, uint64_t offset, void *buf, size_t len);
/* Consumes len bytes of the response body; 0, or negative to fail. */
typedef int (*s3b_sink_fn)(void *arg, const char *data, size_t len);

struct s3b_request {
	const char *method;
	const char *target;  /* raw request-target, already URI-encoded */
	uint64_t body_bytes; /* Content-Length of the request body */
	s3b_fill_fn fill;    /* body producer when body_bytes > 0 */
	void *fill_arg;
	s3b_sink_fn sink;    /* NULL: the response body is discarded */
	void *sink_arg;
};

struct s3b_response {
	int status;
	uint64_t body_bytes; /* response body bytes received (decoded) */
};

/* A connection is an opaque handle owned by its creator. */
struct s3b_conn;

int s3b_conn_new(const struct s3b_endpoint *ep, struct s3b_conn **out);
void s3b_conn_free(struct s3b_conn *c);
/* TCP connections made so far (more than 1: the server closed one). */
uint64_t s3b_conn_connects(const struct s3b_conn *c);
/*
 * Sends rq and reads the whole response (Content-Length or chunked; no body
 * for HEAD).  Reconnects once when a kept-alive connection turns out to be
 * closed before any response byte arrived.  0 and *out, or -errno / -EPROTO.
 */
int s3b_conn_do(struct s3b_conn *c, const struct s3b_request *rq,
		struct s3b_response *out);

/* ---- phases and results (s3bench_load.c) ------------------------------- */

/*
 * One operation of a phase: op number i (0..ops-1) on connection c; adds
 * the payload bytes moved to *bytes.  Returns 0 or negative (the phase
 * stops and reports the failure).
 */
typedef int (*s3b_op_fn)(void *arg, struct s3b_conn *c, uint64_t i, uint64_t *bytes);

struct s3b_phase_stats {
	uint64_t ops, bytes;
	uint64_t reconnects; /* connects beyond one per connection */
	double seconds;
	double p50_ms, p90_ms, p99_ms, max_ms;
};

/*
 * Runs ops operations over conns connections (one thread each, at most
 * S3B_CONNS_MAX), each thread taking the next op number until none is
 * left.  0 and *out, or the first failure.
 */
#define S3B_CONNS_MAX 64
int s3b_phase_run(const struct s3b_endpoint *ep, unsigned conns, uint64_t ops,
		  s3b_op_fn op, void *arg, struct s3b_phase_stats *out);

/* What a judged value is compared with. */
enum s3b_judge {
	S3B_INFO,       /* no target */
	S3B_RATIO_MIN,  /* value / base >= target */
	S3B_VALUE_MAX,  /* value < target (base unused) */
};

/* Records one result line (kept for the final table, echoed now). */
void s3b_result(const char *name, const struct s3b_phase_stats *st, double value,
		const char *unit, double base, enum s3b_judge judge, double target,
		const char *note);
/*
 * Sets the judged ratio of the last result explicitly (a median of paired
 * ratios), instead of value / base.
 */
void s3b_result_ratio(double ratio);
/* The table, then one "BENCH name=..." line per result. */
void s3b_results_print(void);

double s3b_now(void);

#endif /* VS_BENCH_S3BENCH_H */
