#!/usr/bin/env bash
# kill -9 the leader during concurrent boto3 and aws-cli uploads (test_failover.py).
exec "$(dirname "$0")/run.sh" test_failover.py 240
