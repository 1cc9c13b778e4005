"""cluster.py -- real veristore processes as a cluster, for the multi-process
tests (tests/cluster/test_*.py), bench/cluster-demo and bench/clusterbench.

What it gives:
  Cluster(n)             n nodes (n == 1 and clustered=False: the plain
                         single-node veristore, no --node-id), each with its
                         own S3 and Raft port (free loopback ports below
                         32768) and data dir under one temp dir, the same
                         random credentials, VERISTORE_TEST_FAULTS=1.
  .start()               starts every node and waits until each answers.
  .wait_leader()         polls GET /_veristore/cluster (SigV4, botocore)
                         until a majority of the live nodes agree on a leader.
  .kill(i) / .term(i) / .restart(i)
                         kill -9 / SIGTERM / start again by PID, same ports
                         and data dir.
  .partition([{1},{2,3}]) / .isolate(i) / .heal()
                         through POST /_veristore/faults on each node.
  .add_node() / .admin_post(i, "add", ...)
                         a new node started with --join, added through the
                         admin API.
  .s3(i)                 a boto3 client for node i, retries off, bounded
                         timeouts.
  .close()               kills every process it started (by PID), removes
                         the temp dir; also registered with atexit.  On
                         failure, .dump_logs() prints each node's log tail.

Only the standard library, boto3 and botocore (Debian's python3-boto3) are
used, so /usr/bin/python3 runs it.  Every wait is bounded.  The binary is
$VERISTORE_BIN, else $top_builddir/veristore (make check exports it).
"""

import atexit
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

PORT_LOW, PORT_HIGH = 20000, 32767
HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    sys.stdout.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stdout.flush()


def build_dir():
    top = os.environ.get("top_builddir")
    if top:
        return os.path.abspath(top)
    # Run by hand from the source tree: the usual build dirs.
    src = os.path.abspath(os.path.join(HERE, "..", ".."))
    for name in ("build", "build-h"):
        if os.access(os.path.join(src, name, "veristore"), os.X_OK):
            return os.path.join(src, name)
    return os.path.join(src, "build")


def veristore_binary():
    return os.path.abspath(os.environ.get("VERISTORE_BIN") or
                           os.path.join(build_dir(), "veristore"))


def lincheck_binary():
    return os.path.join(build_dir(), "tests", "lincheck")


_taken_ports = set()


def free_port(rng=random.SystemRandom()):
    """A loopback port below 32768 that was free a moment ago and that this
    process has not handed out before (bounded: 400 candidates)."""
    for _ in range(400):
        port = rng.randint(PORT_LOW, PORT_HIGH)
        if port in _taken_ports:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        _taken_ports.add(port)
        return port
    raise RuntimeError("no free loopback port below 32768")


def md5(data):
    return hashlib.md5(data).hexdigest()


def wait_until(pred, timeout, interval=0.05, what="condition"):
    """Polls pred() until it returns a true value (returned) or timeout s
    pass (raises TimeoutError naming what)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


class Node:
    """One veristore process; tracked by PID only."""

    def __init__(self, cluster, node_id, join=False):
        self.cluster = cluster
        self.id = node_id
        self.s3_port = free_port()
        self.raft_port = free_port()
        self.dir = os.path.join(cluster.root, "n%d" % node_id)
        self.log_path = os.path.join(cluster.root, "n%d.log" % node_id)
        self.join = join
        self.proc = None
        self.starts = 0

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.s3_port

    @property
    def raft_addr(self):
        return "127.0.0.1:%d" % self.raft_port

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def argv(self):
        c = self.cluster
        a = [veristore_binary(), "--listen", "127.0.0.1:%d" % self.s3_port,
             "--data-dir", self.dir]
        if c.clustered:
            a += ["--node-id", str(self.id), "--raft-listen", self.raft_addr]
            # A node added later starts with --join (which excludes --peers)
            # every time: its membership is in its Raft state from then on.
            a += ["--join"] if self.join else ["--peers", c.peers_arg()]
            if c.tick_ms:
                a += ["--raft-tick-ms", str(c.tick_ms)]
            if c.snapshot_entries:
                a += ["--raft-snapshot-entries", str(c.snapshot_entries)]
        return a + list(c.extra_args)

    def start(self, wait=True):
        if self.alive:
            raise RuntimeError("node %d already running" % self.id)
        os.makedirs(self.dir, exist_ok=True)
        env = dict(os.environ, VERISTORE_ACCESS_KEY=self.cluster.access_key,
                   VERISTORE_SECRET_KEY=self.cluster.secret_key,
                   VERISTORE_TEST_FAULTS="1")
        for k in ("VERISTORE_CONFIG", "VERISTORE_LISTEN", "VERISTORE_DATA_DIR",
                  "VERISTORE_NODE_ID", "VERISTORE_PEERS", "VERISTORE_RAFT_LISTEN"):
            env.pop(k, None)
        argv = self.argv()
        with open(self.log_path, "ab") as lf:
            lf.write(("=== harness: start #%d: %s\n" % (self.starts + 1, " ".join(argv))).encode())
            lf.flush()
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=lf,
                                         stderr=lf, env=env)
        self.starts += 1
        if wait:
            self.wait_answers()
        return self

    def answers(self):
        try:
            urllib.request.urlopen(self.endpoint + "/", timeout=1)
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            return False
        return True

    def wait_answers(self, timeout=15):
        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("node %d exited at start (status %s)"
                                   % (self.id, self.proc.returncode))
            return self.answers()
        wait_until(up, timeout, what="node %d to answer HTTP" % self.id)

    def kill(self):
        """kill -9 by PID and reap; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        try:
            rc = self.proc.wait(timeout=30)
        finally:
            self.proc = None
        return rc

    def term(self, timeout=30):
        """SIGTERM by PID, wait up to timeout, then SIGKILL."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return self.kill()
        self.proc = None
        return rc

    def log_tail(self, lines=40):
        """The last lines of the node's log, without the harness's own
        status polls (GET /_veristore/cluster), which would drown the rest."""
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no log)"
        data = [ln for ln in data if "GET /_veristore/cluster " not in ln]
        return "\n".join(data[-lines:])


class Cluster:
    def __init__(self, n=3, clustered=True, tick_ms=None, snapshot_entries=None,
                 extra_args=(), tag="cluster", keep=False):
        if not clustered and n != 1:
            raise ValueError("an unclustered run is one node")
        self.clustered = clustered
        self.tick_ms = tick_ms
        self.snapshot_entries = snapshot_entries
        self.extra_args = list(extra_args)
        self.keep = keep or os.environ.get("VERISTORE_KEEP_TMP") == "1"
        self.root = tempfile.mkdtemp(prefix="vs-%s." % tag,
                                     dir=os.environ.get("TMPDIR") or "/tmp")
        rng = random.SystemRandom()
        self.access_key = "AK" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                                         for _ in range(18))
        self.secret_key = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                                  for _ in range(40))
        self.nodes = {}
        for i in range(1, n + 1):
            self.nodes[i] = Node(self, i)
        self.voters = set(self.nodes)   # the initial --peers list
        self._closed = False
        atexit.register(self.close)

    # ---- lifecycle --------------------------------------------------

    def peers_arg(self):
        return ",".join("%d=%s" % (i, self.nodes[i].raft_addr) for i in sorted(self.voters))

    def start(self):
        for nd in self.nodes.values():
            nd.start(wait=False)
        for nd in self.nodes.values():
            nd.wait_answers()
        return self

    def node(self, i):
        return self.nodes[i]

    def live(self):
        return [i for i, nd in sorted(self.nodes.items()) if nd.alive]

    def kill(self, i):
        return self.nodes[i].kill()

    def term(self, i):
        return self.nodes[i].term()

    def restart(self, i, wait=True):
        nd = self.nodes[i]
        if nd.alive:
            nd.kill()
        return nd.start(wait=wait)

    def close(self):
        if self._closed:
            return
        self._closed = True
        for nd in self.nodes.values():
            try:
                nd.kill()
            except Exception as e:  # noqa: BLE001 -- cleanup goes on
                log("cleanup: node %d: %r" % (nd.id, e))
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            log("kept %s" % self.root)

    def __enter__(self):
        return self

    def __exit__(self, etype, e, tb):
        if etype is not None:
            self.dump_logs()
        self.close()
        return False

    def dump_logs(self, lines=40):
        for nd in self.nodes.values():
            sys.stdout.write("----- node %d log tail (%s)\n%s\n" %
                             (nd.id, "alive" if nd.alive else "down", nd.log_tail(lines)))
        sys.stdout.flush()

    # ---- signed requests --------------------------------------------

    def request(self, i, method, path, query=None, body=b"", timeout=10):
        """A SigV4-signed request to node i; returns (status, body bytes).
        status 0 when the node did not answer."""
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        url = self.nodes[i].endpoint + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        req = AWSRequest(method=method, url=url, data=body)
        S3SigV4Auth(Credentials(self.access_key, self.secret_key), "s3",
                    "us-east-1").add_auth(req)
        p = req.prepare()
        raw = urllib.request.Request(p.url, data=body if body else None, method=method,
                                     headers=dict(p.headers.items()))
        try:
            with urllib.request.urlopen(raw, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except (urllib.error.URLError, OSError):
            return 0, b""

    def status(self, i, timeout=3):
        """Node i's GET /_veristore/cluster as a dict, or None."""
        if not self.nodes[i].alive:
            return None
        st, body = self.request(i, "GET", "/_veristore/cluster", timeout=timeout)
        if st != 200:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return None

    def admin_post(self, i, verb, timeout=60, **query):
        """POST /_veristore/cluster/VERB?query on node i; (status, text)."""
        st, body = self.request(i, "POST", "/_veristore/cluster/" + verb,
                                query={k: str(v) for k, v in query.items()},
                                timeout=timeout)
        return st, body.decode("utf-8", "replace")

    def admin_change(self, verb, timeout=90, **query):
        """A membership change through the leader: starts at the current
        leader, follows 421 {"leader":N} to the node named, and retries 409
        (another change in flight), 503 and no answer until timeout.
        Returns (status, text) of the last answer."""
        deadline = time.monotonic() + timeout
        via, st, text = None, 0, ""
        for _ in range(1000):
            if via is None or not self.nodes.get(via) or not self.nodes[via].alive:
                via = self.leader_view()
            if via is not None:
                left = max(1.0, deadline - time.monotonic())
                st, text = self.admin_post(via, verb, timeout=left, **query)
                if st == 200:
                    return st, text
                if st == 421:
                    try:
                        via = json.loads(text).get("leader") or None
                    except ValueError:
                        via = None
                    continue
                if st not in (0, 409, 503):
                    return st, text
                via = None
            if time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        return st, text

    def leader_view(self, among=None):
        """The leader a majority of the live nodes among `among` agree on
        (and which itself says it leads), or None."""
        ids = [i for i in (among or self.live()) if self.nodes[i].alive]
        sts = {i: self.status(i) for i in ids}
        votes = {}
        for i, s in sts.items():
            if s and s.get("leader"):
                votes[s["leader"]] = votes.get(s["leader"], 0) + 1
        for lid, cnt in votes.items():
            s = sts.get(lid)
            if cnt * 2 > len(ids) and s and s.get("role") == "leader":
                return lid
        return None

    def wait_leader(self, timeout=20, among=None, exclude=()):
        def pred():
            lid = self.leader_view(among)
            return lid if lid and lid not in exclude else None
        return wait_until(pred, timeout, interval=0.05, what="a leader")

    def wait_applied(self, ids, index, timeout=30):
        """Until every node in ids has applied at least index."""
        def pred():
            for i in ids:
                s = self.status(i)
                if not s or s.get("applied", 0) < index:
                    return False
            return True
        wait_until(pred, timeout, interval=0.1,
                   what="nodes %s to apply index %d" % (list(ids), index))

    def converged(self, ids, timeout=30):
        """Until every node in ids reports the same applied index as the
        leader's commit; returns that index."""
        def pred():
            sts = [self.status(i) for i in ids]
            if not all(sts):
                return None
            lead = [s for s in sts if s.get("role") == "leader"]
            target = lead[0]["commit"] if lead else max(s["commit"] for s in sts)
            if all(s["applied"] >= target for s in sts):
                return target
            return None
        return wait_until(pred, timeout, interval=0.1,
                          what="nodes %s to converge" % list(ids))

    # ---- faults -------------------------------------------------------

    def fault(self, i, peer, drop):
        st, body = self.request(i, "POST", "/_veristore/faults",
                                query={"peer": str(peer), "drop": drop}, timeout=5)
        if st not in (200, 204):
            raise RuntimeError("fault switch on node %d (peer %d drop %s): HTTP %d %s"
                               % (i, peer, drop, st, body[:200]))

    def partition(self, groups):
        """Cuts every link between nodes of different groups, both ways,
        on both ends (each node drops what it sends and receives)."""
        where = {}
        for g, members in enumerate(groups):
            for m in members:
                where[m] = g
        for a in self.live():
            for b in self.nodes:
                if a != b and a in where and b in where and where[a] != where[b]:
                    self.fault(a, b, "both")

    def isolate(self, i):
        rest = set(self.nodes) - {i}
        self.partition([{i}, rest])

    def heal(self):
        for a in self.live():
            for b in self.nodes:
                if a != b:
                    self.fault(a, b, "none")

    # ---- membership -----------------------------------------------------

    def new_node(self):
        """A node object with the next id (not started)."""
        i = max(self.nodes) + 1
        nd = Node(self, i, join=True)
        self.nodes[i] = nd
        return nd

    def add_node(self, via=None, promote=True, timeout=60):
        """Starts a new node with --join and adds it through the admin API
        of node `via` (default: the leader).  Returns (node, status, text)."""
        nd = self.new_node().start()
        q = {"id": nd.id, "addr": nd.raft_addr}
        if promote:
            q["promote"] = 1
        if via is None:
            st, text = self.admin_change("add", timeout=timeout, **q)
        else:
            st, text = self.admin_post(via, "add", timeout=timeout, **q)
        return nd, st, text

    # ---- S3 clients -----------------------------------------------------

    def s3(self, i, read_timeout=15, connect_timeout=3):
        import boto3
        from botocore.config import Config
        cfg = Config(retries={"max_attempts": 0, "mode": "standard"},
                     connect_timeout=connect_timeout, read_timeout=read_timeout,
                     s3={"addressing_style": "path"}, max_pool_connections=32)
        return boto3.client("s3", endpoint_url=self.nodes[i].endpoint,
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key,
                            region_name="us-east-1", config=cfg)

    def aws_env(self):
        """Environment for aws-cli against this cluster (config in the temp
        dir, nothing read from $HOME)."""
        cfgdir = os.path.join(self.root, "aws")
        os.makedirs(cfgdir, exist_ok=True)
        cfg = os.path.join(cfgdir, "config")
        with open(cfg, "w") as f:
            f.write("[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n")
        return dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key,
                    AWS_SECRET_ACCESS_KEY=self.secret_key, AWS_CONFIG_FILE=cfg,
                    AWS_SHARED_CREDENTIALS_FILE=os.path.join(cfgdir, "none"),
                    AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="1",
                    AWS_RETRY_MODE="standard", AWS_EC2_METADATA_DISABLED="true")


# ---- outcomes of S3 calls ---------------------------------------------------

def classify(exc):
    """An exception from a boto3 call as 'fail' (definitely no effect: a 4xx
    refusal) or 'unknown' (503, 5xx, timeout, dropped connection)."""
    from botocore.exceptions import ClientError
    if isinstance(exc, ClientError):
        st = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if 400 <= st < 500:
            return "fail"
    return "unknown"


def error_code(exc):
    from botocore.exceptions import ClientError
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "?")
    return type(exc).__name__


def ensure_bucket(client, bucket, timeout=30):
    """Creates bucket, retrying 503s and timeouts (bounded)."""
    from botocore.exceptions import ClientError

    def attempt():
        try:
            client.create_bucket(Bucket=bucket)
            return True
        except ClientError as e:
            if error_code(e) in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                return True
            if classify(e) == "fail":
                raise          # a refusal will not change by retrying
            return False
        except Exception:  # noqa: BLE001 -- timeouts: try again
            return False
    wait_until(attempt, timeout, interval=0.2, what="bucket %s to be created" % bucket)


def put_retry(client, bucket, key, body, timeout=30):
    """PUT until acknowledged (bounded); returns seconds it took."""
    t0 = time.monotonic()

    def attempt():
        try:
            client.put_object(Bucket=bucket, Key=key, Body=body)
            return True
        except Exception:  # noqa: BLE001 -- 503 or timeout: retry
            return False
    wait_until(attempt, timeout, interval=0.05, what="PUT %s/%s" % (bucket, key))
    return time.monotonic() - t0


def get_md5(client, bucket, key):
    """MD5 of the object's body, or None when absent."""
    from botocore.exceptions import ClientError
    try:
        r = client.get_object(Bucket=bucket, Key=key)
    except ClientError as e:
        if error_code(e) == "NoSuchKey":
            return None
        raise
    return md5(r["Body"].read())


class History:
    """A thread-safe recorder of operations in tests/lincheck's format."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.lines = []
        self.counts = {"ok": 0, "fail": 0, "unknown": 0}

    @staticmethod
    def now():
        return time.monotonic_ns()

    def record(self, client, op, key, value, call, ret, outcome, result=None):
        ret = max(ret, call + 1)
        line = "%d %s %s %s %d %s %s" % (client, op, key, value or "-", call,
                                          "-" if outcome == "unknown" else ret, outcome)
        if result is not None:
            line += " " + result
        with self.lock:
            self.lines.append(line)
            self.counts[outcome] += 1

    def check(self, budget=None):
        """Writes the history and runs tests/lincheck; returns (exit status,
        its output)."""
        with self.lock, open(self.path, "w") as f:
            f.write("# client op key value call_ns ret_ns outcome result\n")
            f.write("\n".join(self.lines) + "\n")
        argv = [lincheck_binary(), self.path]
        if budget:
            argv[1:1] = ["--budget", str(budget)]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=300)
        return p.returncode, p.stdout.decode("utf-8", "replace")


class Checks:
    """Counts named checks; .finish() prints 'N passed, N failed' and
    returns the exit status."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def ok(self, cond, name, detail=""):
        if cond:
            self.passed += 1
            log("ok: " + name)
        else:
            self.failed.append(name)
            log("FAIL: %s %s" % (name, detail))
        return cond

    def finish(self):
        print("%d passed, %d failed" % (self.passed, len(self.failed)))
        for n in self.failed:
            print("  failed: " + n)
        return 0 if not self.failed else 1


# ---- workloads -----------------------------------------------------------------

class Uploaders:
    """Concurrent boto3 uploaders: thread t PUTs keys PREFIX-t-i with random
    bodies, each key retried (same body) until acknowledged, rotating to the
    next node after a failure so that a dead node does not stop a thread.
    .acked maps every acknowledged key to the MD5 of its body.  Bounded by
    max_per_thread and by stop()."""

    def __init__(self, cluster, bucket, nodes, threads=4, size_min=1024,
                 size_max=64 * 1024, prefix="up", max_per_thread=100000):
        self.cluster = cluster
        self.bucket = bucket
        self.nodes = list(nodes)
        self.threads = threads
        self.size_min, self.size_max = size_min, size_max
        self.prefix = prefix
        self.max_per_thread = max_per_thread
        self.acked = {}
        self.ack_times = []
        self.errors = {}
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.workers = []

    def _run(self, t):
        rng = random.Random(t * 7919 + 17)
        pos = t % len(self.nodes)
        clients = {}
        i = 0
        while i < self.max_per_thread and not self.stop_ev.is_set():
            key = "%s-%d-%d" % (self.prefix, t, i)
            body = rng.randbytes(rng.randint(self.size_min, self.size_max))
            digest = md5(body)
            for _attempt in range(10000):
                if self.stop_ev.is_set():
                    return
                node = self.nodes[pos % len(self.nodes)]
                if node not in clients:
                    clients[node] = self.cluster.s3(node, read_timeout=10)
                try:
                    clients[node].put_object(Bucket=self.bucket, Key=key, Body=body)
                except Exception as e:  # noqa: BLE001 -- counted, retried
                    with self.lock:
                        c = error_code(e)
                        self.errors[c] = self.errors.get(c, 0) + 1
                    pos += 1
                    self.stop_ev.wait(0.05)
                    continue
                with self.lock:
                    self.acked[key] = digest
                    self.ack_times.append(time.monotonic())
                break
            i += 1

    def start(self):
        for t in range(self.threads):
            th = threading.Thread(target=self._run, args=(t,), daemon=True)
            th.start()
            self.workers.append(th)
        return self

    def acks_since(self, t0):
        with self.lock:
            return sum(1 for t in self.ack_times if t >= t0)

    def stop(self, timeout=30):
        self.stop_ev.set()
        for th in self.workers:
            th.join(timeout)
        return not any(th.is_alive() for th in self.workers)


def verify_objects(cluster, bucket, acked, nodes, checks, label=""):
    """Every acknowledged object reads back with its MD5 from every node."""
    for i in nodes:
        s3 = cluster.s3(i, read_timeout=20)
        bad = []
        for key, digest in sorted(acked.items()):
            got = None
            for _attempt in range(50):   # a 503 while a leader settles: retry
                try:
                    got = get_md5(s3, bucket, key)
                    break
                except Exception as e:  # noqa: BLE001
                    got = "error " + error_code(e)
                    time.sleep(0.1)
            if got != digest:
                bad.append("%s: %s" % (key, got))
        checks.ok(not bad, "%s%d acknowledged objects intact on node %d"
                  % (label, len(acked), i), "; ".join(bad[:5]))


def cluster_supported():
    """True when the veristore binary has the clustering flags."""
    try:
        out = subprocess.run([veristore_binary(), "--help"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"--node-id" in out and b"--peers" in out


def run_test(body, needs_cluster=True):
    """The main of a test_*.py: body(checks) runs the scenario; any
    exception is a failure (each cluster it made prints its logs through
    the `with` block).  Exit 0 pass, 1 fail, 77 skip (the binary cannot
    cluster yet -- reported as SKIP by make check, never as a pass)."""
    if needs_cluster and not cluster_supported():
        print("SKIP: %s has no --node-id/--peers (clustering not built in)"
              % veristore_binary())
        sys.exit(77)
    # timeout(1) sends SIGTERM: exit through atexit, which kills the nodes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    checks = Checks()
    t0 = time.monotonic()
    try:
        body(checks)
    except Exception as e:  # noqa: BLE001 -- reported as a failure
        import traceback
        traceback.print_exc(file=sys.stdout)
        checks.ok(False, "scenario ran to the end", repr(e))
    log("took %.1f s" % (time.monotonic() - t0))
    sys.exit(checks.finish())
