#!/usr/bin/env bash
# The real-process kill test (issue 2 §4): tests/kv_killer runs concurrent
# durable writers on one engine directory and prints each key once its put
# has returned; this script SIGKILLs it (by PID) at random moments, then
# reopens the directory and checks that every acknowledged key is there with
# its value.  The directory accumulates across cycles, so recovery runs over
# earlier kills' torn tails, checkpoints and compactions too.
#
# VERISTORE_KILL_CYCLES (default 30) cycles; VERISTORE_SEED seeds the kill
# moments (bash's RANDOM).  Bounded: each cycle waits at most 0.4 s before
# the kill.  The temp dir is removed on any exit.
set -u
bin=${top_builddir:-.}/tests/kv_killer
cycles=${VERISTORE_KILL_CYCLES:-30}
seed=${VERISTORE_SEED:-1234}
RANDOM=$((seed % 32768))
echo "check_kv_kill: seed $seed, $cycles cycles (replay with VERISTORE_SEED=$seed)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vs-kill.XXXXXX") || exit 99
pid=
cleanup() {
	if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for c in $(seq 1 "$cycles"); do
	threads=$((1 + RANDOM % 8))
	"$bin" write "$tmp/db" "$threads" "c$c" >>"$tmp/acked" 2>>"$tmp/err" &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 380 + 20)))"
	if ! kill -9 "$pid" 2>/dev/null; then
		echo "check_kv_kill: cycle $c: writer exited before the kill:"
		cat "$tmp/err"
		exit 1
	fi
	wait "$pid" 2>/dev/null
	pid=
	if ! out=$("$bin" verify "$tmp/db" "$tmp/acked" 2>&1); then
		echo "check_kv_kill: cycle $c ($threads writers): $out"
		exit 1
	fi
	echo "cycle $c ($threads writers): $out"
done
n=$(wc -l <"$tmp/acked")
[ "$n" -gt 0 ] || { echo "check_kv_kill: no write was ever acknowledged"; exit 1; }
echo "check_kv_kill: $cycles kills, $n acknowledged writes, none lost"
