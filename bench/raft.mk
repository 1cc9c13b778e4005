# Benchmarks of raft/.
