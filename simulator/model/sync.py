"""Synchronization objects, all built on one FIFO wait queue (`WaitQueue`, like Trio's ParkingLot).

Each object holds its own rules; what waiting means for a thread (leaving the CPU, timeouts, deadlock
checks, waking) is the run's `Host` (simulator.model.blocking), which every operation is given. Each
operation is called by the kernel for the thread running it and returns True when the thread goes on
at once, False when it was parked (blocked). Waking is always first come, first served, and ownership is
handed over directly: an unlocked mutex goes to its first waiter (no barging), a released semaphore unit to
the first waiter, a put item to the first waiting getter. Every operation also moves vector clocks for the
race detector (see simulator.analysis.races).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from simulator.analysis.races import Clock, RaceDetector, join

if TYPE_CHECKING:
    from simulator.engine import Engine
    from simulator.model.threads import Thread


class WaitQueue:
    """A fair wait queue: the threads parked on one object, first come, first served (after trio's
    ParkingLot, src/trio/_core/_parking_lot.py, with its park / unpark_all / repark).

    Parking, taking out the longest waiter and taking out a given thread (a timed wait that expired) are all
    O(1). trio keeps its tasks in an OrderedDict for that; here a FIFO deque with lazy deletion does it at a
    fifth of the cost per park and wake (measured): a removed thread is only noted, and its entry is dropped
    when it comes to the front. The queue only holds threads: waking one is the host's (Host.unpark).
    """

    __slots__ = ("_parked", "_removed", "_stale")

    def __init__(self) -> None:
        self._parked: deque[Thread] = deque()
        #: Threads taken out early whose entries are still in `_parked`, with how many such entries.
        self._removed: dict[Thread, int] = {}
        self._stale = 0

    def park(self, thread: Thread) -> None:
        """Queue `thread` behind the others (Host.park and Host.repark do this, with the bookkeeping)."""
        self._parked.append(thread)

    def pop(self) -> Thread | None:
        """The longest-waiting thread, taken out without waking it (the caller hands it something first, then
        unparks it); None when nobody waits."""
        if self._stale:
            self._drop_removed()
        parked = self._parked
        return parked.popleft() if parked else None

    def unpark_all(self, host: Host, clock: Clock) -> None:
        """Wake every waiter, longest-waiting first; each acquires `clock` (it happens after whatever was
        released into it) just before it is woken."""
        while (waiter := self.pop()) is not None:
            host.races.acquire(waiter.index, clock)
            host.unpark(waiter)

    def remove(self, thread: Thread) -> None:
        """Take out `thread`, which must be waiting here (a timed wait whose time is up: its wait serial shows
        nobody woke it since it parked, and whoever takes a thread out of a queue wakes or reparks it)."""
        self._removed[thread] = self._removed.get(thread, 0) + 1
        self._stale += 1

    def _drop_removed(self) -> None:
        """Drop the front entries of removed threads. A thread's removed entries come before the one it may
        have now (it can wait in one place only, and parked again after it was removed)."""
        parked, removed = self._parked, self._removed
        while parked and parked[0] in removed:
            thread = parked.popleft()
            self._stale -= 1
            if removed[thread] == 1:
                del removed[thread]
            else:
                removed[thread] -= 1

    def __len__(self) -> int:
        return len(self._parked) - self._stale

    def __iter__(self) -> Iterator[Thread]:
        """The waiting threads, longest-waiting first (without removed entries: those come before a thread's
        live entry, see _drop_removed)."""
        skip = dict(self._removed)
        for thread in self._parked:
            if skip.get(thread):
                skip[thread] -= 1
                continue
            yield thread


class Host(Protocol):
    """What synchronization objects (and the GIL) need from the kernel (simulator.model.blocking)."""

    #: The run's engine: its time, and timers (a GIL's switch interval).
    engine: Engine
    races: RaceDetector
    #: Whether anyone listens to trace events: `emit` only then.
    tracing: bool

    def emit(self, cpu: int | None, thread: str | None, event: str, *details: tuple[str, object]) -> None:
        """Send a trace event to the listeners."""

    def park(self, thread: Thread, queue: WaitQueue, obj: SyncObject, reason: str,
             timeout: int | None = None) -> None:  # fmt: skip
        """Block the running `thread` in `queue`, waiting for `obj` (`reason` says why, for people)."""

    def repark(self, thread: Thread, queue: WaitQueue, obj: SyncObject, reason: str) -> None:
        """A parked thread, just taken out of its queue, waits in `queue` for `obj` instead."""

    def unpark(self, thread: Thread) -> None:
        """A parked thread, taken out of its queue, may go on: it becomes ready."""

    def handoff(self, obj: SyncObject, giver: Thread, taker: Thread) -> None:
        """Ownership of `obj` passed straight from `giver` to `taker` (traced)."""

    def misuse(self, thread: Thread, message: str, subject: tuple[str, ...]) -> None:
        """`thread` used an object wrongly: a violation, with its subject (object, operation)."""

    def interrupt_compute(self, thread: Thread) -> None:
        """The running `thread`'s compute is cut short and resumed at once (a GIL drop request)."""

    def reprioritize(self, thread: Thread) -> None:
        """`thread.priority` has just changed (a priority protocol): the policy re-files it if it is ready,
        and a preemptive policy looks again at who should run."""


class SyncObject:
    """Common to every object: a name, a kind, and a clock for happens-before."""

    kind = "object"

    def __init__(self, name: str) -> None:
        self.name = name
        self.clock: Clock = {}

    def holders(self) -> list[Thread]:
        """The threads whose action this object waits for, when that is known (for deadlock cycles)."""
        return []


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
