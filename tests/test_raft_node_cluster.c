/*
 * test_raft_node_cluster.c — three (and more) nodes over the in-memory net.
 */
#include "tests/raft_node_test_net.h"
#include "tests/testutil.h"

Suite *raft_node_cluster_suite(void)
{
	Suite *s = suite_create("raft_node_cluster");
	return s;
}
