#!/usr/bin/env bash
# s3bench-run.sh — runs the gateway benchmark end to end: starts the HTTP
# ceiling (bench/http_ceiling) and a fresh veristore on free loopback ports
# below 32768, runs bench/s3bench against both (every case, or the ones
# given with --only), and stops both by PID on exit.  Run from a build
# directory:
#   ../bench/s3bench-run.sh [--quick] [--workdir DIR] [s3bench options...]
# --workdir: where the server's data directory and the raw-limit files go
# (default ./s3bench.XXXXXX here, removed at exit); it must be on the file
# system you want measured.  Options not listed are passed to s3bench.
set -u
build=$(pwd)
workdir=
keep=0
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--workdir) workdir=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) args+=("$1"); shift ;;
	esac
done
for p in veristore bench/s3bench bench/http_ceiling; do
	[ -x "$build/$p" ] || { echo "s3bench-run: run from a build dir with $p built" >&2; exit 2; }
done
if [ -z "$workdir" ]; then
	workdir=$(mktemp -d "$build/s3bench.XXXXXX")
else
	mkdir -p "$workdir" || exit 2
fi
mkdir -p "$workdir/data" "$workdir/raw"

pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null
	done
	[ $keep = 1 ] || rm -rf "$workdir"
}
trap cleanup EXIT

# A loopback port below 32768 that nothing listens on now (bounded tries).
free_port() {
	for _ in $(seq 1 100); do
		local p=$((20000 + RANDOM % 12000))
		if [ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Waits until something accepts on 127.0.0.1:$1 (at most 10 s).
wait_port() {
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

export VERISTORE_ACCESS_KEY=${VERISTORE_ACCESS_KEY:-s3benchAccessKey}
export VERISTORE_SECRET_KEY=${VERISTORE_SECRET_KEY:-s3benchSecretKeyS3benchSecretKey}
cport=$(free_port) || exit 1
"$build/bench/http_ceiling" --listen "127.0.0.1:$cport" >"$workdir/ceiling.log" 2>&1 &
pids+=($!)
sport=$(free_port) || exit 1
while [ "$sport" = "$cport" ]; do sport=$(free_port) || exit 1; done
"$build/veristore" --listen "127.0.0.1:$sport" --data-dir "$workdir/data" \
	--log-level "${S3BENCH_LOG_LEVEL:-warn}" >"$workdir/veristore.log" 2>&1 &
spid=$!
pids+=($spid)
wait_port "$cport" || { echo "s3bench-run: ceiling did not start" >&2; cat "$workdir/ceiling.log" >&2; exit 1; }
wait_port "$sport" || { echo "s3bench-run: veristore did not start" >&2; cat "$workdir/veristore.log" >&2; exit 1; }

echo "s3bench-run: $(date -u '+%F %T') UTC, $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "s3bench-run: veristore pid $spid on 127.0.0.1:$sport, ceiling on 127.0.0.1:$cport, work dir $workdir"
df -h "$workdir" | tail -1
"$build/bench/s3bench" --endpoint "127.0.0.1:$sport" --ceiling "127.0.0.1:$cport" \
	--raw-dir "$workdir/raw" --server-pid "$spid" "${args[@]}"
rc=$?
echo "s3bench-run: load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
if [ $rc -ne 0 ]; then
	echo "s3bench-run: s3bench failed ($rc); server log tail:" >&2
	tail -20 "$workdir/veristore.log" >&2
fi
exit $rc
