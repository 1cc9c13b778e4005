# Tests of raft/transport (TCP raft_net): real sockets on 127.0.0.1 / ::1,
# ports below 32768 chosen free at run time.
check_PROGRAMS += tests/check_raft_transport
TESTS += tests/check_raft_transport
tests_check_raft_transport_SOURCES = \
	tests/check_raft_transport.c \
	tests/test_raft_transport.c
tests_check_raft_transport_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_raft_transport_LDADD = tests/libtestutil.a raft/libraft.a \
	engine/libengine.a $(ENGINE_LIBS) $(CHECK_LIBS)
