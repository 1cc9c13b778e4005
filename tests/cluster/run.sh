#!/usr/bin/env bash
# run.sh TEST.py SECONDS -- runs one multi-process cluster test with Debian's
# /usr/bin/python3 (python3-boto3), bounded by timeout(1); the wrappers
# test_*.sh in this directory call it.  Exit status is the test's: 0 pass,
# 1 fail, 77 skip (make check shows SKIP), 124 timed out.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
if ! "$py" -c 'import boto3' 2>/dev/null; then
	echo "FAIL: $py cannot import boto3: install python3-boto3 (./bootstrap test does)"
	exit 1
fi
# top_builddir is relative to the directory make check runs in.
if [ -n "${top_builddir:-}" ]; then
	top_builddir=$(cd "$top_builddir" && pwd)
	export top_builddir
fi
timeout -k 10 "$2" "$py" -u "$here/$1"
rc=$?
[ $rc -eq 124 ] && echo "FAIL: $1 did not finish within $2 s"
exit $rc
