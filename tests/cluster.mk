# Issue 5's multi-process cluster tests and their history checker.
#
# tests/lincheck: the command-line linearizability checker the cluster tests
# feed their recorded S3 histories to (format in tests/lincheck.h); it is
# built on tests/liblinearizability.a (tests/raft_sim.mk).  Its own Check
# program tests the parser and the verdicts.
noinst_LIBRARIES += tests/liblincheck.a
tests_liblincheck_a_SOURCES = tests/lincheck.c tests/lincheck.h

check_PROGRAMS += tests/lincheck
tests_lincheck_SOURCES = tests/lincheck_main.c
tests_lincheck_LDADD = tests/liblincheck.a tests/liblinearizability.a

check_PROGRAMS += tests/check_lincheck
TESTS += tests/check_lincheck
tests_check_lincheck_SOURCES = tests/check_lincheck.c \
	tests/test_lincheck_verdict.c
tests_check_lincheck_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_lincheck_LDADD = tests/liblincheck.a tests/liblinearizability.a \
	tests/libtestutil.a $(CHECK_LIBS)

TESTS += tests/cluster/check_lincheck_cli.sh
EXTRA_DIST += tests/cluster/check_lincheck_cli.sh

# Multi-process tests with real veristore processes on loopback
# (tests/cluster/README.md): each test_*.sh runs its test_*.py through
# run.sh with Debian's /usr/bin/python3 and python3-boto3, bounded by
# timeout(1).  They need the veristore binary: make check builds it first.
# While the binary has no clustering flags they exit 77 (SKIP).
CLUSTER_TESTS = \
	tests/cluster/test_single.sh \
	tests/cluster/test_failover.sh \
	tests/cluster/test_followers.sh \
	tests/cluster/test_partition.sh \
	tests/cluster/test_linearizable.sh \
	tests/cluster/test_membership.sh
TESTS += $(CLUSTER_TESTS)
EXTRA_DIST += $(CLUSTER_TESTS) tests/cluster/run.sh tests/cluster/cluster.py \
	tests/cluster/test_single.py tests/cluster/test_failover.py \
	tests/cluster/test_followers.py tests/cluster/test_partition.py \
	tests/cluster/test_linearizable.py tests/cluster/test_membership.py
