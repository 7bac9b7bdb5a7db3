"""Synthetic registry data: realistic, deterministic for a seed (demonstrations, tests, benchmarks)."""
