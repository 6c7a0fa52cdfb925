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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.sync import SyncObject, WaitQueue

if TYPE_CHECKING:
    from simulator.model.threads import Thread

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
