"""Multi-level feedback queue, with OSTEP's rules (chapter 8)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Parameter, Policy, ReadyReason
from simulator.scenario.limits import MAX_MLFQ_QUEUES
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class Mlfq(Policy):
    """OSTEP's MLFQ:

    1. a thread in a higher queue runs before any in a lower one (and preempts it when it becomes ready);
    2. threads in the same queue take turns (round robin with that queue's quantum);
    3. a new thread starts in the top queue;
    4. once a thread has used its allotment of CPU time in a queue, however many times it gave up the CPU
       (for I/O, say), it moves down one queue; giving up the CPU earlier keeps its place;
    5. every `boost` period, every thread moves back to the top queue.

    Queue i's quantum is `quantum * growth**i`; `allotment` 0 means one quantum.
    """

    name = "mlfq"
    summary = "multi-level feedback queue (OSTEP's rules: allotment, boost, I/O keeps priority)"
    parameters = (
        Parameter("queues", "integer", 3, "number of queues", minimum=1, maximum=MAX_MLFQ_QUEUES),
        Parameter("quantum", "duration", 10_000_000, "time slice of the top queue"),
        Parameter("growth", "integer", 1, "each lower queue's quantum is this many times the one above", minimum=1),
        Parameter("allotment", "duration", 0, "CPU time a thread may use in a queue before moving down (0: a quantum)"),
        Parameter("boost", "duration", 0, "period of the priority boost to the top queue (0: never)"),
    )
    preemptive = True

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.queues: list[deque[Thread]] = [deque() for _ in range(int(spec.param("queues")))]
        self.top_quantum = int(spec.param("quantum"))
        self.growth = int(spec.param("growth"))
        self.fixed_allotment = int(spec.param("allotment"))
        self.boost = int(spec.param("boost"))
        #: Each queue's allotment, computed once (update runs at every decision).
        self.allotments = [self.allotment(level) for level in range(len(self.queues))]
        #: The boost period of the last refresh: every waiting thread has seen it (see _refresh).
        self.refreshed = 0
        self.level: dict[int, int] = {}
        self.level_start: dict[int, int] = {}  # the thread's CPU time when it entered its queue
        self.boosted: dict[int, int] = {}  # the boost period the thread last saw

    def quantum(self, level: int) -> int:
        return self.top_quantum * self.growth**level

    def allotment(self, level: int) -> int:
        return self.fixed_allotment or self.quantum(level)

    def update(self, thread: Thread) -> int:
        """Apply boosts and allotments to `thread`'s queue; return it."""
        index = thread.index
        context = self.context
        used = context.cpu_time(thread)
        period = context.now // self.boost if self.boost else 0
        level = self.level.get(index)
        if level is None or self.boosted.get(index, 0) < period:
            level = 0
            start = used
        else:
            start = self.level_start[index]
        self.boosted[index] = period
        allotments = self.allotments
        last = len(allotments) - 1
        while level < last and used - start >= allotments[level]:
            start += allotments[level]
            level += 1
        self.level_start[index] = start
        self.level[index] = level
        return level

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self.queues[self.update(thread)].append(thread)

    def _refresh(self) -> None:
        """A boost may have come while threads waited: move them up.

        Only a new boost period can move a waiting thread (its CPU time does not change while it waits, and
        it saw the period current when it was added or last refreshed), so the queues are walked once per
        period, not at every decision.
        """
        if not self.boost:
            return
        period = self.context.now // self.boost
        if period == self.refreshed:
            return
        self.refreshed = period
        for level in range(1, len(self.queues)):
            for thread in list(self.queues[level]):
                if self.update(thread) != level:
                    self.queues[level].remove(thread)
                    self.queues[self.level[thread.index]].append(thread)

    def ready_threads(self) -> Sequence[Thread]:
        self._refresh()
        return [thread for queue in self.queues for thread in queue]

    def pick(self, cpu: int) -> Thread | None:
        self._refresh()
        for queue in self.queues:
            if queue:
                return queue.popleft()
        return None

    def take(self, thread: Thread) -> None:
        self.queues[self.level[thread.index]].remove(thread)

    def __len__(self) -> int:
        return sum(len(queue) for queue in self.queues)

    def time_slice(self, thread: Thread) -> int | None:
        level = self.update(thread)
        # Run at most to the end of the allotment, so that a thread alone is demoted on time.
        left = self.allotment(level) - (self.context.cpu_time(thread) - self.level_start[thread.index])
        return max(1, min(self.quantum(level), left)) if level < len(self.queues) - 1 else self.quantum(level)

    def should_preempt(self, running: Thread) -> bool:
        self._refresh()
        top = next((level for level, queue in enumerate(self.queues) if queue), None)
        return top is not None and top < self.update(running)

    def describe(self) -> dict[str, object]:
        return {"queues": len(self.queues)}
