"""test_single.py -- a cluster of one (no --node-id: the plain veristore
command line) survives kill -9 during concurrent uploads: after a restart
every acknowledged object reads back intact.  Runs with or without the
clustering code (it is the same code path, issue 5), so it also checks the
harness itself: start, kill -9 by PID, restart on the same data dir."""

import time

import cluster as C


def scenario(checks):
    with C.Cluster(1, clustered=False, tag="single") as c:
        c.start()
        s3 = c.s3(1)
        C.ensure_bucket(s3, "single")
        acked = {}
        for cycle in range(3):
            up = C.Uploaders(c, "single", [1], threads=4, prefix="c%d" % cycle).start()
            C.wait_until(lambda: len(up.acked) >= 20, 30, what="20 acknowledged uploads")
            c.kill(1)
            up.stop()
            C.log("cycle %d: killed with %d uploads acknowledged" % (cycle, len(up.acked)))
            c.restart(1)
            acked.update(up.acked)   # earlier cycles' objects must survive too
            C.verify_objects(c, "single", acked, [1], checks,
                             label="cycle %d: " % cycle)
        t0 = time.monotonic()
        c.term(1)
        checks.ok(time.monotonic() - t0 < 30, "SIGTERM stops the node")


if __name__ == "__main__":
    C.run_test(scenario, needs_cluster=False)
