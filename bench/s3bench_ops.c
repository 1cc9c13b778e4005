/*
 * s3bench_ops.c — single S3 operations of the load tool, each checking the
 * status and, for reads, every byte (s3bench_cases.h).
 */
#include "bench/s3bench_cases.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

struct gen_arg {
	uint64_t h;
};

static int gen_fill(void *arg, uint64_t offset, void *buf, size_t len)
{
	s3b_gen_fill(((struct gen_arg *)arg)->h, offset, buf, len);
	return 0;
}

struct verify_arg {
	uint64_t h, offset, limit;
};

static int verify_sink(void *arg, const char *data, size_t len)
{
	struct verify_arg *v = arg;
	if (v->offset + len > v->limit || !s3b_gen_check(v->h, v->offset, data, len))
		return S3B_ECONTENT;
	v->offset += len;
	return 0;
}

void s3b_bucket_create(const char *bucket)
{
	struct s3b_conn *c = NULL;
	int rc = s3b_conn_new(&s3b_opt.server, &c);
	if (rc != 0)
		s3b_die("connect to the server", rc);
	char target[128];
	snprintf(target, sizeof target, "/%s", bucket);
	struct s3b_request rq = {.method = "PUT", .target = target};
	struct s3b_response rs;
	rc = s3b_conn_do(c, &rq, &rs);
	s3b_conn_free(c);
	if (rc != 0)
		s3b_die("CreateBucket", rc);
	if (rs.status != 200 && rs.status != 409) {
		fprintf(stderr, "s3bench: CreateBucket %s: HTTP %d\n", bucket, rs.status);
		exit(1);
	}
}

int s3b_put(struct s3b_conn *c, const char *target, const char *name, uint64_t bytes)
{
	struct gen_arg g = {s3b_gen_hash(s3b_opt.seed, name)};
	struct s3b_request rq = {.method = "PUT", .target = target, .body_bytes = bytes,
				 .fill = gen_fill, .fill_arg = &g};
	struct s3b_response rs;
	int rc = s3b_conn_do(c, &rq, &rs);
	if (rc == 0 && rs.status != 200) {
		fprintf(stderr, "s3bench: PUT %s: HTTP %d\n", target, rs.status);
		rc = S3B_ESTATUS;
	}
	return rc;
}

int s3b_get_verified(struct s3b_conn *c, const char *target, const char *name,
		     uint64_t bytes)
{
	struct verify_arg v = {s3b_gen_hash(s3b_opt.seed, name), 0, bytes};
	struct s3b_request rq = {.method = "GET", .target = target, .sink = verify_sink,
				 .sink_arg = &v};
	struct s3b_response rs;
	int rc = s3b_conn_do(c, &rq, &rs);
	if (rc == 0 && rs.status != 200) {
		fprintf(stderr, "s3bench: GET %s: HTTP %d\n", target, rs.status);
		rc = S3B_ESTATUS;
	}
	if (rc == 0 && v.offset != bytes) {
		fprintf(stderr, "s3bench: GET %s: %llu bytes, expected %llu\n", target,
			(unsigned long long)v.offset, (unsigned long long)bytes);
		rc = S3B_ECONTENT;
	}
	if (rc == S3B_ECONTENT)
		fprintf(stderr, "s3bench: GET %s: content differs near offset %llu\n", target,
			(unsigned long long)v.offset);
	return rc;
}

int s3b_simple(struct s3b_conn *c, const char *method, const char *target, int status)
{
	struct s3b_request rq = {.method = method, .target = target};
	struct s3b_response rs;
	int rc = s3b_conn_do(c, &rq, &rs);
	if (rc == 0 && rs.status != status) {
		fprintf(stderr, "s3bench: %s %s: HTTP %d, expected %d\n", method, target,
			rs.status, status);
		rc = S3B_ESTATUS;
	}
	return rc;
}

struct text_arg {
	char *buf;
	size_t len, cap;
};

static int text_sink(void *arg, const char *data, size_t len)
{
	struct text_arg *t = arg;
	if (t->len + len + 1 > t->cap)
		return -E2BIG;
	memcpy(t->buf + t->len, data, len);
	t->len += len;
	t->buf[t->len] = '\0';
	return 0;
}

int s3b_get_text(struct s3b_conn *c, const char *target, size_t cap, char **out)
{
	struct text_arg t = {malloc(cap), 0, cap};
	if (t.buf == NULL)
		return -ENOMEM;
	t.buf[0] = '\0';
	struct s3b_request rq = {.method = "GET", .target = target, .sink = text_sink,
				 .sink_arg = &t};
	struct s3b_response rs;
	int rc = s3b_conn_do(c, &rq, &rs);
	if (rc == 0 && rs.status != 200) {
		fprintf(stderr, "s3bench: GET %s: HTTP %d: %.300s\n", target, rs.status, t.buf);
		rc = S3B_ESTATUS;
	}
	if (rc != 0) {
		free(t.buf);
		return rc;
	}
	*out = t.buf;
	return 0;
}
