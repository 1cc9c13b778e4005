#!/usr/bin/env bash
# A faulted concurrent S3 workload, its history checked by tests/lincheck (test_linearizable.py).
exec "$(dirname "$0")/run.sh" test_linearizable.py 180
