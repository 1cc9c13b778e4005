"""test_membership.py -- membership changes on a running three-node
cluster, all under a boto3 upload load:
  1. add node 4 (starts with --join; POST /_veristore/cluster/add ...
     &promote=1): it catches up, becomes a voter, serves every object;
  2. transfer leadership to node 4 (POST .../transfer?id=4);
  3. remove a follower (POST .../remove?id=N): it leaves the member list
     and writes go on;
  4. replace a dead node: kill -9 another follower, remove it, add node 5:
     the cluster is back to three healthy voters and node 5 has every
     acknowledged object."""


import cluster as C

BUCKET = "members"


def members(c, via):
    st = c.status(via)
    return {m["id"]: m for m in st["members"]} if st else {}


def check_post(checks, c, verb, what, **q):
    st, text = c.admin_change(verb, timeout=90, **q)
    checks.ok(st == 200, "%s (POST %s %s -> %d)" % (what, verb, q, st), text[:300])
    return st == 200


def wait_voter(c, nid, timeout=60):
    def pred():
        lid = c.leader_view()
        if not lid:
            return False
        m = members(c, lid).get(nid)
        return m is not None and not m.get("learner", True)
    C.wait_until(pred, timeout, interval=0.1, what="node %d to be a voter" % nid)


def scenario(checks):
    with C.Cluster(3, tag="members") as c:
        c.start()
        lid = c.wait_leader(timeout=30)
        C.ensure_bucket(c.s3(lid), BUCKET)
        up = C.Uploaders(c, BUCKET, [1, 2, 3], threads=3).start()
        try:
            C.wait_until(lambda: len(up.acked) >= 30, 60, what="uploads before the add")
            # 1. add under load
            n4, st, text = c.add_node(promote=True, timeout=90)
            checks.ok(st == 200, "add node 4 under load (HTTP %d)" % st, text[:300])
            wait_voter(c, 4)
            checks.ok(True, "node 4 promoted to voter")
            # 2. transfer
            lid = c.wait_leader()
            check_post(checks, c, "transfer", "leadership transfer to node 4", id=4)
            C.wait_until(lambda: c.leader_view() == 4, 20, what="node 4 to lead")
            checks.ok(True, "node 4 leads")
            # 3. remove a follower
            gone = [i for i in (1, 2, 3) if i != c.wait_leader()][0]
            before = len(up.acked)
            check_post(checks, c, "remove", "remove node %d" % gone, id=gone)
            C.wait_until(lambda: gone not in members(c, c.wait_leader()), 20,
                         what="node %d out of the member list" % gone)
            c.term(gone)
            up.nodes = [i for i in up.nodes if i != gone] + [4]
            C.wait_until(lambda: len(up.acked) >= before + 20, 60,
                         what="uploads to go on after the removal")
            checks.ok(True, "node %d removed; writes go on" % gone)
            # 4. replace a dead node
            lid = c.wait_leader()
            dead = [i for i in sorted(c.nodes) if c.nodes[i].alive and i != lid][0]
            C.log("kill -9 node %d, then replace it" % dead)
            c.kill(dead)
            up.nodes = [i for i in up.nodes if i != dead]
            check_post(checks, c, "remove", "remove dead node %d" % dead, id=dead)
            n5, st, text = c.add_node(promote=True, timeout=90)
            checks.ok(st == 200, "add node 5 in its place (HTTP %d)" % st, text[:300])
            wait_voter(c, 5)
            before = len(up.acked)
            C.wait_until(lambda: len(up.acked) >= before + 20, 60,
                         what="uploads after the replacement")
        finally:
            up.stop()
        lid = c.wait_leader()
        ms = members(c, lid)
        voters = sorted(i for i, m in ms.items() if not m.get("learner"))
        checks.ok(len(voters) == 3 and gone not in ms and dead not in ms,
                  "three voters %s, removed nodes gone" % voters, str(ms))
        live = [i for i in sorted(c.nodes) if c.nodes[i].alive]
        c.converged(live, timeout=60)
        healthy = all(ms[i].get("healthy", False) for i in voters)
        checks.ok(healthy, "every member healthy in the leader's view", str(ms))
        C.verify_objects(c, BUCKET, up.acked, [5, 4], checks)


if __name__ == "__main__":
    C.run_test(scenario)
