"""CPython's global interpreter lock, modelled on Python/ceval_gil.c (CPython 3.2 and later).

A process declared with `gil: true` (or `gil: {switch_interval: D}`) has one GIL. Its threads need it to
compute, except in a compute with `releases_gil: true` (C code that drops the lock). The rules:

- A thread that needs the GIL while another holds it waits (blocked, reason "the GIL of P, held by H").
  If the GIL has not changed hands after `switch_interval` (default 5 ms), the waiter asks the holder to
  drop it ("eval breaker"); a holder that is computing drops it at once, one that the OS has preempted
  drops it as soon as it runs again.
- Forced switching: the GIL goes to the longest waiter, and the thread that dropped it on request cannot
  take it again before that waiter has.
- Sleeping, I/O, blocking on a lock or queue, and ending release the GIL; the next compute takes it again,
  with no priority over the threads already waiting.
- Steps that take no time (memory, synchronization) need no GIL in this model: only computing does.

Processes never share a GIL; `gil: false` (the default) is a free-threaded process.

The GIL is a synchronization object like the others: it holds these rules itself and calls back into the
run's `Host` (simulator.model.sync) to park and wake threads, set its switch-interval timers, and ask the
kernel to interrupt a computing holder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.engine import PRIORITY_WAKE
from simulator.model.sync import Host, SyncObject, WaitQueue
from simulator.states import State

if TYPE_CHECKING:
    from simulator.model.cpus import Cpu
    from simulator.model.threads import Thread

_RUNNING = State.RUNNING

#: CPython's default switch interval (sys.getswitchinterval()).
DEFAULT_SWITCH_INTERVAL = 5_000_000


class Gil(SyncObject):
    """One process's GIL."""

    kind = "GIL"

    def __init__(self, process: str, switch_interval: int) -> None:
        super().__init__(process)
        self.switch_interval = switch_interval
        self.holder: Thread | None = None
        self.waiters = WaitQueue()
        #: The waiter a dropped or released GIL was handed to; only it may take the GIL next.
        self.reserved_for: Thread | None = None
        #: A waiter asked the holder to drop the GIL, and the holder has not yet.
        self.drop_requested = False
        #: Counts hand-overs, so a waiter can tell whether the GIL changed hands while it waited.
        self.switches = 0

    def holders(self) -> list[Thread]:
        return [self.holder] if self.holder is not None else []

    def reason(self) -> str:
        holder = self.holder.name if self.holder is not None else "nobody (handed to another waiter)"
        return f"the GIL of {self.name}, held by {holder}"

    def take(self, host: Host, cpu: Cpu, thread: Thread) -> bool:
        """`thread`, running on `cpu`, is about to run Python code: whether it holds the GIL (taking it if it
        may); if not, it is parked until it does."""
        if self.holder is thread:
            if not (self.drop_requested and len(self.waiters)):
                return True
            self.release(host)  # asked to drop it while the OS had it preempted: drop it now
        elif self.holder is None and self.reserved_for in (None, thread):
            self.holder, self.reserved_for, self.drop_requested = thread, None, False
            self.switches += 1
            if host.tracing:
                host.emit(cpu.index, thread.name, "gil", ("action", "take"), ("process", self.name))
            return True
        host.park(thread, self.waiters, self, self.reason())
        engine = host.engine
        engine.schedule(engine.now + self.switch_interval, PRIORITY_WAKE, self._interval,
                        (host, thread, thread.wait_serial, self.switches))  # fmt: skip
        return False

    def _interval(self, event: tuple[Host, Thread, int, int]) -> None:
        """A waiter's switch interval ended: if the GIL has not changed hands meanwhile, ask for it."""
        host, thread, serial, switches = event
        if thread.wait_serial != serial or thread.waiting_on is not self:
            return
        engine = host.engine
        if self.switches != switches or self.holder is None:  # it moved meanwhile: wait another interval
            engine.schedule(engine.now + self.switch_interval, PRIORITY_WAKE, self._interval,
                            (host, thread, serial, self.switches))  # fmt: skip
            return
        holder = self.holder
        self.drop_requested = True
        if host.tracing:
            host.emit(None, thread.name, "gil", ("action", "drop_request"), ("holder", holder.name))
        if holder.cpu is None or holder.state is not _RUNNING or not holder.needs_gil:
            return  # not running Python code now: it drops the GIL when it next computes
        # The holder is running Python code: it drops the GIL at once (forced switching: it may not take it
        # back before the waiter has had it), and waits for it to finish its compute.
        host.interrupt_compute(holder)

    def release(self, host: Host) -> None:
        """The holder lets go of the GIL (or the waiter it was handed to leaves without taking it); it goes
        to the longest waiter, if any."""
        holder = self.holder
        self.holder, self.drop_requested = None, False
        waiter = self.waiters.pop()
        self.reserved_for = waiter
        if host.tracing and holder is not None:
            host.emit(holder.cpu_index(), holder.name, "gil", ("action", "release"), ("process", self.name))
        if waiter is not None:
            self.switches += 1
            host.unpark(waiter)
