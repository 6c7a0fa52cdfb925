"""The discrete-event engine: virtual time and a heap of callbacks. It knows nothing of the model.

Same-instant order is a promise to users (SPEC section 4). Entries are `(time, priority, sequence,
callback, argument)`: at one instant, lower priorities run first, and within a priority the entry scheduled
first runs first (the sequence number is a stable counter, never an `id()`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

#: Arrivals, wake-ups and I/O completions: they enter the ready queue first.
PRIORITY_WAKE = 0
#: CPU events: a compute step ending, a quantum expiring, a context switch completing.
PRIORITY_CPU = 1
#: Idle CPUs pick their next thread after everything else at that instant.
PRIORITY_DISPATCH = 2


class Engine:
    """Runs callbacks in time order. Time is integer nanoseconds and never goes backwards."""

    __slots__ = ("now", "events", "_heap", "_sequence", "_stopped")

    def __init__(self) -> None:
        self.now = 0
        self.events = 0
        self._heap: list[tuple[int, int, int, Callable[[Any], None], Any]] = []
        self._sequence = 0
        self._stopped = False

    def schedule(self, time: int, priority: int, callback: Callable[[Any], None], argument: Any) -> None:
        """Call `callback(argument)` at `time` (not before now)."""
        if time < self.now:
            raise ValueError(f"cannot schedule at {time}, before now ({self.now})")
        self._sequence += 1
        heapq.heappush(self._heap, (time, priority, self._sequence, callback, argument))

    def stop(self) -> None:
        """End `run` after the current callback."""
        self._stopped = True

    def run(self, until: int | None = None) -> None:
        """Run callbacks until none is left, `stop()` is called, or the next one is after `until`."""
        heap = self._heap
        pop = heapq.heappop
        limit = until if until is not None else -1
        events = self.events
        while heap and not self._stopped:
            if limit >= 0 and heap[0][0] > limit:
                break
            time, _, _, callback, argument = pop(heap)
            self.now = time
            events += 1
            callback(argument)
        self.events = events
