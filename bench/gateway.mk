# Benchmarks of gateway/.
