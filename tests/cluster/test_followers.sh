#!/usr/bin/env bash
# Followers killed and restarted catch up by log and by snapshot (test_followers.py).
exec "$(dirname "$0")/run.sh" test_followers.py 240
