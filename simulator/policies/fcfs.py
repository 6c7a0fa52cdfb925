"""First come, first served: one FIFO ready queue, no preemption."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Policy, ReadyReason
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class Fcfs(Policy):
    """Threads run in the order they became ready, each until it leaves the CPU."""

    name = "fcfs"
    summary = "first come, first served: FIFO ready queue, non-preemptive"
    constant_time_slice = True

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.ready_queue: deque[Thread] = deque()

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self.ready_queue.append(thread)

    def pick(self, cpu: int) -> Thread | None:
        return self.ready_queue.popleft() if self.ready_queue else None

    def __len__(self) -> int:
        return len(self.ready_queue)

    def ready_threads(self) -> Sequence[Thread]:
        return list(self.ready_queue)

    def take(self, thread: Thread) -> None:
        self.ready_queue.remove(thread)
