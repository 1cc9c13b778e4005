#!/usr/bin/env bash
# test_crash.sh -- runs test_crash.py (SIGKILL during concurrent writes,
# restart, verify) with Debian's python3 and boto3.  VERISTORE_CRASH_CYCLES
# raises the number of cycles (default 10); VERISTORE_SEED replays.
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
if ! "$py" -c 'import boto3' 2>/dev/null; then
	echo "FAIL - $py with python3-boto3 (./bootstrap test installs it)"
	echo "0 passed, 1 failed"
	exit 1
fi
exec timeout -k 10 1800 nice "$py" "$here/test_crash.py"
