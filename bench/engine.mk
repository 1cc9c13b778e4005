# Benchmarks of engine/.
