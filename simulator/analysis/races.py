"""Data-race detection by happens-before, with vector clocks (after FastTrack, Flanagan and Freund 2009).

Each thread has a vector clock. Synchronization moves clocks: releasing an object (unlock, release, notify,
set_event, put, spawn, fork, a thread's end) joins the thread's clock into the object's and then ticks the
thread; acquiring it (lock, acquire, waking from wait, wait_event, get, start of a spawned thread, join,
wait_process) joins the object's clock into the thread's. Atomic operations acquire and release their
variable, so atomics never race with each other and order plain accesses as sequentially consistent
atomics do.

For each shared variable, the last write is kept as an epoch (thread, clock) with where it happened, and the
reads since that write as one epoch per thread (FastTrack keeps a single epoch while reads are ordered; one
per thread is the same test and lets the report name both accesses). Two accesses race when at least one is a
write, they are in different threads, and neither happens before the other. Each racing pair of program
positions is reported once, with how many times it occurred.
"""

from __future__ import annotations

import attrs

Clock = dict[int, int]


@attrs.frozen
class Access:
    """One shared-memory access: when (ns), by which thread, what (load, store, check...), where (file line)."""

    time: int
    thread: str
    op: str
    line: int
    write: bool


@attrs.frozen
class Race:
    """Two conflicting accesses to `variable` ordered by no synchronization. `count`: times seen."""

    variable: str
    first: Access
    second: Access
    count: int = 1


def join(into: Clock, other: Clock) -> None:
    """into := into ⊔ other."""
    for thread, time in other.items():
        if into.get(thread, 0) < time:
            into[thread] = time


def _before(thread: int, time: int, clock: Clock) -> bool:
    """Whether the epoch time@thread happens before (or is) the point of view `clock`."""
    return time <= clock.get(thread, 0)


class _VariableHistory:
    __slots__ = ("write", "write_access", "reads")

    def __init__(self) -> None:
        self.write: tuple[int, int] | None = None
        self.write_access: Access | None = None
        self.reads: dict[int, tuple[int, Access]] = {}


class RaceDetector:
    """Vector clocks for threads and synchronization objects, and the races found so far."""

    def __init__(self) -> None:
        self.clocks: dict[int, Clock] = {}
        self.history: dict[tuple[str, str], _VariableHistory] = {}
        self._races: dict[tuple[str, int, int, bool, bool], Race] = {}

    # -- threads and synchronization -----------------------------------------------------------------------

    def start(self, thread: int, parent: Clock | None = None) -> None:
        """A thread begins; `parent` is the clock it inherits (spawn, fork). Without one, the clock is made
        when first needed: most threads of a large run never synchronize or touch shared memory."""
        if parent:
            clock = dict(parent)
            clock[thread] = clock.get(thread, 0) + 1
            self.clocks[thread] = clock

    def clock(self, thread: int) -> Clock:
        """The thread's vector clock."""
        clock = self.clocks.get(thread)
        if clock is None:
            clock = self.clocks[thread] = {thread: 1}
        return clock

    def release(self, thread: int, into: Clock) -> None:
        """`thread` releases an object whose clock is `into`."""
        clock = self.clock(thread)
        join(into, clock)
        clock[thread] += 1

    def snapshot(self, thread: int) -> Clock:
        """A copy of the thread's clock (for an item put in a queue, a spawned child...), then a tick."""
        clock = self.clock(thread)
        copy = dict(clock)
        clock[thread] += 1
        return copy

    def acquire(self, thread: int, clock: Clock) -> None:
        """`thread` acquires an object (or receives an item) carrying `clock`."""
        join(self.clock(thread), clock)

    # -- memory --------------------------------------------------------------------------------------------

    def access(self, thread: int, space: str, variable: str, access: Access) -> None:
        """Check an access of `variable` in memory `space` (a process instance) and record it."""
        clock = self.clock(thread)
        history = self.history.get((space, variable))
        if history is None:
            history = self.history[(space, variable)] = _VariableHistory()
        write = history.write
        if write is not None and write[0] != thread and not _before(write[0], write[1], clock):
            assert history.write_access is not None
            self._report(variable, history.write_access, access)
        now = clock[thread]
        if access.write:
            for reader, (time, read) in history.reads.items():
                if reader != thread and not _before(reader, time, clock):
                    self._report(variable, read, access)
            history.write = (thread, now)
            history.write_access = access
            history.reads = {}
        else:
            history.reads[thread] = (now, access)

    def _report(self, variable: str, first: Access, second: Access) -> None:
        key = (variable, first.line, second.line, first.write, second.write)
        found = self._races.get(key)
        if found is None:
            self._races[key] = Race(variable, first, second)
        else:
            self._races[key] = attrs.evolve(found, count=found.count + 1)

    @property
    def races(self) -> list[Race]:
        """Every racing pair of positions, in the order first seen."""
        return list(self._races.values())
