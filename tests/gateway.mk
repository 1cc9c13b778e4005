# Tests of gateway/: see tests/local.mk.
# check_gateway: SigV4 (AWS's published vectors and hand-built cases),
# the aws-chunked decoder, and the checksums.
check_PROGRAMS += tests/check_gateway
TESTS += tests/check_gateway
tests_check_gateway_SOURCES = tests/check_gateway.c \
	tests/test_gateway_sigv4.c tests/test_gateway_chunked.c \
	tests/test_gateway_checksum.c tests/test_gateway_tagging.c tests/test_gateway.h
tests_check_gateway_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
tests_check_gateway_LDADD = tests/libtestutil.a $(GATEWAY_AUTH_LIBS) $(CHECK_LIBS)

# Fuzz targets: the SigV4 header/query parser and canonicaliser, and the
# aws-chunked decoder fed in random piece sizes.
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_sigv4 tests/fuzz/fuzz_aws_chunked
else
check_PROGRAMS += tests/fuzz/fuzz_sigv4 tests/fuzz/fuzz_aws_chunked
TESTS += tests/fuzz/fuzz_sigv4 tests/fuzz/fuzz_aws_chunked
endif
tests_fuzz_fuzz_sigv4_SOURCES = tests/fuzz/fuzz_sigv4.c
tests_fuzz_fuzz_sigv4_LDADD = $(FUZZ_MAIN) $(GATEWAY_AUTH_LIBS)
tests_fuzz_fuzz_sigv4_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_aws_chunked_SOURCES = tests/fuzz/fuzz_aws_chunked.c
tests_fuzz_fuzz_aws_chunked_LDADD = $(FUZZ_MAIN) $(GATEWAY_AUTH_LIBS)
tests_fuzz_fuzz_aws_chunked_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
EXTRA_DIST += tests/vectors/sigv4
