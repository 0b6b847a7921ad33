"""Benchmarks: each prints our code's cost as a ratio against a baseline measured in the same run."""
