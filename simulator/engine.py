"""The discrete-event engine: virtual time and a heap of callbacks. It knows nothing of the model.

Same-instant order is a promise to users (SPEC section 4). Entries are `(time, priority, sequence,
callback, argument)`: at one instant, lower priorities run first, and within a priority the entry scheduled
first runs first (the sequence number is a stable counter, never an `id()`). Work deferred with `defer`
runs once nothing more is scheduled at the current instant, before time moves on: the kernel dispatches
idle CPUs that way, after every arrival, wake-up and preemption of the instant. Many callbacks known before
a run (the threads' arrivals) go in as one batch, which keeps only its next callback in the heap.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from heapq import heappop, heappush
from typing import Any

#: A heap entry: (time, priority, sequence, callback, argument).
_Entry = tuple[int, int, int, Callable[[Any], None], Any]

#: CPU events under `machine.same_instant: cpu_first` (OSTEP's order): before everything else of the instant.
PRIORITY_CPU_FIRST = -2
#: A policy's timer (mlfq's boost): before arrivals, wake-ups and (by default) CPU events of its instant.
PRIORITY_TIMER = -1
#: Arrivals, wake-ups and I/O completions: they enter the ready queue first.
PRIORITY_WAKE = 0
#: CPU events: a compute step ending, a quantum expiring, a context switch completing.
PRIORITY_CPU = 1


class Engine:
    """Runs callbacks in time order. Time is integer nanoseconds and never goes backwards."""

    __slots__ = ("now", "events", "defer", "bounded", "_heap", "_sequence", "_stopped", "_deferred", "_tiebreak")

    def __init__(self, tiebreak: Callable[[], int] | None = None) -> None:
        """`tiebreak`, if given, draws a key that orders callbacks of the same instant and priority (instead
        of the order they were scheduled in)."""
        self.now = 0
        #: Callbacks run so far (scheduled and deferred).
        self.events = 0
        #: `run` stopped because it had run its `max_events`.
        self.bounded = False
        self._heap: list[_Entry] = []
        self._sequence = 0
        self._stopped = False
        self._deferred: list[Callable[[], None]] = []
        self._tiebreak = tiebreak
        #: defer(callback): call `callback()` once nothing more is scheduled at the current instant, in the
        #: order deferred. It is the list's own append: the kernel defers its dispatch step at most once per
        #: instant, but that is still the engine's most frequent call.
        self.defer: Callable[[Callable[[], None]], None] = self._deferred.append

    def schedule(self, time: int, priority: int, callback: Callable[[Any], None], argument: Any) -> None:
        """Call `callback(argument)` at `time` (not before now)."""
        if time < self.now:
            raise ValueError(f"cannot schedule at {time}, before now ({self.now})")
        key = self._sequence = self._sequence + 1
        if self._tiebreak is not None:
            key |= self._tiebreak() << 40
        heappush(self._heap, (time, priority, key, callback, argument))

    def schedule_batch(self, entries: Sequence[tuple[int, int, Callable[[Any], None], Any]]) -> None:
        """Schedule `(time, priority, callback, argument)` entries, each as `schedule` would in this order
        (same sequence numbers, same tie-break draws, so the same run), but keep only the batch's next entry
        in the heap: the one that comes out puts the following one in. 100,000 arrivals then come out of a
        heap of a few entries instead of one of 100,000, where each pop costs three times as much."""
        # `schedule` itself makes the entries (checks, sequence numbers, draws), into a list of their own.
        heap, self._heap = self._heap, []
        try:
            for time, priority, callback, argument in entries:
                self.schedule(time, priority, callback, argument)
        finally:
            batch, self._heap = self._heap, heap
        batch.sort(key=lambda entry: entry[:3], reverse=True)  # (time, priority, key) is unique: the heap order
        if batch:
            self._push_next(batch)

    def _push_next(self, batch: list[_Entry]) -> None:
        """Put the batch's next entry in the heap, to come out through _release."""
        time, priority, key, _, _ = batch[-1]
        heappush(self._heap, (time, priority, key, self._release, batch))

    def _release(self, batch: list[_Entry]) -> None:
        """The batch's next entry came out of the heap: put the following one in, then run it."""
        _, _, _, callback, argument = batch.pop()
        if batch:
            self._push_next(batch)
        callback(argument)

    def would_run_next(self, priority: int) -> bool:
        """Whether a callback scheduled now at `priority` would be the next to run: nothing is due before it
        (an entry of the same instant and priority was scheduled earlier, so it would come first), it would
        draw no tie-break key, and the run is not stopping. The caller may then do that work at once instead
        of scheduling it (adding 1 to `events`, as the engine would have)."""
        if self._stopped or self._tiebreak is not None:
            return False
        heap = self._heap
        if not heap:
            return True
        first = heap[0]
        return first[0] > self.now or (first[0] == self.now and first[1] > priority)

    def quiet(self) -> bool:
        """Whether nothing else is due at the current instant (no callback scheduled now, nothing deferred)."""
        return not self._deferred and (not self._heap or self._heap[0][0] > self.now)

    @property
    def idle(self) -> bool:
        """Whether nothing at all is scheduled or deferred."""
        return not self._heap and not self._deferred

    @property
    def stopped(self) -> bool:
        """Whether `stop()` was called."""
        return self._stopped

    def stop(self) -> None:
        """End `run` after the current callback."""
        self._stopped = True

    def run(self, until: int | None = None, max_events: int | None = None) -> None:
        """Run callbacks until none is left, `stop()` is called, the next one is after `until`, or `events`
        has reached `max_events` (then `bounded` is set and the run is stopped). Work a callback counts in
        `events` itself, done in place of a callback, is not checked against `max_events` until `run` is next
        called: the bound is on the callbacks the engine runs, which are what a run costs."""
        budget = (1 << 62) if max_events is None else max_events - self.events
        with no_full_collections():
            if budget <= 0 or self._run(until, budget):
                self.bounded = True
                self._stopped = True

    def _run(self, until: int | None, budget: int) -> bool:
        """Run callbacks; whether `budget` callbacks were run (the bound was reached)."""
        heap = self._heap
        deferred = self._deferred
        events = 0  # counted here, and added at the end to what the callbacks counted themselves
        now = self.now
        while not self._stopped:
            if events >= budget:
                break
            if heap:
                time = heap[0][0]
                if time == now or not deferred:
                    if until is not None and time > until:
                        break
                    _, _, _, callback, argument = heappop(heap)
                    self.now = now = time
                    events += 1
                    callback(argument)
                    continue
            if not deferred:
                break
            # Nothing else is scheduled at this instant: run the oldest deferred work (it may schedule more at
            # now, which then runs before the rest of the deferred work).
            events += 1
            deferred.pop(0)()
        self.events += events
        if events < budget or self._stopped:
            return False
        # The bound was reached: it stopped the run only if there was more to do.
        return bool(deferred) or (bool(heap) and (until is None or heap[0][0] <= until))


#: Runs in progress (in any thread of the program), and the collector thresholds to restore after the last.
_runs_in_progress = 0
_saved_thresholds = (0, 0, 0)
_runs_lock = threading.Lock()


@contextmanager
def no_full_collections() -> Iterator[None]:
    """While the body runs, Python's cycle collector makes no full collections (young ones go on).

    The model (threads, their programs, processes) is built before a run and lives through it, and each
    full collection during the run would walk all of it again: with 100,000 threads that cost a fifth of
    the run (make bench). The oldest generation's threshold is raised for the run and restored after, so the
    collector catches up with whatever became garbage meanwhile as it normally would (gc.freeze() instead
    hid garbage from it for good: exploring thousands of schedules then grew without bound). Runs in several
    threads at once, or nested, share one raise: the first raises it, the last restores it. Results never
    depend on when the collector runs.
    """
    global _runs_in_progress, _saved_thresholds
    with _runs_lock:
        if _runs_in_progress == 0:
            _saved_thresholds = gc.get_threshold()
            young, middle, _ = _saved_thresholds
            gc.set_threshold(young, middle, 1 << 30)
        _runs_in_progress += 1
    try:
        yield
    finally:
        with _runs_lock:
            _runs_in_progress -= 1
            if _runs_in_progress == 0:
                gc.set_threshold(*_saved_thresholds)
