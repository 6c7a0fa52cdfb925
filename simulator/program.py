"""Drive a thread's program coroutine-style.

A program is a generator that yields primitive operations and is sent each operation's result (as SimPy
drives its processes). `run_program` makes such a generator from a YAML program; a Python generator function
written by hand can drive a thread the same way.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable

from simulator.operations import Operation, Primitive, Repeat

#: What the kernel drives: it sends the result of each operation (None for the operations so far).
ProgramGenerator = Generator[Primitive, object, None]


def run_program(operations: Iterable[Operation]) -> ProgramGenerator:
    """Yield the primitive operations of a YAML program in order, unrolling `repeat` lazily."""
    for operation in operations:
        if isinstance(operation, Repeat):
            body = operation.body
            # A body without nested repeats is replayed from the tuple itself: no generator per pass.
            flat = not any(isinstance(inner, Repeat) for inner in body)
            for _ in range(operation.times):
                yield from (body if flat else run_program(body))  # type: ignore[misc]
        else:
            yield operation
