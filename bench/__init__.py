"""`make bench`: threadsim's speed and memory against SimPy and a bare heapq loop, measured in one run."""
