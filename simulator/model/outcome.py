"""What a run found and how it ended: violations recorded as they are found, the bounds that stop a run early
(the step bound, a livelock), and at the end the charges up to the end, the stuck threads and the expectations.

The analyses find things (simulator.analysis: races, deadlocks, livelocks, expectations); `Outcome` records
them for the kernel, capped per kind and subject (simulator.analysis.violations), and traces each one it lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from simulator.analysis.expectations import check_expectations
from simulator.analysis.livelock import LivelockDetector
from simulator.analysis.violations import Violation, ViolationKind
from simulator.bounds import EVENTS_PER_STEP
from simulator.model.threads import DONE, SWITCHING, Thread
from simulator.program.operations import Primitive
from simulator.timeunits import format_time

if TYPE_CHECKING:
    from simulator.model.blocking import Blocking
    from simulator.model.kernel import Kernel


class Outcome:
    """Records one kernel run's violations, stops it at its bounds, and closes it at its end."""

    __slots__ = ("_kernel", "_engine", "_violations", "_emit", "_livelocks")

    def __init__(self, kernel: Kernel, emit: Callable[..., None] | None) -> None:
        """`emit` makes a trace event (None: nobody listens)."""
        self._kernel = kernel  # its end time, completeness and step-bound flag are set here
        self._engine = kernel.engine
        self._violations = kernel.violations
        self._emit = emit
        self._livelocks = LivelockDetector(kernel.max_instant_steps)

    def violation(
        self, kind: ViolationKind, thread: Thread | None, message: str, subject: tuple[str, ...] = ()
    ) -> None:
        """Record a violation found now, caused by `thread` (None: not one thread's doing); listeners see it."""
        self.record(Violation(kind, self._engine.now, thread.name if thread is not None else None, message, subject))

    def record(self, violation: Violation, traced: bool = True) -> None:
        if not self._violations.record(violation):
            return  # past the cap for its kind and subject: counted, not listed nor traced
        if traced and self._emit is not None:
            self._emit(None, violation.thread, "violation", ("kind", violation.kind), ("message", violation.message))

    # -- stopping early ----------------------------------------------------------------------------------

    def spins(self, thread: Thread, operation: Primitive, instant_steps: int) -> bool:
        """This instant has seen `instant_steps` steps, at least the livelock bound: whether `thread`, about
        to take `operation`, spins (then the run stops with a livelock violation, before the step)."""
        now = self._engine.now
        unit = self._kernel.scenario.time_unit
        message = self._livelocks.check(thread, operation, instant_steps, f"{format_time(now, unit)} {unit}")
        if message is None:
            return False
        thread.next_op = operation  # not taken: the thread stops before it
        self._kernel.step_bound_hit = True
        self.record(Violation("livelock", now, thread.name, message, (thread.template, str(operation.line))))
        self._engine.stop()
        return True

    def step_bound(self, thread: Thread) -> None:
        """The run has taken its bound of steps: it stops before `thread`'s next one."""
        kernel = self._kernel
        kernel.step_bound_hit = True
        message = f"stopped after {kernel.steps} steps (the step bound, --max-steps {kernel.max_steps})"
        self._violations.append(Violation("step_bound", self._engine.now, None, message))
        if self._emit is not None:
            self._emit(None, thread.name, "step_bound", ("steps", kernel.steps))
        self._engine.stop()

    def event_bound(self) -> None:
        """The engine has run its bound of events (EVENTS_PER_STEP per step of the step bound), most of
        them no step (quantum expiries, timers, GIL hand-overs): the run has stopped there."""
        kernel = self._kernel
        kernel.step_bound_hit = True
        message = (f"stopped after {self._engine.events} events and {kernel.steps} steps (the event bound: "
                   f"{EVENTS_PER_STEP} events per step of --max-steps {kernel.max_steps})")  # fmt: skip
        self._violations.append(Violation("step_bound", self._engine.now, None, message))
        if self._emit is not None:
            self._emit(None, None, "step_bound", ("steps", kernel.steps), ("events", self._engine.events))

    # -- the end -----------------------------------------------------------------------------------------

    def end(self, until: int | None, blocking: Blocking) -> None:
        """The engine has stopped: work out the end time (`until`, if the run was cut there), report the
        threads left stuck, charge everything up to the end, and check the expectations when the run ended by
        itself (not at `until` or the step bound)."""
        kernel = self._kernel
        engine = self._engine
        kernel.complete = kernel.unfinished() == 0
        exhausted = engine.idle and not kernel.step_bound_hit
        if kernel.complete or kernel.step_bound_hit or exhausted:
            kernel.end_time = engine.now
        else:
            kernel.end_time = until if until is not None else engine.now
        if exhausted and not kernel.complete:
            blocking.report_stuck(kernel.threads)
        self._close(kernel.end_time)
        if kernel.complete or exhausted:
            check_expectations(kernel.scenario.expect, kernel.processes, kernel.races.races, kernel.threads,
                               engine.now, self.record)  # fmt: skip

    def _close(self, end: int) -> None:
        """Charge every unfinished thread and busy CPU up to `end`."""
        kernel = self._kernel
        for cpu in kernel.cpus:
            if cpu.thread is None:
                continue
            if cpu.thread.state is SWITCHING:
                cpu.switching += end - cpu.switch_start
            else:
                cpu.busy += end - cpu.run_start
                cpu.thread.remaining -= end - cpu.segment_start  # the compute in progress, up to the end
                cpu.segment_start = end
        for thread in kernel.threads:
            if thread.state is not DONE:
                thread.close(end)
