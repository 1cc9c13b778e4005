# Benchmarks of raft/: committed entries/s through the pure core (no I/O).
# Run: build/bench/raftbench (or --quick); see bench/README.md.
noinst_PROGRAMS += bench/raftbench
bench_raftbench_SOURCES = bench/raftbench.c
bench_raftbench_LDADD = raft/libraft.a engine/libengine.a $(ENGINE_LIBS)
