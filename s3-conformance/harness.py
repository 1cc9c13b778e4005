"""harness.py -- shared Python side of the real-client conformance suite.

Used as a module by test_boto3.py and test_crash.py, and as a small command
line tool by the shell scripts (lib.sh) for what bash cannot do well:

  harness.py port                      print a free loopback port below 32768
  harness.py checksum ALGO FILE        print the S3 checksum header value
                                       (base64 of the big-endian digest) of FILE
                                       for crc32, crc32c, crc64nvme, sha1, sha256
  harness.py request METHOD URL [--body FILE] [--header K:V]... [--unsigned]
                                       send one SigV4-signed raw request (signed
                                       by botocore with AWS_* from the
                                       environment), print the status on the
                                       first line, then the headers (names in
                                       lower case), a blank line and the body

Only the standard library and botocore (Debian's python3-botocore, pulled in
by python3-boto3) are used, so /usr/bin/python3 runs it.

CRC32C and CRC64NVME are computed here from their definitions, not by the
client library, so that a server and a client sharing the same mistake
cannot agree on a wrong value: the check values of both are asserted at
import (CRC catalogue: CRC-32/ISCSI check 0xe3069283; CRC-64/NVME check
0xae8b14860a799888, as published by AWS for the S3 CRC64NVME algorithm).
"""

import base64
import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib

# Loopback ports for test servers stay below the kernel's ephemeral range
# (32768..60999 on Linux), so an outgoing connection never takes them.
PORT_LOW, PORT_HIGH = 20000, 32767


def _crc_table(poly, width):
    mask = (1 << width) - 1
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c & mask)
    return table


# Reflected polynomials: CRC-32C (Castagnoli) and CRC-64/NVME.
_CRC32C_TABLE = _crc_table(0x82F63B78, 32)
_CRC64NVME_TABLE = _crc_table(0x9A6C9329AC4BC9B5, 64)


def _crc_reflected(table, width, data, crc=0):
    mask = (1 << width) - 1
    crc ^= mask
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ mask


def crc32c(data, crc=0):
    return _crc_reflected(_CRC32C_TABLE, 32, data, crc)


def crc64nvme(data, crc=0):
    return _crc_reflected(_CRC64NVME_TABLE, 64, data, crc)


assert crc32c(b"123456789") == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888
assert zlib.crc32(b"123456789") == 0xCBF43926


def checksum_b64(algo, data):
    """The x-amz-checksum-ALGO header value of data (bytes)."""
    algo = algo.lower()
    if algo == "crc32":
        raw = zlib.crc32(data).to_bytes(4, "big")
    elif algo == "crc32c":
        raw = crc32c(data).to_bytes(4, "big")
    elif algo == "crc64nvme":
        raw = crc64nvme(data).to_bytes(8, "big")
    elif algo in ("sha1", "sha256"):
        raw = hashlib.new(algo, data).digest()
    else:
        raise ValueError("unknown checksum algorithm " + algo)
    return base64.b64encode(raw).decode()


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def free_port(rng=None):
    """A loopback TCP port below 32768 that was free a moment ago.

    Bounded: 200 random candidates.  The server may still lose a race for
    it; ServerProcess.start retries with another port when that happens.
    """
    rng = rng or random.SystemRandom()
    for _ in range(200):
        port = rng.randint(PORT_LOW, PORT_HIGH)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        return port
    raise RuntimeError("no free loopback port found below 32768")


def veristore_binary():
    """$VERISTORE_BIN, else $top_builddir/veristore (as make check sets it)."""
    path = os.environ.get("VERISTORE_BIN")
    if not path:
        top = os.environ.get("top_builddir") or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..")
        path = os.path.join(top, "veristore")
    return os.path.abspath(path)


def _answers(port):
    """True once anything answers HTTP on the port (any status counts)."""
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=1)
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
    return True


class ServerProcess:
    """One veristore process on a data dir that outlives restarts.

    The process is tracked by its PID only: stop() and kill() signal exactly
    that PID, never a name.
    """

    START_POLLS = 200        # x 50 ms: 10 s for the server to answer
    STOP_POLLS = 300         # x 100 ms: 30 s graceful stop before SIGKILL

    def __init__(self, data_dir, log_path, access_key, secret_key):
        self.data_dir = data_dir
        self.log_path = log_path
        self.access_key = access_key
        self.secret_key = secret_key
        self.port = None
        self.proc = None
        self.binary = veristore_binary()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        """Starts the server (same port as before on a restart when free).
        Returns the endpoint; raises RuntimeError when it never answers."""
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError("no server binary at " + self.binary)
        os.makedirs(self.data_dir, exist_ok=True)
        env = dict(os.environ, VERISTORE_ACCESS_KEY=self.access_key,
                   VERISTORE_SECRET_KEY=self.secret_key)
        for _attempt in range(5):
            if self.port is None:
                self.port = free_port()
            log = open(self.log_path, "ab")
            log.write(b"=== harness: starting on port %d\n" % self.port)
            log.flush()
            self.proc = subprocess.Popen(
                [self.binary, "--listen", "127.0.0.1:%d" % self.port,
                 "--data-dir", self.data_dir],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
            log.close()
            for _ in range(self.START_POLLS):
                if self.proc.poll() is not None:
                    break
                if _answers(self.port):
                    return self.endpoint
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.kill()
                raise RuntimeError("server did not answer within 10 s")
            self.proc = None
            self.port = None       # lost the port (or a bad start): retry
        raise RuntimeError("server exited at start 5 times; see " + self.log_path)

    def kill(self):
        """SIGKILL, then reap.  Returns the exit status (negative signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        rc = self.proc.wait(timeout=30)
        self.proc = None
        return rc

    def stop(self):
        """SIGTERM, wait up to 30 s, then SIGKILL.  Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        for _ in range(self.STOP_POLLS):
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        if self.proc.poll() is None:
            return self.kill()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join(data[-lines:])


def signed_request(method, url, body=b"", headers=None, unsigned_payload=False,
                   access_key=None, secret_key=None, region=None, timeout=60):
    """Sends one request signed with SigV4 by botocore; returns
    (status, headers dict, body bytes).  Credentials default to AWS_*."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    creds = Credentials(access_key or os.environ["AWS_ACCESS_KEY_ID"],
                        secret_key or os.environ["AWS_SECRET_ACCESS_KEY"])
    hdrs = dict(headers or {})
    if unsigned_payload:
        hdrs["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    req = AWSRequest(method=method, url=url, data=body, headers=hdrs)
    S3SigV4Auth(creds, "s3", region or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")).add_auth(req)
    prepared = req.prepare()
    raw = urllib.request.Request(prepared.url, data=body if body else None,
                                 method=method, headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(raw, timeout=timeout) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


# ------------------------------------------------------------ aws-chunked
# SigV4 and the aws-chunked payload modes, written from the AWS reference
# ("Signature Calculations for the Authorization Header: Transferring Payload
# in Multiple Chunks", and the trailer variants), because botocore picks the
# payload mode itself.  sigv4_sign is cross-checked against botocore on a
# plain request in test_boto3.py before it is trusted with chunks.

def _hmac(key, msg):
    import hmac
    return hmac.new(key, msg.encode() if isinstance(msg, str) else msg, hashlib.sha256).digest()


def sigv4_sign(method, path, query, headers, payload_hash, secret_key, amz_date,
               region="us-east-1"):
    """Signs path (already URI-encoded as sent) and query (canonical string);
    headers is a dict of lower-case names, all signed.  Returns
    (signature hex, signing key, scope)."""
    date = amz_date[:8]
    scope = "%s/%s/s3/aws4_request" % (date, region)
    names = sorted(headers)
    canonical = "\n".join([
        method, path, query,
        "".join("%s:%s\n" % (n, " ".join(str(headers[n]).split())) for n in names),
        ";".join(names), payload_hash])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(("AWS4" + secret_key).encode(), date)
    for part in (region, "s3", "aws4_request"):
        key = _hmac(key, part)
    return _hmac(key, sts).hex(), key, scope


def aws_chunked_put(endpoint, path, data, chunk_size, mode, access_key, secret_key,
                    trailer=None, corrupt_chunk=None, region="us-east-1"):
    """PUTs data to path with Content-Encoding: aws-chunked in one of the modes
    STREAMING-AWS4-HMAC-SHA256-PAYLOAD (every chunk signed) or
    STREAMING-UNSIGNED-PAYLOAD-TRAILER (trailer = (name, value) required).
    corrupt_chunk=i sends chunk i with a wrong signature.  Returns
    (status, headers dict, body bytes)."""
    import datetime
    import http.client
    from urllib.parse import urlsplit
    u = urlsplit(endpoint)
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    headers = {"host": u.netloc, "x-amz-date": amz_date, "x-amz-content-sha256": mode,
               "content-encoding": "aws-chunked",
               "x-amz-decoded-content-length": str(len(data))}
    if trailer:
        headers["x-amz-trailer"] = trailer[0]
    seed, key, scope = sigv4_sign("PUT", path, "", headers, mode, secret_key, amz_date, region)
    body = b""
    prev = seed
    empty = hashlib.sha256(b"").hexdigest()
    for i, c in enumerate(chunks):
        if mode == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD":
            sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, empty,
                             hashlib.sha256(c).hexdigest()])
            sig = _hmac(key, sts).hex()
            prev = sig
            if corrupt_chunk == i:
                sig = "0" * 64
            body += b"%x;chunk-signature=%s\r\n" % (len(c), sig.encode())
        else:
            body += b"%x\r\n" % len(c)
        if c:
            body += c + b"\r\n"
    if trailer:
        body += ("%s:%s\r\n" % trailer).encode()
    body += b"\r\n"
    headers["content-length"] = str(len(body))
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
        % (access_key, scope, ";".join(sorted(k for k in headers if k not in ("authorization", "content-length"))), seed))
    # Content-Length is sent unsigned: SignedHeaders names what was signed.
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        conn.putrequest("PUT", path, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        conn.send(body)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def _main(argv):
    if len(argv) >= 1 and argv[0] == "port":
        print(free_port())
        return 0
    if len(argv) == 3 and argv[0] == "checksum":
        with open(argv[2], "rb") as f:
            print(checksum_b64(argv[1], f.read()))
        return 0
    if len(argv) >= 3 and argv[0] == "request":
        method, url, rest = argv[1], argv[2], argv[3:]
        body, headers, unsigned = b"", {}, False
        i = 0
        while i < len(rest):
            if rest[i] == "--body" and i + 1 < len(rest):
                with open(rest[i + 1], "rb") as f:
                    body = f.read()
                i += 2
            elif rest[i] == "--header" and i + 1 < len(rest):
                k, _, v = rest[i + 1].partition(":")
                headers[k.strip()] = v.strip()
                i += 2
            elif rest[i] == "--unsigned":
                unsigned = True
                i += 1
            else:
                print("harness.py: bad argument " + rest[i], file=sys.stderr)
                return 2
        try:
            status, hdrs, data = signed_request(method, url, body, headers, unsigned)
        except Exception as e:  # noqa: BLE001 -- reported as status 0
            status, hdrs, data = 0, {}, ("request failed: %r" % e).encode()
        sys.stdout.write("%d\n" % status)
        for k, v in hdrs.items():
            sys.stdout.write("%s: %s\n" % (k.lower(), v))
        sys.stdout.write("\n")
        sys.stdout.write(data.decode("utf-8", "replace"))
        sys.stdout.write("\n")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

