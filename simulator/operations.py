"""The operations of a thread program (SPEC section 3), as immutable values.

A YAML program is a tuple of these. The kernel only ever sees the primitive ones (`Compute`, `Sleep`,
`Yield`, `Io`, `Exit`): control flow such as `Repeat` is unrolled lazily by `simulator.program`.
Each operation remembers the line of the scenario file it came from (0 when built in Python).
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Compute:
    """Use a CPU for `duration` ns of CPU time, drawn from [duration-jitter, duration+jitter]."""

    duration: int
    jitter: int = 0
    preemptible: bool = True
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Sleep:
    """Leave the CPU; ready again after `duration` ns."""

    duration: int
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Yield:
    """Leave the CPU and go behind every other ready thread (continue at once when none is ready)."""

    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Io:
    """Leave the CPU and be served by `device` (FIFO) for `duration` ns."""

    device: str
    duration: int
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Exit:
    """End the thread."""

    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Repeat:
    """Run `body` `times` times."""

    times: int
    body: tuple[Operation, ...]
    line: int = attrs.field(default=0, eq=False, kw_only=True)


Primitive = Compute | Sleep | Yield | Io | Exit
Operation = Primitive | Repeat
