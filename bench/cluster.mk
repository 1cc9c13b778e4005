# Cluster scripts (issue 5; see bench/README.md, "Cluster"): bench/cluster-demo
# narrates a three-node cluster through a leader crash; bench/clusterbench
# measures three nodes against one in the same run (with bench/s3bench and
# bench/http_ceiling, built by gateway.mk).  Both use tests/cluster/cluster.py.
# Run from a build dir; never run by make check: a benchmark is not a test.
EXTRA_DIST += bench/cluster-demo bench/clusterbench
