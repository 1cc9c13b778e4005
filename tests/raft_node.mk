# Tests of raft/node* (the node driver): one Check program over an
# in-memory network (tests/raft_node_test_net.c) with real log stores on
# disk: a single node, three nodes with forwarding, leader loss and
# partitions, restarts, snapshots and membership.
check_PROGRAMS += tests/check_raft_node
TESTS += tests/check_raft_node
tests_check_raft_node_SOURCES = \
	tests/check_raft_node.c \
	tests/raft_node_test_net.c \
	tests/raft_node_test_net.h \
	tests/test_raft_node_single.c \
	tests/test_raft_node_cluster.c \
	tests/test_raft_node_tcp.c \
	tests/fault_io.c \
	tests/fault_io.h
tests_check_raft_node_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_raft_node_LDADD = tests/libtestutil.a raft/libraft.a \
	engine/libengine.a $(ENGINE_LIBS) $(CHECK_LIBS)
