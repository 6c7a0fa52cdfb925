"""First come, first served: one FIFO ready queue, no preemption; and OSTEP process-run.py's rules.

Three parameters, for rules few runs use (named in reports only when set), give process-run.py's:

- `order: cyclic`: an idle CPU takes the first ready thread after the one last dispatched, in thread order
  (declaration order; threads started later follow in the order they started), wrapping around, instead of
  the one ready longest (process-run.py's next_proc scans the processes on from the current one).
- `wakeup: preempt`: a thread that wakes (from I/O, a sleep or a wait) takes a CPU at once, and the running
  thread goes back to the ready queue (process-run.py `-I IO_RUN_IMMEDIATE`). Of threads waking at one
  instant, the last to wake takes the CPU, as in process-run.py.
- `io_wait: hold`: a thread that starts an I/O keeps its CPU, which waits for it, idle, and goes on with it
  the instant the I/O ends (process-run.py `-S SWITCH_ON_END`). The kernel does the holding
  (`Policy.holds_cpu_for_io`).

A spec that sets any of them is run by `OstepFcfs`, so that plain fcfs (and rr, built on it) pays nothing.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from simulator.policies.base import Parameter, Policy, ReadyReason
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class Fcfs(Policy):
    """Threads run in the order they became ready, each until it leaves the CPU."""

    name = "fcfs"
    summary = "first come, first served: FIFO ready queue, non-preemptive"
    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("order", "choice", "fifo", "fifo: the thread ready longest runs next; cyclic: the next ready thread "
                  "after the one last dispatched, in thread order, wrapping around (OSTEP process-run.py)",
                  choices=("fifo", "cyclic"), always_shown=False),
        Parameter("wakeup", "choice", "queue", "queue: a thread that wakes joins the ready queue; preempt: it takes "
                  "a CPU at once (OSTEP process-run.py -I IO_RUN_IMMEDIATE)",
                  choices=("queue", "preempt"), always_shown=False),
        Parameter("io_wait", "choice", "switch", "switch: a thread that starts an I/O leaves its CPU; hold: the CPU "
                  "waits for it, idle (OSTEP process-run.py -S SWITCH_ON_END)",
                  choices=("switch", "hold"), always_shown=False),
    )  # fmt: skip
    constant_time_slice = True

    @classmethod
    def build(cls, spec: PolicySpec) -> Policy:
        """Plain fcfs, or, when the spec sets process-run.py's rules, the policy that has them."""
        return OstepFcfs(spec) if cls is Fcfs and spec.params else cls(spec)

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


class OstepFcfs(Fcfs):
    """fcfs with process-run.py's rules (`order`, `wakeup`, `io_wait`: see the module's docstring)."""

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.cyclic = self.setting("order") == "cyclic"
        #: `order: cyclic`: the ready threads' indices, sorted; the threads by index; the last one dispatched.
        self.ready_indices: list[int] = []
        self.ready_by_index: dict[int, Thread] = {}
        self.cursor = -1
        #: `wakeup: preempt`: the thread that woke last and has not had a CPU since, and whether it is still
        #: owed a preemption (one running thread gives up its CPU for it).
        self.preempts_for_wakeups = self.setting("wakeup") == "preempt"
        self.woken: Thread | None = None
        self.owed = False
        self.preemptive = self.preempts_for_wakeups  # type: ignore[misc]  # per instance
        self.ranks = False  # type: ignore[misc]  # one preemption per wake-up: an explorer's picks stay
        self.holds_cpu_for_io = self.setting("io_wait") == "hold"

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        if self.cyclic:
            bisect.insort(self.ready_indices, thread.index)
            self.ready_by_index[thread.index] = thread
        else:
            self.ready_queue.append(thread)
        if reason == "wakeup" and self.preempts_for_wakeups:
            self.woken = thread
            self.owed = True

    def pick(self, cpu: int) -> Thread | None:
        thread = self.woken
        if thread is None:
            if not self.cyclic:
                return self.ready_queue.popleft() if self.ready_queue else None
            indices = self.ready_indices
            if not indices:
                return None
            position = bisect.bisect_right(indices, self.cursor)
            thread = self.ready_by_index[indices[position if position < len(indices) else 0]]
        self.take(thread)
        self.cursor = thread.index
        return thread

    def __len__(self) -> int:
        return len(self.ready_indices) if self.cyclic else len(self.ready_queue)

    def ready_threads(self) -> Sequence[Thread]:
        if self.cyclic:
            indices = self.ready_indices
            position = bisect.bisect_right(indices, self.cursor)
            ordered = [self.ready_by_index[index] for index in (*indices[position:], *indices[:position])]
        else:
            ordered = list(self.ready_queue)
        woken = self.woken
        if woken is not None:
            ordered.remove(woken)
            ordered.insert(0, woken)
        return ordered

    def take(self, thread: Thread) -> None:
        if thread is self.woken:
            self.woken = None
            self.owed = False
        if self.cyclic:
            self.ready_indices.pop(bisect.bisect_left(self.ready_indices, thread.index))
            del self.ready_by_index[thread.index]
        else:
            self.ready_queue.remove(thread)

    def should_preempt(self, running: Thread) -> bool:
        """`wakeup: preempt`: one running thread, the first the kernel asks (in CPU order), gives up its CPU
        for the thread that woke last, unless an idle CPU took that one already."""
        if not self.owed:
            return False
        self.owed = False
        return True
