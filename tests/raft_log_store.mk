# Tests of raft/log_store (the Raft log on disk): one Check program with the
# unit, named-fault, model, crash-at-every-step and error-at-every-step
# suites, on the in-memory fault_io disk (and one test on the real file
# system).  VERISTORE_LS_CRASH_SEEDS (default 12) sizes the crash and error
# suites, VERISTORE_LS_MODEL_SEEDS (default 20) the model suite.
check_PROGRAMS += tests/check_raft_log_store
TESTS += tests/check_raft_log_store
tests_check_raft_log_store_SOURCES = \
	tests/check_raft_log_store.c \
	tests/raft_log_store_test.h \
	tests/test_raft_log_store.c \
	tests/test_raft_log_store_faults.c \
	tests/test_raft_log_store_model.c \
	tests/fault_io.c \
	tests/fault_io.h
tests_check_raft_log_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_raft_log_store_LDADD = tests/libtestutil.a raft/libraft.a \
	engine/libengine.a $(ENGINE_LIBS) $(CHECK_LIBS)

# Recovery on arbitrary well-framed records; its corpus replays in make check.
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_raft_log_store
else
check_PROGRAMS += tests/fuzz/fuzz_raft_log_store
TESTS += tests/fuzz/fuzz_raft_log_store
endif
tests_fuzz_fuzz_raft_log_store_SOURCES = tests/fuzz/fuzz_raft_log_store.c \
	tests/fault_io.c tests/fault_io.h
tests_fuzz_fuzz_raft_log_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_fuzz_fuzz_raft_log_store_LDADD = $(FUZZ_MAIN) raft/libraft.a \
	engine/libengine.a tests/libtestutil.a $(ENGINE_LIBS) $(CHECK_LIBS)
tests_fuzz_fuzz_raft_log_store_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
