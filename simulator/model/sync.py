"""Synchronization objects, all built on one FIFO wait queue (simulator.model.wait_queue): condition
variables, events, barriers, channels (queues), completions (join, wait_process); mutexes and semaphores are
in simulator.model.locks.

Each object holds its own rules; what waiting means for a thread (leaving the CPU, timeouts, deadlock
checks, waking) is the run's `Host` (simulator.model.blocking), which every operation is given. Each
operation is called by the kernel for the thread running it and returns True when the thread goes on
at once, False when it was parked (blocked). Waking is always first come, first served, and ownership is
handed over directly: a put item goes to the first waiting getter. Every operation also moves vector clocks
for the race detector (see simulator.analysis.races).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from simulator.analysis.races import Clock, RaceDetector, join
from simulator.model.locks import Mutex
from simulator.model.wait_queue import Host, SyncObject, WaitQueue

if TYPE_CHECKING:
    from simulator.model.threads import Thread


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
        """A waiter was notified or timed out (and is out of the queue): it happens after the notify, and
        needs the mutex back before it goes on: it takes it if free, else it waits for it, still parked."""
        host.races.acquire(waiter.index, self.clock)
        mutex = self.mutex
        owner = mutex.owner
        if owner is None:
            mutex.take(host, waiter)
            host.unpark(waiter)
        else:
            reason = f"mutex {mutex.name} held by {owner.name} (after wait on {self.name})"
            mutex.figures.advance(host.engine.now, len(mutex.waiters))
            host.repark(waiter, mutex.waiters, mutex, reason)
            mutex.figures.parked(len(mutex.waiters))
            mutex.queued(host)


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
            self.waiters.unpark_all(host, self.clock)
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
        self.waiters.unpark_all(host, self.clock)
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

    `members` gives the threads whose end it is (for deadlock cycles: who a joiner waits for). A completion is
    made only when someone first asks for it (most threads of a large run are never joined). Made before its
    members ended, it is finished by the kernel at the last one's end (`thread_ended`); made after, it
    catches up at the first wait, from the clocks they ended with (`wait`). Either way a waiter happens after
    everything its members did.
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
        """Every member has ended (its clock holds theirs): wake the waiters."""
        self.done = True
        self.waiters.unpark_all(host, self.clock)

    def collect(self, races: RaceDetector) -> None:
        """Join the clocks every member ended with into this one."""
        for member in self.members():
            join(self.clock, races.clock(member.index))

    def wait(self, host: Host, thread: Thread) -> bool:
        if not self.done and not self.holders():  # every member ended before anyone asked: catch up
            self.collect(host.races)
            self.done = True
        if self.done:
            host.races.acquire(thread.index, self.clock)
            return True
        host.park(thread, self.waiters, self, f"{self.kind} {self.name} to end")
        return False


def thread_ended(host: Host, thread: Thread) -> None:
    """`thread` has just ended: finish the completions that wait for it, if anyone has asked for them yet.

    Its own (for join) gets its clock as a release; its process's (for wait_process), once the process's
    last live thread has ended, the clocks of all its threads.
    """
    done = thread.done
    if done is not None:
        host.races.release(thread.index, done.clock)
        done.finish(host)
    process = thread.proc
    process.live -= 1
    if process.live == 0 and process.has_completion:
        completion = process.completion
        completion.collect(host.races)
        completion.finish(host)
