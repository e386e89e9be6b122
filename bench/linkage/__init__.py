"""Identity-resolution benchmarks: FEBRL 1-4, a hard generated set, online latency."""
