#!/bin/sh
# tests/check_object's suites on the Raft path: VERISTORE_TEST_STORE=raft
# makes the engine-backed test backend a store_raft cluster of one
# (tests/test_object_backend.c).  The crash suite runs its own local store
# on a simulated disk either way.
VERISTORE_TEST_STORE=raft exec ./tests/check_object
