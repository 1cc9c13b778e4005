#!/usr/bin/env bash
# test_rclone.sh -- rclone (provider Other, path style) against veristore:
# ListObjects v1, HeadObject for the modification time it keeps in
# X-Amz-Meta-Mtime, copy-onto-itself with REPLACE to change only that time,
# one DeleteObject per key, multipart with 5 MiB chunks, and single-part
# ETags that must be the plain 32-hex MD5 for `rclone check`.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

RCLONE=/usr/bin/rclone
# shellcheck disable=SC2317 # called through vs_run
rc_() {
	timeout -k 5 "$VS_CMD_TIMEOUT" "$RCLONE" --config "$VS_TMP/rclone.conf" \
		--retries 1 --low-level-retries 1 --contimeout 10s --timeout 60s "$@"
}

q() {
	if vs_run rc_ "$@"; then
		Q=$(cat "$VS_OUT")
		return 0
	fi
	vs_fail "command: rclone $*" "$(tail -c 400 "$VS_ERR")"
	Q="FAILED: rclone $*"
	return 1
}

# modtime REMOTE_PATH: the ModTime rclone reports, to the second (TZ=UTC,
# so rclone prints it in UTC).
export TZ=UTC
modtime() {
	q lsjson "$1"
	"$VS_PY" -c 'import json, sys; print(json.loads(sys.stdin.read())[0]["ModTime"][:19] + "Z")' \
		<<<"$Q" 2>/dev/null || echo "unparsed: $Q"
}

vs_require_cmd rclone "$RCLONE" || vs_finish
vs_server_start || vs_finish
W=$VS_TMP/w
src=$W/src
mkdir -p "$src/sub"
b=vs-rclone
printf 'alpha' >"$src/a.txt"
printf 'beta' >"$src/sub/b.txt"
vs_mkfile "$src/c.bin" 300000
vs_mkfile "$src/big.bin" $((12 * 1024 * 1024 + 17))
touch -d '2020-01-02 03:04:05 UTC' "$src/a.txt"
touch -d '2019-06-07 08:09:10 UTC' "$src/sub/b.txt"

vs_expect_ok "mkdir (CreateBucket)" rc_ mkdir "vs:$b"
q lsd vs:
vs_expect_contains "lsd lists the bucket" "$b" "$Q"
# Multipart for the 12 MiB file: cutoff and chunk of 5 MiB.
vs_expect_ok "copy (multipart above 5 MiB)" rc_ copy --s3-upload-cutoff 5M --s3-chunk-size 5M "$src" "vs:$b/dir"
vs_expect_ok "check (sizes and MD5s match)" rc_ check "$src" "vs:$b/dir"
vs_expect_ok "check --download (bodies match)" rc_ check --download "$src" "vs:$b/dir"
vs_expect_eq "lsjson: mtime of a.txt preserved via X-Amz-Meta-Mtime" "2020-01-02T03:04:05Z" \
	"$(modtime "vs:$b/dir/a.txt")"
vs_expect_eq "lsjson: mtime of sub/b.txt preserved" "2019-06-07T08:09:10Z" "$(modtime "vs:$b/dir/sub/b.txt")"
q lsjson -R --hash "vs:$b/dir"
vs_expect_contains "lsjson --hash gives the plain MD5 of a single-part object" \
	"\"md5\":\"$(vs_md5 "$src/c.bin")\"" "$(tr -d ' \n' <<<"$Q")"
q lsf -R "vs:$b/dir"
vs_expect_eq "lsf -R lists every file" "$(printf 'a.txt\nbig.bin\nc.bin\nsub/\nsub/b.txt')" "$(sort <<<"$Q")"
vs_expect_ok "copyto (download the multipart object)" rc_ copyto "vs:$b/dir/big.bin" "$W/big.got"
vs_expect_eq "downloaded multipart object is intact" "$(vs_md5 "$src/big.bin")" "$(vs_md5 "$W/big.got")"

# A modtime-only change: rclone updates it by copying the object onto
# itself with x-amz-metadata-directive: REPLACE, not by uploading again.
touch -d '2021-03-04 05:06:07 UTC' "$src/a.txt"
vs_expect_ok "sync after touch (modtime update)" rc_ sync -v "$src" "vs:$b/dir"
vs_expect_contains "sync updated the modtime in place" "Updated modification time" "$(cat "$VS_ERR")"
vs_expect_eq "lsjson shows the new mtime" "2021-03-04T05:06:07Z" "$(modtime "vs:$b/dir/a.txt")"
vs_expect_ok "cat after the modtime update" rc_ cat "vs:$b/dir/a.txt"
vs_expect_eq "body unchanged by the modtime update" alpha "$(cat "$VS_OUT")"

# sync: add, change, remove locally.
printf 'new' >"$src/new.txt"
printf 'beta, longer now' >"$src/sub/b.txt"
rm "$src/c.bin"
vs_expect_ok "sync (add, change, remove)" rc_ sync "$src" "vs:$b/dir"
q lsf -R "vs:$b/dir"
vs_expect_eq "sync result" "$(printf 'a.txt\nbig.bin\nnew.txt\nsub/\nsub/b.txt')" "$(sort <<<"$Q")"
vs_expect_ok "check after sync" rc_ check "$src" "vs:$b/dir"
vs_expect_ok "second sync copies nothing" rc_ sync -v "$src" "vs:$b/dir"
vs_expect_not_contains "second sync: no Copied lines" "Copied" "$(cat "$VS_ERR")"

vs_expect_ok "delete --include '*.txt'" rc_ delete --include '*.txt' "vs:$b/dir"
q lsf -R "vs:$b/dir"
vs_expect_eq "delete removed only the .txt files" "big.bin" "$(sort <<<"$Q")"
vs_expect_ok "deletefile" rc_ deletefile "vs:$b/dir/big.bin"
vs_expect_ok "copy again for purge" rc_ copy "$src" "vs:$b/again"
vs_expect_ok "purge (every key, then the bucket)" rc_ purge "vs:$b"
q lsd vs:
vs_expect_not_contains "purge removed the bucket" "$b" "$Q"
vs_server_stop_check
vs_finish
