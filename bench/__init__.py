"""Benchmarks with their data generators (not part of the test run). See bench/README.md."""
