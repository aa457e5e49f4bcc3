"""Benchmarks: run by ./tools/bench, each figure beside its floor (docs/benchmarks.md)."""
