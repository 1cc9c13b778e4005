# Tests of the S3 server: tests/check_server.
check_PROGRAMS += tests/check_server
TESTS += tests/check_server
tests_check_server_SOURCES = tests/check_server.c tests/check_server.h \
	tests/test_server_config.c tests/test_server_route.c tests/test_server_http.c tests/test_server_http_util.c \
	tests/http_raw.c tests/http_raw.h
tests_check_server_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_server_LDADD = $(VERISTORE_LIBS) tests/libtestutil.a $(CHECK_LIBS) $(VERISTORE_SYSLIBS)
