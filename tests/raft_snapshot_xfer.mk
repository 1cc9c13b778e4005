# Tests of raft/snapshot_xfer* (streaming an engine checkpoint as chunks,
# receiving it into staging, installing it crash-safely): one Check
# program (on the real file system, and crash/error-at-every-call suites
# on tests/fault_io's simulated disk), and the receiver's fuzz target,
# whose corpus replays in make check.
check_PROGRAMS += tests/check_raft_snapshot_xfer
TESTS += tests/check_raft_snapshot_xfer
tests_check_raft_snapshot_xfer_SOURCES = \
	tests/check_raft_snapshot_xfer.c \
	tests/raft_snapshot_xfer_test.h \
	tests/test_raft_snapshot_xfer.c \
	tests/test_raft_snapshot_xfer_install.c \
	tests/test_raft_snapshot_xfer_crash.c \
	tests/fault_io.c \
	tests/fault_io.h
tests_check_raft_snapshot_xfer_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_raft_snapshot_xfer_LDADD = tests/libtestutil.a raft/libraft.a \
	engine/libengine.a $(ENGINE_LIBS) $(CHECK_LIBS)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_snapshot_xfer
else
check_PROGRAMS += tests/fuzz/fuzz_snapshot_xfer
TESTS += tests/fuzz/fuzz_snapshot_xfer
endif
tests_fuzz_fuzz_snapshot_xfer_SOURCES = tests/fuzz/fuzz_snapshot_xfer.c
tests_fuzz_fuzz_snapshot_xfer_LDADD = $(FUZZ_MAIN) raft/libraft.a \
	engine/libengine.a $(ENGINE_LIBS)
tests_fuzz_fuzz_snapshot_xfer_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
