# The raft cluster simulator and the linearizability checker.

# The checker is a library so that the simulator and its own tests share it.
noinst_LIBRARIES += tests/liblinearizability.a
tests_liblinearizability_a_SOURCES = tests/linearizability.c \
	tests/linearizability.h

check_PROGRAMS += tests/check_linearizability
TESTS += tests/check_linearizability
tests_check_linearizability_SOURCES = tests/check_linearizability.c \
	tests/test_linearizability.c
tests_check_linearizability_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_linearizability_LDADD = tests/liblinearizability.a \
	tests/libtestutil.a $(CHECK_LIBS)
