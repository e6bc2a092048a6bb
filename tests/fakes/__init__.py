"""Local fake model servers for tests and benchmarks (127.0.0.1 only, real wire formats)."""
