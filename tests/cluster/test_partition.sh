#!/usr/bin/env bash
# Five nodes: isolate the leader, then split 2/3 (test_partition.py).
exec "$(dirname "$0")/run.sh" test_partition.py 240
