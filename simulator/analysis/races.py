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

A run pays for none of this until it first touches shared memory (`RaceDetector.for_run`). Until then the
detector is dormant: no clocks are made, moved or ticked, objects' clocks stay empty and snapshots are
empty. At the first access it asks whether the scenario could race at all (simulator.analysis.footprints,
`may_race`): if not, it stays off for the whole run; if so, it starts every clock afresh, there and then.
That finds exactly the races a detector running from the start finds. A race is two accesses, both made
since the start; one happens before the other only through a chain of program order and synchronization
from the first to the second, and every link of that chain comes after the first access, so the
synchronization that came before the start orders nothing the detector compares. Started afresh, the
clocks give that same order (their numbers differ, their comparisons do not), and the history of accesses
is empty at the start either way. tests/test_race_shortcut.py runs every scenario both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from simulator.analysis.footprints import Footprints, may_race

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario

Clock = dict[int, int]

#: How `RaceDetector.for_run` makes a run's detector: "lazy" (dormant until the first shared access, and
#: off when no race is possible: the default), "eager" (clocks from the start of the run, as before the
#: shortcut: tests compare the two) or "none" (no detection at all: what a run costs without the
#: detector, for the benchmark; no race is ever reported).
MODE = "lazy"


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

    #: Whether `access` is sure to do nothing (`_Off`): the kernel's loads and stores then make no Access.
    ignores_accesses = False

    def __init__(self) -> None:
        self.clocks: dict[int, Clock] = {}
        self.history: dict[tuple[str, str], _VariableHistory] = {}
        self._races: dict[tuple[str, int, int, bool, bool], Race] = {}

    @staticmethod
    def for_run(scenario: Scenario, footprints: Footprints | None = None, wanted: bool = True) -> RaceDetector:
        """The detector for one run of `scenario`, as `MODE` says; `footprints`, when the caller has them
        (an explorer's many runs), answer whether the scenario may race once for all of them. Not `wanted`
        (an explored schedule whose races nothing reads): one that does nothing."""
        if MODE == "eager":
            return RaceDetector()
        if MODE == "none" or not wanted:
            return _Off()
        if footprints is not None:
            return _Dormant(lambda: footprints.may_race)
        return _Dormant(lambda: may_race(scenario))

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


class _Off(RaceDetector):
    """A detector that does nothing: the scenario cannot race (or `MODE` is "none"). Snapshots and clocks
    are empty and never kept: acquiring one orders nothing."""

    ignores_accesses = True

    def start(self, thread: int, parent: Clock | None = None) -> None:
        pass

    def clock(self, thread: int) -> Clock:
        return {}

    def release(self, thread: int, into: Clock) -> None:
        pass

    def snapshot(self, thread: int) -> Clock:
        return {}

    def acquire(self, thread: int, clock: Clock) -> None:
        pass

    def access(self, thread: int, space: str, variable: str, access: Access) -> None:
        pass


class _Dormant(_Off):
    """Nothing yet: no shared access so far. The first one decides, with `possible`, whether the run needs
    a detector: if so, this one becomes a `RaceDetector` with fresh clocks (none was made while dormant) and
    checks that access; if not, it becomes `_Off`. (It changes its class: the objects and steps that hold
    it keep calling the same object, which from then on costs what a detector of that kind costs.)"""

    ignores_accesses = False  # the first access decides what it becomes

    def __init__(self, possible: Callable[[], bool]) -> None:
        super().__init__()
        self._possible = possible

    def access(self, thread: int, space: str, variable: str, access: Access) -> None:
        if self._possible():
            self.__class__ = RaceDetector  # type: ignore[assignment]
            self.access(thread, space, variable, access)
        else:
            self.__class__ = _Off  # type: ignore[assignment]
