# Benchmarks of engine/: bench/kvbench (see bench/README.md).  Built, never
# run by make check: a benchmark is not a test.
noinst_PROGRAMS += bench/kvbench
bench_kvbench_SOURCES = bench/kvbench.c bench/raw_limits.c bench/raw_limits.h
bench_kvbench_LDADD = engine/libengine.a $(ENGINE_LIBS)
