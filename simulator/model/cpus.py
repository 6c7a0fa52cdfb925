"""A CPU at run time: which thread it runs, its time slice, and its accounting."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class Cpu:
    """One CPU. `thread` is the thread running or being switched to; None when idle."""

    __slots__ = (
        "index", "thread", "last_thread", "token", "switch_start", "run_start", "segment_start",
        "time_slice", "slice_start", "expiry", "busy", "switching", "preempted", "preempted_at",
    )  # fmt: skip

    def __init__(self, index: int) -> None:
        self.index = index
        self.thread: Thread | None = None
        #: The thread that ran here last: dispatching a different one costs a context switch.
        self.last_thread: Thread | None = None
        #: Bumped whenever this CPU's pending event is superseded; stale events carry an old token.
        self.token = 0
        self.switch_start = 0
        #: When the current thread began running here (for `busy`).
        self.run_start = 0
        #: When the current compute segment began (for the thread's remaining CPU time).
        self.segment_start = 0
        #: The running thread's time slice (None: no limit) and when it (re)started.
        self.time_slice: int | None = None
        self.slice_start = 0
        #: When the armed quantum expiry fires; None while no expiry is armed.
        self.expiry: int | None = None
        self.busy = 0
        self.switching = 0
        #: The thread last preempted off this CPU, and when: one the policy gives the CPU straight back to, at
        #: that instant, never left it for another thread (its involuntary switch is taken back).
        self.preempted: Thread | None = None
        self.preempted_at = -1
