"""A ready queue ordered by a key, ties first come first served: the base of sjf, srtf, priority,
stride and cfs. Keys are computed when a thread is asked about, so they may depend on time."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Policy, ReadyReason
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class OrderedPolicy(Policy):
    """Picks the ready thread with the smallest `key`; among equal keys, the one that became ready first."""

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.ready: list[Thread] = []  # in the order they became ready
        self._order = 0
        self.ready_since: dict[int, int] = {}

    @abstractmethod
    def key(self, thread: Thread) -> float | int:
        """Smaller runs first."""

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self.ready.append(thread)
        self.ready_since[thread.index] = self.context.now

    def ready_threads(self) -> Sequence[Thread]:
        # sorted() is stable: equal keys keep the order in which threads became ready.
        return sorted(self.ready, key=self.key)

    def pick(self, cpu: int) -> Thread | None:
        if not self.ready:
            return None
        best = min(range(len(self.ready)), key=lambda index: (self.key(self.ready[index]), index))
        return self.ready.pop(best)

    def take(self, thread: Thread) -> None:
        self.ready.remove(thread)

    def __len__(self) -> int:
        return len(self.ready)

    def best_waiting(self) -> float | int | None:
        """The smallest key among ready threads, or None."""
        return min((self.key(thread) for thread in self.ready), default=None)


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
