# Tests of raft/: behaviour tests of the core (check_raft) and the codec's
# fuzz target.  The simulator is in tests/raft_sim.mk.
check_PROGRAMS += tests/check_raft
TESTS += tests/check_raft
tests_check_raft_SOURCES = \
	tests/check_raft.c \
	tests/raft_test_net.c \
	tests/raft_test_net.h \
	tests/test_raft_election.c \
	tests/test_raft_replication.c \
	tests/test_raft_read.c \
	tests/test_raft_membership.c \
	tests/test_raft_codec.c \
	tests/test_raft_robust.c
tests_check_raft_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_raft_LDADD = tests/libtestutil.a raft/libraft.a \
	engine/libengine.a $(ENGINE_LIBS) $(CHECK_LIBS)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_raft_codec
else
check_PROGRAMS += tests/fuzz/fuzz_raft_codec
TESTS += tests/fuzz/fuzz_raft_codec
endif
tests_fuzz_fuzz_raft_codec_SOURCES = tests/fuzz/fuzz_raft_codec.c
tests_fuzz_fuzz_raft_codec_LDADD = $(FUZZ_MAIN) raft/libraft.a \
	engine/libengine.a $(ENGINE_LIBS)
tests_fuzz_fuzz_raft_codec_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
