"""test_followers.py -- followers killed with -9 and restarted catch up:
  1. under load, kill -9 a follower and restart it, twice;
  2. a follower down while 150 objects are written catches up by log
     (default --raft-snapshot-entries, so nothing is compacted);
  3. with --raft-snapshot-entries 40 the leader compacts its log past the
     dead follower's position, so the follower can only catch up by a
     snapshot: its snapshot_index after the restart is past where it was.
Every acknowledged object then reads back intact from the caught-up node."""

import time

import cluster as C


def followers(c):
    lid = c.wait_leader()
    return lid, [i for i in sorted(c.nodes) if i != lid]


def write_n(c, node, bucket, prefix, n, acked):
    s3 = c.s3(node)
    for k in range(n):
        body = ("%s-%d-" % (prefix, k)).encode() * (1 + k % 50)
        C.put_retry(s3, bucket, "%s-%d" % (prefix, k), body)
        acked["%s-%d" % (prefix, k)] = C.md5(body)


def restart_under_load(checks):
    with C.Cluster(3, tag="followers") as c:
        c.start()
        lid, fs = followers(c)
        C.ensure_bucket(c.s3(lid), "fol")
        up = C.Uploaders(c, "fol", [lid], threads=3, prefix="load").start()
        try:
            for r, f in enumerate(fs):
                before = len(up.acked)
                C.wait_until(lambda: len(up.acked) >= before + 15, 60, what="uploads")
                C.log("kill -9 follower %d under load" % f)
                c.kill(f)
                C.wait_until(lambda: len(up.acked) >= before + 40, 60,
                             what="uploads to go on with one follower down")
                c.restart(f)
        finally:
            up.stop()
        checks.ok(True, "writes went on with a follower down (%d acknowledged)"
                  % len(up.acked))
        idx = c.converged(sorted(c.nodes), timeout=60)
        checks.ok(True, "restarted followers caught up to index %d" % idx)
        C.verify_objects(c, "fol", up.acked, fs, checks, label="restart: ")

        # 2. far behind, by log: no snapshot is taken at the default 10000.
        lid, fs = followers(c)
        f = fs[0]
        c.kill(f)
        acked = {}
        write_n(c, lid, "fol", "behind", 150, acked)
        lead = c.status(lid)
        c.restart(f)
        idx = c.converged(sorted(c.nodes), timeout=60)
        st = c.status(f)
        checks.ok(st["applied"] >= lead["commit"],
                  "follower %d caught up by log: applied %d >= leader's commit %d "
                  "(leader snapshot_index %d)" % (f, st["applied"], lead["commit"],
                                                   lead.get("snapshot_index", -1)))
        C.verify_objects(c, "fol", acked, [f], checks, label="by log: ")


def catch_up_by_snapshot(checks):
    with C.Cluster(3, snapshot_entries=40, tag="snapshot") as c:
        c.start()
        lid, fs = followers(c)
        C.ensure_bucket(c.s3(lid), "snap")
        f = fs[0]
        acked = {}
        write_n(c, lid, "snap", "early", 10, acked)
        c.converged(sorted(c.nodes))
        was = c.status(f)
        c.kill(f)
        C.log("follower %d down at applied %d; writing until the leader's log "
              "starts past it" % (f, was["applied"]))
        write_n(c, lid, "snap", "late", 200, acked)
        lead = C.wait_until(
            lambda: (lambda s: s if s and s.get("first_index", 0) > was["applied"] + 1
                     else None)(c.status(lid)), 30,
            what="the leader to compact its log past the dead follower")
        checks.ok(True, "leader compacted: first_index %d, snapshot_index %d > "
                  "follower's applied %d" % (lead["first_index"], lead["snapshot_index"],
                                             was["applied"]))
        t0 = time.monotonic()
        c.restart(f)
        c.converged(sorted(c.nodes), timeout=90)
        st = c.status(f)
        checks.ok(st["snapshot_index"] > was["applied"],
                  "follower %d installed a snapshot (snapshot_index %d > %d) and "
                  "caught up in %.1f s" % (f, st["snapshot_index"], was["applied"],
                                           time.monotonic() - t0))
        C.verify_objects(c, "snap", acked, [f], checks, label="by snapshot: ")
        # And it keeps following after the install.
        more = {}
        write_n(c, lid, "snap", "after", 20, more)
        c.converged(sorted(c.nodes))
        C.verify_objects(c, "snap", more, [f], checks, label="after install: ")


def scenario(checks):
    restart_under_load(checks)
    catch_up_by_snapshot(checks)


if __name__ == "__main__":
    C.run_test(scenario)
