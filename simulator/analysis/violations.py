"""Violations: what a run found wrong (SPEC section 8)."""

from __future__ import annotations

from typing import Literal

import attrs

ViolationKind = Literal["expect", "assert", "deadlock", "misuse", "data_race", "step_bound"]


@attrs.frozen
class Violation:
    """A thing found wrong at `time` (ns), caused by `thread` (None: not one thread's doing).

    `subject` says which thing failed, independent of times, seeds and the values seen, so that two runs that
    fail the same way have equal subjects: the expectation's text, the assertion's source line, the racing
    variable, the objects of a deadlock cycle, the misused object and operation. The explorer groups failures
    by `(kind, subject)`; `message` is for people and may differ between runs of the same failure.
    """

    kind: ViolationKind
    time: int
    thread: str | None
    message: str
    subject: tuple[str, ...] = ()
