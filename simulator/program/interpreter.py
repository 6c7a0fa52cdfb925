"""Drive a thread's program coroutine-style.

A program is a generator that yields primitive operations and is sent each operation's result (as SimPy
drives its processes). `run_program` makes such a generator from a YAML program; a Python generator function
written by hand can drive a thread the same way.

Most YAML programs need no generator: when a program is only primitive operations and repeats of primitive
operations (`as_script`), the thread steps through the program's own tuple with a few counters
(`Thread.next_operation`), in the same order as `run_program`. With 100,000 threads a generator per thread
is memory the processor has to fetch at every step; the counters sit in the thread beside its other state.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Protocol

from simulator.program.operations import (
    Check,
    Compute,
    If,
    Incr,
    Operation,
    Primitive,
    Repeat,
    Span,
    While,
    children,
    expanded,
)

#: What the kernel drives: it sends the result of each operation (the condition's value for a Check).
ProgramGenerator = Generator[Primitive, object, None]


class ProgramDriver(Protocol):
    """Anything the kernel can drive as a program: `send` the last operation's result, get the next
    primitive operation, StopIteration at the end (a Python body's driver, simulator.program.python)."""

    def send(self, result: object, /) -> Primitive: ...


def run_program(operations: Iterable[Operation]) -> ProgramGenerator:
    """Yield the primitive operations of a YAML program in order, unrolling structure lazily.

    `while` and `if` yield a Check step and branch on the value the kernel sends back; `incr` yields a Load
    into a hidden register and a Store of that register plus `by`: two steps, so another thread can run
    between them; `span` yields a SpanMark before its body and another after it.
    """
    for operation in operations:
        if isinstance(operation, Repeat):
            if operation.idle:
                continue  # no pass takes a step: running them would spin without one
            # A body without structure is replayed from its steps (incrs expanded): no generator per pass.
            steps = operation.steps
            for _ in range(operation.times):
                yield from (steps if steps is not None else run_program(operation.body))  # type: ignore[misc]
        elif isinstance(operation, While):
            while (yield Check(operation.cond, line=operation.line)):
                yield from run_program(operation.body)
        elif isinstance(operation, If):
            taken = yield Check(operation.cond, line=operation.line)
            yield from run_program(operation.then if taken else operation.otherwise)
        elif isinstance(operation, Span):
            yield operation.enter
            yield from run_program(operation.body)
            yield operation.leave
        elif isinstance(operation, Incr):
            yield operation.load
            yield operation.store
        else:
            yield operation


def as_script(operations: tuple[Operation, ...]) -> tuple[Operation, ...] | None:
    """The program as a script a thread can step through without a generator, if it is one: primitive
    operations, incrs (each made its two steps) and repeats of those only. None if it has a `while`, an `if`
    (their steps depend on values sent back), a `span` or a repeat of structure."""
    return expanded(operations, flat_repeats=True)


def cpu_demand(operations: Iterable[Operation]) -> int:
    """The CPU time a program asks for (ns): its compute steps' nominal durations, repeats multiplied.

    What threads will do is not always known in advance: a `while` body counts once, an `if` counts its
    larger branch (of an operation with several sub-programs, the largest counts).
    """
    total = 0
    for operation in operations:
        if isinstance(operation, Compute):
            total += operation.duration
            continue
        bodies = children(operation)
        if bodies:
            largest = max(cpu_demand(body) for body in bodies)
            total += operation.times * largest if isinstance(operation, Repeat) else largest
    return total
