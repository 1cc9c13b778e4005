#!/usr/bin/env bash
# Add a node under load, transfer, remove one, replace a dead one (test_membership.py).
exec "$(dirname "$0")/run.sh" test_membership.py 240
