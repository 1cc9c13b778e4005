#!/usr/bin/env bash
# veristore-kv through a pipe (issue 2 §3): each command's answer, SETBATCH's
# grouped OKs, and that end of input never loses a buffered write.
set -u
kv=${top_builddir:-.}/veristore-kv
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vs-shell.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check_kv_shell: $*"; exit 1; }

got=$(printf '%s\n' 'PUT a hello world' 'GET a' 'PUT b 2' 'DEL b' 'GET b' 'SIZE' \
	'SETBATCH 3' 'PUT c 3' 'PUT d 4' 'PUT e 5' 'SCAN  ' 'SCAN c 1' 'SNAP' \
	'FLUSH' 'COMPACT' 'BOGUS' 'PUT x' 'SETBATCH 0' 'EXIT' 'PUT never here' |
	"$kv" --data-dir "$tmp/kv") || fail "exit status $?"
want='OK
hello world
OK
OK
ERR not found
1
OK
OK
OK
OK
a hello world
c 3
d 4
e 5
(4 keys)
c 3
(1 keys)
OK
OK
OK
ERR unknown command or bad arguments: BOGUS (try --help)
ERR usage: PUT key value
ERR unknown command or bad arguments: SETBATCH (try --help)'
[ "$got" = "$want" ] || fail "unexpected output:
$got
--- wanted:
$want"

# A buffered group is written at end of input, and its OKs printed then.
got=$(printf '%s\n' 'SETBATCH 100' 'PUT k1 v1' 'PUT k2 v 2' | "$kv" --data-dir "$tmp/kv")
[ "$got" = $'OK\nOK\nOK' ] || fail "buffered writes at EOF: $got"
got=$(printf '%s\n' 'GET k1' 'GET k2' 'GET never' 'SIZE' | "$kv" --data-dir "$tmp/kv" --sync none)
[ "$got" = $'v1\nv 2\nERR not found\n6' ] || fail "after reopen: $got"

# The directory is locked while a shell has it open.
exec 3> >("$kv" --data-dir "$tmp/kv" >/dev/null)
sleep_pid=$!
for _ in $(seq 1 100); do
	out=$(echo SIZE | "$kv" --data-dir "$tmp/kv" 2>&1) && continue
	case $out in *locked*|*lock*) break ;; esac
done
exec 3>&-
wait "$sleep_pid" 2>/dev/null
case ${out:-} in *lock*) ;; *) fail "a second shell on a locked directory: ${out:-no error}" ;; esac
"$kv" --help | grep -q 'SETBATCH n' || fail "--help does not list SETBATCH"
echo "check_kv_shell: ok"
