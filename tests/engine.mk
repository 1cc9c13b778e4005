# Tests of engine/: see tests/local.mk.  One Check program, one suite per
# concept (tests/test_engine_<concept>.c), main in tests/check_engine.c.
check_PROGRAMS += tests/check_engine
TESTS += tests/check_engine
tests_check_engine_SOURCES = tests/check_engine.c tests/test_engine.h \
	tests/test_engine_basic.c tests/test_engine_crc32c.c \
	tests/test_engine_record.c tests/test_engine_index.c \
	tests/test_engine_iter.c tests/test_engine_group.c \
	tests/test_engine_checkpoint.c tests/test_engine_compact.c \
	tests/test_engine_recovery.c
tests_check_engine_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_engine_LDADD = tests/libtestutil.a engine/libengine.a \
	$(ENGINE_LIBS) $(CHECK_LIBS)

# Log recovery on arbitrary bytes; its corpus replays in make check.
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_record_log
else
check_PROGRAMS += tests/fuzz/fuzz_record_log
TESTS += tests/fuzz/fuzz_record_log
endif
tests_fuzz_fuzz_record_log_SOURCES = tests/fuzz/fuzz_record_log.c
tests_fuzz_fuzz_record_log_LDADD = $(FUZZ_MAIN) engine/libengine.a $(ENGINE_LIBS)
tests_fuzz_fuzz_record_log_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
