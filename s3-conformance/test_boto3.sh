#!/usr/bin/env bash
# test_boto3.sh -- runs test_boto3.py against a fresh veristore: first with
# Debian's /usr/bin/python3 (python3-boto3, required), then with the python3
# on PATH when it is another installation that imports boto3 (a newer
# boto3/botocore generation: other checksum defaults; skipped when absent).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# run_py LABEL PYTHON: one generation; its checks count as ours.
run_py() {
	local out=$VS_TMP/boto3-$1.out summary p f
	VS_GEN=$1 timeout -k 5 600 "$2" "$VS_HERE/test_boto3.py" >"$out" 2>&1
	local rc=$?
	cat "$out"
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	if [ -z "$summary" ]; then
		vs_fail "[$1] test_boto3.py ran to the end" "exit status $rc, no summary line"
		return
	fi
	read -r p _ f _ <<<"$summary"
	VS_PASS=$((VS_PASS + p))
	VS_FAIL=$((VS_FAIL + f))
	[ "$f" -eq 0 ] || VS_FAILED_NAMES+=("[$1] $f test_boto3.py test(s)")
	[ "$rc" -eq 0 ] || [ "$f" -ne 0 ] || vs_fail "[$1] test_boto3.py exit status" "$rc"
}

vs_require_cmd python3 "$VS_PY" || vs_finish
if "$VS_PY" -c 'import boto3' 2>/dev/null; then
	vs_ok "python3-boto3 importable by $VS_PY"
else
	vs_fail "python3-boto3 importable by $VS_PY" "install python3-boto3 (./bootstrap test does)"
	vs_finish
fi
vs_server_start || vs_finish
run_py debian "$VS_PY"
other=$(type -P python3 || true)
if [ -n "$other" ] && [ "$(readlink -f "$other")" != "$(readlink -f "$VS_PY")" ] &&
	"$other" -c 'import boto3' >/dev/null 2>&1; then
	run_py path "$other"
else
	echo "# no second boto3 generation on PATH: skipped"
fi
vs_server_stop_check
vs_finish
