# shellcheck shell=bash
# lib.sh -- shared harness of the real-client conformance scripts.
#
# Sourced by test_*.sh.  It gives each script:
#   - a scratch directory $VS_TMP, removed on exit even on failure;
#   - vs_server_start: veristore on a free loopback port below 32768 with a
#     fresh data dir and random credentials, its stderr in $VS_TMP/server.log;
#     the EXIT trap stops exactly that PID (SIGTERM, then SIGKILL), never by name;
#   - client configuration in temp files only (aws-cli, s3cmd, rclone), so
#     nothing in $HOME is read or written;
#   - check helpers that count passes and failures, and vs_finish, which
#     prints "N passed, N failed" and sets the exit status.
#
# The binary is $VERISTORE_BIN, else $top_builddir/veristore (make check
# exports top_builddir).  Every wait here is bounded.

set -u
set -o pipefail

VS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VS_PY=/usr/bin/python3            # Debian's: sees python3-boto3/botocore
VS_BIN=${VERISTORE_BIN:-${top_builddir:-$VS_HERE/..}/veristore}
case $VS_BIN in /*) ;; *) VS_BIN=$(pwd)/$VS_BIN ;; esac
VS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vs-conformance.XXXXXX") || exit 99
VS_LOG=$VS_TMP/server.log
VS_DATA=$VS_TMP/data
VS_PID=
VS_STOP_RC=
VS_PORT=
VS_ENDPOINT=
VS_PASS=0
VS_FAIL=0
VS_FAILED_NAMES=()
: >"$VS_LOG"

VS_LOG_SHOWN=
vs_show_log() {
	VS_LOG_SHOWN=1
	echo "----- last lines of the server log ($VS_LOG)"
	tail -n 80 "$VS_LOG" 2>/dev/null | tr -cd '[:print:]\n\t'
	echo "-----"
}

vs_cleanup() {
	local rc=$?
	vs_server_stop
	if [ -z "$VS_LOG_SHOWN" ] && { [ "$rc" -ne 0 ] || [ "$VS_FAIL" -ne 0 ]; }; then
		vs_show_log
	fi
	rm -rf "$VS_TMP"
	exit "$rc"
}
trap vs_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- checks

vs_ok() {
	VS_PASS=$((VS_PASS + 1))
	echo "ok   - $1"
}

# vs_fail NAME [WHY...]
vs_fail() {
	VS_FAIL=$((VS_FAIL + 1))
	VS_FAILED_NAMES+=("$1")
	echo "FAIL - $1"
	shift
	[ $# -gt 0 ] && printf '       %s\n' "$@"
	return 0
}

# vs_run CMD...: runs CMD with stdout in $VS_OUT and stderr in $VS_ERR
# (files); returns its status.  Every client call goes through a timeout:
# here for programs, inside the wrapper for shell functions (aws_ ...).
VS_OUT=$VS_TMP/out
VS_ERR=$VS_TMP/err
VS_CMD_TIMEOUT=${VS_CMD_TIMEOUT:-120}
vs_run() {
	if declare -F "$1" >/dev/null; then
		"$@" >"$VS_OUT" 2>"$VS_ERR"
	else
		timeout -k 5 "$VS_CMD_TIMEOUT" "$@" >"$VS_OUT" 2>"$VS_ERR"
	fi
}

vs_show_output() {
	echo "       stdout: $(head -c 600 "$VS_OUT" | tr '\n' ' ')"
	echo "       stderr: $(tail -c 600 "$VS_ERR" | tr '\n' ' ')"
}

# vs_expect_ok NAME CMD...: CMD must exit 0.
vs_expect_ok() {
	local name=$1
	shift
	if vs_run "$@"; then
		vs_ok "$name"
		return 0
	fi
	vs_fail "$name" "exit status $? from: $*"
	vs_show_output
	return 1
}

# vs_expect_fail_with NAME PATTERN CMD...: CMD must fail and its stderr or
# stdout must contain PATTERN (fixed string).  For aws-cli the pattern is
# "(NoSuchKey)": botocore prints "An error occurred (CODE) when calling ...".
vs_expect_fail_with() {
	local name=$1 pat=$2
	shift 2
	if vs_run "$@"; then
		vs_fail "$name" "succeeded, expected failure with $pat: $*"
		vs_show_output
		return 1
	fi
	if grep -qF -- "$pat" "$VS_ERR" "$VS_OUT"; then
		vs_ok "$name"
		return 0
	fi
	vs_fail "$name" "failed without $pat: $*"
	vs_show_output
	return 1
}

# vs_expect_eq NAME EXPECTED ACTUAL
vs_expect_eq() {
	if [ "$2" = "$3" ]; then
		vs_ok "$1"
		return 0
	fi
	vs_fail "$1" "expected: $2" "actual:   $3"
	return 1
}

# vs_expect_contains NAME NEEDLE HAYSTACK
vs_expect_contains() {
	case $3 in
	*"$2"*) vs_ok "$1"; return 0 ;;
	esac
	vs_fail "$1" "expected to contain: $2" "actual: $(head -c 600 <<<"$3")"
	return 1
}

# vs_expect_not_contains NAME NEEDLE HAYSTACK
vs_expect_not_contains() {
	case $3 in
	*"$2"*) vs_fail "$1" "must not contain: $2" "actual: $(head -c 600 <<<"$3")"; return 1 ;;
	esac
	vs_ok "$1"
	return 0
}

# vs_expect_file_contains NAME NEEDLE FILE: for bodies that may be binary.
vs_expect_file_contains() {
	if grep -qF -- "$2" "$3" 2>/dev/null; then
		vs_ok "$1"
		return 0
	fi
	vs_fail "$1" "expected to contain: $2" "actual: $(head -c 300 "$3" 2>/dev/null | tr -cd '[:print:]\n\t')"
	return 1
}

# vs_require_cmd NAME PATH: a missing client is a failure, not a skip
# (bootstrap installs every client).
vs_require_cmd() {
	if [ -x "$2" ]; then
		vs_ok "client $1 installed ($2)"
		return 0
	fi
	vs_fail "client $1 installed" "$2 is missing: run ./bootstrap test (it installs the clients)"
	return 1
}

# vs_finish: the failures, the server log when something failed, and the
# closing line "N passed, N failed" last.
vs_finish() {
	if [ "$VS_FAIL" -ne 0 ]; then
		vs_show_log
		printf 'failed: %s\n' "${VS_FAILED_NAMES[@]}"
	fi
	echo "$VS_PASS passed, $VS_FAIL failed"
	[ "$VS_FAIL" -eq 0 ] && exit 0
	exit 1
}

# ---------------------------------------------------------------- data

vs_md5() { md5sum "$1" | cut -d' ' -f1; }
vs_size() { stat -c %s "$1"; }

# vs_mkfile PATH BYTES: random content (a fresh file each call).
vs_mkfile() {
	head -c "$2" /dev/urandom >"$1"
}

# vs_checksum ALGO FILE: the x-amz-checksum-ALGO value, computed by the
# harness's own CRC/SHA code (see harness.py), not by the client under test.
vs_checksum() { "$VS_PY" "$VS_HERE/harness.py" checksum "$1" "$2"; }

# vs_signed METHOD URL [harness.py request options]: a raw SigV4 request
# signed by botocore; prints the status on the first line, then the body.
vs_signed() { "$VS_PY" "$VS_HERE/harness.py" request "$@"; }

# ---------------------------------------------------------------- server

vs_credentials_new() {
	VS_ACCESS_KEY=VSTEST$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
	VS_SECRET_KEY=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
	export AWS_ACCESS_KEY_ID=$VS_ACCESS_KEY
	export AWS_SECRET_ACCESS_KEY=$VS_SECRET_KEY
	export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
	# Nothing from the invoking user's profile leaks in.
	export AWS_CONFIG_FILE=$VS_TMP/aws-config
	export AWS_SHARED_CREDENTIALS_FILE=$VS_TMP/aws-credentials
	export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
	unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE
	: >"$AWS_CONFIG_FILE"
	: >"$AWS_SHARED_CREDENTIALS_FILE"
}

vs_server_answers() {
	curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"
}

# vs_server_start: starts veristore (keeps $VS_DATA across restarts and the
# port when it is still free); exports VS_ENDPOINT.  Returns non-zero and
# records a failure when it does not come up.
vs_server_start() {
	[ -n "${VS_ACCESS_KEY:-}" ] || vs_credentials_new
	if [ ! -x "$VS_BIN" ]; then
		vs_fail "server binary exists" "$VS_BIN is missing or not executable"
		return 1
	fi
	mkdir -p "$VS_DATA"
	local attempt i
	for attempt in 1 2 3 4 5; do
		[ -n "$VS_PORT" ] || VS_PORT=$("$VS_PY" "$VS_HERE/harness.py" port) || return 1
		echo "=== lib.sh: start $attempt on port $VS_PORT" >>"$VS_LOG"
		VERISTORE_ACCESS_KEY=$VS_ACCESS_KEY VERISTORE_SECRET_KEY=$VS_SECRET_KEY \
			"$VS_BIN" --listen "127.0.0.1:$VS_PORT" --data-dir "$VS_DATA" \
			</dev/null >>"$VS_LOG" 2>&1 &
		VS_PID=$!
		for ((i = 0; i < 200; i++)); do # 200 x 50 ms = 10 s
			kill -0 "$VS_PID" 2>/dev/null || break
			if vs_server_answers "$VS_PORT"; then
				VS_ENDPOINT=http://127.0.0.1:$VS_PORT
				export VS_ENDPOINT
				vs_write_client_configs
				return 0
			fi
			sleep 0.05
		done
		if kill -0 "$VS_PID" 2>/dev/null; then
			vs_server_stop
			vs_fail "server starts" "no answer on port $VS_PORT within 10 s"
			return 1
		fi
		wait "$VS_PID" 2>/dev/null
		VS_PID=
		VS_PORT= # probably lost the port to someone else: pick another
	done
	vs_fail "server starts" "veristore exited at start 5 times; see the log below"
	return 1
}

# vs_server_stop: SIGTERM to our PID, up to 30 s, then SIGKILL.  Sets
# VS_STOP_RC to the exit status (0 for a graceful stop) and returns it.
# Never call it in $(...): a subshell can neither wait for nor forget the PID.
vs_server_stop() {
	[ -n "$VS_PID" ] || return 0
	local i rc
	kill -TERM "$VS_PID" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$VS_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$VS_PID" 2>/dev/null && kill -KILL "$VS_PID" 2>/dev/null
	wait "$VS_PID" 2>/dev/null
	rc=$?
	VS_PID=
	VS_STOP_RC=$rc
	return "$rc"
}

# ---------------------------------------------------------------- clients

vs_write_client_configs() {
	local hostport=127.0.0.1:$VS_PORT
	# s3cmd: path style means host_bucket without %(bucket)s.
	cat >"$VS_TMP/s3cmd.cfg" <<EOF
[default]
access_key = $VS_ACCESS_KEY
secret_key = $VS_SECRET_KEY
host_base = $hostport
host_bucket = $hostport
use_https = False
signature_v2 = False
bucket_location = us-east-1
check_ssl_certificate = False
guess_mime_type = False
progress_meter = False
EOF
	cat >"$VS_TMP/rclone.conf" <<EOF
[vs]
type = s3
provider = Other
access_key_id = $VS_ACCESS_KEY
secret_access_key = $VS_SECRET_KEY
endpoint = $VS_ENDPOINT
region = us-east-1
force_path_style = true
EOF
}

# vs_server_stop_check: the graceful stop is part of the contract (issue 3:
# SIGTERM finishes in-flight requests and exits 0).
vs_server_stop_check() {
	vs_server_stop
	vs_expect_eq "server exits 0 on SIGTERM" 0 "${VS_STOP_RC:-none}"
}

# vs_mpu_etag FILE...: the ETag S3 gives a multipart object made of these
# parts: MD5 of the concatenated binary part MD5s, then -N.
vs_mpu_etag() {
	"$VS_PY" - "$@" <<'PY'
import hashlib, sys
md5s = b"".join(hashlib.md5(open(p, "rb").read()).digest() for p in sys.argv[1:])
print('"%s-%d"' % (hashlib.md5(md5s).hexdigest(), len(sys.argv) - 1))
PY
}

# vs_b64md5 FILE: the Content-MD5 header value of FILE.
vs_b64md5() { openssl md5 -binary <"$1" | base64; }
