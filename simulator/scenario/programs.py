"""Parse and check thread programs (SPEC section 3) into operations.

A program is checked in a scope: the variables of its process's memory, the synchronization objects it can
see (its process's `sync` and the machine's `ipc`), its sibling threads, and the processes it can fork.
Every name is resolved here, so the kernel never meets an unknown one.

The keywords, their example values and the object kinds each operation works on are declared with the
operations (`OperationSpec` in simulator.program.operations); this module adds one `op_<keyword>` method
per keyword, the only part of the syntax that is code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import attrs

from simulator.errors import did_you_mean
from simulator.program.expressions import Expression, ExpressionError, Number, parse_expression
from simulator.program.operations import (
    KEYWORDS,
    OPERATION_TYPES,
    Acquire,
    Assert,
    Atomic,
    BarrierWait,
    Compute,
    Fork,
    Get,
    If,
    Incr,
    Io,
    Join,
    Let,
    Load,
    Lock,
    Notify,
    Operation,
    Put,
    Release,
    Repeat,
    SetEvent,
    Sleep,
    Span,
    Spawn,
    Store,
    Unlock,
    Wait,
    WaitEvent,
    WaitProcess,
    While,
)
from simulator.scenario.checking import Checker, is_identifier
from simulator.scenario.distributions import duration_field, duration_or_distribution, is_distribution
from simulator.scenario.limits import MAX_REPEATS
from simulator.scenario.source import PathKey
from simulator.timeunits import type_name

#: Every operation keyword, and those written as a bare word (`yield`), from the operations' specs.
OPERATIONS = tuple(KEYWORDS)
BARE_OPERATIONS = tuple(keyword for keyword, kind in KEYWORDS.items() if kind.spec.keywords[keyword] is None)
#: What a bare word makes (its operation has no fields but the line).
_BARE: Mapping[str, Callable[..., Operation]] = {keyword: KEYWORDS[keyword] for keyword in BARE_OPERATIONS}
ATOMIC_OPS = ("add", "sub", "set", "swap", "cas", "load")
#: The YAML keys that hold sub-programs (`do`, `then`, `else`).
BODY_KEYS = tuple(dict.fromkeys(key for kind in OPERATION_TYPES for key in kind.spec.bodies))


@attrs.frozen
class Scope:
    """The names a thread's program can use."""

    variables: frozenset[str]
    #: Synchronization objects by name: their kind ("mutex", "queue", ...).
    objects: Mapping[str, str]
    #: Threads of the same process, and which of them are started by `spawn`.
    threads: frozenset[str]
    spawned: frozenset[str]
    #: Processes declared with `start: forked`.
    forkable: frozenset[str]


class ProgramParser:
    """Builds operations for one thread, reporting problems through the scenario checker."""

    def __init__(self, checker: Checker, scope: Scope) -> None:
        self.checker = checker
        self.scope = scope
        #: The product of the `times` of the repeats around the operation being read (MAX_REPEATS bounds it).
        self.repeats = 1

    def fail(self, path: PathKey, message: str, *, at_key: bool = False) -> None:
        self.checker.fail(path, message, at_key=at_key)

    def program(self, raw: object, path: PathKey) -> tuple[Operation, ...]:
        if not isinstance(raw, list):
            self.fail(path, f"a program must be a list of operations, got {type_name(raw)}")
            return ()
        operations = []
        for index, item in enumerate(raw):
            operation = self.operation(item, (*path, index))
            if operation is not None:
                operations.append(operation)
        return tuple(operations)

    def operation(self, raw: object, path: PathKey) -> Operation | None:
        line = self.checker.source.location(path).line
        if isinstance(raw, str):
            if raw in BARE_OPERATIONS:
                return _BARE[raw](line=line)
            if raw in OPERATIONS:
                self.fail(path, f"operation {raw!r} needs a value, e.g. '{raw}: {KEYWORDS[raw].spec.keywords[raw]}'")
            else:
                self.fail(path, f"unknown operation {raw!r}{did_you_mean(raw, OPERATIONS)}")
            return None
        if not isinstance(raw, dict) or len(raw) != 1:
            shown = f"a mapping with {len(raw)} keys" if isinstance(raw, dict) else type_name(raw)
            self.fail(path, f"an operation is a one-key mapping such as 'compute: 5' or a word such as "
                            f"'yield', got {shown}")  # fmt: skip
            return None
        ((kind, value),) = raw.items()
        here = (*path, kind)
        if kind in BARE_OPERATIONS:
            if value is not None:
                self.fail(here, f"{kind!r} takes no value")
            return _BARE[kind](line=line)
        parser = _PARSERS.get(kind)
        if parser is None:
            self.fail(path, f"unknown operation {kind!r}{did_you_mean(kind, OPERATIONS)}")
            return None
        return parser(self, value, here, line)

    # -- time and the CPU --------------------------------------------------------------------------------

    def op_compute(self, value: object, path: PathKey, line: int) -> Compute | None:
        checker = self.checker
        if not isinstance(value, dict) or is_distribution(value):
            nominal, distribution = duration_or_distribution(checker, value, path)
            return Compute(nominal, distribution=distribution, line=line)
        keys = ("duration", "jitter", "preemptible", "releases_gil")
        if not self.keys(value, path, keys, "compute", required=("duration",)):
            return None
        duration, distribution = duration_field(checker, value, path, "duration", 0)
        jitter = checker.duration(value, path, "jitter", 0)
        if jitter and distribution is not None:
            self.fail((*path, "jitter"), "a duration drawn from a distribution takes no jitter")
        elif jitter > duration:
            self.fail((*path, "jitter"), "jitter cannot exceed the duration (a duration is never negative)")
        preemptible = checker.boolean(value, path, "preemptible", True)
        releases_gil = checker.boolean(value, path, "releases_gil", False)
        return Compute(duration, jitter, preemptible, releases_gil, distribution, line=line)

    def op_sleep(self, value: object, path: PathKey, line: int) -> Sleep:
        nominal, distribution = duration_or_distribution(self.checker, value, path)
        return Sleep(nominal, distribution, line=line)

    def op_io(self, value: object, path: PathKey, line: int) -> Io | None:
        checker = self.checker
        if not isinstance(value, dict) or is_distribution(value):
            nominal, distribution = duration_or_distribution(checker, value, path)
            return Io("io", nominal, distribution, line=line)
        if not self.keys(value, path, ("device", "duration"), "io", required=("duration",)):
            return None
        device = checker.string(value, path, "device", "io")
        if device not in checker.devices:
            known = ", ".join(sorted(checker.devices))
            hint = did_you_mean(device, checker.devices)
            self.fail((*path, "device"), f"unknown device {device!r}{hint} (devices: {known})")
        nominal, distribution = duration_field(checker, value, path, "duration", 0)
        return Io(device, nominal, distribution, line=line)

    # -- control flow ------------------------------------------------------------------------------------

    def op_repeat(self, value: object, path: PathKey, line: int) -> Repeat | None:
        if not isinstance(value, dict):
            self.fail(path, f"repeat needs a mapping such as {{times: 3, do: [...]}}, got {type_name(value)}")
            return None
        if not self.keys(value, path, ("times", "do"), "repeat", required=("times", "do")):
            return None
        times = self.checker.integer(value, path, "times", 0, minimum=0)
        outer = self.repeats
        if outer * times > MAX_REPEATS:
            self.fail((*path, "times"), f"repeats nested here run {outer * times:,} times; nested repeats run at "
                                        f"most {MAX_REPEATS:,} times (the product of their times)")  # fmt: skip
            times = 0
        self.repeats = outer * max(times, 1)
        try:
            return Repeat(times, self.program(value["do"], (*path, "do")), line=line)
        finally:
            self.repeats = outer

    def op_span(self, value: object, path: PathKey, line: int) -> Span | None:
        if not isinstance(value, dict):
            self.fail(path, f"span needs a mapping such as {{name: request, do: [...]}}, got {type_name(value)}")
            return None
        if not self.keys(value, path, ("name", "do"), "span", required=("name", "do")):
            return None
        name = value["name"]
        if not isinstance(name, str) or not name.strip():
            self.fail((*path, "name"), f"a span's name must be a non-empty string, got {type_name(name)}")
            return None
        return Span(name, self.program(value["do"], (*path, "do")), line=line)

    def op_while(self, value: object, path: PathKey, line: int) -> While | None:
        if not isinstance(value, dict):
            self.fail(path, f"while needs a mapping such as {{cond: 'x < 3', do: [...]}}, got {type_name(value)}")
            return None
        if not self.keys(value, path, ("cond", "do"), "while", required=("cond", "do")):
            return None
        cond = self.expression(value["cond"], (*path, "cond"))
        return While(cond, self.program(value["do"], (*path, "do")), line=line)

    def op_if(self, value: object, path: PathKey, line: int) -> If | None:
        if not isinstance(value, dict):
            self.fail(path, f"if needs a mapping such as {{cond: 'x > 0', then: [...]}}, got {type_name(value)}")
            return None
        if not self.keys(value, path, ("cond", "then", "else"), "if", required=("cond", "then")):
            return None
        cond = self.expression(value["cond"], (*path, "cond"))
        otherwise = self.program(value["else"], (*path, "else")) if "else" in value else ()
        return If(cond, self.program(value["then"], (*path, "then")), otherwise, line=line)

    def op_assert(self, value: object, path: PathKey, line: int) -> Assert:
        return Assert(self.expression(value, path), str(value).lower() if isinstance(value, bool) else str(value),
                      line=line)  # fmt: skip

    # -- memory ------------------------------------------------------------------------------------------

    def op_load(self, value: object, path: PathKey, line: int) -> Load | None:
        fields = self.fields(value, path, "load", ("var", "into"), ("var", "into"), "{var: counter, into: r}")
        if fields is None:
            return None
        return Load(self.variable(fields["var"], (*path, "var")), self.register(fields["into"], (*path, "into")),
                    line=line)  # fmt: skip

    def op_store(self, value: object, path: PathKey, line: int) -> Store | None:
        fields = self.fields(value, path, "store", ("var", "value"), ("var", "value"), "{var: counter, value: r + 1}")
        if fields is None:
            return None
        return Store(self.variable(fields["var"], (*path, "var")), self.expression(fields["value"], (*path, "value")),
                     line=line)  # fmt: skip

    def op_let(self, value: object, path: PathKey, line: int) -> Let | None:
        fields = self.fields(value, path, "let", ("reg", "value"), ("reg", "value"), "{reg: r, value: r * 2}")
        if fields is None:
            return None
        return Let(self.register(fields["reg"], (*path, "reg")), self.expression(fields["value"], (*path, "value")),
                   line=line)  # fmt: skip

    def op_incr(self, value: object, path: PathKey, line: int) -> Incr | None:
        if not isinstance(value, dict):
            return Incr(self.variable(value, path), Number(1), line=line)
        fields = self.fields(value, path, "incr", ("var", "by"), ("var",), "{var: counter, by: 2}")
        if fields is None:
            return None
        by = self.expression(fields["by"], (*path, "by")) if "by" in fields else Number(1)
        return Incr(self.variable(fields["var"], (*path, "var")), by, line=line)

    def op_atomic(self, value: object, path: PathKey, line: int) -> Atomic | None:
        fields = self.fields(value, path, "atomic", ("var", "op", "value", "expected", "into"), ("var", "op"),
                             "{var: counter, op: add, value: 1}")  # fmt: skip
        if fields is None:
            return None
        op = fields["op"]
        if op not in ATOMIC_OPS:
            self.fail((*path, "op"), f"atomic op must be one of {', '.join(ATOMIC_OPS)}, got {op!r}"
                      f"{did_you_mean(str(op), ATOMIC_OPS)}")  # fmt: skip
            return None
        if op == "load":  # an atomic read: {var: x, op: load, into: r}
            if "value" in fields or "into" not in fields:
                self.fail(path, "an atomic load takes no 'value'" if "value" in fields
                          else "an atomic load needs 'into', the register that receives the value")  # fmt: skip
                return None
            return Atomic(self.variable(fields["var"], (*path, "var")), "load", Number(0), None,
                          self.register(fields["into"], (*path, "into")), line=line)  # fmt: skip
        if "value" not in fields:
            self.fail(path, f"atomic {op} needs 'value'")
            return None
        if (op == "cas") != ("expected" in fields):
            self.fail(path, "cas needs 'expected'" if op == "cas" else f"'expected' is only for cas, not {op}")
            return None
        expected = self.expression(fields["expected"], (*path, "expected")) if "expected" in fields else None
        into = self.register(fields["into"], (*path, "into")) if "into" in fields else None
        return Atomic(self.variable(fields["var"], (*path, "var")), str(op),
                      self.expression(fields["value"], (*path, "value")), expected, into, line=line)  # fmt: skip

    # -- synchronization ---------------------------------------------------------------------------------

    def object_name(self, value: object, path: PathKey, operation: str, kinds: tuple[str, ...]) -> str:
        objects = self.scope.objects
        if not isinstance(value, str):
            self.fail(path, f"{operation} needs the name of a {' or '.join(kinds)}, got {type_name(value)}")
            return ""
        if value not in objects:
            candidates = [name for name, kind in objects.items() if kind in kinds]
            known = ", ".join(candidates) or "none declared: add one to the process's sync"
            self.fail(path, f"unknown {' or '.join(kinds)} {value!r}{did_you_mean(value, candidates)} ({known})")
            return ""
        if objects[value] not in kinds:
            self.fail(path, f"{operation} needs a {' or '.join(kinds)}, but {value!r} is a {objects[value]}")
            return ""
        return value

    def op_lock(self, value: object, path: PathKey, line: int) -> Lock:
        return Lock(self.object_name(value, path, "lock", Lock.spec.kinds), line=line)

    def op_unlock(self, value: object, path: PathKey, line: int) -> Unlock:
        return Unlock(self.object_name(value, path, "unlock", Unlock.spec.kinds), line=line)

    def op_acquire(self, value: object, path: PathKey, line: int) -> Acquire | Lock:
        name = self.object_name(value, path, "acquire", Acquire.spec.kinds)
        return Lock(name, line=line) if self.scope.objects.get(name) == "mutex" else Acquire(name, line=line)

    def op_release(self, value: object, path: PathKey, line: int) -> Release | Unlock:
        name = self.object_name(value, path, "release", Release.spec.kinds)
        return Unlock(name, line=line) if self.scope.objects.get(name) == "mutex" else Release(name, line=line)

    def op_wait(self, value: object, path: PathKey, line: int) -> Wait | None:
        if not isinstance(value, dict):
            return Wait(self.object_name(value, path, "wait", Wait.spec.kinds), line=line)
        fields = self.fields(value, path, "wait", ("cond", "timeout"), ("cond",), "{cond: cv, timeout: 5}")
        if fields is None:
            return None
        timeout, drawn = (duration_field(self.checker, value, path, "timeout", 0) if "timeout" in fields
                          else (None, None))  # fmt: skip
        return Wait(self.object_name(fields["cond"], (*path, "cond"), "wait", Wait.spec.kinds), timeout, drawn,
                    line=line)  # fmt: skip

    def op_notify(self, value: object, path: PathKey, line: int) -> Notify:
        return Notify(self.object_name(value, path, "notify", Notify.spec.kinds), line=line)

    def op_notify_all(self, value: object, path: PathKey, line: int) -> Notify:
        return Notify(self.object_name(value, path, "notify_all", Notify.spec.kinds), True, line=line)

    def op_set_event(self, value: object, path: PathKey, line: int) -> SetEvent:
        return SetEvent(self.object_name(value, path, "set_event", SetEvent.spec.kinds), line=line)

    def op_clear_event(self, value: object, path: PathKey, line: int) -> SetEvent:
        return SetEvent(self.object_name(value, path, "clear_event", SetEvent.spec.kinds), True, line=line)

    def op_wait_event(self, value: object, path: PathKey, line: int) -> WaitEvent:
        return WaitEvent(self.object_name(value, path, "wait_event", WaitEvent.spec.kinds), line=line)

    def op_barrier(self, value: object, path: PathKey, line: int) -> BarrierWait:
        return BarrierWait(self.object_name(value, path, "barrier", BarrierWait.spec.kinds), line=line)

    def _put(self, value: object, path: PathKey, line: int, operation: str) -> Put | None:
        fields = self.fields(value, path, operation, ("queue", "channel", "value"), ("value",),
                             "{queue: q, value: r}")  # fmt: skip
        if fields is None:
            return None
        key = self.queue_key(fields, path, operation)
        if key is None:
            return None
        name = self.object_name(fields[key], (*path, key), operation, Put.spec.kinds)
        return Put(name, self.expression(fields["value"], (*path, "value")), line=line)

    def _get(self, value: object, path: PathKey, line: int, operation: str) -> Get | None:
        fields = self.fields(value, path, operation, ("queue", "channel", "into"), (), "{queue: q, into: r}")
        if fields is None:
            return None
        key = self.queue_key(fields, path, operation)
        if key is None:
            return None
        into = self.register(fields["into"], (*path, "into")) if "into" in fields else None
        return Get(self.object_name(fields[key], (*path, key), operation, Get.spec.kinds), into, line=line)

    def queue_key(self, fields: Mapping[str, object], path: PathKey, operation: str) -> str | None:
        keys = [key for key in ("queue", "channel") if key in fields]
        if len(keys) != 1:
            self.fail(path, f"{operation} needs exactly one of 'queue' or 'channel'")
            return None
        return keys[0]

    def op_put(self, value: object, path: PathKey, line: int) -> Put | None:
        return self._put(value, path, line, "put")

    def op_send(self, value: object, path: PathKey, line: int) -> Put | None:
        return self._put(value, path, line, "send")

    def op_get(self, value: object, path: PathKey, line: int) -> Get | None:
        return self._get(value, path, line, "get")

    def op_recv(self, value: object, path: PathKey, line: int) -> Get | None:
        return self._get(value, path, line, "recv")

    def op_spawn(self, value: object, path: PathKey, line: int) -> Spawn | None:
        name = self.name_in(value, path, "spawn", self.scope.spawned, "thread declared with start: spawned")
        return Spawn(name, line=line) if name else None

    def op_join(self, value: object, path: PathKey, line: int) -> Join | None:
        name = self.name_in(value, path, "join", self.scope.threads, "thread of this process")
        return Join(name, line=line) if name else None

    def op_fork(self, value: object, path: PathKey, line: int) -> Fork | None:
        name = self.name_in(value, path, "fork", self.scope.forkable, "process declared with start: forked")
        return Fork(name, line=line) if name else None

    def op_wait_process(self, value: object, path: PathKey, line: int) -> WaitProcess | None:
        name = self.name_in(value, path, "wait_process", self.scope.forkable, "process declared with start: forked")
        return WaitProcess(name, line=line) if name else None

    # -- values ------------------------------------------------------------------------------------------

    def name_in(self, value: object, path: PathKey, operation: str, names: frozenset[str], what: str) -> str:
        if not isinstance(value, str):
            self.fail(path, f"{operation} needs the name of a {what}, got {type_name(value)}")
            return ""
        if value not in names:
            known = ", ".join(sorted(names)) or "none"
            self.fail(path, f"{operation}: {value!r} is not a {what}{did_you_mean(value, names)} (known: {known})")
            return ""
        return value

    def keys(self, value: Mapping[str, object], path: PathKey, allowed: tuple[str, ...], what: str,
             required: tuple[str, ...] = ()) -> bool:  # fmt: skip
        good = True
        for key in value:
            if key not in allowed:
                self.fail((*path, key), f"unknown key {key!r} in {what}{did_you_mean(key, allowed)}", at_key=True)
                good = False
        for key in required:
            if key not in value:
                self.fail(path, f"{what} needs {key!r}")
                good = False
        return good

    def fields(self, value: object, path: PathKey, what: str, allowed: tuple[str, ...], required: tuple[str, ...],
               example: str) -> dict[str, object] | None:  # fmt: skip
        if not isinstance(value, dict):
            self.fail(path, f"{what} needs a mapping such as {example}, got {type_name(value)}")
            return None
        return value if self.keys(value, path, allowed, what, required) else None

    def variable(self, value: object, path: PathKey) -> str:
        variables = self.scope.variables
        if not isinstance(value, str) or value not in variables:
            known = ", ".join(sorted(variables)) or "none: declare them in the process's memory"
            shown = repr(value) if isinstance(value, str) else type_name(value)
            hint = did_you_mean(value, variables) if isinstance(value, str) else ""
            self.fail(path, f"unknown shared variable {shown}{hint} (variables: {known})")
            return ""
        return value

    def register(self, value: object, path: PathKey) -> str:
        if not is_identifier(value):
            self.fail(path, f"a register name must be an identifier such as r1, got {value!r}")
            return ""
        assert isinstance(value, str)
        if value in self.scope.variables:
            self.fail(path, f"{value!r} is a shared variable; name a register here (or use store)")
            return ""
        return value

    def expression(self, value: object, path: PathKey) -> Expression:
        if isinstance(value, bool):
            return Number(int(value))
        if isinstance(value, int):
            return Number(value)
        if not isinstance(value, str):
            self.fail(path, f"expected an expression (a number or text such as 'r + 1'), got {type_name(value)}")
            return Number(0)
        try:
            return parse_expression(value, self.scope.variables.__contains__)
        except ExpressionError as error:
            location = self.checker.source.text_location(path, error.offset)
            self.checker.fail_at(location, f"{error.message} in expression {value!r}")
            return Number(0)


#: The parser of each keyword written with a value (`ProgramParser.op_<keyword>`). Made once, here, so that
#: a keyword without a parser fails at import, not when a scenario first uses it.
_PARSERS: dict[object, Callable[[ProgramParser, object, PathKey, int], Operation | None]] = {
    keyword: getattr(ProgramParser, f"op_{keyword}") for keyword in OPERATIONS if keyword not in BARE_OPERATIONS
}


def raw_operations(program: object) -> Iterator[tuple[object, object]]:
    """Every operation of a raw (unchecked) YAML program and of its sub-programs, as (keyword, value), for
    the surveys made before any program is checked. Anything that is not an operation is passed over."""
    if isinstance(program, list):
        for item in program:
            if isinstance(item, dict) and len(item) == 1:
                ((kind, value),) = item.items()
                yield kind, value
                if isinstance(value, dict):
                    for key in BODY_KEYS:
                        yield from raw_operations(value.get(key))
