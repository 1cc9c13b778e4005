# tests/: Check suites (one program per module), crash and simulation tests,
# and the layering check.  Module fragments are included below.

noinst_LIBRARIES += tests/libtestutil.a
tests_libtestutil_a_SOURCES = tests/testutil.c tests/testutil.h
tests_libtestutil_a_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

TESTS += tests/check_layers.sh
EXTRA_DIST += tests/check_layers.sh

include %D%/engine.mk
include %D%/engine_proof.mk
include %D%/raft.mk
include %D%/raft_sim.mk
include %D%/raft_snapshot_xfer.mk
include %D%/raft_transport.mk
include %D%/raft_log_store.mk
include %D%/raft_node.mk
include %D%/xml.mk
include %D%/gateway.mk
include %D%/gateway_object.mk
include %D%/gateway_server.mk
include %D%/cluster.mk

# Fuzz targets (tests/fuzz/fuzz_<name>.c defining LLVMFuzzerTestOneInput).
# Without --enable-fuzzing each is linked with replay_main.c and replays its
# saved corpus tests/fuzz/corpus/<name>/ in `make check`; with it (CC=clang)
# each is a libFuzzer binary: build/tests/fuzz/fuzz_<name> tests/fuzz/corpus/<name>.
# A module's fragment adds one like this:
#   if FUZZING
#   noinst_PROGRAMS += tests/fuzz/fuzz_xml
#   else
#   check_PROGRAMS += tests/fuzz/fuzz_xml
#   TESTS += tests/fuzz/fuzz_xml
#   endif
#   tests_fuzz_fuzz_xml_SOURCES = tests/fuzz/fuzz_xml.c
#   tests_fuzz_fuzz_xml_LDADD = $(FUZZ_MAIN) xml/libxml.a $(XML_LIBS)
#   tests_fuzz_fuzz_xml_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
if FUZZING
FUZZ_MAIN =
FUZZER_LINK_FLAGS = -fsanitize=fuzzer
else
noinst_LIBRARIES += tests/libfuzzreplay.a
tests_libfuzzreplay_a_SOURCES = tests/fuzz/replay_main.c
FUZZ_MAIN = tests/libfuzzreplay.a
FUZZER_LINK_FLAGS =
endif
EXTRA_DIST += tests/fuzz/corpus
