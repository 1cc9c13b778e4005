#!/usr/bin/env bash
# A cluster of one survives kill -9 during uploads (test_single.py).
exec "$(dirname "$0")/run.sh" test_single.py 120
