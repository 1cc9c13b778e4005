# Tests of raft/transport (TCP raft_net): real sockets on 127.0.0.1 / ::1,
# ports below 32768 chosen free at run time.
check_PROGRAMS += tests/check_raft_transport
TESTS += tests/check_raft_transport
tests_check_raft_transport_SOURCES = \
	tests/check_raft_transport.c \
	tests/raft_transport_test.h \
	tests/test_raft_transport.c \
	tests/test_raft_transport_faults.c
tests_check_raft_transport_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_raft_transport_LDADD = tests/libtestutil.a raft/libraft.a \
	engine/libengine.a $(ENGINE_LIBS) $(CHECK_LIBS)

# The receive stream parser on arbitrary bytes; its corpus replays in
# make check.
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_raft_transport
else
check_PROGRAMS += tests/fuzz/fuzz_raft_transport
TESTS += tests/fuzz/fuzz_raft_transport
endif
tests_fuzz_fuzz_raft_transport_SOURCES = tests/fuzz/fuzz_raft_transport.c
tests_fuzz_fuzz_raft_transport_LDADD = $(FUZZ_MAIN) raft/libraft.a \
	engine/libengine.a $(ENGINE_LIBS)
tests_fuzz_fuzz_raft_transport_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
