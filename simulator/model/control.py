"""An explorer's say in a run: before a visible step that may conflict, preempt the thread or delay it.

A controlled run (one with a strategy, see simulator.chooser) meets a *decision point* before each visible step
that may conflict with another thread's (simulator.analysis.footprints). Two kinds:

- **preempt?** when another thread is ready: the running thread goes back among the ready ones and the
  policy's pick (itself a decision, at the dispatch) runs instead;
- **delay?** when nobody is ready but another thread can still go on by itself (running on another CPU,
  switching in, not yet arrived, sleeping or in I/O): the running thread leaves its CPU, in no queue, until
  another thread takes a step that may conflict (or nothing else can happen), and then becomes ready again,
  as if an interrupt or another process had held it up. Without delays, a scenario with as many CPUs as
  threads has nothing to decide, and interleavings that timing allows on a real machine would never be tried.

A thread held back before a step is not asked again before that same step until some thread has taken a
step (the kernel's step count has moved): the policy may give it the CPU straight back, or take the CPU from
whoever ran instead before it took a step (cfs and srtf do, with a context switch between: time moves, the
steps do not), and asking again could go on for ever.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.threads import BLOCKED, NEW, RUNNING, SLEEPING, SWITCHING

if TYPE_CHECKING:
    from simulator.analysis.footprints import Footprints
    from simulator.chooser import Chooser
    from simulator.model.cpus import Cpu
    from simulator.model.kernel import Kernel
    from simulator.model.threads import Thread
    from simulator.program.operations import Primitive

#: States of a thread that will take a step without anyone else's help.
_GOING_ON = (NEW, RUNNING, SWITCHING, SLEEPING)


class Control:
    """The decision points of one controlled run, and the threads it holds delayed."""

    __slots__ = ("_kernel", "_chooser", "_footprints", "_delays", "_observe", "delayed")

    def __init__(self, kernel: Kernel, chooser: Chooser, footprints: Footprints) -> None:
        self._kernel = kernel
        self._chooser = chooser
        self._footprints = footprints
        #: Whether the strategy is offered delays (a replay of a token recorded before delays existed is not:
        #: its decision points would be numbered otherwise).
        self._delays = chooser.offers_delays
        #: Told of every step that may conflict, as it is taken (the reduced search's: simulator.exploration.dpor).
        self._observe = getattr(chooser.strategy, "observe", None)
        #: Delayed threads, in the order they were delayed (each READY, on no CPU and in no queue).
        self.delayed: list[Thread] = []

    def before_step(self, cpu: Cpu, thread: Thread, operation: Primitive) -> bool:
        """`thread`, running on `cpu`, is about to take the visible step `operation`: whether it was preempted
        or delayed instead (it then takes the step when it runs again)."""
        chooser = self._chooser
        chooser.strategy.on_step()  # type: ignore[union-attr]
        kernel = self._kernel
        delayed = self.delayed
        ready = kernel._ready  # the hot path of every explored schedule: read, not asked through a method
        # The cheap tests first: nobody to switch to, nobody else to go first, nobody to release or tell.
        may_delay = not ready and self._delays and kernel.unfinished() > 1 + len(delayed)
        observe = self._observe
        if not (ready or may_delay or delayed or observe):
            return False
        if self._footprints.independent(thread.template, operation):
            return False
        if thread.held_back == kernel.steps:
            if observe is not None:
                observe(thread, operation)
            return False
        if ready:
            if chooser.preempt(thread, kernel.policy.ready_threads()):
                thread.next_op = operation
                thread.held_back = kernel.steps
                kernel.preempt(cpu, thread)
                return True
        elif may_delay:
            others = self._going_on(thread)
            if others and chooser.delay(thread, others):
                thread.next_op = operation
                thread.held_back = kernel.steps
                self.delayed.append(thread)
                kernel.delay(cpu, thread)
                return True
        if self.delayed:
            self.release()  # `thread` takes a step that may conflict: the delayed ones may go on after it
        if observe is not None:
            observe(thread, operation)
        return False

    def release(self) -> None:
        """Make every delayed thread ready again, in the order they were delayed."""
        delayed, self.delayed = self.delayed, []
        for thread in delayed:
            self._kernel.undelay(thread)

    def _going_on(self, running: Thread) -> list[Thread]:
        """The threads other than `running` that will take a step by themselves (in index order)."""
        return [
            thread
            for thread in self._kernel.threads
            if thread is not running
            and (thread.state in _GOING_ON or (thread.state is BLOCKED and thread.blocked_on == "blocked_io"))
        ]
