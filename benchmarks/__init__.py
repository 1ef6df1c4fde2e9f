"""Benchmarks: scale data generation (`benchmarks.datagen`) and the runs that use it."""
