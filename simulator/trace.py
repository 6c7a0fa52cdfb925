"""Trace events: what the kernel tells its listeners, one immutable value per thing that happened.

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


@attrs.frozen
class TraceEvent:
    """One event: when (ns), on which CPU, which thread, what, and details as (key, value) pairs."""

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
