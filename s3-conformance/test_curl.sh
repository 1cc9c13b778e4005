#!/usr/bin/env bash
# test_curl.sh -- curl --aws-sigv4 against veristore, for what the SDKs hide:
# UNSIGNED-PAYLOAD uploads (-T), Transfer-Encoding: chunked, Expect:
# 100-continue, the raw XML of listings and errors, anonymous and badly
# signed requests, unknown x-amz-* headers and query parameters, an unknown
# method -- every one answered, never a hang (--max-time on every call).
#
# curl signs the query string as given, so query parameters are written here
# already in canonical (sorted) order.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CURL=/usr/bin/curl
# cs ARGS...: a signed curl; the body in $VS_OUT, -w output appended.
# shellcheck disable=SC2317 # called through vs_run
cs() {
	"$CURL" -s -S --max-time 60 --aws-sigv4 "aws:amz:us-east-1:s3" \
		--user "$VS_ACCESS_KEY:$VS_SECRET_KEY" "$@"
}

# req NAME WANT_STATUS ARGS...: a signed request; checks the status, and
# leaves the body in $BODY and the response headers in $VS_TMP/hdr.
req() {
	local name=$1 want=$2 code
	shift 2
	code=$(cs -o "$VS_TMP/body" -D "$VS_TMP/hdr" -w '%{http_code}' "$@" 2>"$VS_ERR")
	BODY=$(tr -d '\0' <"$VS_TMP/body" 2>/dev/null)
	vs_expect_eq "$name: HTTP $want" "$want" "$code"
}

# hdr NAME: a response header's value from the last req.
hdr() { grep -i "^$1:" "$VS_TMP/hdr" | tail -n 1 | cut -d: -f2- | sed 's/^ *//' | tr -d '\r'; }

vs_require_cmd curl "$CURL" || vs_finish
vs_server_start || vs_finish
W=$VS_TMP/w
mkdir -p "$W"
E=$VS_ENDPOINT
b=vs-curl
vs_mkfile "$W/small" 5000
vs_mkfile "$W/large" $((8 * 1024 * 1024 + 3))

req "PUT bucket" 200 -X PUT "$E/$b"
req "PUT object -T (UNSIGNED-PAYLOAD)" 200 -T "$W/small" "$E/$b/small"
vs_expect_eq "PUT returns the quoted MD5 ETag" "\"$(vs_md5 "$W/small")\"" "$(hdr ETag)"
req "GET object" 200 "$E/$b/small"
vs_expect_eq "GET body" "$(vs_md5 "$W/small")" "$(vs_md5 "$VS_TMP/body")"
req "HEAD object" 200 -I "$E/$b/small"
vs_expect_eq "HEAD Content-Length" 5000 "$(hdr Content-Length)"
vs_expect_eq "HEAD ETag" "\"$(vs_md5 "$W/small")\"" "$(hdr ETag)"
vs_expect_contains "HEAD Last-Modified is an HTTP date" " GMT" "$(hdr Last-Modified)"
req "GET Range: bytes=100-199" 206 -r 100-199 "$E/$b/small"
vs_expect_eq "Content-Range" "bytes 100-199/5000" "$(hdr Content-Range)"
vs_expect_eq "ranged body" "$(tail -c +101 "$W/small" | head -c 100 | md5sum)" "$(md5sum <"$VS_TMP/body")"
req "GET Range: bytes=9000-" 416 -r 9000- "$E/$b/small"
vs_expect_contains "unsatisfiable range: InvalidRange" "<Code>InvalidRange</Code>" "$BODY"
req "GET If-None-Match: ETag" 304 -H "If-None-Match: \"$(vs_md5 "$W/small")\"" "$E/$b/small"
req "GET If-Match: other" 412 -H 'If-Match: "0123"' "$E/$b/small"
vs_expect_contains "If-Match failed: PreconditionFailed" "<Code>PreconditionFailed</Code>" "$BODY"

# Uploads without a Content-Length (curl reads stdin, chunked framing).
req "PUT with Transfer-Encoding: chunked" 200 -T - -H "Transfer-Encoding: chunked" "$E/$b/chunked" <"$W/large"
cs -o "$W/chunked.got" "$E/$b/chunked" 2>/dev/null
vs_expect_eq "chunked upload stored the decoded bytes" "$(vs_md5 "$W/large")" "$(vs_md5 "$W/chunked.got")"
# Expect: 100-continue must be answered (curl would otherwise wait, then send).
code=$(cs -v -o /dev/null -w '%{http_code}' -T "$W/large" -H "Expect: 100-continue" \
	--expect100-timeout 30 "$E/$b/large" 2>"$W/expect.log")
vs_expect_eq "PUT 8 MiB with Expect: 100-continue: 200" 200 "$code"
vs_expect_contains "the server answered 100 Continue" "HTTP/1.1 100 Continue" "$(tr -d '\r' <"$W/expect.log")"
cs -o "$W/large.got" "$E/$b/large" 2>/dev/null
vs_expect_eq "the 8 MiB body is intact" "$(vs_md5 "$W/large")" "$(vs_md5 "$W/large.got")"

# Unknown query parameters (x-id, as the Go SDK sends) and x-amz-* headers are ignored.
req "PUT with ?x-id=PutObject and an unknown x-amz header" 200 -T "$W/small" \
	-H "x-amz-future-header: 1" -H "x-amz-sdk-checksum-algorithm: CRC32" "$E/$b/xid?x-id=PutObject"

# Listing XML, raw.
printf 'x' >"$W/x"
req "PUT key 'a b+c'" 200 -T "$W/x" "$E/$b/a%20b%2Bc"
req "ListObjectsV2" 200 "$E/$b?list-type=2"
vs_expect_contains "ListObjectsV2 has the key" "<Key>small</Key>" "$BODY"
vs_expect_contains "ListObjectsV2 has the unencoded odd key" "<Key>a b+c</Key>" "$BODY"
vs_expect_contains "ListObjectsV2 has KeyCount" "<KeyCount>5</KeyCount>" "$BODY"
req "ListObjectsV2 encoding-type=url" 200 "$E/$b?encoding-type=url&list-type=2"
vs_expect_contains "encoding-type is echoed" "<EncodingType>url</EncodingType>" "$BODY"
case $BODY in
*"<Key>a+b%2Bc</Key>"* | *"<Key>a%20b%2Bc</Key>"*) vs_ok "encoding-type=url encodes the key" ;;
*) vs_fail "encoding-type=url encodes the key" "$(grep -o '<Key>a[^<]*</Key>' <<<"$BODY")" ;;
esac
req "ListObjectsV2 /bucket/ (trailing slash)" 200 "$E/$b/?list-type=2"
vs_expect_contains "/bucket/ is the same as /bucket" "<Key>small</Key>" "$BODY"
req "ListObjects v1 with delimiter and max-keys" 200 "$E/$b?delimiter=%2F&max-keys=2"
vs_expect_contains "v1 truncated" "<IsTruncated>true</IsTruncated>" "$BODY"
vs_expect_contains "v1 NextMarker with a delimiter" "<NextMarker>chunked</NextMarker>" "$BODY"
req "ListBuckets" 200 "$E/"
vs_expect_contains "ListBuckets has the bucket" "<Name>$b</Name>" "$BODY"
req "GetBucketLocation" 200 "$E/$b?location="
vs_expect_contains "GetBucketLocation is a LocationConstraint" "LocationConstraint" "$BODY"

# Errors: the S3 XML error document (Code, Message, Resource, RequestId).
req "GET missing key" 404 "$E/$b/nope"
for el in "<Code>NoSuchKey</Code>" "<Message>" "<Resource>" "<RequestId>"; do
	vs_expect_contains "NoSuchKey error has $el" "$el" "$BODY"
done
vs_expect_contains "error body is XML" "application/xml" "$(hdr Content-Type)"
req "HEAD missing key" 404 -I "$E/$b/nope"
req "GET missing bucket" 404 "$E/$b-missing/x"
vs_expect_contains "NoSuchBucket" "<Code>NoSuchBucket</Code>" "$BODY"
req "DELETE bucket with objects" 409 -X DELETE "$E/$b"
vs_expect_contains "BucketNotEmpty" "<Code>BucketNotEmpty</Code>" "$BODY"

code=$("$CURL" -s --max-time 60 -o "$W/badsig" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
	--user "$VS_ACCESS_KEY:wrong-secret" "$E/$b/small")
vs_expect_eq "wrong secret: 403" 403 "$code"
vs_expect_file_contains "wrong secret: SignatureDoesNotMatch" "<Code>SignatureDoesNotMatch</Code>" "$W/badsig"
code=$("$CURL" -s --max-time 60 -o "$W/anon" -w '%{http_code}' "$E/$b/small")
vs_expect_eq "anonymous GET: 403" 403 "$code"
vs_expect_file_contains "anonymous GET: AccessDenied" "<Code>AccessDenied</Code>" "$W/anon"
code=$("$CURL" -s --max-time 60 -o "$W/anon2" -w '%{http_code}' -T "$W/x" "$E/$b/anon-put")
vs_expect_eq "anonymous PUT: 403" 403 "$code"
req "anonymous PUT stored nothing" 404 -I "$E/$b/anon-put"
# A request from 20 minutes ago (clock skew beyond 15 minutes).
skewed=$(date -u -d '-20 min' +%Y%m%dT%H%M%SZ)
code=$("$CURL" -s --max-time 60 -o "$W/skew" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
	--user "$VS_ACCESS_KEY:$VS_SECRET_KEY" -H "X-Amz-Date: $skewed" "$E/$b/small")
vs_expect_eq "clock skew 20 min: 403" 403 "$code"
vs_expect_file_contains "clock skew: RequestTimeTooSkewed" "<Code>RequestTimeTooSkewed</Code>" "$W/skew"

# An unknown method: an S3 XML error, promptly (curl gives up after 20 s).
code=$(cs -o "$W/frob" -w '%{http_code}' --max-time 20 -X FROB "$E/$b/small" 2>&1)
case $code in
4[0-9][0-9] | 5[0-9][0-9]) vs_ok "unknown method FROB: an error status ($code)" ;;
*) vs_fail "unknown method FROB: an error status" "got '$code'" ;;
esac
vs_expect_file_contains "unknown method FROB: S3 XML error" "<Code>" "$W/frob"
code=$("$CURL" -s -o "$W/junk" -w '%{http_code}' --max-time 20 -X 'GET /x HTTP/1.0' "$E/" 2>&1)
case $code in
4[0-9][0-9] | 5[0-9][0-9]) vs_ok "garbage request line: an error status ($code), no hang" ;;
*) vs_fail "garbage request line: an error status, no hang" "got '$code'" ;;
esac

req "DELETE object" 204 -X DELETE "$E/$b/small"
req "DELETE object again (idempotent)" 204 -X DELETE "$E/$b/small"
req "GET after DELETE" 404 "$E/$b/small"
for k in chunked large xid a%20b%2Bc; do cs -X DELETE "$E/$b/$k" >/dev/null 2>&1; done
req "DELETE empty bucket" 204 -X DELETE "$E/$b"
req "HEAD deleted bucket" 404 -I "$E/$b"
vs_server_stop_check
vs_finish
