# Tests of xml/: see tests/local.mk.
