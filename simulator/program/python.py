"""Threads written in Python: a generator function drives a thread, receiving each operation's result.

A `ThreadSpec` whose program is a function holds it as a one-operation program, `(PythonBody(function),)`, so
that everything that walks programs (footprints, demand, the loader's checks) sees an operation: one that may
touch anything (`Touches(everything=True)`), since what a Python body does is known only as it runs. The
kernel drives such a thread through a `PythonProgram`, which has the generator protocol the kernel expects
(`send(result)` returns the next primitive operation, StopIteration at the end) and, between the kernel and
the body, does three things:

- it checks each yielded value: an operation of the language, naming variables, objects, devices, threads
  and processes the thread's process has, else a `misuse` violation with the Python file and line, and the
  thread stops; its numbers within the range of values (signed 64-bit, as a YAML program's), else an
  `overflow` violation, and the thread stops;
- it sends the body the operation's result, read from where the step left it (a hidden register for a load,
  an atomic's old value and a get's item; the thread's `timed_out` flag for a timed wait), so the kernel's
  steps do no extra work for YAML programs;
- it keeps a digest of the operations the body yielded, to tell a nondeterministic body (one that yields
  other operations given the same results) from a deterministic one: see simulator.program.determinism.

An exception raised by the body is a violation too (an AssertionError an `assert` violation, anything else
`misuse`), with the file and line it was raised at; the thread stops, the run goes on.
"""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Callable, Generator, Mapping
from types import FrameType, GeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from simulator.program.expressions import Expression, Number, variables
from simulator.program.operation_spec import OperationSpec, Step, Touches
from simulator.program.operations import (
    PRIMITIVE_TYPES,
    Acquire,
    Atomic,
    Check,
    Compute,
    Fork,
    Get,
    Io,
    Let,
    Load,
    Lock,
    Operation,
    Primitive,
    Release,
    Sleep,
    Spawn,
    Unlock,
    Wait,
)
from simulator.program.python_checks import ATOMIC_OPS, field_problem, known_names, out_of_range, shown_int

if TYPE_CHECKING:
    from simulator.model.kernel import Kernel
    from simulator.model.threads import Thread

#: The register a Python thread's operations leave their result in (no scenario can name it).
RESULT_REGISTER = "%py"

#: A thread body: a generator function, called with no argument or with the thread's `ThreadContext`.
Body = Callable[..., Generator[Any, Any, Any]]


@attrs.frozen
class ThreadContext:
    """What a body called with one argument is given: the thread's name as it runs (`T1`, or `T1#2` in a
    forked instance), its name as declared, its process instance and which instance that is (1, 2, ...)."""

    name: str
    template: str
    process: str
    replica: int


class CasResult(NamedTuple):
    """What a `cas` sends back: whether it swapped, and the value the variable held."""

    succeeded: bool
    old: int


def _takes_context(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable without a signature: call it bare
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(p.kind in positional or p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters)


@attrs.frozen
class PythonBody(Step):
    """A thread program written in Python: `function`, a generator function (see the module docstring)."""

    # May touch anything: a body's accesses are known only as it runs (exploration then looks at each
    # yielded operation itself).
    spec = OperationSpec(Touches(everything=True), structured=True)

    function: Body
    #: Whether the function is called with the thread's ThreadContext (it has a positional parameter).
    takes_context: bool = attrs.field(init=False, eq=False, repr=False)

    @takes_context.default
    def _inspect(self) -> bool:
        return _takes_context(self.function)

    def where(self) -> str:
        """The function's file and first line, for messages."""
        code = getattr(self.function, "__code__", None)
        if code is None:
            return repr(self.function)
        return f"{_shown(code.co_filename)}:{code.co_firstlineno}"


def as_program(program: tuple[Operation, ...] | list[Operation] | Body) -> tuple[Operation, ...]:
    """A ThreadSpec's program: a tuple of operations as given, or a function made into a PythonBody.
    A generator object (`worker()` rather than `worker`) is a TypeError: each run needs a fresh one."""
    if isinstance(program, Generator):
        name = getattr(program, "__name__", "body")
        raise TypeError(f"a thread's program is the generator function itself ({name}), not a generator made by "
                        f"calling it ({name}()): every run of the scenario calls it afresh")  # fmt: skip
    if callable(program) and not isinstance(program, tuple | list):
        return (PythonBody(program),)  # type: ignore[return-value]  # not in the YAML language's union
    return tuple(program)


def python_body(program: tuple[Operation, ...]) -> PythonBody | None:
    """The Python body a program is, if it is one."""
    if len(program) == 1 and type(program[0]) is PythonBody:
        return program[0]
    return None


def _shown(filename: str) -> str:
    """A file name as messages show it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive (Windows)
        return filename
    return filename if relative.startswith("..") else relative


#: threadsim's own source folder: a message names the innermost frame outside it (the user's line, not that
#: of `incr` in simulator/ops.py or of the check that raised for a bad argument).
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_frame(frames: list[FrameType]) -> FrameType | None:
    """The innermost of `frames` (outermost first) that is not threadsim's own code, else the innermost."""
    for frame in reversed(frames):
        if not os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
            return frame
    return frames[-1] if frames else None


def _innermost_frame(generator: Generator[Any, Any, Any]) -> FrameType | None:
    """Where a suspended body is: its frame, or through `yield from` the innermost generator's frame that is
    the user's."""
    # A generator made by a generator function has these (a Generator in general need not).
    frames: list[FrameType] = []
    frame: FrameType | None = getattr(generator, "gi_frame", None)
    inner: object = getattr(generator, "gi_yieldfrom", None)
    if frame is not None:
        frames.append(frame)
    while isinstance(inner, GeneratorType) and inner.gi_frame is not None:
        frames.append(inner.gi_frame)
        inner = inner.gi_yieldfrom
    return _user_frame(frames)


def _raised_at(traceback: TracebackType | None) -> tuple[str, int]:
    """The file and line an exception was raised at: the innermost frame of its traceback that is the user's."""
    entries: list[tuple[FrameType, int]] = []
    while traceback is not None:
        entries.append((traceback.tb_frame, traceback.tb_lineno))
        traceback = traceback.tb_next
    frame = _user_frame([entry[0] for entry in entries])
    if frame is None:
        return "?", 0
    line = next(line for candidate, line in reversed(entries) if candidate is frame)
    return _shown(frame.f_code.co_filename), line


#: The kinds of synchronization object each step works on, where the spec's list is wider than the step:
#: `acquire` and `release` of a mutex are made a lock and an unlock (as the YAML parser does).
_STEP_KINDS: Mapping[type, tuple[str, ...]] = {Acquire: ("semaphore",), Release: ("semaphore",)}


class PythonProgram:
    """Drives one thread's Python body for the kernel, as `run_program`'s generator drives a YAML program."""

    __slots__ = ("body", "thread", "kernel", "generator", "last", "digest", "stopped")

    def __init__(self, body: PythonBody, thread: Thread, kernel: Kernel) -> None:
        self.body = body
        self.thread = thread
        self.kernel = kernel
        self.generator: Generator[Any, Any, Any] | None = None
        #: The operation the body yielded last (its result is sent back at the next step).
        self.last: Primitive | None = None
        # Imported here: hashlib loads OpenSSL (4 MiB resident), which runs without Python threads never need.
        import hashlib

        self.digest = hashlib.blake2b(digest_size=16)
        #: The body is over (it returned, raised or misused the language): nothing more is sent to it.
        self.stopped = False

    # -- the generator protocol the kernel drives -------------------------------------------------------

    def send(self, result: object) -> Primitive:
        """The body's next operation, given the kernel's result of the last one (a condition's 1 or 0).
        StopIteration when the body is over."""
        if self.stopped:
            raise StopIteration
        generator = self.generator
        try:
            if generator is None:
                generator = self._start()
                if generator is None:
                    raise StopIteration
                value = next(generator)
            else:
                value = generator.send(self._result(result))
        except StopIteration:
            self._stop("end")
            raise
        except Exception as error:  # the body's own exception: a violation, never a traceback
            self._raised(error)
            raise StopIteration from None
        operation = self._check(value, generator)
        if operation is None:
            raise StopIteration
        self.last = operation
        self.digest.update(repr(operation).encode())
        return operation

    def _start(self) -> Generator[Any, Any, Any] | None:
        """Call the body function; None (after a misuse) if it is not a generator function."""
        thread = self.thread
        function = self.body.function
        if self.body.takes_context:
            process = thread.proc
            replica = int(process.suffix[1:]) if process.suffix else 1
            made = function(ThreadContext(thread.name, thread.template, process.name, replica))
        else:
            made = function()
        if not isinstance(made, Generator):
            self._misuse(f"the body of {thread.name} ({self.body.where()}) is not a generator function: it "
                         f"returned {type(made).__name__}, not a generator; write `yield` before each operation",
                         (self.body.where(), "body"))  # fmt: skip
            return None
        self.generator = made
        return made

    def _result(self, kernel_result: object) -> object:
        """What the body gets back for its last operation."""
        operation = self.last
        registers = self.thread.registers
        if isinstance(operation, Load):
            return registers.get(operation.into, 0)
        if isinstance(operation, Get):
            return registers.pop(operation.into, None) if operation.into is not None else None
        if isinstance(operation, Atomic):
            old = registers.get(operation.into, 0) if operation.into is not None else None
            if operation.op == "cas" and old is not None and isinstance(operation.expected, Number):
                return CasResult(old == operation.expected.value, old)
            return old
        if isinstance(operation, Let):
            return registers.get(operation.reg, 0)
        if isinstance(operation, Check):
            return bool(kernel_result)
        if isinstance(operation, Wait):
            timed_out = self.thread.timed_out
            self.thread.timed_out = False
            return not timed_out  # as threading.Condition.wait: False when the wait timed out
        return None

    # -- checking what the body yielded -----------------------------------------------------------------

    def _check(self, value: object, generator: Generator[Any, Any, Any]) -> Primitive | None:
        """The operation to run for a yielded value, its line set to the body's; None after a misuse."""
        frame = _innermost_frame(generator)
        filename = _shown(frame.f_code.co_filename) if frame is not None else "?"
        line = frame.f_lineno if frame is not None else 0
        where = f"{filename}:{line}"
        thread = self.thread
        if not isinstance(value, PRIMITIVE_TYPES):
            shown = repr(value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            hint = " (a structured operation: write it as a Python loop or if)" if isinstance(value, Step) else ""
            self._misuse(f"{thread.name} yielded {shown} at {where}, which is not a threadsim operation{hint}; "
                         f"the thread stops", (where, "yield"))  # fmt: skip
            return None
        operation: Primitive = value
        problem = self._problem(operation)
        if isinstance(problem, str):
            self._misuse(f"{thread.name} yielded {type(operation).__name__} at {where}: {problem}; the thread stops",
                         (where, type(operation).__name__))  # fmt: skip
            return None
        if problem is not None:
            operation = problem
        huge = out_of_range(operation)
        if huge is not None:
            self.kernel._violation("overflow", thread, f"{thread.name} yielded {type(operation).__name__} at {where} "
                                   f"with the value {shown_int(huge)}, which is out of range (values are signed "
                                   "64-bit, -2**63 to 2**63 - 1); the thread stops", (where, "value"))  # fmt: skip
            self._stop("overflow")
            return None
        if isinstance(operation, Get | Wait):
            # A stale result never leaks into this one: the register is filled only if an item arrives.
            if isinstance(operation, Get) and operation.into is not None:
                thread.registers.pop(operation.into, None)
            thread.timed_out = False
        return attrs.evolve(operation, line=line)

    def _problem(self, operation: Primitive) -> str | Primitive | None:
        """Why the thread's process cannot run this operation (a sentence), or the operation to run instead
        (an acquire of a mutex is a lock), or None when it can run as it is."""
        wrong = field_problem(operation)
        if wrong is not None:
            return wrong
        process = self.thread.proc
        memory = process.memory
        touches = operation.spec.touches
        for field in (*touches.reads, *touches.writes):
            name = getattr(operation, field)
            if name not in memory:
                return f"process {process.name} has no shared variable {name!r}{known_names(memory)}"
        for field in touches.expressions:
            expression: Expression | None = getattr(operation, field)
            if expression is None:
                continue
            for variable in variables(expression):
                if variable.name not in memory:
                    return f"process {process.name} has no shared variable {variable.name!r}{known_names(memory)}"
        for field in touches.objects:
            name = getattr(operation, field)
            found = process.sync.get(name)
            obj = found if found is not None else self.kernel.ipc.get(name)
            if obj is None:
                known = {**process.sync, **self.kernel.ipc}
                return f"process {process.name} has no synchronization object {name!r}{known_names(known)}"
            if isinstance(operation, Acquire | Release) and obj.kind == "mutex":
                return Lock(name) if isinstance(operation, Acquire) else Unlock(name)
            kinds = _STEP_KINDS.get(type(operation), operation.spec.kinds)
            if obj.kind not in kinds:
                return f"{name} is a {obj.kind}, and {type(operation).__name__} works on a {' or '.join(kinds)}"
        return self._other_problem(operation)

    def _other_problem(self, operation: Primitive) -> str | None:
        """The checks that are not about memory and objects: durations, devices, threads, processes."""
        if isinstance(operation, Compute):
            if not 0 <= operation.jitter <= operation.duration:
                return (
                    f"a compute of {operation.duration} ns with jitter {operation.jitter} ns (0 <= jitter <= duration)"
                )
        elif isinstance(operation, Sleep | Io) and operation.duration < 0:
            return f"a negative duration ({operation.duration} ns)"
        elif isinstance(operation, Wait) and operation.timeout is not None and operation.timeout < 0:
            return f"a negative timeout ({operation.timeout} ns)"
        elif isinstance(operation, Atomic):
            if operation.op not in ATOMIC_OPS:
                return f"unknown atomic operation {operation.op!r} (one of {', '.join(ATOMIC_OPS)})"
            if (operation.op == "cas") != (operation.expected is not None):
                return "a cas needs its expected value" if operation.op == "cas" else "only a cas has an expected value"
        if isinstance(operation, Io) and operation.device not in self.kernel.devices:
            return f"the machine has no device {operation.device!r}{known_names(self.kernel.devices)}"
        if isinstance(operation, Spawn):
            spawned = [spec.name for spec in self.thread.proc.spec.threads if spec.start == "spawned"]
            if operation.thread not in spawned:
                return f"process {self.thread.proc.spec.name} declares no thread {operation.thread!r} with " \
                       f"start: spawned{known_names(spawned)}"  # fmt: skip
        if isinstance(operation, Fork):
            forked = [spec.name for spec in self.kernel.scenario.processes if spec.start == "forked"]
            if operation.process not in forked:
                return f"the scenario declares no process {operation.process!r} with start: forked{known_names(forked)}"
        return None

    # -- the end of a body --------------------------------------------------------------------------------

    def _misuse(self, message: str, subject: tuple[str, ...]) -> None:
        self.kernel._violation("misuse", self.thread, message, subject)
        self._stop("misuse")

    def _raised(self, error: Exception) -> None:
        filename, line = _raised_at(error.__traceback__)
        where = f"{filename}:{line}"
        # The first line only: pytest's assertion rewriting appends its explanation on the next lines.
        shown = str(error).splitlines()[0] if str(error) else ""
        text = f"{type(error).__name__}: {shown}" if shown else type(error).__name__
        if isinstance(error, AssertionError):
            self.kernel._violation("assert", self.thread, f"{self.thread.name}: assert failed at {where} ({text})",
                                   (where, "assert"))  # fmt: skip
        else:
            self.kernel._violation("misuse", self.thread, f"{self.thread.name} raised {text} at {where}; the "
                                   f"thread stops", (where, "raise"))  # fmt: skip
        self._stop("raise " + where)

    def _stop(self, how: str) -> None:
        """Stop driving the body; `how` goes into the digest (a body that ends differently is different)."""
        self.stopped = True
        self.digest.update(b"|" + how.encode())
        generator, self.generator = self.generator, None
        if generator is not None and how != "end":
            # A body that fights its own closing (yields in a finally) is stopped all the same.
            with contextlib.suppress(Exception):
                generator.close()


def has_python_threads(scenario: object) -> bool:
    """Whether some thread of the scenario has a Python body."""
    processes = getattr(scenario, "processes", ())
    return any(python_body(thread.program) is not None for process in processes for thread in process.threads)


__all__ = [
    "RESULT_REGISTER",
    "Body",
    "CasResult",
    "PythonBody",
    "PythonProgram",
    "ThreadContext",
    "as_program",
    "has_python_threads",
    "python_body",
]
