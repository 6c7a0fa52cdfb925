"""Deadlock detection: cycles of threads each waiting for the next, found the moment they form, and the
threads left blocked when nothing can run any more.

A blocked thread waits for an object; when that object has exactly one known holder (a mutex's owner, the
thread a join waits for, the holder of a GIL) the thread waits for that holder. Following these links from a
thread that has just blocked, and coming back to it through blocked threads, is a cycle: none of them can
ever go on. A semaphore, queue or event could be released by anyone, and a timed wait ends by itself, so such
waits never close a cycle; threads stuck on them are reported when the run can do nothing more.

Like the race detector beside it (simulator.analysis.races), the detector only finds things: it returns
what it found, and the kernel records the violations. Each finding comes with its subject (the sorted names
of the objects waited for), which does not depend on the order the threads blocked in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from simulator.model.locks import Mutex
from simulator.states import State

if TYPE_CHECKING:
    from simulator.model.threads import Thread

_BLOCKED = State.BLOCKED


@attrs.frozen
class Deadlock:
    """A cycle (or a set of stuck threads): what to say, and the sorted names of the objects waited for."""

    message: str
    subject: tuple[str, ...]


class DeadlockDetector:
    """Remembers the cycles already reported, so that each is reported once, and who was in one."""

    __slots__ = ("_reported", "_deadlocked")

    def __init__(self) -> None:
        self._reported: set[frozenset[str]] = set()
        #: Names of the threads in a reported cycle (not reported again as stuck at the end).
        self._deadlocked: set[str] = set()

    def check(self, thread: Thread) -> Deadlock | None:
        """`thread` has just blocked or changed what it waits for: the cycle through it, if one has formed
        and was not reported before."""
        path = [thread]
        current = thread
        while True:
            obj = current.waiting_on
            holders = obj.holders() if obj is not None else []
            if len(holders) != 1:
                return None
            holder = holders[0]
            if holder is thread:
                break
            if holder in path or holder.state is not _BLOCKED:
                return None
            path.append(holder)
            current = holder
        names = frozenset(member.name for member in path)
        if names in self._reported:
            return None
        self._reported.add(names)
        self._deadlocked.update(names)
        links = "; ".join(f"{member.name} waits for {current_reason(member)}" for member in path)
        return Deadlock(f"deadlock cycle: {links}", _objects(path))

    def stuck(self, threads: Iterable[Thread]) -> Deadlock | None:
        """Nothing can run any more, yet threads remain: those blocked and not in a reported cycle, if any."""
        stuck = [t for t in threads if t.state is _BLOCKED and t.name not in self._deadlocked]
        if not stuck:
            return None
        links = "; ".join(f"{t.name} waits for {current_reason(t)}" for t in stuck)
        return Deadlock(f"stuck: nothing can run any more: {links}", _objects(stuck))


def current_reason(thread: Thread) -> str:
    """What a blocked thread waits for, as of now: a mutex may have changed hands since it parked."""
    obj = thread.waiting_on
    if isinstance(obj, Mutex) and obj.owner is not None:
        return f"mutex {obj.name} held by {obj.owner.name}"
    return thread.waiting_reason


def _objects(threads: Iterable[Thread]) -> tuple[str, ...]:
    """The sorted, distinct names of the objects these threads wait for."""
    return tuple(sorted({thread.waiting_on.name for thread in threads if thread.waiting_on is not None}))
