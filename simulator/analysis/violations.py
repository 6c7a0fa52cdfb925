"""Violations: what a run found wrong (SPEC section 8)."""

from __future__ import annotations

from typing import Literal

import attrs

ViolationKind = Literal["expect", "assert", "deadlock", "misuse", "data_race", "step_bound"]


@attrs.frozen
class Violation:
    """A thing found wrong at `time` (ns), caused by `thread` (None: not one thread's doing)."""

    kind: ViolationKind
    time: int
    thread: str | None
    message: str
