"""A ready queue ordered by a key, ties first come first served: the base of sjf, srtf, priority,
stride and cfs.

The keys of these policies do not change while a thread waits (a ready thread uses no CPU, and its
priority, pass or vruntime is set when it becomes ready), so the queue is a binary heap of
`(key, order, thread)`: `order` counts insertions, so equal keys go first come first served and threads
are never compared. Removing a thread that is not the best (exploration's `take`, per-CPU stealing) only
forgets its entry; stale entries are dropped when they reach the top, or all at once when they outnumber
the live ones. Picking and checking preemption cost O(log n), where the straightforward scan cost O(n).
Priority with aging, whose keys do change with waiting time, keeps its own structure (see priority.py).
"""

from __future__ import annotations

import heapq
from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Policy, ReadyReason
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread

#: (key, insertion order, thread): order is unique, so a thread is never compared.
Entry = tuple[int, int, "Thread"]


class OrderedPolicy(Policy):
    """Picks the ready thread with the smallest `key`; among equal keys, the one that became ready first."""

    #: Compute a thread's key at the first decision after it became ready, not when it is added: sjf's
    #: next_burst looks ahead in the program, and the straightforward scan did that look-ahead at the next
    #: decision, after whatever the other threads did meanwhile.
    lazy_keys = False

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self._heap: list[Entry] = []
        self._live: dict[int, int] = {}  # thread index -> the order of its live entry
        self._pending: list[tuple[int, Thread]] = []  # lazy_keys: added, key not computed yet
        self._order = 0
        self.ready_since: dict[int, int] = {}

    @abstractmethod
    def key(self, thread: Thread) -> int:
        """Smaller runs first. Must not change while the thread is ready."""

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self._order += 1
        order = self._order
        self._live[thread.index] = order
        self.ready_since[thread.index] = self.context.now
        if self.lazy_keys:
            self._pending.append((order, thread))
        else:
            heapq.heappush(self._heap, (self.key(thread), order, thread))

    def _flush(self) -> None:
        """Give pending threads (lazy_keys) their keys, in the order they became ready."""
        live = self._live
        for order, thread in self._pending:
            if live.get(thread.index) == order:
                heapq.heappush(self._heap, (self.key(thread), order, thread))
        self._pending.clear()

    def _top(self) -> Entry | None:
        """The best live entry (dropping stale ones above it), or None."""
        if self._pending:
            self._flush()
        heap = self._heap
        live = self._live
        while heap:
            entry = heap[0]
            if live.get(entry[2].index) == entry[1]:
                return entry
            heapq.heappop(heap)
        return None

    def is_ready(self, thread: Thread) -> bool:
        """Whether `thread` waits in this queue."""
        return thread.index in self._live

    def ready_threads(self) -> Sequence[Thread]:
        if self._pending:
            self._flush()
        live = self._live
        return [entry[2] for entry in sorted(e for e in self._heap if live.get(e[2].index) == e[1])]

    def pick(self, cpu: int) -> Thread | None:
        entry = self._top()
        if entry is None:
            return None
        heapq.heappop(self._heap)
        thread = entry[2]
        del self._live[thread.index]
        return thread

    def take(self, thread: Thread) -> None:
        del self._live[thread.index]
        heap = self._heap
        if len(heap) > 64 and len(heap) > 2 * len(self._live):
            # Mostly stale: rebuild from the live entries, so that memory stays proportional to the queue.
            live = self._live
            self._heap = [entry for entry in heap if live.get(entry[2].index) == entry[1]]
            heapq.heapify(self._heap)

    def __len__(self) -> int:
        return len(self._live)

    def best_waiting(self) -> int | None:
        """The smallest key among ready threads, or None."""
        entry = self._top()
        return None if entry is None else entry[0]


class ChargingPolicy(OrderedPolicy):
    """An ordered policy that charges threads for the CPU they use (stride's pass, cfs's vruntime): it notes
    each thread's CPU time when it is dispatched, and tells how much it has used since."""

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.cpu_at_pick: dict[int, int] = {}

    def used_since_pick(self, thread: Thread) -> int:
        """CPU time used since its last dispatch (0 if it has not been dispatched); forgets the dispatch."""
        start = self.cpu_at_pick.pop(thread.index, None)
        return 0 if start is None else self.context.cpu_time(thread) - start

    def using_now(self, thread: Thread) -> int:
        """CPU time a running thread has used since its dispatch, so far."""
        now = self.context.cpu_time(thread)
        return now - self.cpu_at_pick.get(thread.index, now)

    def pick(self, cpu: int) -> Thread | None:
        thread = super().pick(cpu)
        if thread is not None:
            self.cpu_at_pick[thread.index] = self.context.cpu_time(thread)
        return thread

    def take(self, thread: Thread) -> None:
        super().take(thread)
        self.cpu_at_pick[thread.index] = self.context.cpu_time(thread)
