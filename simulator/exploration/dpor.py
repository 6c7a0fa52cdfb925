"""Dynamic partial-order reduction for the depth-first search (`explore --strategy dfs`) on one CPU under
fcfs or rr (simulator.exploration.explorer.reducible says where, and why not elsewhere).

The plain depth-first search tries every decision at every decision point within the bound. Most of those
schedules differ only in the order of steps that commute (a preemption inside a critical section, whose only
effect is that the other thread blocks on the lock a little earlier). Dynamic partial-order reduction
(Flanagan and Godefroid, POPL 2005) runs one schedule, looks at the accesses it actually made, and only
backtracks where two steps of different threads *race*: they touch the same variable (one of them writing)
or the same synchronization object, and nothing in between orders them. For each race it asks for the
schedule that runs the second thread before the first step: at the decision point before that step, it
preempts the thread that took it for the other (for every thread that could go there, when the other could
not). Picks and delays are not reduced: every alternative is tried, as without reduction (picks cost nothing
against the bound, so the later thread can also be picked wherever it could have been, as bounded
partial-order reduction does: Coons, Musuvathi and McKinley, OOPSLA 2013). Which threads share the CPUs, and
whom a delay lets go first, is timing, which the races of one run do not tell: after a race at a delay point
the later thread is also preempted for where it was last ready, and on several CPUs the explorer does not
reduce at all (the property test of tests/test_dpor.py lost schedules there).

Sleep sets (Godefroid, 1996; with DPOR as in Abdulla et al., POPL 2014) remove most of the rest: where a
prefix preempts a thread before a step, the schedule in which it took that step is run too, so the thread
sleeps until another thread takes a step that conflicts with it. A run in which a sleeper takes that step
first is the same interleaving as one of those schedules: it stops there (its races still count) and is not
counted as a schedule, and no prefix preempts for a sleeper.

Each schedule to run is a *prefix*: the decision values to follow, then the defaults (no preemption, the
policy's pick). Prefixes wait in one stack per cost (its preemptions and delays), and the search runs every
prefix of cost 0, then of cost 1, and so on (iterative bounding): a larger bound never misses, within the same
budget, what a smaller one finds. A schedule whose decisions were already run is not run again.

Happens-before is tracked with vector clocks over the visible steps: a step joins the clocks of the earlier
steps it conflicts with, and a thread that blocked on a synchronization object joins that object's clock
when it next steps (whoever released the object woke it). The footprint of a step is the one its operation
declares (simulator.analysis.footprints), per process instance; a thread written in Python is judged by the
operation each yield gives, as it happens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from simulator.analysis.footprints import step_footprint
from simulator.exploration.strategies import DefaultStrategy
from simulator.program.operations import Lock, Unlock

if TYPE_CHECKING:
    from simulator.exploration.results import Outcome, Progress, Tally
    from simulator.exploration.shrinking import Budget
    from simulator.model.threads import Thread
    from simulator.program.operations import Primitive

#: A prefix entry: a decision value, or (1, thread index) at its end: preempt, then run that thread next.
Entry = int | tuple[int, int]
#: A variable (process, name) or a synchronization object ("@" process, name).
Key = tuple[str, str]
#: What a step touches: (key, writes?) for each thing, and its synchronization objects alone.
Keys = tuple[list[tuple[Key, bool]], tuple[Key, ...]]
#: The kinds of decision point.
PREEMPT, DELAY, PICK = "preempt", "delay", "pick"
#: A pseudo-object that spawn, join, fork and wait_process write and every other step reads: they conflict
#: with everything.
_EVERYTHING = ("*", "*")


class _Point:
    """A decision point met by a run: its kind, the threads that could go instead of the running one, or be
    picked (in the order the decision indexes them), and the value taken."""

    __slots__ = ("kind", "choices", "value")

    def __init__(self, kind: str, choices: tuple[int, ...], value: int) -> None:
        self.kind = kind
        self.choices = choices
        self.value = value


class _Event:
    """A visible step: its thread, the decision point asked just before it (-1: none), its clock, what it
    touches."""

    __slots__ = ("thread", "point", "clock", "keys")

    def __init__(self, thread: int, point: int, clock: dict[int, int], keys: Keys) -> None:
        self.thread = thread
        self.point = point
        self.clock = clock
        self.keys = keys


#: A thread put to sleep at a decision point: its index and what its coming step touches.
Sleeper = tuple[int, Keys]
#: The sleepers a prefix puts to sleep, by decision point (where it preempts their thread).
Sleeps = tuple[tuple[int, Sleeper], ...]


class SleepBlocked(Exception):
    """A sleeping thread is about to take its step before anything it conflicts with: the run is the same
    interleaving as one the search has tried or will try (see `DporStrategy`), and it stops there."""


class DporStrategy(DefaultStrategy):
    """One run of the reduced search: follows `prefix`, then takes every default, and records the decision
    points and the races of the run for the search to find the next prefixes from (`races`).

    Sleep sets (Godefroid): where the prefix preempts a thread for another, the schedule that let it take its
    step there has been (or will be) run, so the thread *sleeps*: until another thread takes a step that
    conflicts with the sleeper's, running that step first gives the same interleaving as that schedule. A run
    in which a sleeper takes its step stops (`SleepBlocked`), and no prefix preempts for a sleeper."""

    def __init__(self, prefix: Sequence[Entry], keys: dict[object, Keys] | None = None, sleeps: Sleeps = ()) -> None:
        """`keys` caches what each operation touches, for the runs of one search to share; `sleeps` are the
        threads the prefix puts to sleep, by decision point."""
        super().__init__()
        self._keys = {} if keys is None else keys
        self.prefix = list(prefix)
        self.sleeps = sleeps
        self._sleep_at = dict(sleeps)
        #: The sleeping threads (index -> what their coming step touches), and who slept at each point.
        self._sleeping: dict[int, Keys] = {}
        self.asleep: dict[int, tuple[int, ...]] = {}
        #: The step taken right after each decision point that let its thread go on.
        self.stepped: dict[int, _Event] = {}
        self.points: list[_Point] = []
        #: A thread to run at the next pick, after a preemption of the prefix asked for it.
        self._prefer: int | None = None
        #: Each thread's vector clock (thread index -> steps of that thread it has seen).
        self._clocks: dict[int, dict[int, int]] = {}
        #: Per variable (process, name): its last write and each thread's last read since; per object: its
        #: last step.
        self._writes: dict[Key, _Event] = {}
        self._reads: dict[Key, dict[int, _Event]] = {}
        #: The objects each thread's last step touched, and its wait_serial then (which counts its blocks).
        self._last: dict[int, tuple[tuple[Key, ...], int]] = {}
        self._object_clocks: dict[Key, dict[int, int]] = {}
        #: (earlier event, thread of the later one): pairs of racing steps, in the order found.
        self.races: list[tuple[_Event, int]] = []
        #: Each mutex's last lock (taken or waited for) and the clock of its last unlock; the keys of mutexes.
        self._acquired: dict[Key, _Event] = {}
        self._released: dict[Key, dict[int, int]] = {}
        self._unlocks: dict[Key, _Event] = {}
        self._mutexes: set[Key] = set()
        #: The decision point asked for each thread's coming step (-1: none).
        self._asked: dict[int, int] = {}

    # -- decisions --------------------------------------------------------------------------------------

    def _value(self, point: int) -> Entry | None:
        return self.prefix[point] if point < len(self.prefix) else None

    def preempt(self, point: int, running: Thread, ready: Sequence[Thread]) -> bool:
        return self._switch(point, PREEMPT, running, ready)

    def delay(self, point: int, running: Thread, others: Sequence[Thread]) -> bool:
        return self._switch(point, DELAY, running, others)

    def _switch(self, point: int, kind: str, running: Thread, others: Sequence[Thread]) -> bool:
        entry = self._value(point)
        if isinstance(entry, tuple):
            value, self._prefer = 1, entry[1]
        else:
            value = entry or 0
        self.points.append(_Point(kind, tuple(thread.index for thread in others), value))
        self._asked[running.index] = point
        if self._sleeping:
            self.asleep[point] = tuple(self._sleeping)
        if value == 1 and point in self._sleep_at:
            sleeper, keys = self._sleep_at[point]
            self._sleeping[sleeper] = keys
        return value == 1

    def pick(self, point: int, ready: Sequence[Thread]) -> int:
        entry = self._value(point)
        choices = tuple(thread.index for thread in ready)
        if self._prefer is not None:
            value = choices.index(self._prefer) if self._prefer in choices else 0
            self._prefer = None
        else:
            value = entry if isinstance(entry, int) and 0 <= entry < len(ready) else 0
        self.points.append(_Point(PICK, choices, value))
        return value

    # -- accesses ---------------------------------------------------------------------------------------

    def observe(self, thread: Thread, operation: Primitive) -> None:
        """`thread` takes the visible step `operation` now: find the earlier steps it races with and update
        the clocks (the kernel calls it for every step that may conflict). A lock that blocks is a step too:
        the order in which threads start waiting for a mutex is the order they get it."""
        index = thread.index
        point = self._asked.pop(index, -1)
        clock = self._clocks.setdefault(index, {})
        try:
            cached = self._keys.get((operation, thread.process))
            if cached is None:
                cached = self._keys[(operation, thread.process)] = _keys(thread, operation)
        except TypeError:  # an operation that cannot be hashed (made in Python, holding a list): not cached
            cached = _keys(thread, operation)
        keys, objects = cached
        sleeping = self._sleeping
        if sleeping:
            if index in sleeping:
                raise SleepBlocked
            for sleeper, (their_keys, _) in list(sleeping.items()):
                if _conflict(keys, their_keys):
                    del sleeping[sleeper]
        last = self._last.get(index)
        if last is not None and thread.wait_serial != last[1]:
            for key in last[0]:  # it blocked there: whoever released the object woke it
                released = self._released.get(key) if key in self._mutexes else self._object_clocks.get(key)
                _join(clock, released)
        # The steps it is ordered after (`earlier`) and those it may race with (`partners`): the same, but for
        # a mutex. There a lock races with the last lock, blocked or not (the order in which threads ask is
        # the order they get it), and with the last unlock (a lock that goes before it blocks, and is handed
        # the mutex at that unlock: no third thread can take it in between); it is ordered after the last
        # unlock only (not after a waiter's attempt); an unlock is ordered after its own lock.
        kind = type(operation)
        mutex = kind is Lock or kind is Unlock
        earlier: list[_Event] = []
        partners: list[_Event] = []
        joins: list[dict[int, int] | None] = []
        for key, write in keys:
            if mutex and key in objects:
                self._mutexes.add(key)
                if kind is Lock:
                    for previous in (self._acquired.get(key), self._unlocks.get(key)):
                        if previous is not None:
                            partners.append(previous)
                    joins.append(self._released.get(key))  # after the race check: it orders the locks
                continue
            previous = self._writes.get(key)
            if previous is not None:
                earlier.append(previous)
                partners.append(previous)
            if write:
                reads = self._reads.get(key)
                if reads:
                    earlier += reads.values()
                    partners += reads.values()
        for event in partners:
            other = event.thread
            if other != index and clock.get(other, 0) < event.clock[other]:
                self.races.append((event, index))
        for event in earlier:
            _join(clock, event.clock)
        for other_clock in joins:
            _join(clock, other_clock)
        clock[index] = clock.get(index, 0) + 1
        event = _Event(index, point, dict(clock), cached)
        if point >= 0:
            self.stepped[point] = event
        for key, write in keys:
            if write:
                self._writes[key] = event
                self._reads.pop(key, None)
            else:
                self._reads.setdefault(key, {})[index] = event
        for key in objects:
            self._object_clocks[key] = event.clock
            if kind is Lock:
                self._acquired[key] = event
            elif kind is Unlock:
                self._released[key] = event.clock
                self._unlocks[key] = event
        self._last[index] = (objects, thread.wait_serial)

    def trail(self) -> list[int]:
        """The values taken at every decision point of the run."""
        return [point.value for point in self.points]


def _conflict(keys: list[tuple[Key, bool]], others: list[tuple[Key, bool]]) -> bool:
    """Whether two steps touch one thing, one of them writing it (an object counts as written)."""
    writes = {key for key, write in others if write}
    reads = {key for key, write in others if not write}
    return any(key in writes or (write and key in reads) for key, write in keys)


def _join(clock: dict[int, int], other: dict[int, int] | None) -> None:
    if other is None:
        return
    for index, value in other.items():
        if value > clock.get(index, 0):
            clock[index] = value


def _keys(thread: Thread, operation: Primitive) -> Keys:
    """What a step touches: (key, writes?) per variable and object (an object counts as written), and the
    synchronization objects alone."""
    footprint = step_footprint(operation)
    process = thread.process
    if footprint.everything:
        return [(_EVERYTHING, True)], ()
    keys: list[tuple[Key, bool]] = [(_EVERYTHING, False)]
    keys += [((process, name), True) for name in sorted(footprint.writes)]
    keys += [((process, name), False) for name in sorted(footprint.reads - footprint.writes)]
    # An object is its process's, else the machine's (ipc), shared by every process (as steps look it up).
    own = thread.proc.sync if thread.proc is not None else {}
    objects = tuple(("@" + process if name in own else "@", name) for name in sorted(footprint.objects))
    keys += [(key, True) for key in objects]
    return keys, objects


def backtracks(strategy: DporStrategy, bound: int) -> list[tuple[tuple[Entry, ...], Sleeps, int]]:
    """The prefixes a run asks for, each with its cost (preemptions and delays), within `bound`: every other
    pick and every delay (not reduced: see the module docstring), and for each race the schedule that runs the
    later thread first, by a preemption at the decision point before the earlier step (every choice there when
    that thread could not be chosen; after a delay point, where it was last ready), and the sleepers of each:
    the run's before that point, and the thread a preemption there holds back (no preemption is for a thread
    asleep there)."""
    points = strategy.points
    taken = strategy.trail()
    #: switches[i]: the preemptions and delays among the first i decisions of the run.
    switches = [0]
    for point in points:
        switches.append(switches[-1] + (point.kind != PICK and point.value == 1))
    #: (point, what to do there) -> cost, in the order asked: a thread index (preempt for it), -1 - a thread
    #: index (pick it), None (delay).
    wanted: dict[tuple[int, int | None], int] = {}

    def preempt_for(at: int, thread: int) -> None:
        if points[at].value == 0 and switches[at] + 1 <= bound and thread not in strategy.asleep.get(at, ()):
            wanted.setdefault((at, thread), switches[at] + 1)

    for at, point in enumerate(points):
        if point.kind == DELAY and point.value == 0 and switches[at] + 1 <= bound:
            wanted[(at, None)] = switches[at] + 1
        elif point.kind == PICK:
            for index, choice in enumerate(point.choices):
                if index != point.value:
                    wanted[(at, -1 - choice)] = switches[at]
    for event, later in strategy.races:
        at = event.point
        if not 0 <= at < len(points) or points[at].kind == PICK:
            continue
        point = points[at]
        if point.kind == PREEMPT:
            for target in [later] if later in point.choices else point.choices:
                preempt_for(at, target)
            continue
        # A delay point: a delay lets whoever steps next go first, and timing decides who, so the later
        # thread is also preempted for at the last point before where it was ready.
        for earlier in range(at - 1, -1, -1):
            if points[earlier].kind == PREEMPT and later in points[earlier].choices:
                preempt_for(earlier, later)
                break
    prefixes = []
    for (at, what), price in wanted.items():
        sleeps = tuple(entry for entry in strategy.sleeps if entry[0] < at)
        if what is None:
            last: Entry = 1
        elif what < 0:
            last = points[at].choices.index(-1 - what)
        else:
            last = (1, what)
            stepped = strategy.stepped.get(at)
            if stepped is not None:
                sleeps += ((at, (stepped.thread, stepped.keys)),)
        prefixes.append(((*taken[:at], last), sleeps, price))
    return prefixes


def search(run: Callable[[DporStrategy], tuple[Outcome, int]], bound: int, tally: Tally, budget: Budget,
           progress: Progress | None = None, max_runs: int | None = None) -> tuple[str | None, int]:  # fmt: skip
    """Run the reduced search within `bound` preemptions and delays, adding each new schedule to `tally`;
    why it stopped early (None: it ran to its end; "interrupted" for Ctrl-C) and the largest bound within
    which every prefix ran."""
    proven = [-1]
    try:
        return _search(run, bound, tally, budget, progress, max_runs, proven)
    except KeyboardInterrupt:
        return "interrupted", proven[0]


def _search(run: Callable[[DporStrategy], tuple[Outcome, int]], bound: int, tally: Tally, budget: Budget,
            progress: Progress | None, max_runs: int | None, proven: list[int]) -> tuple[str | None, int]:  # fmt: skip
    """`search`, keeping the bound proven so far in `proven[0]` for Ctrl-C."""
    stacks: list[list[tuple[tuple[Entry, ...], Sleeps]]] = [[] for _ in range(bound + 1)]
    stacks[0].append(((), ()))
    #: What was run or is waiting to be, by its decisions (see _key).
    queued: set[tuple[object, ...]] = {()}
    ran: set[tuple[tuple[int, int], ...]] = set()
    keys: dict[object, Keys] = {}
    for level in range(bound + 1):
        while True:
            stopped_by = budget.spent(tally.runs)
            if stopped_by is not None:
                return stopped_by, proven[0]
            # The cheapest waiting prefix first: a run of this level may ask for one of a lower cost.
            stack = next((stacks[c] for c in range(level + 1) if stacks[c]), None)
            if stack is None:
                break
            prefix, sleeps = stack.pop()
            strategy = DporStrategy(prefix, keys, sleeps)
            try:
                outcome, taken = run(strategy)
            except SleepBlocked:
                pass  # the same interleaving as another schedule: not one to count, but its races count
            else:
                if outcome.decisions in ran:
                    continue  # the same schedule as one run already (a pick that was the policy's own)
                ran.add(outcome.decisions)
                queued.add(outcome.decisions)
                tally.add(outcome, taken)
                if progress is not None:
                    progress(tally.runs, max_runs or 0, tally.failed)
            for wanted, asleep, price in backtracks(strategy, bound):
                key = _key(wanted)
                if key not in queued:
                    queued.add(key)
                    stacks[price].append((wanted, asleep))
        proven[0] = level
    return None, proven[0]


def _key(prefix: tuple[Entry, ...]) -> tuple[object, ...]:
    """What tells prefixes apart: the decisions a prefix of plain values makes, as a run records them (its
    non-default values, as (point, value)), so that it matches the run it gives; a prefix that ends by
    preempting for a thread is known by itself until it has run."""
    if prefix and isinstance(prefix[-1], tuple):
        return ("prefix", *prefix)  # never equal to decisions, which are all pairs
    return tuple((point, value) for point, value in enumerate(prefix) if value)
