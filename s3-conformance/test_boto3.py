#!/usr/bin/python3
"""test_boto3.py -- boto3 against a running veristore (started by test_boto3.sh).

Reads VS_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and VS_GEN (a
label that keeps two client generations' buckets apart).  Plain asserts and
a tiny runner, so any python3 with boto3 runs it (pytest is not needed);
prints "ok"/"FAIL" per test and a closing "N passed, N failed" line, and
exits non-zero on any failure.

Expected values come from the S3 API reference and real S3's behaviour.
Checksums are checked against harness.py's own CRC32C/CRC64NVME/SHA code,
not against botocore's, so a shared mistake cannot pass.
"""

import base64
import hashlib
import os
import sys
import tempfile
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import boto3  # noqa: E402
import botocore  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

ENDPOINT = os.environ["VS_ENDPOINT"]
GEN = os.environ.get("VS_GEN", "b3")
MiB = 1024 * 1024
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def client(access_key=None, secret_key=None):
    cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                 retries={"max_attempts": 1, "mode": "standard"},
                 connect_timeout=10, read_timeout=60)
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id=access_key or os.environ["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=secret_key or os.environ["AWS_SECRET_ACCESS_KEY"],
                        config=cfg)


S3 = client()


def bucket(name):
    """A fresh bucket for one test, named for this client generation."""
    b = "vs-%s-%s" % (GEN, name)
    S3.create_bucket(Bucket=b)
    return b


def expect_error(code, fn, *args, **kwargs):
    """fn must raise ClientError with exactly this S3 error code."""
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response.get("Error", {}).get("Code")
        assert got == code, "expected error %s, got %s (%s)" % (code, got, e)
        return e
    raise AssertionError("expected error %s, the call succeeded" % code)


def etag_of(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


def mpu_etag(parts):
    md5s = b"".join(hashlib.md5(p).digest() for p in parts)
    return '"%s-%d"' % (hashlib.md5(md5s).hexdigest(), len(parts))


def botocore_knows(member):
    shape = S3.meta.service_model.operation_model("PutObject").input_shape
    return member in shape.members


# ------------------------------------------------------------------ tests

@test
def upload_file_download_file_multipart():
    b = bucket("transfer")
    data = os.urandom(20 * MiB + 12345)
    parts = [data[i:i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    tc = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB,
                        max_concurrency=4)
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "src"), os.path.join(d, "dst")
        with open(src, "wb") as f:
            f.write(data)
        S3.upload_file(src, b, "big", Config=tc)
        head = S3.head_object(Bucket=b, Key="big")
        assert head["ContentLength"] == len(data), head["ContentLength"]
        assert head["ETag"] == mpu_etag(parts), (head["ETag"], mpu_etag(parts))
        # Above the threshold, download_file reads ranges (with If-Match).
        S3.download_file(b, "big", dst, Config=tc)
        with open(dst, "rb") as f:
            assert hashlib.md5(f.read()).hexdigest() == hashlib.md5(data).hexdigest()
    r = S3.get_object(Bucket=b, Key="big", Range="bytes=%d-%d" % (5 * MiB - 10, 5 * MiB + 9),
                      IfMatch=head["ETag"])
    assert r["ContentRange"] == "bytes %d-%d/%d" % (5 * MiB - 10, 5 * MiB + 9, len(data))
    assert r["Body"].read() == data[5 * MiB - 10:5 * MiB + 10]
    expect_error("PreconditionFailed", S3.get_object, Bucket=b, Key="big",
                 Range="bytes=0-9", IfMatch='"%s"' % ("0" * 32))


@test
def upload_fileobj_small_single_part():
    b = bucket("small")
    data = os.urandom(1000)
    import io
    S3.upload_fileobj(io.BytesIO(data), b, "small")
    head = S3.head_object(Bucket=b, Key="small")
    # rclone and others require a plain 32-hex MD5 ETag for single-part.
    assert head["ETag"] == etag_of(data), head["ETag"]
    assert S3.get_object(Bucket=b, Key="small")["Body"].read() == data


@test
def presigned_get_and_put():
    b = bucket("presign")
    data = os.urandom(4096)
    put_url = S3.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "p"},
                                        ExpiresIn=300)
    req = urllib.request.Request(put_url, data=data, method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200, resp.status
        assert resp.headers["ETag"] == etag_of(data), resp.headers["ETag"]
    get_url = S3.generate_presigned_url(
        "get_object", ExpiresIn=300,
        Params={"Bucket": b, "Key": "p", "ResponseContentType": "application/x-presigned"})
    with urllib.request.urlopen(get_url, timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/x-presigned", resp.headers["Content-Type"]
        assert resp.read() == data
    # A presigned URL is bound to its method and key: reuse for another key fails.
    bad = get_url.replace("/%s/p?" % b, "/%s/q?" % b)
    try:
        urllib.request.urlopen(bad, timeout=30)
        raise AssertionError("a presigned URL edited to another key was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 403, e.code
        assert b"<Code>SignatureDoesNotMatch</Code>" in e.read()


def _put_with_algorithm(b, key, data, algo):
    """put_object with ChecksumAlgorithm; botocore computes the value.  CRC32C
    needs awscrt in botocore: without it the value is ours, sent explicitly."""
    try:
        S3.put_object(Bucket=b, Key=key, Body=data, ChecksumAlgorithm=algo)
        return "computed by botocore"
    except botocore.exceptions.MissingDependencyException:
        S3.put_object(Bucket=b, Key=key, Body=data,
                      **{"Checksum" + algo: harness.checksum_b64(algo, data)})
        return "explicit value (no awscrt)"


@test
def checksum_algorithms_on_put_object():
    b = bucket("checksums")
    data = os.urandom(100000) + "ünïcode".encode()
    for algo in ("CRC32", "CRC32C", "SHA1", "SHA256"):
        _put_with_algorithm(b, "ck-" + algo, data, algo)
        want = harness.checksum_b64(algo, data)
        r = S3.get_object(Bucket=b, Key="ck-" + algo, ChecksumMode="ENABLED")
        assert r.get("Checksum" + algo) == want, (algo, r.get("Checksum" + algo), want)
        assert r["Body"].read() == data
        h = S3.head_object(Bucket=b, Key="ck-" + algo, ChecksumMode="ENABLED")
        assert h.get("Checksum" + algo) == want, (algo, h.get("Checksum" + algo), want)
        # A Range response carries no full-object checksum.
        r = S3.get_object(Bucket=b, Key="ck-" + algo, ChecksumMode="ENABLED", Range="bytes=0-9")
        assert "Checksum" + algo not in r, (algo, r.get("Checksum" + algo))
        assert r["Body"].read() == data[:10]
        # Explicit value of other bytes: BadDigest, nothing stored.
        wrong = harness.checksum_b64(algo, b"other bytes")
        expect_error("BadDigest", S3.put_object, Bucket=b, Key="bad-" + algo, Body=data,
                     **{"Checksum" + algo: wrong})
        expect_error("404", S3.head_object, Bucket=b, Key="bad-" + algo)


def _inject_header(name, value):
    """Adds a raw header to the next PutObject/Get/Head (for a checksum
    algorithm this botocore does not model).  Returns the unregister fn."""
    def add(request, **_kw):
        request.headers[name] = value
    events = ["before-sign.s3.PutObject", "before-sign.s3.GetObject"]
    for ev in events:
        S3.meta.events.register(ev, add)

    def remove():
        for ev in events:
            S3.meta.events.unregister(ev, add)
    return remove


@test
def checksum_crc64nvme():
    b = bucket("crc64")
    data = os.urandom(77777)
    want = harness.checksum_b64("crc64nvme", data)
    if botocore_knows("ChecksumCRC64NVME"):
        S3.put_object(Bucket=b, Key="k", Body=data, ChecksumCRC64NVME=want)
        r = S3.get_object(Bucket=b, Key="k", ChecksumMode="ENABLED")
        assert r.get("ChecksumCRC64NVME") == want, (r.get("ChecksumCRC64NVME"), want)
        r["Body"].read()
        expect_error("BadDigest", S3.put_object, Bucket=b, Key="bad", Body=data,
                     ChecksumCRC64NVME=harness.checksum_b64("crc64nvme", b"x"))
        return
    # This botocore predates CRC64NVME: send the header ourselves.
    remove = _inject_header("x-amz-checksum-crc64nvme", want)
    try:
        S3.put_object(Bucket=b, Key="k", Body=data)
    finally:
        remove()
    remove = _inject_header("x-amz-checksum-mode", "ENABLED")
    try:
        r = S3.get_object(Bucket=b, Key="k")
    finally:
        remove()
    got = r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-checksum-crc64nvme")
    assert got == want, (got, want)
    assert r["Body"].read() == data
    remove = _inject_header("x-amz-checksum-crc64nvme", harness.checksum_b64("crc64nvme", b"x"))
    try:
        expect_error("BadDigest", S3.put_object, Bucket=b, Key="bad", Body=data)
    finally:
        remove()


@test
def multipart_with_sha256_checksums_is_composite():
    b = bucket("mpuck")
    parts = [os.urandom(5 * MiB), os.urandom(1234)]
    up = S3.create_multipart_upload(Bucket=b, Key="m", ChecksumAlgorithm="SHA256")["UploadId"]
    done = []
    for n, p in enumerate(parts, 1):
        ck = harness.checksum_b64("sha256", p)
        r = S3.upload_part(Bucket=b, Key="m", UploadId=up, PartNumber=n, Body=p,
                           ChecksumSHA256=ck)
        assert r["ETag"] == etag_of(p)
        assert r.get("ChecksumSHA256") == ck, (r.get("ChecksumSHA256"), ck)
        done.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": ck})
    S3.complete_multipart_upload(Bucket=b, Key="m", UploadId=up,
                                 MultipartUpload={"Parts": done})
    # Composite form: checksum of the parts' raw checksums, then -N.
    raw = b"".join(hashlib.sha256(p).digest() for p in parts)
    want = base64.b64encode(hashlib.sha256(raw).digest()).decode() + "-2"
    h = S3.head_object(Bucket=b, Key="m", ChecksumMode="ENABLED")
    assert h.get("ChecksumSHA256") == want, (h.get("ChecksumSHA256"), want)
    assert h["ETag"] == mpu_etag(parts)
    assert S3.get_object(Bucket=b, Key="m")["Body"].read() == b"".join(parts)


def _quiet_client():
    """A client that adds no default checksum of its own (botocore >= 1.36
    adds CRC32 to every upload unless told otherwise; older ones add none)."""
    try:
        cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                     retries={"max_attempts": 1, "mode": "standard"},
                     request_checksum_calculation="when_required",
                     response_checksum_validation="when_required")
    except TypeError:
        return S3
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                        config=cfg)


def _with_headers(c, ops, headers):
    """Adds raw headers to the operations ops of client c.  Returns the
    unregister function."""
    def add(request, **_kw):
        for k, v in headers.items():
            request.headers[k] = v
    events = ["before-sign.s3.%s" % op for op in ops]
    for ev in events:
        c.meta.events.register(ev, add)

    def remove():
        for ev in events:
            c.meta.events.unregister(ev, add)
    return remove


@test
def multipart_checksum_types():
    """S3's two multipart checksum types ("Checking object integrity"):
    FULL_OBJECT (CRC32 when asked, CRC64NVME always) is the CRC of the whole
    object, no "-N"; COMPOSITE (the default for CRC32C) is the CRC of the
    part CRCs plus "-N".  x-amz-checksum-type says which."""
    c = _quiet_client()
    b = bucket("mpucrc")
    parts = [os.urandom(5 * MiB + 11), os.urandom(777)]
    whole = b"".join(parts)
    for algo, ctype, full in (("crc32", "FULL_OBJECT", True), ("crc32c", None, False),
                              ("crc64nvme", None, True)):
        hdrs = {"x-amz-checksum-algorithm": algo.upper()}
        if ctype:
            hdrs["x-amz-checksum-type"] = ctype
        remove = _with_headers(c, ["CreateMultipartUpload"], hdrs)
        try:
            up = c.create_multipart_upload(Bucket=b, Key=algo)["UploadId"]
        finally:
            remove()
        done = []
        for n, p in enumerate(parts, 1):
            remove = _with_headers(c, ["UploadPart"],
                                   {"x-amz-checksum-" + algo: harness.checksum_b64(algo, p)})
            try:
                r = c.upload_part(Bucket=b, Key=algo, UploadId=up, PartNumber=n, Body=p)
            finally:
                remove()
            done.append({"PartNumber": n, "ETag": r["ETag"]})
        c.complete_multipart_upload(Bucket=b, Key=algo, UploadId=up,
                                    MultipartUpload={"Parts": done})
        remove = _with_headers(c, ["HeadObject"], {"x-amz-checksum-mode": "ENABLED"})
        try:
            h = c.head_object(Bucket=b, Key=algo)["ResponseMetadata"]["HTTPHeaders"]
        finally:
            remove()
        if full:
            want = harness.checksum_b64(algo, whole)
        else:
            raw = b"".join(base64.b64decode(harness.checksum_b64(algo, p)) for p in parts)
            want = harness.checksum_b64(algo, raw) + "-2"
        assert h.get("x-amz-checksum-" + algo) == want, (algo, h.get("x-amz-checksum-" + algo), want)
        assert h.get("x-amz-checksum-type") == ("FULL_OBJECT" if full else "COMPOSITE"), (algo, h)
    # SHA-256 cannot be FULL_OBJECT; CRC64NVME cannot be COMPOSITE.
    for algo, ctype in (("SHA256", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE")):
        remove = _with_headers(c, ["CreateMultipartUpload"],
                               {"x-amz-checksum-algorithm": algo, "x-amz-checksum-type": ctype})
        try:
            expect_error("InvalidRequest", c.create_multipart_upload, Bucket=b, Key="bad")
        finally:
            remove()
    # A part with another algorithm than the upload's: InvalidRequest.
    up = S3.create_multipart_upload(Bucket=b, Key="mix", ChecksumAlgorithm="SHA1")["UploadId"]
    remove = _with_headers(c, ["UploadPart"],
                           {"x-amz-checksum-crc32": harness.checksum_b64("crc32", parts[1])})
    try:
        expect_error("InvalidRequest", c.upload_part, Bucket=b, Key="mix", UploadId=up,
                     PartNumber=1, Body=parts[1])
    finally:
        remove()
    # A part sent with no checksum gets one computed, so Complete can
    # derive the object's; a wrong per-part checksum in Complete's body is
    # InvalidPart, as S3 checks them.
    r = c.upload_part(Bucket=b, Key="mix", UploadId=up, PartNumber=1, Body=parts[1])
    assert r.get("ChecksumSHA1") == harness.checksum_b64("sha1", parts[1]), r
    wrong = harness.checksum_b64("sha1", b"other")
    expect_error("InvalidPart", S3.complete_multipart_upload, Bucket=b, Key="mix", UploadId=up,
                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["ETag"],
                                             "ChecksumSHA1": wrong}]})
    S3.complete_multipart_upload(Bucket=b, Key="mix", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["ETag"]}]})
    h = S3.head_object(Bucket=b, Key="mix", ChecksumMode="ENABLED")
    raw = hashlib.sha1(hashlib.sha1(parts[1]).digest()).digest()
    assert h.get("ChecksumSHA1") == base64.b64encode(raw).decode() + "-1", h.get("ChecksumSHA1")


@test
def object_tagging():
    """x-amz-tagging on PUT, Get/Put/DeleteObjectTagging, the copy's
    tagging directive, S3's limits (InvalidTag)."""
    b = bucket("tags")
    S3.put_object(Bucket=b, Key="k", Body=b"x", Tagging="a=1&b=two%20words")
    tags = S3.get_object_tagging(Bucket=b, Key="k")["TagSet"]
    assert tags == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "two words"}], tags
    r = S3.get_object(Bucket=b, Key="k")
    assert r.get("TagCount") == 2, r.get("TagCount")
    S3.put_object_tagging(Bucket=b, Key="k", Tagging={"TagSet": [{"Key": "é k", "Value": "v&<>"}]})
    tags = S3.get_object_tagging(Bucket=b, Key="k")["TagSet"]
    assert tags == [{"Key": "é k", "Value": "v&<>"}], tags
    S3.copy_object(Bucket=b, Key="c", CopySource={"Bucket": b, "Key": "k"})
    assert S3.get_object_tagging(Bucket=b, Key="c")["TagSet"] == tags
    S3.copy_object(Bucket=b, Key="c2", CopySource={"Bucket": b, "Key": "k"},
                   TaggingDirective="REPLACE")
    assert S3.get_object_tagging(Bucket=b, Key="c2")["TagSet"] == []
    up = S3.create_multipart_upload(Bucket=b, Key="m", Tagging="mp=1")["UploadId"]
    r = S3.upload_part(Bucket=b, Key="m", UploadId=up, PartNumber=1, Body=b"part")
    S3.complete_multipart_upload(Bucket=b, Key="m", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["ETag"]}]})
    assert S3.get_object_tagging(Bucket=b, Key="m")["TagSet"] == [{"Key": "mp", "Value": "1"}]
    S3.delete_object_tagging(Bucket=b, Key="k")
    assert S3.get_object_tagging(Bucket=b, Key="k")["TagSet"] == []
    expect_error("InvalidTag", S3.put_object_tagging, Bucket=b, Key="k",
                 Tagging={"TagSet": [{"Key": "aws:x", "Value": "1"}]})
    expect_error("InvalidTag", S3.put_object_tagging, Bucket=b, Key="k",
                 Tagging={"TagSet": [{"Key": "k", "Value": "v" * 257}]})
    expect_error("InvalidTag", S3.put_object, Bucket=b, Key="bad", Body=b"x", Tagging="a=1&a=2")
    expect_error("404", S3.head_object, Bucket=b, Key="bad")
    expect_error("NoSuchKey", S3.get_object_tagging, Bucket=b, Key="missing")


def _put_declaring_sha256(path, data, sha256_hex):
    """A PUT signed (by the hand-written signer: botocore always recomputes
    the hash) with x-amz-content-sha256 set to sha256_hex.  Returns (status,
    body)."""
    import datetime
    import http.client
    from urllib.parse import urlsplit
    u = urlsplit(ENDPOINT)
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {"host": u.netloc, "x-amz-date": amz_date, "x-amz-content-sha256": sha256_hex}
    sig, _key, scope = harness.sigv4_sign("PUT", path, "", headers, sha256_hex,
                                          os.environ["AWS_SECRET_ACCESS_KEY"], amz_date)
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
        % (os.environ["AWS_ACCESS_KEY_ID"], scope, ";".join(sorted(headers)), sig))
    headers["content-length"] = str(len(data))
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        conn.putrequest("PUT", path, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        conn.send(data)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@test
def more_error_codes():
    """Negative cases of issue 3 not covered elsewhere, each with its exact
    S3 code: a payload hash that does not match the body, metadata over
    2 KiB, If-None-Match: * on an existing key (aws s3 cp --no-overwrite), a
    presigned URL valid for more than 7 days, a missing upload, an
    unimplemented operation.  None of the refused writes stores anything."""
    b = bucket("errs2")
    st, body = _put_declaring_sha256("/%s/ok" % b, b"data", hashlib.sha256(b"data").hexdigest())
    assert st == 200, (st, body[:300])  # the same request with the right hash
    st, body = _put_declaring_sha256("/%s/h" % b, b"data", hashlib.sha256(b"other").hexdigest())
    assert st == 400 and _xml_code(body) == "XAmzContentSHA256Mismatch", (st, body[:300])
    expect_error("404", S3.head_object, Bucket=b, Key="h")
    expect_error("MetadataTooLarge", S3.put_object, Bucket=b, Key="m", Body=b"x",
                 Metadata={"big": "v" * 2100})
    expect_error("404", S3.head_object, Bucket=b, Key="m")
    S3.put_object(Bucket=b, Key="once", Body=b"1")
    remove = _with_headers(S3, ["PutObject"], {"If-None-Match": "*"})
    try:
        expect_error("PreconditionFailed", S3.put_object, Bucket=b, Key="once", Body=b"2")
        S3.put_object(Bucket=b, Key="fresh", Body=b"3")  # an absent key is fine
    finally:
        remove()
    assert S3.get_object(Bucket=b, Key="once")["Body"].read() == b"1"
    assert S3.get_object(Bucket=b, Key="fresh")["Body"].read() == b"3"
    long_url = S3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "once"},
                                         ExpiresIn=7 * 24 * 3600 + 1)
    try:
        with urllib.request.urlopen(long_url, timeout=30) as resp:
            raise AssertionError("an 8-day presigned URL was served: %d" % resp.status)
    except urllib.error.HTTPError as e:
        code = _xml_code(e.read())
        assert e.code == 400 and code == "AuthorizationQueryParametersError", (e.code, code)
    expect_error("NoSuchUpload", S3.list_parts, Bucket=b, Key="x", UploadId="0" * 32)
    expect_error("NotImplemented", S3.get_bucket_policy, Bucket=b)


@test
def client_error_codes():
    b = bucket("errors")
    S3.put_object(Bucket=b, Key="k", Body=b"0123456789")
    expect_error("NoSuchKey", S3.get_object, Bucket=b, Key="missing")
    expect_error("404", S3.head_object, Bucket=b, Key="missing")
    expect_error("NoSuchBucket", S3.get_object, Bucket=b + "-missing", Key="k")
    expect_error("NoSuchBucket", S3.list_objects_v2, Bucket=b + "-missing")
    expect_error("BucketAlreadyOwnedByYou", S3.create_bucket, Bucket=b)
    expect_error("InvalidBucketName", S3.create_bucket, Bucket="x_" + b)
    expect_error("BucketNotEmpty", S3.delete_bucket, Bucket=b)
    expect_error("InvalidRange", S3.get_object, Bucket=b, Key="k", Range="bytes=10-20")
    expect_error("NoSuchUpload", S3.abort_multipart_upload, Bucket=b, Key="k", UploadId="nope")
    expect_error("NoSuchUpload", S3.list_parts, Bucket=b, Key="k", UploadId="nope")
    expect_error("InvalidRequest", S3.copy_object, Bucket=b, Key="k",
                 CopySource={"Bucket": b, "Key": "k"})
    expect_error("PreconditionFailed", S3.get_object, Bucket=b, Key="k", IfMatch='"abc"')
    expect_error("304", S3.get_object, Bucket=b, Key="k", IfNoneMatch=etag_of(b"0123456789"))
    expect_error("KeyTooLongError", S3.put_object, Bucket=b, Key="k" * 1025, Body=b"x")
    up = S3.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    e1 = S3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1, Body=b"a" * 100)["ETag"]
    e2 = S3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=2, Body=b"b" * 100)["ETag"]
    expect_error("EntityTooSmall", S3.complete_multipart_upload, Bucket=b, Key="mp", UploadId=up,
                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                            {"PartNumber": 2, "ETag": e2}]})
    expect_error("InvalidPartOrder", S3.complete_multipart_upload, Bucket=b, Key="mp", UploadId=up,
                 MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2},
                                            {"PartNumber": 1, "ETag": e1}]})
    expect_error("InvalidPart", S3.complete_multipart_upload, Bucket=b, Key="mp", UploadId=up,
                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e2}]})
    expect_error("InvalidArgument", S3.upload_part, Bucket=b, Key="mp", UploadId=up,
                 PartNumber=10001, Body=b"x")
    S3.abort_multipart_upload(Bucket=b, Key="mp", UploadId=up)
    bad = client(secret_key="not-the-secret-key-0000000000000000")
    expect_error("SignatureDoesNotMatch", bad.list_buckets)
    stranger = client(access_key="AKIAIOSFODNN7EXAMPLE")
    expect_error("InvalidAccessKeyId", stranger.list_buckets)


@test
def paginators_v2_and_v1():
    b = bucket("paging")
    keys = sorted(["p/%03d" % i for i in range(23)] + ["q/1", "q/2", "r"])
    for k in keys:
        S3.put_object(Bucket=b, Key=k, Body=k.encode())
    pages = list(S3.get_paginator("list_objects_v2").paginate(
        Bucket=b, PaginationConfig={"PageSize": 7}))
    got = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert got == keys, got
    assert len(pages) == 4, len(pages)
    assert all(p["IsTruncated"] for p in pages[:-1]) and not pages[-1]["IsTruncated"]
    pages = list(S3.get_paginator("list_objects").paginate(
        Bucket=b, PaginationConfig={"PageSize": 7}))
    got = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert got == keys, got
    # Delimiter paging: prefixes count toward the page; nothing repeats.
    for op in ("list_objects_v2", "list_objects"):
        pages = list(S3.get_paginator(op).paginate(
            Bucket=b, Delimiter="/", PaginationConfig={"PageSize": 1}))
        prefixes = [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])]
        objs = [o["Key"] for p in pages for o in p.get("Contents", [])]
        assert prefixes == ["p/", "q/"] and objs == ["r"], (op, prefixes, objs)
    # More than the cap asked for: every key of a small bucket, in one page.
    r = S3.list_objects_v2(Bucket=b, MaxKeys=100000)
    assert r["KeyCount"] == len(keys) and not r["IsTruncated"], (r["KeyCount"], r["IsTruncated"])


ODD_KEYS = ["a b", "ü/é", "a+b", "%41", "dir/", "dir/sub/", "k" * 1024, "a//double",
            "q?x=1&y=2", "hash#frag", "semi;colon", "tilde~", "star*", "quote'\"",
            "\u65e5\u672c\u8a9e", "emoji-\U0001F600", "paren()", "lt<gt>", "amp&amp;",
            "back\\slash", "space at end ", "=equals", "tab\tkey", "!bang"]


@test
def odd_keys_round_trip():
    b = bucket("oddkeys")
    for k in ODD_KEYS:
        body = ("body of " + k).encode()
        S3.put_object(Bucket=b, Key=k, Body=body)
        assert S3.get_object(Bucket=b, Key=k)["Body"].read() == body, k
        assert S3.head_object(Bucket=b, Key=k)["ContentLength"] == len(body), k
    want = sorted(ODD_KEYS, key=lambda k: k.encode("utf-8"))   # byte order
    for op in ("list_objects_v2", "list_objects"):
        got = [o["Key"] for p in S3.get_paginator(op).paginate(Bucket=b)
               for o in p.get("Contents", [])]
        assert got == want, (op, got)
    S3.copy_object(Bucket=b, Key="copy of ü", CopySource={"Bucket": b, "Key": "a+b"})
    assert S3.get_object(Bucket=b, Key="copy of ü")["Body"].read() == b"body of a+b"
    S3.copy_object(Bucket=b, Key="copy2", CopySource={"Bucket": b, "Key": "ü/é"})
    assert S3.get_object(Bucket=b, Key="copy2")["Body"].read() == "body of ü/é".encode()
    r = S3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in ODD_KEYS]})
    assert sorted(d["Key"] for d in r.get("Deleted", [])) == sorted(ODD_KEYS), r
    left = [o["Key"] for o in S3.list_objects_v2(Bucket=b).get("Contents", [])]
    assert sorted(left) == ["copy of ü", "copy2"], left


@test
def delete_objects_quiet_and_verbose():
    b = bucket("delete")
    for k in ("a", "b", "c"):
        S3.put_object(Bucket=b, Key=k, Body=b"x")
    r = S3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a"}], "Quiet": True})
    assert not r.get("Deleted") and not r.get("Errors"), r
    r = S3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "b"}, {"Key": "c"}, {"Key": "zz"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["b", "c", "zz"], r
    assert S3.list_objects_v2(Bucket=b)["KeyCount"] == 0
    S3.delete_bucket(Bucket=b)
    expect_error("404", S3.head_bucket, Bucket=b)


def _xml_code(body):
    import re
    m = re.search(rb"<Code>([^<]*)</Code>", body)
    return m.group(1).decode() if m else None


@test
def harness_sigv4_signer_agrees_with_botocore():
    """The hand-written signer used for aws-chunked below signs a plain
    request exactly as botocore does, so a chunked failure is the server's."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from urllib.parse import urlsplit
    url = ENDPOINT + "/some-bucket/a%20key"
    req = AWSRequest(method="GET", url=url, headers={})
    S3SigV4Auth(Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]),
                "s3", "us-east-1").add_auth(req)
    hdrs = {"host": urlsplit(ENDPOINT).netloc, "x-amz-date": req.headers["X-Amz-Date"],
            "x-amz-content-sha256": req.headers["X-Amz-Content-SHA256"]}
    sig, _key, _scope = harness.sigv4_sign("GET", "/some-bucket/a%20key", "", hdrs,
                                           req.headers["X-Amz-Content-SHA256"],
                                           os.environ["AWS_SECRET_ACCESS_KEY"], hdrs["x-amz-date"])
    assert req.headers["Authorization"].endswith("Signature=" + sig), (req.headers["Authorization"], sig)


def _chunked(path, data, mode, **kw):
    return harness.aws_chunked_put(ENDPOINT, path, data, 64 * 1024, mode,
                                   os.environ["AWS_ACCESS_KEY_ID"],
                                   os.environ["AWS_SECRET_ACCESS_KEY"], **kw)


@test
def aws_chunked_signed_chunks():
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD, as minio-go (restic) sends over
    http: the decoded bytes are stored, never the framing; a chunk with a bad
    signature is SignatureDoesNotMatch and stores nothing."""
    b = bucket("chunked")
    data = os.urandom(200 * 1024 + 7)
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    status, hdrs, body = _chunked("/%s/signed" % b, data, mode)
    assert status == 200, (status, body[:300])
    assert S3.get_object(Bucket=b, Key="signed")["Body"].read() == data
    assert S3.head_object(Bucket=b, Key="signed")["ETag"] == etag_of(data)
    # The final, empty chunk's signature too: by then the server has read
    # the whole body, so the answer must be a clean 403.
    last = (len(data) + 64 * 1024 - 1) // (64 * 1024)
    status, hdrs, body = _chunked("/%s/badlast" % b, data, mode, corrupt_chunk=last)
    assert status == 403 and _xml_code(body) == "SignatureDoesNotMatch", (status, body[:300])
    expect_error("404", S3.head_object, Bucket=b, Key="badlast")
    # A bad chunk in the middle: the server may answer and close before
    # reading the rest (the client then may see a reset); nothing is stored.
    try:
        status, hdrs, body = _chunked("/%s/badmid" % b, data, mode, corrupt_chunk=1)
        assert status == 403 and _xml_code(body) == "SignatureDoesNotMatch", (status, body[:300])
    except (ConnectionError, OSError):
        pass
    expect_error("404", S3.head_object, Bucket=b, Key="badmid")


@test
def aws_chunked_unsigned_payload_with_checksum_trailer():
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER with x-amz-checksum-crc32 in the
    trailer, as current SDKs send over https: verified, stored, returned; a
    wrong trailer checksum is BadDigest and stores nothing."""
    b = bucket("trailer")
    data = os.urandom(150 * 1024 + 3)
    mode = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    crc = harness.checksum_b64("crc32", data)
    status, hdrs, body = _chunked("/%s/t" % b, data, mode, trailer=("x-amz-checksum-crc32", crc))
    assert status == 200, (status, body[:300])
    r = S3.get_object(Bucket=b, Key="t", ChecksumMode="ENABLED")
    assert r["Body"].read() == data
    assert r.get("ChecksumCRC32") == crc, (r.get("ChecksumCRC32"), crc)
    wrong = harness.checksum_b64("crc32", b"not the data")
    status, hdrs, body = _chunked("/%s/bad" % b, data, mode, trailer=("x-amz-checksum-crc32", wrong))
    assert status == 400 and _xml_code(body) == "BadDigest", (status, body[:300])
    expect_error("404", S3.head_object, Bucket=b, Key="bad")


def main():
    print("# %s: python %s, boto3 %s, botocore %s" % (
        GEN, sys.version.split()[0], boto3.__version__, botocore.__version__))
    passed = failed = 0
    for fn in TESTS:
        try:
            fn()
        except Exception:  # noqa: BLE001 -- every failure is reported, then the next test runs
            failed += 1
            print("FAIL - [%s] %s" % (GEN, fn.__name__))
            print("       " + traceback.format_exc().strip().replace("\n", "\n       "))
        else:
            passed += 1
            print("ok   - [%s] %s" % (GEN, fn.__name__))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
