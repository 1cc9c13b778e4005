/*
 * raft_sim_main.c — the simulator's command line.
 *
 *   raft-sim --seed S [--verbose]     replay one seed (exactly)
 *   raft-sim --seeds N [--base B]     run seeds B .. B+N-1
 *   raft-sim --mutant M ...           with a deliberately broken driver
 *                                     (enum sim_mutant): must fail
 *
 * Without arguments, runs VERISTORE_SIM_SEEDS seeds (default 500) from
 * VERISTORE_SEED's base.  Each failing seed prints itself with the replay
 * command; the exit status is 1 if any seed failed.
 */
#include "tests/raft_sim.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t arg_u64(const char *s)
{
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 0);
	if (end == s || *end != '\0') {
		fprintf(stderr, "raft-sim: not a number: %s\n", s);
		exit(2);
	}
	return (uint64_t)v;
}

static void usage(void)
{
	fprintf(stderr, "usage: raft-sim [--seed S | --seeds N [--base B]] "
			"[--verbose] [--quiet] [--mutant M]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seeds = test_env_u64("SIM_SEEDS", 500), base = 0, one = 0;
	bool have_one = false, verbose = false, quiet = false, have_base = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			one = arg_u64(argv[++i]);
			have_one = true;
		} else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
			seeds = arg_u64(argv[++i]);
		} else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc) {
			base = arg_u64(argv[++i]);
			have_base = true;
		} else if (strcmp(argv[i], "--verbose") == 0) {
			verbose = true;
		} else if (strcmp(argv[i], "--mutant") == 0 && i + 1 < argc) {
			sim_set_mutant((enum sim_mutant)arg_u64(argv[++i]));
		} else if (strcmp(argv[i], "--quiet") == 0) {
			quiet = true;
		} else {
			usage();
		}
	}
	if (have_one) {
		base = one;
		seeds = 1;
	} else if (!have_base) {
		base = test_seed();
	}
	uint64_t failed = 0, ops = 0, unknown = 0, events = 0, crashes = 0;
	uint64_t elections = 0, reads = 0, snaps = 0, confs = 0, torn = 0;
	uint64_t lin_steps = 0;
	for (uint64_t i = 0; i < seeds; i++) {
		struct sim_result res;
		uint64_t seed = base + i;
		if (sim_run(seed, verbose, &res) != 0) {
			failed++;
			printf("FAIL seed %" PRIu64 ": %s\n"
			       "  replay: tests/raft-sim --seed %" PRIu64
			       " --verbose\n",
			       seed, res.why, seed);
			fflush(stdout);
		} else if (have_one || (!quiet && (i + 1) % 1000 == 0)) {
			printf("ok seed %" PRIu64 " (%" PRIu64 " done)\n", seed,
			       i + 1);
			fflush(stdout);
		}
		ops += res.ops;
		unknown += res.ops_unknown;
		events += res.events;
		crashes += res.crashes;
		elections += res.elections;
		reads += res.reads;
		snaps += res.snap_installs;
		confs += res.conf_changes;
		torn += res.torn_crashes;
		lin_steps += res.lin_steps;
	}
	printf("raft-sim: %" PRIu64 " seeds from %" PRIu64 ": %" PRIu64
	       " failed; %" PRIu64 " events checked, %" PRIu64
	       " client ops (%" PRIu64 " unknown outcome), %" PRIu64
	       " crashes, %" PRIu64 " leaders elected\n",
	       seeds, base, failed, events, ops, unknown, crashes, elections);
	printf("raft-sim: coverage: %" PRIu64 " linearizable reads served, %" PRIu64
	       " snapshots installed from a leader, %" PRIu64
	       " membership changes committed, %" PRIu64
	       " crashes tearing an unsynced entry write, %" PRIu64
	       " checker steps\n",
	       reads, snaps, confs, torn, lin_steps);
	return failed ? 1 : 0;
}
