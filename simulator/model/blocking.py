"""Blocking and waking: the kernel's side of the `Host` protocol that every synchronization object uses.

A synchronization object decides *whether* a thread waits and *who* goes on (simulator.model.sync); this
module does what waiting means for the thread: it leaves its CPU, records what it waits for and why (for
reports and deadlock cycles), may time out, and becomes ready again when woken. Each park and repark is
checked for a deadlock cycle at once (simulator.analysis.deadlock).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulator.analysis.deadlock import DeadlockDetector
from simulator.analysis.violations import MAX_VIOLATIONS_PER_SUBJECT
from simulator.engine import PRIORITY_WAKE, Engine
from simulator.model.sync import Condition
from simulator.model.wait_queue import SyncObject, WaitQueue
from simulator.program.operations import Exit
from simulator.states import State

if TYPE_CHECKING:
    from simulator.analysis.races import RaceDetector
    from simulator.model.threads import Thread

_BLOCKED = State.BLOCKED


class Blocking:
    """Parks threads in wait queues and wakes them, for the synchronization objects of one kernel run."""

    __slots__ = (
        "engine", "races", "tracing", "emit", "interrupt_compute", "deadlocks", "wake", "_leave", "_violation",
        "reprioritize", "_misuses",
    )  # fmt: skip

    def __init__(
        self,
        engine: Engine,
        races: RaceDetector,
        emit: Callable[..., None] | None,
        leave: Callable[[Any, Thread, State], None],
        wake: Callable[[Thread], None],
        violation: Callable[..., None],
        interrupt_compute: Callable[[Thread], None],
    ) -> None:
        """`emit` makes a trace event (None: nobody listens); `leave` takes a thread off its CPU into a state;
        `wake` makes a thread ready; `violation` records a violation found now; `interrupt_compute` cuts the
        compute of a running thread short and goes on with it at once (it re-takes the GIL first)."""
        self.engine = engine
        self.races = races
        #: Whether anyone listens to trace events (none is built otherwise).
        self.tracing = emit is not None
        self.emit: Callable[..., None] = emit if emit is not None else _no_trace
        self._leave = leave
        #: Makes a thread ready: a parked one through unpark, one whose I/O is over directly (a DeviceHost).
        self.wake = wake
        self._violation = violation
        self.interrupt_compute = interrupt_compute
        self.deadlocks = DeadlockDetector()
        #: A thread's priority changed (a mutex's priority protocol): the kernel sets this to re-file it.
        self.reprioritize: Callable[[Thread], None] = _no_trace
        #: How many times each thread made each misuse (by thread index and subject): see misuse.
        self._misuses: dict[tuple[int, tuple[str, ...]], int] = {}

    def park(self, thread: Thread, queue: WaitQueue, obj: SyncObject, reason: str, timeout: int | None = None) -> None:
        """Block the running `thread` in `queue`, waiting for `obj`; optionally only for `timeout` ns."""
        cpu = thread.cpu
        assert cpu is not None
        self._leave(cpu, thread, _BLOCKED)
        thread.voluntary_switches += 1
        queue.park(thread)
        thread.waiting_on = obj
        thread.waiting_reason = reason
        thread.wait_serial += 1
        # What the blocked time is charged to (Thread.blocked_on): waiting for a GIL or for any other object.
        thread.blocked_on = "blocked_gil" if obj.kind == "GIL" else "blocked_sync"
        if self.tracing:
            self.emit(cpu.index, thread.name, "block", ("object", obj.name), ("kind", obj.kind), ("reason", reason))
        if timeout is not None:
            self.engine.schedule(self.engine.now + timeout, PRIORITY_WAKE, self._timeout,
                                 (thread, thread.wait_serial, queue, obj))  # fmt: skip
        found = self.deadlocks.check(thread)
        if found is not None:
            self._violation("deadlock", None, found.message, found.subject)

    def repark(self, thread: Thread, queue: WaitQueue, obj: SyncObject, reason: str) -> None:
        """A parked thread, just taken out of the queue it waited in, waits in `queue` for `obj` instead,
        without running in between (a notified condition waiter queued for the condition's mutex)."""
        queue.park(thread)
        thread.waiting_on = obj
        thread.waiting_reason = reason
        thread.wait_serial += 1
        if self.tracing:
            self.emit(None, thread.name, "rewait", ("object", obj.name), ("kind", obj.kind), ("reason", reason))
        found = self.deadlocks.check(thread)
        if found is not None:
            self._violation("deadlock", None, found.message, found.subject)

    def unpark(self, thread: Thread) -> None:
        """A blocked thread may go on: it becomes ready (with the item a get was waiting for, if any)."""
        thread.waiting_on = None
        thread.waiting_reason = ""
        thread.wait_serial += 1
        deliver(thread)
        self.wake(thread)

    def handoff(self, obj: SyncObject, giver: Thread, taker: Thread) -> None:
        """Ownership of `obj` passed straight from `giver` to `taker` (a trace event only)."""
        if self.tracing:
            self.emit(None, taker.name, "handoff", ("object", obj.name), ("from", giver.name))

    def misuse(self, thread: Thread, message: str, subject: tuple[str, ...]) -> None:
        """A thread used an object wrongly: a violation; the step has no effect and the thread goes on, unless
        this is the MAX_VIOLATIONS_PER_SUBJECT-th time it made this same misuse (same subject): then it stops
        after the step, as if its next operation were `exit` (what it holds stays held). A run lists no more
        violations of a subject than that, so going on would only count more of them: a misuse in a loop of
        10**9 passes would run to the step bound. `subject`: the object's name and the operation (see
        simulator.analysis.violations)."""
        key = (thread.index, subject)
        count = self._misuses[key] = self._misuses.get(key, 0) + 1
        if count >= MAX_VIOLATIONS_PER_SUBJECT:
            message = f"{message}; {thread.name} stops (it made this misuse {count} times)"
            thread.next_op = Exit()
        self._violation("misuse", thread, message, subject)

    def report_stuck(self, threads: list[Thread]) -> None:
        """The run can do nothing more: threads still blocked (and in no reported cycle) are a deadlock."""
        found = self.deadlocks.stuck(threads)
        if found is not None:
            self._violation("deadlock", None, found.message, found.subject)

    def _timeout(self, event: tuple[Thread, int, WaitQueue, SyncObject]) -> None:
        """A timed wait's time is up: unless the thread was woken meanwhile, it stops waiting for `obj`."""
        thread, serial, queue, obj = event
        if thread.wait_serial != serial:
            return  # woken (or moved to another queue) since it parked
        queue.remove(thread)
        thread.timed_out = True  # a Python body is told its wait timed out
        if self.tracing:
            self.emit(None, thread.name, "timeout", ("object", obj.name))
        assert isinstance(obj, Condition)
        obj.wake(self, thread)


def deliver(thread: Thread) -> None:
    """Put a received item in the register the get asked for."""
    if thread.receive_into is not None and thread.received is not None:
        thread.registers[thread.receive_into] = thread.received
    thread.received = None
    thread.receive_into = None


def _no_trace(*_: object) -> None:
    """Stands in for `emit` when nobody listens (never called: callers check `tracing` first)."""
