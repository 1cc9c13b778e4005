# Tests of engine/: see tests/local.mk.  One Check program, one suite per
# concept (tests/test_engine_<concept>.c), main in tests/check_engine.c.
check_PROGRAMS += tests/check_engine
TESTS += tests/check_engine
tests_check_engine_SOURCES = tests/check_engine.c tests/test_engine.h \
	tests/test_engine_basic.c
tests_check_engine_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_engine_LDADD = tests/libtestutil.a engine/libengine.a \
	$(ENGINE_LIBS) $(CHECK_LIBS)
