"""Benchmarks run by `make bench` (python -m tests.bench.run); not collected by pytest."""
