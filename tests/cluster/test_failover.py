"""test_failover.py -- kill -9 the leader during concurrent uploads by
boto3 (threads spread over every node) and aws-cli: a new leader is
elected, uploads resume, the old leader restarts and catches up, and every
acknowledged object reads back intact (MD5) from every node.  Three nodes,
two kills (the second of the newly elected leader)."""

import os
import subprocess
import threading
import time

import cluster as C

# Debian's aws-cli (package awscli) when present, else the one on PATH.
AWS = "/usr/bin/aws" if os.access("/usr/bin/aws", os.X_OK) else "aws"


class AwsCliUploader:
    """aws-cli (s3api put-object) in a loop against the nodes in turn; each
    key retried until acknowledged; .acked maps key -> MD5."""

    def __init__(self, c, bucket, nodes):
        self.c, self.bucket, self.nodes = c, bucket, list(nodes)
        self.acked = {}
        self.failures = 0
        self.stop_ev = threading.Event()
        self.th = threading.Thread(target=self._run, daemon=True)
        self.env = c.aws_env()

    def _run(self):
        pos = 0
        for i in range(10000):
            if self.stop_ev.is_set():
                return
            path = os.path.join(self.c.root, "awscli-%d" % i)
            body = os.urandom(8192 + i)
            with open(path, "wb") as f:
                f.write(body)
            key = "awscli-%d" % i
            for _attempt in range(200):
                if self.stop_ev.is_set():
                    return
                node = self.nodes[pos % len(self.nodes)]
                try:
                    p = subprocess.run(
                        [AWS, "--endpoint-url", self.c.nodes[node].endpoint,
                         "--cli-read-timeout", "10", "--cli-connect-timeout", "3",
                         "s3api", "put-object", "--bucket", self.bucket, "--key", key,
                         "--body", path], env=self.env, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL, timeout=40)
                    ok = p.returncode == 0
                except subprocess.TimeoutExpired:
                    ok = False
                if ok:
                    self.acked[key] = C.md5(body)
                    break
                self.failures += 1
                pos += 1
            os.unlink(path)

    def start(self):
        self.th.start()
        return self

    def stop(self):
        self.stop_ev.set()
        self.th.join(120)


def kill_leader_once(c, up, cli, checks, round_no):
    leader = c.wait_leader(timeout=20)
    before = len(up.acked)
    C.wait_until(lambda: len(up.acked) >= before + 20, 60,
                 what="20 more uploads before the kill")
    C.log("round %d: kill -9 leader %d (%d objects acknowledged so far)"
          % (round_no, leader, len(up.acked) + len(cli.acked)))
    t_kill = time.monotonic()
    c.kill(leader)
    new = c.wait_leader(timeout=20, exclude=(leader,))
    t_new = time.monotonic()
    checks.ok(new != leader, "round %d: a new leader (%d) elected in %.2f s"
              % (round_no, new, t_new - t_kill))
    C.wait_until(lambda: up.acks_since(t_new) >= 20, 60,
                 what="uploads to resume under the new leader")
    checks.ok(True, "round %d: uploads resumed (%d acknowledged since)"
              % (round_no, up.acks_since(t_new)))
    c.restart(leader)
    return leader


def scenario(checks):
    with C.Cluster(3, tag="failover") as c:
        c.start()
        c.wait_leader(timeout=30)
        C.ensure_bucket(c.s3(1), "failover")
        up = C.Uploaders(c, "failover", sorted(c.nodes), threads=6).start()
        cli = AwsCliUploader(c, "failover", sorted(c.nodes)).start()
        try:
            for r in (1, 2):
                kill_leader_once(c, up, cli, checks, r)
            C.wait_until(lambda: len(cli.acked) >= 3, 120,
                         what="aws-cli uploads acknowledged")
        finally:
            up.stop()
            cli.stop()
        C.log("stopped: %d boto3 and %d aws-cli objects acknowledged; errors seen %s"
              % (len(up.acked), len(cli.acked), up.errors))
        checks.ok(len(cli.acked) >= 3, "aws-cli uploads acknowledged (%d)" % len(cli.acked))
        idx = c.converged(sorted(c.nodes), timeout=60)
        checks.ok(True, "all 3 nodes applied commit index %d" % idx)
        acked = dict(up.acked)
        acked.update(cli.acked)
        C.verify_objects(c, "failover", acked, sorted(c.nodes), checks)


if __name__ == "__main__":
    C.run_test(scenario)
