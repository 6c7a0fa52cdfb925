"""One global ready queue when some threads are pinned (`affinity`): the queue layer decides who may run
where, so the kernel's dispatch asks only `pick(cpu)`, `candidates(cpu)` and `has_waiting(cpu)`.

A CPU takes the first thread, in the policy's order, allowed to run on it (`take`, not `pick`: lottery
draws no ticket then, as it never did). Asking for the order costs what the policy's `ready_threads` costs
(a sort, for ordered policies); runs without pinning never come here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Policy, PolicyContext, ReadyReason

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class PinnedQueue(Policy):
    """The chosen policy, with each CPU picking only among the threads allowed on it."""

    name = "pinned"
    summary = "one ready queue, some threads pinned to some CPUs"

    def __init__(self, inner: Policy) -> None:
        super().__init__(inner.spec)
        self.inner = inner
        self.preemptive = inner.preemptive  # type: ignore[misc]  # the inner policy's, per instance
        self.ranks = inner.ranks  # type: ignore[misc]
        self.constant_time_slice = inner.constant_time_slice  # type: ignore[misc]
        self.timed = inner.timed
        self.timer_preempts = inner.timer_preempts
        self.tracks_slices = inner.tracks_slices
        self.holds_cpu_for_io = inner.holds_cpu_for_io

    def attach(self, context: PolicyContext) -> None:
        super().attach(context)
        self.inner.attach(context)

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self.inner.add(thread, reason)

    def pick(self, cpu: int) -> Thread | None:
        for thread in self.inner.ready_threads():
            if thread.affinity is None or cpu in thread.affinity:
                self.inner.take(thread)
                return thread
        return None

    def has_waiting(self, cpu: int) -> bool:
        return any(t.affinity is None or cpu in t.affinity for t in self.inner.ready_threads())

    def ready_threads(self) -> Sequence[Thread]:
        return self.inner.ready_threads()

    def take(self, thread: Thread) -> None:
        self.inner.take(thread)

    def __len__(self) -> int:
        return len(self.inner)

    def time_slice(self, thread: Thread) -> int | None:
        return self.inner.time_slice(thread)

    def renew_slice(self, thread: Thread, start: int, length: int, now: int) -> tuple[int, int]:
        return self.inner.renew_slice(thread, start, length, now)

    def left_cpu(self, thread: Thread, start: int, length: int, now: int) -> None:
        self.inner.left_cpu(thread, start, length, now)

    def next_timer(self, now: int) -> int | None:
        return self.inner.next_timer(now)

    def on_timer(self, running: Sequence[Thread]) -> None:
        self.inner.on_timer(running)

    def should_preempt(self, running: Thread) -> bool:
        """The policy's answer, when the thread it would put first may run on `running`'s CPU. When that
        thread is pinned elsewhere, taking this CPU from `running` would only give it back at the same instant
        (for ever, as this CPU picked `running` again); the CPU is then left alone, and a thread allowed here
        that is better than `running` waits for the quantum's end or `running`'s next step."""
        if not self.inner.should_preempt(running):
            return False
        ready = self.inner.ready_threads()  # in the policy's order: the first is the one it preempts for
        cpu = running.cpu_index()
        return bool(ready) and (ready[0].affinity is None or cpu in ready[0].affinity)

    def describe(self) -> dict[str, object]:
        return self.inner.describe()
