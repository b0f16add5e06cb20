"""Benchmarks: backprop and its peers side by side in one process (not part of the tests)."""
