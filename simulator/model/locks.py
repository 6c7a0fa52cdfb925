"""Mutexes (plain, and with priority inheritance or an immediate priority ceiling) and counting semaphores,
with the figures the reports give for each (acquisitions, contended ones, waits, waiters). Ownership is
handed over directly: an unlocked mutex goes to its first waiter (no barging), a released semaphore unit to
the first waiter. See simulator.model.sync for the other objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.wait_queue import Host, SyncObject, WaitQueue

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class LockFigures:
    """A mutex's or semaphore's figures for the reports: acquisitions, the contended ones (the thread had to
    wait), the total wait and the most waiters at once. The total wait is the area under the number of
    waiters, advanced by waiters x time since the last change whenever that number changes: a few additions
    per park and wake, nothing per other event, and right for a waiter that moves in from a condition."""

    __slots__ = ("acquisitions", "contended", "waited", "max_waiters", "changed")

    def __init__(self) -> None:
        self.acquisitions = 0
        self.contended = 0
        #: Thread-time (ns) spent waiting, up to `changed`.
        self.waited = 0
        self.max_waiters = 0
        self.changed = 0

    def advance(self, now: int, waiting: int) -> None:
        """Called just before the number of waiters changes from `waiting`."""
        self.waited += waiting * (now - self.changed)
        self.changed = now

    def parked(self, waiting: int) -> None:
        """A thread has just joined the waiters, who are now `waiting`."""
        if waiting > self.max_waiters:
            self.max_waiters = waiting

    def total_wait(self, end: int, waiting: int) -> int:
        """The wait up to `end`, the run's end (threads still waiting then counted up to it)."""
        return self.waited + waiting * (end - self.changed)


class Mutex(SyncObject):
    """Non-recursive; unlocking requires holding it; ownership passes straight to the first waiter."""

    kind = "mutex"

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.owner: Thread | None = None
        self.waiters = WaitQueue()
        self.figures = LockFigures()

    def holders(self) -> list[Thread]:
        return [self.owner] if self.owner is not None else []

    def lock(self, host: Host, thread: Thread) -> bool:
        if self.owner is thread:
            message = f"{thread.name} locks mutex {self.name}, which it already holds (not recursive)"
            host.misuse(thread, message, (self.name, "lock"))
            return True
        if self.owner is None:  # what take does, inline: the uncontended lock is the common case
            self.owner = thread
            self.figures.acquisitions += 1
            host.races.acquire(thread.index, self.clock)
            return True
        self.figures.advance(host.engine.now, len(self.waiters))
        host.park(thread, self.waiters, self, f"mutex {self.name} held by {self.owner.name}")
        self.figures.parked(len(self.waiters))
        return False

    def take(self, host: Host, thread: Thread) -> None:
        """`thread` becomes the owner of the free mutex (and happens after its last release)."""
        self.owner = thread
        self.figures.acquisitions += 1
        host.races.acquire(thread.index, self.clock)

    def unlock(self, host: Host, thread: Thread) -> bool:
        if self.owner is not thread:
            holder = "nobody" if self.owner is None else self.owner.name
            host.misuse(thread, f"{thread.name} unlocks mutex {self.name}, held by {holder}", (self.name, "unlock"))
            return True
        self.release_by(host, thread)
        return True

    def release_by(self, host: Host, thread: Thread) -> None:
        """Give the mutex up (unlock, or a condition wait); hand it to the first waiter."""
        host.races.release(thread.index, self.clock)
        figures = self.figures
        if len(self.waiters):
            figures.advance(host.engine.now, len(self.waiters))
        self.owner = self.waiters.pop()
        if self.owner is not None:
            figures.acquisitions += 1
            figures.contended += 1
            host.races.acquire(self.owner.index, self.clock)
            host.handoff(self, thread, self.owner)
            host.unpark(self.owner)

    def queued(self, host: Host) -> None:
        """A thread has just joined the waiters (a plain mutex does nothing; see ProtocolMutex)."""


class ProtocolMutex(Mutex):
    """A mutex with a priority protocol, against priority inversion (a more urgent thread waiting for a lock
    that a less urgent holder cannot release because threads in between take the CPU).

    - `inherit` (priority inheritance): while it holds the mutex, the holder runs at the most urgent
      priority of the threads waiting for it, and transitively: a holder that itself waits for another
      inheriting mutex passes the priority on to that one's holder, and so on along the chain.
    - `ceiling` (immediate priority ceiling, `ceiling` P): on locking, the holder's priority becomes at least
      as urgent as P, before anyone waits.

    Priorities are the policy's numbers (lower: more urgent). A thread's priority is always recomputed from
    its own (`base_priority`) and the protocol mutexes it still holds, so unlocking restores exactly what the
    remaining ones give. Waiting stays first come, first served: the protocols change who gets the CPU,
    never who gets the mutex next. Only policies that read priorities (`priority`) are affected.
    """

    def __init__(self, name: str, protocol: str, ceiling: int | None = None) -> None:
        super().__init__(name)
        self.protocol = protocol
        self.ceiling = ceiling

    def lock(self, host: Host, thread: Thread) -> bool:
        was_free = self.owner is None
        going_on = super().lock(host, thread)
        if was_free:
            self._acquired(host, thread)
        elif not going_on:
            self.queued(host)
        return going_on

    def take(self, host: Host, thread: Thread) -> None:
        super().take(host, thread)
        self._acquired(host, thread)

    def release_by(self, host: Host, thread: Thread) -> None:
        if thread.boosting is not None and self in thread.boosting:
            thread.boosting.remove(self)
        _update_priority(host, thread)  # restored before the mutex (and the CPU, maybe) goes to a waiter
        super().release_by(host, thread)
        if self.owner is not None:
            self._acquired(host, self.owner)

    def queued(self, host: Host) -> None:
        if self.protocol == "inherit" and self.owner is not None:
            _update_priority(host, self.owner)

    def _acquired(self, host: Host, thread: Thread) -> None:
        """`thread` now holds this mutex: it counts among the mutexes that set its priority."""
        if thread.boosting is None:
            thread.boosting = []
        thread.boosting.append(self)
        _update_priority(host, thread)

    def pull(self) -> int | None:
        """The priority this mutex gives its holder (None: none beyond the holder's own)."""
        if self.protocol == "ceiling":
            return self.ceiling
        return min((waiter.priority for waiter in self.waiters), default=None)


def _update_priority(host: Host, thread: Thread) -> None:
    """Recompute `thread`'s priority from its own and the protocol mutexes it holds; if that changed, tell
    the host, and pass the change on to the holder of the inheriting mutex it waits for, if any."""
    while True:
        priority = thread.base_priority
        for mutex in thread.boosting or ():
            if mutex.owner is thread:
                pull = mutex.pull()
                if pull is not None and pull < priority:
                    priority = pull
        if priority == thread.priority:
            return
        before, thread.priority = thread.priority, priority
        if host.tracing:
            host.emit(None, thread.name, "priority", ("priority", priority), ("from", before))
        host.reprioritize(thread)
        waited = thread.waiting_on
        if not (isinstance(waited, ProtocolMutex) and waited.protocol == "inherit" and waited.owner is not None):
            return
        thread = waited.owner  # the chain: its holder inherits from it


class Semaphore(SyncObject):
    """A count; acquire takes one (waiting at 0), release gives one (straight to a waiter if any)."""

    kind = "semaphore"

    def __init__(self, name: str, count: int) -> None:
        super().__init__(name)
        self.count = count
        self.waiters = WaitQueue()
        self.figures = LockFigures()

    def acquire(self, host: Host, thread: Thread) -> bool:
        if self.count > 0:
            self.count -= 1
            self.figures.acquisitions += 1
            host.races.acquire(thread.index, self.clock)
            return True
        self.figures.advance(host.engine.now, len(self.waiters))
        host.park(thread, self.waiters, self, f"semaphore {self.name} at 0")
        self.figures.parked(len(self.waiters))
        return False

    def release(self, host: Host, thread: Thread) -> bool:
        host.races.release(thread.index, self.clock)
        if len(self.waiters):
            self.figures.advance(host.engine.now, len(self.waiters))
        waiter = self.waiters.pop()
        if waiter is None:
            self.count += 1
        else:
            self.figures.acquisitions += 1
            self.figures.contended += 1
            host.races.acquire(waiter.index, self.clock)
            host.unpark(waiter)
        return True
