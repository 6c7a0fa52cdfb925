"""Trace events: what the kernel tells its listeners, one value per thing that happened.

The engine and model never print or write files; exporters consume these events.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from simulator.states import State

#: The state a thread is in after each thread event (events not listed change no state).
EVENT_STATE: dict[str, State] = {
    "arrive": State.READY,
    "switch": State.SWITCHING,
    "run": State.RUNNING,
    "preempt": State.READY,
    "delay": State.READY,
    "yield": State.READY,
    "sleep": State.SLEEPING,
    "wake": State.READY,
    "block": State.BLOCKED,
    "exit": State.DONE,
}


# Not frozen: a run makes one event per state change (a million in a second or two), and a frozen attrs class
# sets each field through object.__setattr__, which made an event cost three times as much (690 ns against
# 220 ns). Hashable as before (by value, like a frozen class): the fields are read-only by convention.
@attrs.define(slots=True, frozen=False, unsafe_hash=True)
class TraceEvent:
    """One event: when (ns), on which CPU, which thread, what, and details as (key, value) pairs.

    Every listener of a run is given the same object: read it, never change it (keep it, or copy it with
    `attrs.evolve`). Equal events are equal and hash alike, by value.
    """

    time: int
    cpu: int | None
    thread: str | None
    event: str
    details: tuple[tuple[str, object], ...] = ()

    @property
    def state(self) -> State | None:
        """The thread's state after this event, if the event changes it."""
        return EVENT_STATE.get(self.event)


Listener = Callable[[TraceEvent], None]
