#!/usr/bin/env bash
# The tests/lincheck command line: its exit status is what the cluster tests
# rely on (0 linearizable, 1 not, 2 undecided or unreadable), so each is
# checked on a small history, from a file and from stdin.
set -u
bin=${top_builddir:-.}/tests/lincheck
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vs-lincheck.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # WANT LABEL CMD...
	local want=$1 label=$2 rc
	shift 2
	"$@" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then echo "ok: $label (exit $rc)"; else
		echo "FAIL: $label: exit $rc, want $want"; cat "$tmp/out"; fail=1; fi
}
printf '1 put k a 0 10 ok\n2 get k - 20 30 ok a\n3 put k b 40 - unknown\n' >"$tmp/good"
printf '1 put k a 0 10 ok\n1 put k b 20 30 ok\n2 get k - 40 50 ok a\n' >"$tmp/stale"
printf '1 put k a 0 10 ok\n1 frob k b 20 30 ok\n' >"$tmp/bad"
expect 0 "valid history from a file" "$bin" "$tmp/good"
expect 0 "valid history from stdin" sh -c "\"$bin\" <\"$tmp/good\""
expect 1 "stale read" "$bin" "$tmp/stale"
grep -q "key 'k'" "$tmp/out" || { echo "FAIL: the failing key is not named"; fail=1; }
expect 2 "malformed line" "$bin" "$tmp/bad"
expect 2 "missing file" "$bin" "$tmp/nonexistent"
exit $fail
