# Tests of engine/: see tests/local.mk.
