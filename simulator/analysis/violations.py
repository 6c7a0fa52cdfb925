"""Violations: what a run found wrong (SPEC section 8)."""

from __future__ import annotations

from typing import Literal

import attrs

ViolationKind = Literal["expect", "assert", "deadlock", "misuse", "data_race", "step_bound", "livelock", "overflow"]

#: A run keeps the first this many violations of each kind and subject; past that it counts them (the last
#: one kept says how many more there were). A misuse repeated in a loop a million
#: times would otherwise keep a million violations (gigabytes). The number of distinct subjects is bounded by
#: the scenario (its lines, objects, variables, expectations), so what a run keeps is too.
MAX_VIOLATIONS_PER_SUBJECT = 100


@attrs.frozen
class Violation:
    """A thing found wrong at `time` (ns), caused by `thread` (None: not one thread's doing).

    `subject` says which thing failed, independent of times, seeds and the values seen, so that two runs that
    fail the same way have equal subjects. The explorer groups failures by `(kind, subject)`; `message` is for
    people and may differ between runs of the same failure. Its shape, by kind (names as declared in the
    scenario: a forked instance's `P#2` counts as `P`, its threads' `T#2` as `T`):

    - `expect`: `(text,)`, the expectation as written (`"p.x == 2"`);
    - `assert`: `(line, text)`, the assertion's source line as a string and its condition as written, or
      `(line,)` when the operation carries no text;
    - `data_race`: `(process, variable)`, the declared process whose memory holds the variable;
    - `deadlock`: the sorted, distinct names of the objects the threads of the cycle wait for (for threads
      stuck when nothing can run any more: of the objects they wait for), whatever order they blocked in
      (what a join or wait_process waits for is named after the thread or process instance, a GIL after its
      process instance);
    - `misuse`: `(object, operation)`, the object's name and the operation's keyword (`("m", "unlock")`);
      for spawn and join the thread's declared name, for wait_process the process's; an expression that
      cannot be evaluated (division by zero) is `(line, "evaluate")`;
    - `step_bound`: `()`;
    - `livelock`: `(thread, line)`, the declared name of the thread that took too many steps at one instant
      and the source line of the step it was about to take (in the loop it spins in);
    - `overflow`: `(line, operation)`, the source line and the operation as written (`("7", "r * r")`,
      `("9", "atomic add x")`) whose result was out of the range of values (simulator.program.expressions);
      a Python body's out-of-range value is `(file:line, "value")`.

    A run keeps at most MAX_VIOLATIONS_PER_SUBJECT violations of one kind and subject; the last one kept
    says how many more came after it (`ViolationLog`).
    """

    kind: ViolationKind
    time: int
    thread: str | None
    message: str
    subject: tuple[str, ...] = ()


class ViolationLog(list[Violation]):
    """A run's violations, in the order found, with at most MAX_VIOLATIONS_PER_SUBJECT of each kind and
    subject: the ones past that are counted, and the last one kept says how many came after it. What is kept
    depends only on the order violations are recorded in (deterministic)."""

    __slots__ = ("_counts", "_last_kept")

    def __init__(self) -> None:
        super().__init__()
        #: Violations recorded so far, per (kind, subject), the ones not kept included.
        self._counts: dict[tuple[str, tuple[str, ...]], int] = {}
        #: For a (kind, subject) that reached the cap: where its last kept violation is, and that violation as
        #: recorded.
        self._last_kept: dict[tuple[str, tuple[str, ...]], tuple[int, Violation]] = {}

    def record(self, violation: Violation) -> bool:
        """Keep `violation`, or count it past the cap; True if it was kept."""
        key = (violation.kind, violation.subject)
        count = self._counts[key] = self._counts.get(key, 0) + 1
        if count < MAX_VIOLATIONS_PER_SUBJECT:
            self.append(violation)
            return True
        if count == MAX_VIOLATIONS_PER_SUBJECT:
            self._last_kept[key] = (len(self), violation)
            self.append(violation)
            return True
        index, last = self._last_kept[key]
        more = count - MAX_VIOLATIONS_PER_SUBJECT
        message = (f"{last.message} (and {more:,} more like it after this, not listed: a run lists the first "
                   f"{MAX_VIOLATIONS_PER_SUBJECT} violations of each kind and subject)")  # fmt: skip
        self[index] = Violation(last.kind, last.time, last.thread, message, last.subject)
        return False
