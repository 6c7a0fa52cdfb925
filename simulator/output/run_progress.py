"""Progress of one long `threadsim run` on standard error: the simulated time and the steps so far.

The run itself pays nothing for it: a watcher thread wakes twice a second, reads the kernel's clock and step
count (plain integers, read under the GIL) and redraws one line. It writes only after the run has taken
`delay` seconds, so short runs print nothing, and it clears its line when the run ends. What it reads never
flows back into the run: the results do not depend on it, or on when it wakes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from simulator.timeunits import format_time

#: What the watcher reads: (simulated time in ns, steps taken).
Probe = Callable[[], tuple[int, int]]


class RunProgress:
    """`with progress(probe): run()` shows `probe()`'s time and steps on `stream` while run() lasts."""

    def __init__(self, stream: IO[str], unit: str, delay: float = 1.0, every: float = 0.5) -> None:
        self.stream = stream
        self.unit = unit
        self.delay = delay
        self.every = every
        self.drawn = 0

    @contextmanager
    def __call__(self, probe: Probe) -> Iterator[None]:
        stop = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(probe, stop), name="threadsim-progress", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()
            if self.drawn:
                self.stream.write("\r" + " " * self.drawn + "\r")
                self.stream.flush()

    def _watch(self, probe: Probe, stop: threading.Event) -> None:
        if stop.wait(self.delay):
            return  # a short run: nothing shown
        while True:
            now, steps = probe()
            line = f"run: simulated time {format_time(now, self.unit)} {self.unit}, {steps:,} steps"
            self.stream.write("\r" + line.ljust(self.drawn))
            self.stream.flush()
            self.drawn = max(self.drawn, len(line))
            if stop.wait(self.every):
                return
