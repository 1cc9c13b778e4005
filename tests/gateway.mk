# Tests of gateway/: see tests/local.mk.
