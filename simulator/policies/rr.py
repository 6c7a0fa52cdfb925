"""Round robin: a FIFO ready queue and a time slice (`quantum`), restarted at each dispatch or, with
`timer: global`, ended for every CPU at once at each multiple of the quantum (OSTEP's multi.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Parameter
from simulator.policies.fcfs import Fcfs
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class RoundRobin(Fcfs):
    """FCFS order, but a thread that used up its quantum goes to the back of the ready queue.

    A preempted thread enters the queue after threads that arrived or woke at the same instant (SPEC
    section 4). A quantum that ends with nobody else ready is renewed in place: no switch is counted.

    With `timer: global` the quantum is a timer of the whole machine, as in OSTEP's multi.py: slices end at
    every multiple of `quantum` (a thread dispatched in between gets the rest of the period), and when they
    end, every running thread that someone waits for goes to the back of the queue, CPU 0's first, before
    the idle CPUs pick (in CPU order).
    """

    name = "rr"
    summary = "round robin: FIFO ready queue, preempted when the quantum ends and another thread is ready"
    parameters = (
        Parameter("quantum", "duration", 10_000_000, "time slice, restarted at each dispatch (or timer period)"),
        Parameter("timer", "choice", "dispatch", "dispatch: each slice is a quantum from its dispatch; global: slices "
                  "end at every multiple of the quantum, on every CPU at once (OSTEP multi.py)",
                  choices=("dispatch", "global"), always_shown=False),
    )  # fmt: skip
    constant_time_slice = True

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        quantum = spec.param("quantum")
        assert isinstance(quantum, int) and quantum > 0, "validated by the policy spec parser"
        self.quantum = quantum
        if self.setting("timer") == "global":
            self.constant_time_slice = False  # type: ignore[misc]  # per instance: each slice ends on the grid
            self.timed = True
            self.timer_preempts = True
        #: The tick the timer last went off at, and the threads then running whose slice it ended and that
        #: have not yet given up their CPU for it (each does once).
        self.tick = -1
        self.ticked: set[int] = set()

    def time_slice(self, thread: Thread) -> int | None:
        if not self.timed:
            return self.quantum
        return self.quantum - self.context.now % self.quantum

    def renew_slice(self, thread: Thread, start: int, length: int, now: int) -> tuple[int, int]:
        if not self.timed:
            return super().renew_slice(thread, start, length, now)
        return now - now % self.quantum, self.quantum

    def next_timer(self, now: int) -> int | None:
        return max(1, -(-now // self.quantum)) * self.quantum if self.timed else None

    def on_timer(self, running: Sequence[Thread]) -> None:
        self.tick = self.context.now
        self.ticked = {thread.index for thread in running}

    def should_preempt(self, running: Thread) -> bool:
        """At the timer's tick, the threads it found running give up the CPU, in CPU order, and the idle
        CPUs pick in CPU order: a thread alone keeps its CPU, but when a CPU has fallen idle the threads
        move to the lowest-numbered CPUs, as in multi.py."""
        if not self.timed or self.context.now != self.tick or running.index not in self.ticked:
            return False
        self.ticked.discard(running.index)
        return True
