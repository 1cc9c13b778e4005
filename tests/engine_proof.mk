# Engine model, crash and fault tests, and the real-process kill test.
#
# check_engine_proof: the model test, crash-at-every-step (VERISTORE_CRASH_SEEDS,
# default 200) and the named fault tests, all on the in-memory fault_io disk.
check_PROGRAMS += tests/check_engine_proof
TESTS += tests/check_engine_proof
tests_check_engine_proof_SOURCES = tests/check_engine_proof.c tests/engine_proof.h \
	tests/fault_io.c tests/fault_io.h tests/kv_model.c tests/kv_model.h \
	tests/test_engine_model.c tests/test_engine_crash.c tests/test_engine_faults.c \
	tests/test_fault_io.c
tests_check_engine_proof_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_engine_proof_LDADD = engine/libengine.a tests/libtestutil.a \
	$(CHECK_LIBS) $(ENGINE_LIBS)

# The kill test: tests/kv_killer is SIGKILLed under concurrent writers
# (VERISTORE_KILL_CYCLES, default 30).
check_PROGRAMS += tests/kv_killer
tests_kv_killer_SOURCES = tests/kv_killer.c
tests_kv_killer_LDADD = engine/libengine.a $(ENGINE_LIBS)
TESTS += tests/check_kv_kill.sh
EXTRA_DIST += tests/check_kv_kill.sh

# veristore-kv through a pipe: answers, SETBATCH groups, nothing lost at EOF.
TESTS += tests/check_kv_shell.sh
EXTRA_DIST += tests/check_kv_shell.sh
