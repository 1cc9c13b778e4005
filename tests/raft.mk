# Tests of raft/: see tests/local.mk.
