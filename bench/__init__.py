"""Benchmark scripts (run as `python -m bench.national` or `.venv/bin/python bench/<name>.py`)."""
