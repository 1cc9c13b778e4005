# s3-conformance/: the real clients (aws-cli, boto3, s3cmd, rclone, curl)
# driving a freshly started veristore, plus the SIGKILL crash test.  Each
# script starts its own server on a free loopback port below 32768 with a
# fresh data dir, finds the binary at $(top_builddir)/veristore (exported by
# AM_TESTS_ENVIRONMENT), and ends with "N passed, N failed".  A missing
# client is a failure: ./bootstrap test installs them (test_pkgs).
# VERISTORE_CRASH_CYCLES raises the crash cycles; VERISTORE_BIN overrides
# the binary.
CONFORMANCE_TESTS = \
	s3-conformance/test_awscli.sh \
	s3-conformance/test_boto3.sh \
	s3-conformance/test_s3cmd.sh \
	s3-conformance/test_rclone.sh \
	s3-conformance/test_curl.sh \
	s3-conformance/test_crash.sh

# The scripts need the server: make check builds it first.
TESTS += $(CONFORMANCE_TESTS)
EXTRA_DIST += $(CONFORMANCE_TESTS) \
	s3-conformance/README.md \
	s3-conformance/lib.sh \
	s3-conformance/harness.py \
	s3-conformance/test_boto3.py \
	s3-conformance/test_crash.py
