"""Synchronization objects, all built on one FIFO wait queue (like Trio's ParkingLot).

Each operation is called by the kernel for the thread running it and returns True when the thread goes on
at once, False when it was parked (blocked). Waking is always first come, first served, and ownership is
handed over directly: an unlocked mutex goes to its first waiter (no barging), a released semaphore unit to
the first waiter, a put item to the first waiting getter. Every operation also moves vector clocks for the
race detector (see simulator.analysis.races).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from simulator.analysis.races import Clock, RaceDetector

if TYPE_CHECKING:
    from simulator.engine import Engine
    from simulator.model.threads import Thread


class WaitQueue:
    """Threads waiting for something, in arrival order."""

    __slots__ = ("threads",)

    def __init__(self) -> None:
        self.threads: deque[Thread] = deque()

    def park(self, thread: Thread) -> None:
        self.threads.append(thread)

    def pop(self) -> Thread | None:
        """The longest-waiting thread, removed; None when empty."""
        return self.threads.popleft() if self.threads else None

    def remove(self, thread: Thread) -> bool:
        """Take `thread` out (a timed wait that expired). False if it was not waiting here."""
        try:
            self.threads.remove(thread)
        except ValueError:
            return False
        return True

    def __len__(self) -> int:
        return len(self.threads)

    def __iter__(self) -> Iterator[Thread]:
        return iter(self.threads)


class Host(Protocol):
    """What synchronization objects (and the GIL) need from the kernel (simulator.model.blocking)."""

    #: The run's engine: its time, and timers (a GIL's switch interval).
    engine: Engine
    races: RaceDetector
    #: Whether anyone listens to trace events: `emit` only then.
    tracing: bool

    def emit(self, cpu: int | None, thread: str | None, event: str, *details: tuple[str, object]) -> None: ...

    def park(self, thread: Thread, queue: WaitQueue, obj: SyncObject, reason: str,
             timeout: int | None = None) -> None: ...  # fmt: skip

    def rewait(self, thread: Thread, obj: SyncObject, reason: str) -> None: ...

    def unpark(self, thread: Thread) -> None: ...

    def handoff(self, obj: SyncObject, giver: Thread, taker: Thread) -> None: ...

    def misuse(self, thread: Thread, message: str, subject: tuple[str, ...]) -> None: ...

    def interrupt_compute(self, thread: Thread) -> None: ...


class SyncObject:
    """Common to every object: a name, a kind, and a clock for happens-before."""

    kind = "object"

    def __init__(self, name: str) -> None:
        self.name = name
        self.clock: Clock = {}

    def holders(self) -> list[Thread]:
        """The threads whose action this object waits for, when that is known (for deadlock cycles)."""
        return []


class Mutex(SyncObject):
    """Non-recursive; unlocking requires holding it; ownership passes straight to the first waiter."""

    kind = "mutex"

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.owner: Thread | None = None
        self.waiters = WaitQueue()

    def holders(self) -> list[Thread]:
        return [self.owner] if self.owner is not None else []

    def lock(self, host: Host, thread: Thread) -> bool:
        if self.owner is thread:
            message = f"{thread.name} locks mutex {self.name}, which it already holds (not recursive)"
            host.misuse(thread, message, (self.name, "lock"))
            return True
        if self.owner is None:
            self.owner = thread
            host.races.acquire(thread.index, self.clock)
            return True
        host.park(thread, self.waiters, self, f"mutex {self.name} held by {self.owner.name}")
        return False

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
        self.owner = self.waiters.pop()
        if self.owner is not None:
            host.races.acquire(self.owner.index, self.clock)
            host.handoff(self, thread, self.owner)
            host.unpark(self.owner)

    def reacquire(self, host: Host, thread: Thread) -> bool:
        """After a condition wait: take the mutex if free (True), else queue for it (False)."""
        if self.owner is None:
            self.owner = thread
            host.races.acquire(thread.index, self.clock)
            return True
        self.waiters.park(thread)
        return False


class Semaphore(SyncObject):
    """A count; acquire takes one (waiting at 0), release gives one (straight to a waiter if any)."""

    kind = "semaphore"

    def __init__(self, name: str, count: int) -> None:
        super().__init__(name)
        self.count = count
        self.waiters = WaitQueue()

    def acquire(self, host: Host, thread: Thread) -> bool:
        if self.count > 0:
            self.count -= 1
            host.races.acquire(thread.index, self.clock)
            return True
        host.park(thread, self.waiters, self, f"semaphore {self.name} at 0")
        return False

    def release(self, host: Host, thread: Thread) -> bool:
        host.races.release(thread.index, self.clock)
        waiter = self.waiters.pop()
        if waiter is None:
            self.count += 1
        else:
            host.races.acquire(waiter.index, self.clock)
            host.unpark(waiter)
        return True


class Condition(SyncObject):
    """A Mesa condition variable bound to a mutex: a woken waiter re-acquires the mutex before going on."""

    kind = "condition"

    def __init__(self, name: str, mutex: Mutex) -> None:
        super().__init__(name)
        self.mutex = mutex
        self.waiters = WaitQueue()

    def wait(self, host: Host, thread: Thread, timeout: int | None) -> bool:
        if self.mutex.owner is not thread:
            message = f"{thread.name} waits on condition {self.name} without holding mutex {self.mutex.name}"
            host.misuse(thread, message, (self.name, "wait"))
            return True
        self.mutex.release_by(host, thread)
        host.park(thread, self.waiters, self, f"condition {self.name} (notify)", timeout)
        return False

    def notify(self, host: Host, thread: Thread, every: bool) -> bool:
        # Notifying without holding the mutex is allowed (as in POSIX): not a violation.
        host.races.release(thread.index, self.clock)
        while (waiter := self.waiters.pop()) is not None:
            self.wake(host, waiter)
            if not every:
                break
        return True

    def wake(self, host: Host, waiter: Thread) -> None:
        """A waiter was notified or timed out: it now needs the mutex back."""
        host.races.acquire(waiter.index, self.clock)
        if self.mutex.reacquire(host, waiter):
            host.unpark(waiter)
        else:
            owner = self.mutex.owner.name if self.mutex.owner is not None else "nobody"
            host.rewait(waiter, self.mutex, f"mutex {self.mutex.name} held by {owner} (after wait on {self.name})")


class Event(SyncObject):
    """A flag: wait_event blocks until it is set; set_event wakes every waiter."""

    kind = "event"

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.is_set = False
        self.waiters = WaitQueue()

    def set(self, host: Host, thread: Thread, value: bool) -> bool:
        self.is_set = value
        if value:
            host.races.release(thread.index, self.clock)
            while (waiter := self.waiters.pop()) is not None:
                host.races.acquire(waiter.index, self.clock)
                host.unpark(waiter)
        return True

    def wait(self, host: Host, thread: Thread) -> bool:
        if self.is_set:
            host.races.acquire(thread.index, self.clock)
            return True
        host.park(thread, self.waiters, self, f"event {self.name} (not set)")
        return False


class Barrier(SyncObject):
    """Threads wait until `parties` have arrived; then all go on and the barrier resets."""

    kind = "barrier"

    def __init__(self, name: str, parties: int) -> None:
        super().__init__(name)
        self.parties = parties
        self.waiters = WaitQueue()

    def arrive(self, host: Host, thread: Thread) -> bool:
        host.races.release(thread.index, self.clock)
        if len(self.waiters) + 1 < self.parties:
            host.park(thread, self.waiters, self, f"barrier {self.name} ({len(self.waiters) + 1}/{self.parties})")
            return False
        host.races.acquire(thread.index, self.clock)
        while (waiter := self.waiters.pop()) is not None:
            host.races.acquire(waiter.index, self.clock)
            host.unpark(waiter)
        self.clock = {}
        return True


class Channel(SyncObject):
    """A bounded FIFO queue (a process's `queue`, or a `channel` between processes).

    Each item carries the putter's clock, so a get happens after the put of the item it receives.
    """

    kind = "queue"

    def __init__(self, name: str, capacity: int, kind: str = "queue") -> None:
        super().__init__(name)
        self.kind = kind
        self.capacity = capacity
        self.items: deque[tuple[int, Clock]] = deque()
        self.getters = WaitQueue()
        self.putters = WaitQueue()

    def put(self, host: Host, thread: Thread, value: int) -> bool:
        clock = host.races.snapshot(thread.index)
        getter = self.getters.pop()
        if getter is not None:
            host.races.acquire(getter.index, clock)
            getter.received = value
            host.unpark(getter)
            return True
        if len(self.items) < self.capacity:
            self.items.append((value, clock))
            return True
        thread.pending = (value, clock)
        host.park(thread, self.putters, self, f"{self.kind} {self.name} full ({self.capacity})")
        return False

    def get(self, host: Host, thread: Thread) -> bool:
        if self.items:
            value, clock = self.items.popleft()
            host.races.acquire(thread.index, clock)
            thread.received = value
            putter = self.putters.pop()
            if putter is not None:
                assert putter.pending is not None
                self.items.append(putter.pending)
                putter.pending = None
                host.unpark(putter)
            return True
        host.park(thread, self.getters, self, f"{self.kind} {self.name} empty")
        return False


class Completion(SyncObject):
    """The end of a thread or a process instance, which join and wait_process wait for.

    `members` gives the threads whose end it is (for deadlock cycles: who a joiner waits for).
    """

    kind = "thread"

    def __init__(self, name: str, kind: str, members: Callable[[], list[Thread]]) -> None:
        super().__init__(name)
        self.kind = kind
        self.done = False
        self.waiters = WaitQueue()
        self.members = members

    def holders(self) -> list[Thread]:
        return [] if self.done else [thread for thread in self.members() if thread.completion is None]

    def finish(self, host: Host) -> None:
        self.done = True
        while (waiter := self.waiters.pop()) is not None:
            host.races.acquire(waiter.index, self.clock)
            host.unpark(waiter)

    def wait(self, host: Host, thread: Thread) -> bool:
        if self.done:
            host.races.acquire(thread.index, self.clock)
            return True
        host.park(thread, self.waiters, self, f"{self.kind} {self.name} to end")
        return False
