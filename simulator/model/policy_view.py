"""What a policy may ask about the run: the `PolicyContext` (simulator.policies.base) the kernel attaches to it.

Policies see the kernel through this small view, never the kernel itself: the time, a thread's CPU time and
what is left of its demand, the length of its current or next compute step, the instant the policy's own timer
is due, and uniform draws from the run's chooser (recorded with every other choice).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.threads import DONE, RUNNING, Thread
from simulator.program.operations import Compute

if TYPE_CHECKING:
    from simulator.chooser import Chooser
    from simulator.engine import Engine
    from simulator.model.slices import Slices


class PolicyView:
    """What policies may ask the kernel (simulator.policies.base.PolicyContext), for one run."""

    def __init__(self, engine: Engine, chooser: Chooser, slices: Slices) -> None:
        self._engine = engine
        self._chooser = chooser
        self._slices = slices

    @property
    def now(self) -> int:
        return self._engine.now

    @property
    def pending_timer(self) -> int:
        return self._slices.timer_at

    def cpu_time(self, thread: Thread) -> int:
        used = thread.cpu_time
        if thread.state is RUNNING and thread.cpu is not None:
            used += self._engine.now - thread.cpu.segment_start  # the segment in progress
        return used

    def remaining_demand(self, thread: Thread) -> int:
        return max(0, thread.demand - self.cpu_time(thread))

    def next_burst(self, thread: Thread) -> int:
        if thread.remaining:
            if thread.state is RUNNING and thread.cpu is not None:
                return thread.remaining - (self._engine.now - thread.cpu.segment_start)
            return thread.remaining
        if thread.next_op is None and thread.state is not DONE:
            # Look ahead: the step after the last one is already determined.
            thread.next_op = thread.next_operation()
            if thread.next_op is None:
                return 0
        operation = thread.next_op
        return operation.duration if isinstance(operation, Compute) else 0

    def draw(self, count: int) -> int:
        return self._chooser.integer(0, count - 1)
