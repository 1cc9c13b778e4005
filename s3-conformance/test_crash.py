#!/usr/bin/python3
"""test_crash.py -- SIGKILL veristore during concurrent writes; check on restart.

Each cycle: start veristore on the same data directory, verify everything
acknowledged so far, then run writer threads (boto3: PUT of new keys,
overwrites of small and multi-chunk objects, DELETE, and multipart uploads)
and SIGKILL the server -- by its PID -- after a random number of
acknowledged operations, while the other writers are mid-request.

The model, per key (each key is written by one thread only, so at most one
operation on it is in flight):
  committed  -- the state after the last acknowledged operation: a body
                (its size and MD5) or absent;
  in_flight  -- the outcome of the operation cut off by the kill, if any.
After the restart the key must be in state `committed` or `in_flight`,
nothing else: an acknowledged write is never lost, a torn or mixed body is
never served, and a key never written (or only by an unacknowledged
operation) is never visible -- checked by GET on every key and by listing.

VERISTORE_CRASH_CYCLES (default 10) sets the cycles; the seed is printed and
VERISTORE_SEED replays the same choices (the kill moment still depends on
timing).  Closing line: "N passed, N failed".
"""

import hashlib
import os
import random
import shutil
import sys
import tempfile
import threading
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

MiB = 1024 * 1024
BUCKET = "vs-crash"
THREADS = 4
KEYS_PER_THREAD = 6
ABSENT = None


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def body_for(seed, key, version, rng):
    """Deterministic bytes for (key, version); mostly small, some spanning
    several of the server's 4 MiB chunks so a torn write would show."""
    r = rng.random()
    if r < 0.70:
        size = rng.randint(0, 64 * 1024)
    elif r < 0.92:
        size = rng.randint(64 * 1024, 2 * MiB)
    else:
        size = rng.randint(8 * MiB, 10 * MiB)
    gen = random.Random("%s/%s/%d" % (seed, key, version))
    return gen.randbytes(size)


def digest(data):
    return (len(data), hashlib.md5(data).hexdigest())


class Model:
    def __init__(self):
        self.lock = threading.Lock()
        self.committed = {}      # key -> (size, md5) or ABSENT
        self.in_flight = {}      # key -> (size, md5) or ABSENT
        self.acks = 0
        self.cond = threading.Condition(self.lock)

    def begin(self, key, outcome):
        with self.lock:
            self.in_flight[key] = outcome

    def ack(self, key, outcome):
        with self.lock:
            self.committed[key] = outcome
            self.in_flight.pop(key, None)
            self.acks += 1
            self.cond.notify_all()

    def allowed(self, key):
        states = {self.committed.get(key, ABSENT)}
        if key in self.in_flight:
            states.add(self.in_flight[key])
        return states


def s3_client(endpoint, ak, sk):
    cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                 retries={"max_attempts": 1, "mode": "standard"},
                 connect_timeout=3, read_timeout=30)
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=ak, aws_secret_access_key=sk, config=cfg)


def writer(s3, model, tid, seed, rng, stop, versions):
    """Writes its own keys until a request fails (the server is gone) or stop."""
    keys = ["w%d/k%d" % (tid, i) for i in range(KEYS_PER_THREAD)]
    for _ in range(10000):                  # bound: far more than a cycle needs
        if stop.is_set():
            return
        key = rng.choice(keys)
        op = rng.random()
        try:
            if op < 0.2 and model.committed.get(key, ABSENT) is not ABSENT:
                model.begin(key, ABSENT)
                s3.delete_object(Bucket=BUCKET, Key=key)
                model.ack(key, ABSENT)
            elif op < 0.3:
                versions[key] = versions.get(key, 0) + 1
                parts = [random.Random("%s/%s/%d/p1" % (seed, key, versions[key])).randbytes(5 * MiB),
                         random.Random("%s/%s/%d/p2" % (seed, key, versions[key])).randbytes(rng.randint(1, MiB))]
                whole = b"".join(parts)
                model.begin(key, digest(whole))
                up = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
                done = []
                for n, p in enumerate(parts, 1):
                    e = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=n, Body=p)["ETag"]
                    done.append({"PartNumber": n, "ETag": e})
                s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up,
                                             MultipartUpload={"Parts": done})
                model.ack(key, digest(whole))
            else:
                versions[key] = versions.get(key, 0) + 1
                data = body_for(seed, key, versions[key], rng)
                model.begin(key, digest(data))
                s3.put_object(Bucket=BUCKET, Key=key, Body=data)
                model.ack(key, digest(data))
        except Exception:  # noqa: BLE001 -- the kill cuts requests off; that is the test
            return


def verify(s3, model, problems):
    """Every key in its committed or in-flight state; nothing else listed."""
    listed = set()
    token = None
    for _ in range(1000):
        kw = {"Bucket": BUCKET}
        if token:
            kw["ContinuationToken"] = token
        r = s3.list_objects_v2(**kw)
        listed.update(o["Key"] for o in r.get("Contents", []))
        if not r.get("IsTruncated"):
            break
        token = r["NextContinuationToken"]
    keys = set(model.committed) | set(model.in_flight) | listed
    for key in sorted(keys):
        allowed = model.allowed(key)
        try:
            data = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            got = digest(data)
        except ClientError as e:
            if e.response["Error"]["Code"] != "NoSuchKey":
                raise
            got = ABSENT
        if got not in allowed:
            problems.append("%s: read %s, allowed %s" % (key, got, sorted(allowed, key=str)))
        if (got is ABSENT) == (key in listed):
            problems.append("%s: GET says %s but listing %s it" % (
                key, "absent" if got is ABSENT else "present",
                "shows" if key in listed else "omits"))
        with model.lock:
            # What we read is now the state to keep.
            model.committed[key] = got
            model.in_flight.pop(key, None)


def main():
    seed = env_int("VERISTORE_SEED", random.SystemRandom().randrange(1 << 31))
    cycles = env_int("VERISTORE_CRASH_CYCLES", 10)
    print("# seed %d (VERISTORE_SEED=%d replays), %d cycles" % (seed, seed, cycles))
    rng = random.Random(seed)
    passed = failed = 0

    def check(name, ok, why=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("ok   - " + name)
        else:
            failed += 1
            print("FAIL - " + name + ("\n       " + why.replace("\n", "\n       ") if why else ""))

    binary = harness.veristore_binary()
    if not os.access(binary, os.X_OK):
        check("server binary exists", False, binary + " is missing")
        print("%d passed, %d failed" % (passed, failed))
        return 1
    tmp = tempfile.mkdtemp(prefix="vs-crash.")
    ak = "VSCRASH%08X" % rng.randrange(1 << 32)
    sk = "%032x" % rng.randrange(1 << 128)
    server = harness.ServerProcess(os.path.join(tmp, "data"), os.path.join(tmp, "server.log"), ak, sk)
    model = Model()
    versions = {}
    try:
        for cycle in range(1, cycles + 1):
            try:
                endpoint = server.start()
            except RuntimeError as e:
                check("cycle %d: server restarts on the same data dir" % cycle, False, str(e))
                break
            s3 = s3_client(endpoint, ak, sk)
            if cycle == 1:
                try:
                    s3.create_bucket(Bucket=BUCKET)
                except ClientError as e:
                    check("create bucket", False, str(e))
                    break
            else:
                problems = []
                try:
                    s3.head_bucket(Bucket=BUCKET)
                    verify(s3, model, problems)
                except Exception:  # noqa: BLE001
                    problems.append(traceback.format_exc())
                check("cycle %d: after SIGKILL, every acknowledged write is there, "
                      "nothing torn or unacknowledged is visible (%d keys)"
                      % (cycle, len(model.committed)), not problems, "\n".join(problems[:20]))
                if problems:
                    break
            # Kill after a random number of acknowledgements, mid-flight.
            target = model.acks + rng.randint(3, 40)
            stop = threading.Event()
            threads = []
            for t in range(THREADS):
                trng = random.Random(rng.random())
                th = threading.Thread(target=writer, args=(
                    s3_client(endpoint, ak, sk), model, t, seed, trng, stop, versions), daemon=True)
                th.start()
                threads.append(th)
            # Bounded: 120 one-second waits; stop early if every writer died.
            with model.cond:
                for _ in range(120):
                    if model.cond.wait_for(lambda: model.acks >= target, timeout=1):
                        break
                    if not any(th.is_alive() for th in threads):
                        break
            reached = model.acks >= target
            rc = server.kill()
            stop.set()
            for th in threads:
                th.join(timeout=60)
            check("cycle %d: %d writes acknowledged before SIGKILL (exit %s)"
                  % (cycle, model.acks, rc), reached and not any(t.is_alive() for t in threads),
                  "the writers did not reach %d acknowledgements (they stopped, or 120 s passed)"
                  % target)
            if not reached:
                break
        else:
            # Last check, then a graceful stop.
            try:
                server.start()
                s3 = s3_client(server.endpoint, ak, sk)
                problems = []
                verify(s3, model, problems)
                check("final restart: every acknowledged write is there", not problems,
                      "\n".join(problems[:20]))
            except Exception:  # noqa: BLE001
                check("final restart", False, traceback.format_exc())
            rc = server.stop()
            check("server exits 0 on SIGTERM", rc == 0, "exit status %s" % rc)
    finally:
        server.kill()
        if failed:
            print("----- last lines of the server log")
            print(server.log_tail(80))
            print("-----")
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
