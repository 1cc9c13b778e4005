"""test_partition.py -- five nodes, partitions made with the transport's
test-only fault switch (POST /_veristore/faults, enabled by
VERISTORE_TEST_FAULTS=1):
  A. the leader isolated from the other four;
  B. a 2/3 split with the leader on the side of two.
Each time: the majority elects a leader and commits; on the minority side
a write never succeeds (503 or timeout, never 200), a read never returns
the value the majority has since replaced (no stale read), and the
minority's commit index does not move; after healing every node converges
and reads the majority's value."""

import threading
import time

import cluster as C

BUCKET = "part"
KEY = "the-key"


def get_value(s3, key):
    r = s3.get_object(Bucket=BUCKET, Key=key)
    return r["Body"].read().decode()


def probe_minority(c, nodes, stale, tag, results):
    """From each minority node, concurrently: 3 PUTs and 3 GETs.  Records
    (node, op, outcome) in results; outcome is 'ok:VALUE' or an error."""
    def one(node, k):
        # Longer than the node's propose timeout (10 s, raft/node.h), so the
        # answer is seen: 503 ServiceUnavailable, never 200.
        s3 = c.s3(node, read_timeout=14, connect_timeout=2)
        body = "%s-minority-%d-%d" % (tag, node, k)
        try:
            s3.put_object(Bucket=BUCKET, Key="%s-m-%d-%d" % (tag, node, k), Body=body.encode())
            results.append((node, "put", "ok"))
        except Exception as e:  # noqa: BLE001 -- what we expect
            results.append((node, "put", C.error_code(e)))
        try:
            results.append((node, "get", "ok:" + get_value(s3, KEY)))
        except Exception as e:  # noqa: BLE001
            results.append((node, "get", C.error_code(e)))
    ths = [threading.Thread(target=one, args=(n, k), daemon=True)
           for n in nodes for k in range(3)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(60)


def split(c, checks, minority, tag, old_value):
    majority = sorted(set(c.nodes) - set(minority))
    C.log("%s: partition minority %s | majority %s" % (tag, sorted(minority), majority))
    c.partition([set(minority), set(majority)])
    t0 = time.monotonic()
    new = c.wait_leader(timeout=30, among=majority)
    checks.ok(new in majority, "%s: majority elected leader %d in %.2f s"
              % (tag, new, time.monotonic() - t0))
    new_value = "%s-majority-value" % tag
    C.put_retry(c.s3(new), BUCKET, KEY, new_value.encode())
    checks.ok(get_value(c.s3(majority[-1]), KEY) == new_value,
              "%s: majority committed and reads the new value" % tag)
    commit_before = {i: c.status(i)["commit"] for i in minority}
    results = []
    probe_minority(c, minority, old_value, tag, results)
    puts = [r for r in results if r[1] == "put"]
    gets = [r for r in results if r[1] == "get"]
    checks.ok(puts and all(r[2] in ("ServiceUnavailable", "ReadTimeoutError") for r in puts),
              "%s: minority writes all failed (%s)" % (tag, sorted(set(r[2] for r in puts))),
              str(puts))
    stale = [r for r in gets if r[2] == "ok:" + old_value]
    checks.ok(not stale, "%s: no stale read on the minority (%s)"
              % (tag, sorted(set(r[2] for r in gets))), str(stale))
    commit_after = {i: c.status(i)["commit"] for i in minority}
    checks.ok(commit_after == commit_before,
              "%s: minority commit index unchanged %s" % (tag, commit_after),
              "before %s" % commit_before)
    leaked = []
    for n in minority:
        for k in range(3):
            try:
                c.s3(majority[0]).head_object(Bucket=BUCKET, Key="%s-m-%d-%d" % (tag, n, k))
                leaked.append((n, k))
            except Exception:  # noqa: BLE001 -- absent, as it must be
                pass
    checks.ok(not leaked, "%s: no minority write visible on the majority" % tag, str(leaked))
    c.heal()
    C.log("%s: healed" % tag)
    idx = c.converged(sorted(c.nodes), timeout=60)
    checks.ok(True, "%s: all 5 nodes converged at index %d" % (tag, idx))
    for i in sorted(c.nodes):
        v = None
        for _ in range(50):
            try:
                v = get_value(c.s3(i), KEY)
                break
            except Exception:  # noqa: BLE001 -- 503 while settling
                time.sleep(0.1)
        checks.ok(v == new_value, "%s: node %d reads the majority's value" % (tag, i), repr(v))
    return new_value


def scenario(checks):
    with C.Cluster(5, tag="partition") as c:
        c.start()
        lid = c.wait_leader(timeout=30)
        C.ensure_bucket(c.s3(lid), BUCKET)
        C.put_retry(c.s3(lid), BUCKET, KEY, b"initial")
        c.converged(sorted(c.nodes))
        value = split(c, checks, [lid], "isolate-leader", "initial")
        lid = c.wait_leader(timeout=30)
        other = [i for i in sorted(c.nodes) if i != lid][0]
        split(c, checks, [lid, other], "split-2-3", value)


if __name__ == "__main__":
    C.run_test(scenario)
