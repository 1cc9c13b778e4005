# Benchmarks of gateway/: bench/s3bench, the load tool, and bench/http_ceiling,
# the trivial responder it measures as the HTTP ceiling; bench/s3bench-run.sh
# runs both against a fresh veristore (see bench/README.md, "Gateway").
# Built, never run by make check: a benchmark is not a test.
noinst_PROGRAMS += bench/s3bench bench/http_ceiling
bench_s3bench_SOURCES = bench/s3bench.c bench/s3bench.h bench/s3bench_cases.h \
	bench/s3bench_gen.c bench/s3bench_http.c bench/s3bench_load.c \
	bench/s3bench_ops.c bench/s3bench_objects.c bench/s3bench_list.c \
	bench/s3bench_big.c bench/raw_limits.c bench/raw_limits.h
bench_s3bench_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
bench_s3bench_LDADD = gateway/libgateway.a $(CRYPTO_LIBS) $(ISAL_LIBS) -lpthread
bench_http_ceiling_SOURCES = bench/http_ceiling.c bench/s3bench.h bench/s3bench_gen.c
bench_http_ceiling_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS)
bench_http_ceiling_LDADD = $(MHD_LIBS) -lpthread
EXTRA_DIST += bench/s3bench-run.sh
