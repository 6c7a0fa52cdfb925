"""Reports and timelines: everything that turns a run into text, JSON or files.

These modules read `RunMetrics` and `TraceEvent`s; the engine and model never print or write files.
"""
