# The raft cluster simulator and the linearizability checker.

# The checker is a library so that the simulator and its own tests share it.
noinst_LIBRARIES += tests/liblinearizability.a
tests_liblinearizability_a_SOURCES = tests/linearizability.c \
	tests/linearizability.h

check_PROGRAMS += tests/check_linearizability
TESTS += tests/check_linearizability
tests_check_linearizability_SOURCES = tests/check_linearizability.c \
	tests/test_linearizability.c
tests_check_linearizability_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_linearizability_LDADD = tests/liblinearizability.a \
	tests/libtestutil.a $(CHECK_LIBS)

# The cluster simulator: `make check` runs VERISTORE_SIM_SEEDS (default 500)
# seeds from the fixed base seed (VERISTORE_SEED replays another base);
# `tests/raft-sim --seed S --verbose` replays one seed exactly.
check_PROGRAMS += tests/raft-sim
TESTS += tests/raft-sim
tests_raft_sim_SOURCES = tests/raft_sim_main.c tests/raft_sim.c \
	tests/raft_sim.h tests/raft_sim_disk.c tests/raft_sim_net.c \
	tests/raft_sim_client.c tests/raft_sim_check.c tests/raft_sim_faults.c
tests_raft_sim_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_raft_sim_LDADD = tests/liblinearizability.a raft/libraft.a \
	engine/libengine.a tests/libtestutil.a $(ENGINE_LIBS) $(CHECK_LIBS)

# The checks have teeth: deliberately broken drivers must fail.
TESTS += tests/check_raft_sim_mutants.sh
EXTRA_DIST += tests/check_raft_sim_mutants.sh
