/*
 * check_engine.c — runs the engine's unit suites (one per concept).
 */
#include "tests/test_engine.h"
#include "tests/testutil.h"

#include <string.h>

void test_engine_opts(struct kv_options *o, uint64_t segment_bytes)
{
	kv_options_init(o);
	o->segment_bytes = segment_bytes;
	o->background_compaction = false;
	o->compact_bytes_per_sec = 0;
}

int main(void)
{
	Suite *suites[] = {
		test_engine_basic_suite(),
	};
	return test_run_suites(suites, (int)(sizeof suites / sizeof suites[0]));
}
