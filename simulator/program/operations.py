"""The operations of a thread program (SPEC section 3), as immutable values, each declared once.

A YAML program is a tuple of these. The kernel only ever sees primitive operations: the structured ones
(`Repeat`, `While`, `If`, `Incr`, `Span`) are unrolled lazily by `simulator.program.interpreter`, which turns
each condition test into a `Check` step, each `incr` into a `Load` and a `Store`, and each span's entry and
exit into a `SpanMark`.
Each operation remembers the line of the scenario file it came from (0 when built in Python).

Everything the rest of threadsim needs to know about an operation, besides how it runs, is declared with its
class in `spec` (an `OperationSpec`): its YAML keywords with an example value for messages, the kinds of
object it works on, its sub-programs and what it touches (its footprint). The parser
(`simulator.scenario.programs`), the footprints (`simulator.analysis.footprints`) and every walk over a
program (`children`, `walk`) read it from there; the kernel's step table (`simulator.model.steps`) runs it.
`tests/test_operations.py` checks that every primitive has a parser, a step and a footprint.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import get_args

import attrs

from simulator.program.distributions import Distribution
from simulator.program.expressions import Binary, Expression, Register
from simulator.program.operation_spec import NOTHING, OperationSpec, Step, Touches


@attrs.frozen(cache_hash=True)
class Compute(Step):
    """Use a CPU for `duration` ns of CPU time, drawn from [duration-jitter, duration+jitter], or from
    `distribution` when there is one (`duration` is then its mean, the nominal value policies see)."""

    spec = OperationSpec(NOTHING, {"compute": "5"})

    duration: int
    jitter: int = 0
    preemptible: bool = True
    #: In a process with a GIL: C code that drops the GIL while it runs.
    releases_gil: bool = False
    distribution: Distribution | None = None
    #: The duration is drawn (jitter or a distribution): one test on the hot path for either.
    varies: bool = attrs.field(init=False, eq=False, repr=False)

    @varies.default
    def _duration_varies(self) -> bool:
        return bool(self.jitter) or self.distribution is not None


@attrs.frozen(cache_hash=True)
class Sleep(Step):
    """Leave the CPU; ready again after `duration` ns."""

    spec = OperationSpec(NOTHING, {"sleep": "5"})

    duration: int
    #: Drawn at each sleep when given (`duration` is then its mean).
    distribution: Distribution | None = None


@attrs.frozen(cache_hash=True)
class Yield(Step):
    """Leave the CPU and go behind every other ready thread (continue at once when none is ready)."""

    spec = OperationSpec(NOTHING, {"yield": None})


@attrs.frozen(cache_hash=True)
class Io(Step):
    """Leave the CPU and be served by `device` (FIFO) for `duration` ns."""

    spec = OperationSpec(NOTHING, {"io": "5"})

    device: str
    duration: int
    #: Drawn at each request when given (`duration` is then its mean).
    distribution: Distribution | None = None


@attrs.frozen(cache_hash=True)
class Exit(Step):
    """End the thread."""

    spec = OperationSpec(NOTHING, {"exit": None})


def expanded(operations: tuple[Operation, ...], *, flat_repeats: bool = False) -> tuple[Operation, ...] | None:
    """`operations` with each `incr` replaced by its two steps, if that leaves only primitive operations (and,
    with `flat_repeats`, repeats whose bodies are flat); None if there is other structure (a while, an if, a
    span, another repeat). The same tuple when there is no incr."""
    steps: list[Operation] = []
    for operation in operations:
        if isinstance(operation, Incr):
            steps += (operation.load, operation.store)
        elif not operation.spec.structured or (
            flat_repeats and isinstance(operation, Repeat) and operation.steps is not None
        ):
            steps.append(operation)
        else:
            return None
    return operations if len(steps) == len(operations) else tuple(steps)


@attrs.frozen(cache_hash=True)
class Repeat(Step):
    """Run `body` `times` times."""

    spec = OperationSpec(NOTHING, {"repeat": "{times: 3, do: [...]}"}, bodies={"do": "body"}, structured=True)

    times: int
    body: tuple[Operation, ...]
    #: The body's steps, when it has no structure of its own but `incr`s (no repeat, while, if or span):
    #: each pass replays this tuple, with each incr's two steps in its place; None otherwise. Worked out
    #: once here, not at every thread start.
    steps: tuple[Operation, ...] | None = attrs.field(init=False, eq=False, repr=False)

    #: A pass takes no step at all (the body is empty, or only repeats that take none): the interpreter skips
    #: the repeat, which would otherwise spin through 10^9 x 10^9 passes of nothing without one step that the
    #: step bound or the livelock check could count.
    idle: bool = attrs.field(init=False, eq=False, repr=False)

    @steps.default
    def _flat_steps(self) -> tuple[Operation, ...] | None:
        return expanded(self.body)

    @idle.default
    def _takes_no_step(self) -> bool:
        return all(isinstance(inner, Repeat) and (inner.idle or not inner.times) for inner in self.body)


@attrs.frozen(cache_hash=True)
class Span(Step):
    """Measure each pass through `body`, from entering it to leaving it, in simulated time, under `name`."""

    spec = OperationSpec(NOTHING, {"span": "{name: request, do: [...]}"}, bodies={"do": "body"}, structured=True)

    name: str
    body: tuple[Operation, ...]
    #: The steps that enter and leave it, made once here rather than at every pass.
    enter: SpanMark = attrs.field(init=False, eq=False, repr=False)
    leave: SpanMark = attrs.field(init=False, eq=False, repr=False)

    @enter.default
    def _enter_mark(self) -> SpanMark:
        return SpanMark(self.name, line=self.line)

    @leave.default
    def _leave_mark(self) -> SpanMark:
        return SpanMark(self.name, True, line=self.line)


@attrs.frozen(cache_hash=True)
class SpanMark(Step):
    """Entering (`leave` false) or leaving a span named `name`: a step that takes no time and touches
    nothing another thread sees; the kernel notes the instant."""

    # No keyword: the interpreter makes it from a `span`.
    spec = OperationSpec(NOTHING)

    name: str
    leave: bool = False


# -- memory ------------------------------------------------------------------------------------------------


@attrs.frozen(cache_hash=True)
class Load(Step):
    """Read shared variable `var` into register `into`."""

    spec = OperationSpec(Touches(reads=("var",)), {"load": "{var: x, into: r}"})

    var: str
    into: str


@attrs.frozen(cache_hash=True)
class Store(Step):
    """Write the value of `value` to shared variable `var`."""

    spec = OperationSpec(Touches(writes=("var",), expressions=("value",)), {"store": "{var: x, value: r}"})

    var: str
    value: Expression


@attrs.frozen(cache_hash=True)
class Let(Step):
    """Set register `reg` (no shared memory is touched unless `value` reads it)."""

    spec = OperationSpec(Touches(expressions=("value",)), {"let": "{reg: r, value: 1}"})

    reg: str
    value: Expression


#: The register `incr: x` loads into is this and the variable's name (`%x`): a name no scenario can write
#: (registers are identifiers), which messages show as `x` (`x + 1 overflows at line 7: ...`).
INCR_REGISTER = "%"


@attrs.frozen(cache_hash=True)
class Incr(Step):
    """A non-atomic read-modify-write of `var`: a Load and a Store, as two steps."""

    spec = OperationSpec(
        Touches(reads=("var",), writes=("var",), expressions=("by",)), {"incr": "counter"}, structured=True
    )

    var: str
    by: Expression
    #: Its two steps, made once here rather than at every pass: a Load into the hidden register
    #: `INCR_REGISTER + var` and a Store of that register plus `by`.
    load: Load = attrs.field(init=False, eq=False, repr=False)
    store: Store = attrs.field(init=False, eq=False, repr=False)

    @load.default
    def _load_step(self) -> Load:
        return Load(self.var, INCR_REGISTER + self.var, line=self.line)

    @store.default
    def _store_step(self) -> Store:
        return Store(self.var, Binary("+", Register(INCR_REGISTER + self.var), self.by), line=self.line)


@attrs.frozen(cache_hash=True)
class Atomic(Step):
    """One indivisible step on `var`: add, sub, set, swap or cas; `into` receives the old value."""

    spec = OperationSpec(
        Touches(writes=("var",), expressions=("value", "expected")), {"atomic": "{var: x, op: add, value: 1}"}
    )

    var: str
    op: str
    value: Expression
    expected: Expression | None = None
    into: str | None = None


# -- control flow ------------------------------------------------------------------------------------------


@attrs.frozen(cache_hash=True)
class While(Step):
    """Run `body` while `cond` is true (checked before each pass)."""

    spec = OperationSpec(
        Touches(expressions=("cond",)), {"while": "{cond: 'x < 3', do: [...]}"}, bodies={"do": "body"}, structured=True
    )

    cond: Expression
    body: tuple[Operation, ...]


@attrs.frozen(cache_hash=True)
class If(Step):
    """Run `then` if `cond` is true, else `otherwise`."""

    spec = OperationSpec(
        Touches(expressions=("cond",)),
        {"if": "{cond: 'x > 0', then: [...]}"},
        bodies={"then": "then", "else": "otherwise"},
        structured=True,
    )

    cond: Expression
    then: tuple[Operation, ...]
    otherwise: tuple[Operation, ...] = ()


@attrs.frozen(cache_hash=True)
class Check(Step):
    """A step that evaluates a `while` or `if` condition; the kernel sends back 1 or 0."""

    # No keyword: the interpreter makes it from a `while` or an `if`.
    spec = OperationSpec(Touches(expressions=("cond",)))

    cond: Expression


@attrs.frozen(cache_hash=True)
class Assert(Step):
    """A violation if `cond` is false at this point (the run goes on). `text` is the condition as written."""

    spec = OperationSpec(Touches(expressions=("cond",)), {"assert": "'x > 0'"})

    cond: Expression
    text: str


# -- synchronization ---------------------------------------------------------------------------------------


@attrs.frozen(cache_hash=True)
class Lock(Step):
    """Acquire mutex `obj` (blocks while another thread holds it)."""

    spec = OperationSpec(Touches(objects=("obj",)), {"lock": "m"}, ("mutex",))

    obj: str


@attrs.frozen(cache_hash=True)
class Unlock(Step):
    """Release mutex `obj`, which the thread must hold."""

    spec = OperationSpec(Touches(objects=("obj",)), {"unlock": "m"}, ("mutex",))

    obj: str


@attrs.frozen(cache_hash=True)
class Acquire(Step):
    """Take one unit of semaphore `obj` (blocks while its count is 0)."""

    # `acquire` of a mutex makes a Lock.
    spec = OperationSpec(Touches(objects=("obj",)), {"acquire": "s"}, ("semaphore", "mutex"))

    obj: str


@attrs.frozen(cache_hash=True)
class Release(Step):
    """Give one unit back to semaphore `obj`."""

    # `release` of a mutex makes an Unlock.
    spec = OperationSpec(Touches(objects=("obj",)), {"release": "s"}, ("semaphore", "mutex"))

    obj: str


@attrs.frozen(cache_hash=True)
class Wait(Step):
    """Wait on condition `obj` (Mesa): release its mutex, block until notified or `timeout`, re-acquire."""

    spec = OperationSpec(Touches(objects=("obj",)), {"wait": "cv"}, ("condition",))

    obj: str
    timeout: int | None = None
    #: Drawn at each wait when given (`timeout` is then its mean).
    timeout_distribution: Distribution | None = None


@attrs.frozen(cache_hash=True)
class Notify(Step):
    """Wake one waiter of condition `obj` (`all`: every waiter)."""

    spec = OperationSpec(Touches(objects=("obj",)), {"notify": "cv", "notify_all": "cv"}, ("condition",))

    obj: str
    all: bool = False


@attrs.frozen(cache_hash=True)
class SetEvent(Step):
    """Set event `obj` (`clear`: clear it)."""

    spec = OperationSpec(Touches(objects=("obj",)), {"set_event": "e", "clear_event": "e"}, ("event",))

    obj: str
    clear: bool = False


@attrs.frozen(cache_hash=True)
class WaitEvent(Step):
    """Block until event `obj` is set."""

    spec = OperationSpec(Touches(objects=("obj",)), {"wait_event": "e"}, ("event",))

    obj: str


@attrs.frozen(cache_hash=True)
class BarrierWait(Step):
    """Block until the barrier's number of parties have arrived."""

    spec = OperationSpec(Touches(objects=("obj",)), {"barrier": "b"}, ("barrier",))

    obj: str


@attrs.frozen(cache_hash=True)
class Put(Step):
    """Append `value` to queue or channel `obj` (blocks while it is full)."""

    spec = OperationSpec(
        Touches(objects=("obj",), expressions=("value",)),
        {"put": "{queue: q, value: r}", "send": "{channel: c, value: r}"},
        ("queue", "channel"),
    )

    obj: str
    value: Expression


@attrs.frozen(cache_hash=True)
class Get(Step):
    """Take the oldest item of queue or channel `obj` into register `into` (blocks while it is empty)."""

    spec = OperationSpec(
        Touches(objects=("obj",)), {"get": "{queue: q, into: r}", "recv": "{channel: c, into: r}"}, ("queue", "channel")
    )

    obj: str
    into: str | None = None


@attrs.frozen(cache_hash=True)
class Spawn(Step):
    """Start thread `thread` (declared with `start: spawned`)."""

    spec = OperationSpec(Touches(everything=True), {"spawn": "T2"})

    thread: str


@attrs.frozen(cache_hash=True)
class Join(Step):
    """Block until thread `thread` has ended."""

    spec = OperationSpec(Touches(everything=True), {"join": "T2"})

    thread: str


@attrs.frozen(cache_hash=True)
class Fork(Step):
    """Start a new instance of process `process` (declared with `start: forked`), memory copied from ours."""

    spec = OperationSpec(Touches(everything=True), {"fork": "child"})

    process: str


@attrs.frozen(cache_hash=True)
class WaitProcess(Step):
    """Block until the instance of `process` this thread forked last has ended (all its threads)."""

    spec = OperationSpec(Touches(everything=True), {"wait_process": "child"})

    process: str


Primitive = (
    Compute
    | Sleep
    | Yield
    | Io
    | Exit
    | Load
    | Store
    | Let
    | Atomic
    | Check
    | Assert
    | Lock
    | Unlock
    | Acquire
    | Release
    | Wait
    | Notify
    | SetEvent
    | WaitEvent
    | BarrierWait
    | Put
    | Get
    | Spawn
    | Join
    | Fork
    | WaitProcess
    | SpanMark
)
Operation = Primitive | Repeat | While | If | Incr | Span

#: Every kind of operation, and the primitive ones (those the kernel runs), in the order of the unions.
OPERATION_TYPES: tuple[type[Operation], ...] = get_args(Operation)
PRIMITIVE_TYPES: tuple[type[Primitive], ...] = get_args(Primitive)

#: The operation that declares each YAML keyword (its parser may make another: `acquire` of a mutex is a Lock).
KEYWORDS: Mapping[str, type[Operation]] = MappingProxyType(
    {keyword: kind for kind in OPERATION_TYPES for keyword in kind.spec.keywords}
)


def children(operation: Operation) -> tuple[tuple[Operation, ...], ...]:
    """The sub-programs of an operation, in the order they are declared: `(body,)` for a repeat or a while,
    `(then, otherwise)` for an if, `()` for everything else."""
    bodies = operation.spec.bodies
    if not bodies:
        return ()
    return tuple(getattr(operation, field) for field in bodies.values())


def walk(program: tuple[Operation, ...]) -> Iterator[Operation]:
    """Every operation of a program and of its sub-programs, depth first, each before its own children
    (the order they are written in)."""
    for operation in program:
        yield operation
        for body in children(operation):
            yield from walk(body)
