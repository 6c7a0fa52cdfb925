"""A ready queue ordered by a key, ties first come first served: the base of sjf, srtf, priority,
stride and cfs. Keys are computed when a thread is asked about, so they may depend on time."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Policy, ReadyReason
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.threads import Thread


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
