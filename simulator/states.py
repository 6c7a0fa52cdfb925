"""The states a thread can be in: the vocabulary shared by the model, the trace and every output."""

from __future__ import annotations

import enum


class State(enum.IntEnum):
    """SPEC section 4's states, plus `switching`: dispatched, while the CPU switches to it."""

    NEW = 0
    READY = 1
    SWITCHING = 2
    RUNNING = 3
    BLOCKED = 4
    SLEEPING = 5
    DONE = 6

    def __str__(self) -> str:
        return self.name.lower()
