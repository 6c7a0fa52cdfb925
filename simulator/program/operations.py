"""The operations of a thread program (SPEC section 3), as immutable values.

A YAML program is a tuple of these. The kernel only ever sees primitive operations: the structured ones
(`Repeat`, `While`, `If`, `Incr`) are unrolled lazily by `simulator.program.interpreter`, which turns each condition
test into a `Check` step and each `incr` into a `Load` and a `Store`.
Each operation remembers the line of the scenario file it came from (0 when built in Python).
"""

from __future__ import annotations

import attrs

from simulator.program.expressions import Expression


@attrs.frozen
class Compute:
    """Use a CPU for `duration` ns of CPU time, drawn from [duration-jitter, duration+jitter]."""

    duration: int
    jitter: int = 0
    preemptible: bool = True
    #: In a process with a GIL: C code that drops the GIL while it runs.
    releases_gil: bool = False
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
    #: The body has no structure of its own (no repeat, while, if or incr): each pass can be replayed from
    #: the tuple itself. Worked out once here, not at every thread start.
    flat: bool = attrs.field(init=False, eq=False, repr=False)

    @flat.default
    def _body_is_flat(self) -> bool:
        return not any(isinstance(inner, Repeat | While | If | Incr) for inner in self.body)


# -- memory ------------------------------------------------------------------------------------------------


@attrs.frozen
class Load:
    """Read shared variable `var` into register `into`."""

    var: str
    into: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Store:
    """Write the value of `value` to shared variable `var`."""

    var: str
    value: Expression
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Let:
    """Set register `reg` (no shared memory is touched unless `value` reads it)."""

    reg: str
    value: Expression
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Incr:
    """A non-atomic read-modify-write of `var`: a Load and a Store, as two steps."""

    var: str
    by: Expression
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Atomic:
    """One indivisible step on `var`: add, sub, set, swap or cas; `into` receives the old value."""

    var: str
    op: str
    value: Expression
    expected: Expression | None = None
    into: str | None = None
    line: int = attrs.field(default=0, eq=False, kw_only=True)


# -- control flow ------------------------------------------------------------------------------------------


@attrs.frozen
class While:
    """Run `body` while `cond` is true (checked before each pass)."""

    cond: Expression
    body: tuple[Operation, ...]
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class If:
    """Run `then` if `cond` is true, else `otherwise`."""

    cond: Expression
    then: tuple[Operation, ...]
    otherwise: tuple[Operation, ...] = ()
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Check:
    """A step that evaluates a `while` or `if` condition; the kernel sends back 1 or 0."""

    cond: Expression
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Assert:
    """A violation if `cond` is false at this point (the run goes on). `text` is the condition as written."""

    cond: Expression
    text: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


# -- synchronization ---------------------------------------------------------------------------------------


@attrs.frozen
class Lock:
    """Acquire mutex `obj` (blocks while another thread holds it)."""

    obj: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Unlock:
    """Release mutex `obj`, which the thread must hold."""

    obj: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Acquire:
    """Take one unit of semaphore `obj` (blocks while its count is 0)."""

    obj: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Release:
    """Give one unit back to semaphore `obj`."""

    obj: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Wait:
    """Wait on condition `obj` (Mesa): release its mutex, block until notified or `timeout`, re-acquire."""

    obj: str
    timeout: int | None = None
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Notify:
    """Wake one waiter of condition `obj` (`all`: every waiter)."""

    obj: str
    all: bool = False
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class SetEvent:
    """Set event `obj` (`clear`: clear it)."""

    obj: str
    clear: bool = False
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class WaitEvent:
    """Block until event `obj` is set."""

    obj: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class BarrierWait:
    """Block until the barrier's number of parties have arrived."""

    obj: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Put:
    """Append `value` to queue or channel `obj` (blocks while it is full)."""

    obj: str
    value: Expression
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Get:
    """Take the oldest item of queue or channel `obj` into register `into` (blocks while it is empty)."""

    obj: str
    into: str | None = None
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Spawn:
    """Start thread `thread` (declared with `start: spawned`)."""

    thread: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Join:
    """Block until thread `thread` has ended."""

    thread: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Fork:
    """Start a new instance of process `process` (declared with `start: forked`), memory copied from ours."""

    process: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class WaitProcess:
    """Block until the instance of `process` this thread forked last has ended (all its threads)."""

    process: str
    line: int = attrs.field(default=0, eq=False, kw_only=True)


Primitive = (
    Compute | Sleep | Yield | Io | Exit | Load | Store | Let | Atomic | Check | Assert | Lock | Unlock | Acquire
    | Release | Wait | Notify | SetEvent | WaitEvent | BarrierWait | Put | Get | Spawn | Join | Fork | WaitProcess
)
Operation = Primitive | Repeat | While | If | Incr
