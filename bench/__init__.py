"""Benchmarks: each `bench_*.py` module has `main()` printing figures and ratios against a baseline
measured in the same run. Never part of the test suite."""
