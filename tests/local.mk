# tests/: Check suites (one program per module), crash and simulation tests,
# and the layering check.  Module fragments are included below.

noinst_LIBRARIES += tests/libtestutil.a
tests_libtestutil_a_SOURCES = tests/testutil.c tests/testutil.h
tests_libtestutil_a_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

TESTS += tests/check_layers.sh
EXTRA_DIST += tests/check_layers.sh

include %D%/engine.mk
include %D%/raft.mk
include %D%/xml.mk
include %D%/gateway.mk
