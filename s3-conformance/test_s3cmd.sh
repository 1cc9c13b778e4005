#!/usr/bin/env bash
# test_s3cmd.sh -- s3cmd 2.3 (Debian) against veristore: SigV4 with a real
# payload SHA-256, ListObjects v1 paging by marker, GetBucketLocation before
# signing, multipart at --multipart-chunk-size-mb, DeleteObjects with
# Content-MD5 for `del --recursive` and `sync --delete-removed`.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

S3CMD=/usr/bin/s3cmd
# shellcheck disable=SC2317 # called through vs_run
s3c() {
	timeout -k 5 "$VS_CMD_TIMEOUT" "$S3CMD" -c "$VS_TMP/s3cmd.cfg" "$@"
}

# q ARGS...: run s3cmd; the output in $Q; a failure is recorded.
q() {
	if vs_run s3c "$@"; then
		Q=$(cat "$VS_OUT")
		return 0
	fi
	vs_fail "command: s3cmd $*" "$(tail -c 400 "$VS_ERR")"
	Q="FAILED: s3cmd $*"
	return 1
}

vs_require_cmd s3cmd "$S3CMD" || vs_finish
vs_server_start || vs_finish
W=$VS_TMP/w
mkdir -p "$W"
b=vs-s3cmd
vs_mkfile "$W/small" 2000
vs_mkfile "$W/big" $((16 * 1024 * 1024 + 4321))

vs_expect_ok "mb" s3c mb "s3://$b"
q ls
vs_expect_contains "ls lists the bucket" "s3://$b" "$Q"
vs_expect_ok "put small" s3c put "$W/small" "s3://$b/small"
vs_expect_ok "put 16 MiB with --multipart-chunk-size-mb=5" \
	s3c put --multipart-chunk-size-mb=5 "$W/big" "s3://$b/dir/big"
# A 4-part object's ETag ends in -4 (S3-CLIENTS.md: MD5 of the part MD5s).
vs_expect_contains "the 16 MiB put went multipart (4 parts)" "-4\"" \
	"$(vs_signed HEAD "$VS_ENDPOINT/$b/dir/big" | grep -i '^etag:')"
q ls "s3://$b"
vs_expect_contains "ls shows the object" "s3://$b/small" "$Q"
vs_expect_contains "ls shows the prefix" "DIR" "$Q"
q ls "s3://$b/dir/"
vs_expect_contains "ls of a prefix shows the size" "$(vs_size "$W/big")" "$Q"
q la
vs_expect_contains "la lists objects of all buckets" "s3://$b/small" "$Q"
q info "s3://$b/small"
vs_expect_contains "info shows the MD5" "$(vs_md5 "$W/small")" "$Q"
vs_expect_contains "info shows the size" "2000" "$Q"
q info "s3://$b/dir/big"
vs_expect_contains "info of the multipart object shows its size" "$(vs_size "$W/big")" "$Q"
vs_expect_ok "get small" s3c get --force "s3://$b/small" "$W/small.got"
vs_expect_eq "get small body" "$(vs_md5 "$W/small")" "$(vs_md5 "$W/small.got")"
vs_expect_ok "get 16 MiB" s3c get --force "s3://$b/dir/big" "$W/big.got"
vs_expect_eq "get 16 MiB body" "$(vs_md5 "$W/big")" "$(vs_md5 "$W/big.got")"
vs_expect_fail_with "get missing key: does not exist" "does not exist" s3c get --force "s3://$b/nope" "$W/nope"
vs_expect_fail_with "ls missing bucket: NoSuchBucket" "NoSuchBucket" s3c ls "s3://$b-missing"

# sync: up twice (the second uploads nothing), then --delete-removed.
d=$W/syncdir
mkdir -p "$d/sub"
printf 'one' >"$d/one"
printf 'two' >"$d/sub/two"
cp "$W/small" "$d/sub/three"
for i in $(seq 1 12); do printf 'file %s' "$i" >"$d/many-$i"; done
q sync "$d/" "s3://$b/sync/"
vs_expect_eq "sync uploads 15 files" 15 "$(grep -c '^upload:' <<<"$Q")"
q sync "$d/" "s3://$b/sync/"
vs_expect_eq "second sync uploads nothing" 0 "$(grep -c '^upload:' <<<"$Q")"
rm "$d/sub/two"
q sync --delete-removed "$d/" "s3://$b/sync/"
vs_expect_contains "sync --delete-removed deletes the remote copy" "delete: 's3://$b/sync/sub/two'" "$Q"
q ls --recursive --limit=-1 "s3://$b/sync/"
vs_expect_eq "ls --recursive after sync lists 14 keys" 14 "$(grep -c "s3://$b/sync/" <<<"$Q")"
q sync "s3://$b/sync/" "$W/syncback/"
if diff -r "$d" "$W/syncback" >/dev/null 2>&1; then vs_ok "sync down is identical"; else
	vs_fail "sync down is identical" "$(diff -r "$d" "$W/syncback" 2>&1 | head -n 5)"; fi

q signurl "s3://$b/small" +600
url=$Q
vs_expect_contains "signurl gives a path-style URL to the server" "$VS_ENDPOINT/$b/small?" "http://$url"
# s3cmd 2.3 signs URLs with Signature Version 2 only (S3/Crypto.py
# sign_url_v2).  SigV2 is not in issue 3; a server without it must refuse
# with an S3 error (SigV4-only S3 regions answer 400 InvalidRequest "The
# authorization mechanism you have provided is not supported"), never serve
# the object unauthenticated or hang.
code=$(curl -s --max-time 30 -o "$W/signed" -w '%{http_code}' "$url")
if [ "$code" = 200 ] && [ "$(vs_md5 "$W/signed")" = "$(vs_md5 "$W/small")" ]; then
	vs_ok "signurl URL: served (SigV2 query auth supported)"
elif { [ "$code" = 400 ] || [ "$code" = 403 ]; } && grep -q '<Code>' "$W/signed"; then
	vs_ok "signurl URL: refused with an S3 error (no SigV2): $(grep -o '<Code>[^<]*</Code>' "$W/signed")"
else
	vs_fail "signurl URL: served or refused with an S3 error" "status $code"
fi

vs_expect_ok "del --recursive" s3c del --recursive --force "s3://$b/sync/"
q ls --recursive "s3://$b/sync/"
vs_expect_eq "del --recursive removed every key" "" "$Q"
vs_expect_fail_with "rb on a non-empty bucket: BucketNotEmpty" "BucketNotEmpty" s3c rb "s3://$b"
vs_expect_ok "del" s3c del "s3://$b/small" "s3://$b/dir/big"
vs_expect_ok "rb" s3c rb "s3://$b"
q ls
vs_expect_not_contains "ls no longer lists the bucket" "s3://$b" "$Q"
vs_server_stop_check
vs_finish
