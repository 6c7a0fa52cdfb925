"""What every synchronization object stands on: the FIFO wait queue (`WaitQueue`, like Trio's ParkingLot), the
`Host` protocol through which objects park and wake threads (the kernel's side: simulator.model.blocking),
and the `SyncObject` base (a name, a kind, a clock for happens-before)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from simulator.analysis.races import Clock, RaceDetector

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

    def first(self, count: int | None = None) -> list[Thread]:
        """The `count` longest-waiting threads (None: every one), in the order `pop` would take them out,
        left in the queue: for trace events that say whom a step wakes (built only when someone listens)."""
        skip = dict(self._removed)  # a removed thread's stale entries come before its live one
        found: list[Thread] = []
        for thread in self._parked:
            if count is not None and len(found) == count:
                break
            left = skip.get(thread, 0)
            if left:
                skip[thread] = left - 1
                continue
            found.append(thread)
        return found

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
