/*
 * check_object.c — the object layer's Check program: store contract, record
 * codec, operations, listing, multipart, collector and the reference-model
 * test.
 */
#include "tests/test_object.h"
#include "tests/testutil.h"

int main(void)
{
	Suite *suites[] = {
		suite_object_meta(),  suite_object_store(),
		suite_object_ops(),   suite_object_list(),
		suite_object_multipart(), suite_object_gc(),
		suite_object_model(), suite_object_crash(),
		suite_object_store_raft(),
	};
	return test_run_suites(suites, (int)(sizeof suites / sizeof *suites));
}
