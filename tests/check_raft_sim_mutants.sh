#!/bin/sh
# The simulator's checks have teeth: with a deliberately broken driver
# (raft_sim.h, enum sim_mutant) the same simulator must report failures.
# A mutant that survives means an invariant or the linearizability check
# stopped catching what it is there to catch.
#   1 early-ack:  acknowledgements sent before the entries are durable
#                 -> "not durable on a majority" after crashes mid-ready
#   2 stale-read: reads served from local state without ReadIndex
#                 -> the client history is not linearizable
sim=${top_builddir:-.}/tests/raft-sim
status=0
for m in 1 2; do
	out=$("$sim" --mutant $m --seeds 400 --base 7000 --quiet)
	last=$(printf '%s\n' "$out" | grep '^raft-sim: .* failed' | tail -1)
	if printf '%s\n' "$out" | grep -q '^FAIL seed'; then
		echo "mutant $m killed: $last"
	else
		echo "mutant $m SURVIVED 400 seeds: $last"
		status=1
	fi
done
exit $status
