"""The operations of the thread language, for threads written in Python.

A thread body is a generator function; each `yield` of one of these runs it as one step of the thread and
evaluates to its result:

    def worker():
        value = yield Load("counter")          # the value read
        yield Store("counter", value + 1)      # None

    ThreadSpec("T1", "app", 0, program=worker)

Durations are integer nanoseconds, as everywhere inside threadsim; `ms(5)`, `us(3)`, `s(1)` and `ns(7)`
write them readably (`Compute(ms(5))`). A value (`Store`, `Put`, the atomics) is a Python int, an
expression's text over the process's shared variables (`"x + 1"`, read at the step itself), or an
`Expression`.

What each operation sends back: `Load` and `atomic_load` the value read; `Get` the item taken; `atomic_add`,
`atomic_sub`, `atomic_set` and `swap` the variable's old value; `cas` a `CasResult(succeeded, old)`; `Wait` True when
notified and False when its timeout ran out (as `threading.Condition.wait`); everything else None.
`incr` is the language's non-atomic increment, two steps: use it as `new = yield from incr("x")`.

The operation classes of `simulator.program.operations` may be yielded too; the functions here with the
name of a class (`Load`, `Store`, `Wait`...) build that class with the fields a Python thread wants.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, get_args

import attrs

from simulator.program import operations
from simulator.program.expressions import Expression, ExpressionError, Number, parse_expression
from simulator.program.operations import (
    Acquire,
    Assert,
    BarrierWait,
    Compute,
    Exit,
    Fork,
    Io,
    Join,
    Lock,
    Release,
    Sleep,
    Spawn,
    Unlock,
    WaitEvent,
    WaitProcess,
    Yield,
)
from simulator.program.python import RESULT_REGISTER, Body, CasResult, ThreadContext
from simulator.scenario.model import Scenario, ThreadSpec, user_site

#: A value an operation writes: an int, an expression's text, or an Expression.
Value = int | str | Expression


def ns(value: int) -> int:
    """`value` nanoseconds, in threadsim's unit (ns)."""
    return int(value)


def us(value: float) -> int:
    """`value` microseconds, in ns."""
    return round(value * 1_000)


def ms(value: float) -> int:
    """`value` milliseconds, in ns."""
    return round(value * 1_000_000)


def s(value: float) -> int:
    """`value` seconds, in ns."""
    return round(value * 1_000_000_000)


def expression(value: Value) -> Expression:
    """An operation's value as an Expression: an int, or text over shared variables (every name in it is
    taken as a shared variable of the thread's process)."""
    if isinstance(value, bool) or not isinstance(value, (int, str, *_EXPRESSION_TYPES)):
        raise TypeError(f"a value is an int, an expression's text or an Expression, not {type(value).__name__}")
    if isinstance(value, int):
        return Number(value)
    if isinstance(value, str):
        try:
            return parse_expression(value, lambda name: True)
        except ExpressionError as error:
            raise ValueError(f"bad expression {value!r}: {error}") from None
    return value


_EXPRESSION_TYPES = get_args(Expression)


# -- memory ------------------------------------------------------------------------------------------------


def Load(var: str) -> operations.Load:  # noqa: N802 - named as the operation it makes
    """Read shared variable `var`; sends back its value."""
    return operations.Load(var, RESULT_REGISTER)


def Store(var: str, value: Value) -> operations.Store:  # noqa: N802
    """Write `value` to shared variable `var`."""
    return operations.Store(var, expression(value))


def incr(var: str, by: int = 1) -> Generator[operations.Load | operations.Store, Any, int]:
    """The language's `incr`: a load and a store of `var` plus `by`, two steps (another thread may run between
    them). Use it as `new = yield from incr("x")`."""
    value = yield Load(var)
    yield Store(var, value + by)
    return int(value) + by


def _atomic(var: str, op: str, value: Value, expected: Value | None = None) -> operations.Atomic:
    return operations.Atomic(var, op, expression(value), None if expected is None else expression(expected),
                             RESULT_REGISTER)  # fmt: skip


def atomic_load(var: str) -> operations.Atomic:
    """Read `var` in one indivisible step, ordered with the other atomics on it (no data race with them, as
    a plain `Load` has with a concurrent atomic write); sends back its value."""
    return _atomic(var, "load", 0)


def atomic_add(var: str, value: Value = 1) -> operations.Atomic:
    """Add `value` to `var` in one indivisible step; sends back the old value."""
    return _atomic(var, "add", value)


def atomic_sub(var: str, value: Value = 1) -> operations.Atomic:
    """Subtract `value` from `var` in one indivisible step; sends back the old value."""
    return _atomic(var, "sub", value)


def atomic_set(var: str, value: Value) -> operations.Atomic:
    """Set `var` to `value` in one indivisible step; sends back the old value."""
    return _atomic(var, "set", value)


def swap(var: str, value: Value) -> operations.Atomic:
    """Set `var` to `value` in one indivisible step; sends back the old value (as `atomic_set`)."""
    return _atomic(var, "swap", value)


def cas(var: str, expected: int, new: Value) -> operations.Atomic:
    """Compare and swap: if `var` holds `expected`, set it to `new`, in one indivisible step; sends back
    `CasResult(succeeded, old)`."""
    if isinstance(expected, bool) or not isinstance(expected, int):
        raise TypeError(f"cas compares with an int, not {type(expected).__name__}")
    return _atomic(var, "cas", new, expected)


def Let(register: str, value: Value) -> operations.Let:  # noqa: N802
    """Set a private register of the thread (rarely useful in Python: a local variable does it); sends back
    the value."""
    return operations.Let(register, expression(value))


def Check(condition: str | Expression) -> operations.Check:  # noqa: N802
    """Evaluate a condition over shared variables as one step (it reads them); sends back True or False."""
    return operations.Check(expression(condition))


def assert_that(condition: str) -> operations.Assert:
    """The language's `assert`: an `assert` violation if `condition` (text over shared variables) is false at
    this step; the thread goes on. (A Python `assert` that fails is an `assert` violation too, and stops the
    thread.)"""
    return Assert(expression(condition), condition)


# -- synchronization ---------------------------------------------------------------------------------------


def Wait(condition: str, timeout: int | None = None) -> operations.Wait:  # noqa: N802
    """Wait on condition variable `condition` (holding its mutex), at most `timeout` ns if given; sends back
    True when notified, False when the timeout ran out."""
    return operations.Wait(condition, timeout)


def Notify(condition: str) -> operations.Notify:  # noqa: N802
    """Wake one waiter of condition variable `condition`."""
    return operations.Notify(condition)


def NotifyAll(condition: str) -> operations.Notify:  # noqa: N802
    """Wake every waiter of condition variable `condition`."""
    return operations.Notify(condition, all=True)


def SetEvent(event: str) -> operations.SetEvent:  # noqa: N802
    """Set event `event`."""
    return operations.SetEvent(event)


def ClearEvent(event: str) -> operations.SetEvent:  # noqa: N802
    """Clear event `event`."""
    return operations.SetEvent(event, clear=True)


def Barrier(barrier: str) -> BarrierWait:  # noqa: N802
    """Wait at barrier `barrier` until its parties have arrived."""
    return BarrierWait(barrier)


def Put(queue: str, value: Value) -> operations.Put:  # noqa: N802
    """Append `value` to queue or channel `queue` (blocks while it is full)."""
    return operations.Put(queue, expression(value))


def Get(queue: str) -> operations.Get:  # noqa: N802
    """Take the oldest item of queue or channel `queue` (blocks while it is empty); sends back the item."""
    return operations.Get(queue, RESULT_REGISTER)


# -- scenarios -----------------------------------------------------------------------------------------------


def with_thread(scenario: Scenario, process: str, name: str, body: Body, *, arrival: int = 0,
                **fields: Any) -> Scenario:  # fmt: skip
    """`scenario` with one more thread in process `process`: `name`, running the generator function `body`,
    arriving at `arrival` ns; `fields` are ThreadSpec's others (priority, start, tickets, nice, affinity).
    A thread of that name already there is replaced (its place in the declaration order kept)."""
    names = [spec.name for spec in scenario.processes]
    if process not in names:
        raise ValueError(f"scenario {scenario.name!r} has no process {process!r} (it has {', '.join(names)})")
    processes = []
    for spec in scenario.processes:
        if spec.name == process:
            # The user's with_thread call: where a ScenarioError about this thread points.
            thread = ThreadSpec(name, process, arrival, body, made_at=user_site(), **fields)
            threads = [thread if old.name == name else old for old in spec.threads]
            if all(old.name != name for old in spec.threads):
                threads.append(thread)
            spec = attrs.evolve(spec, threads=tuple(threads))
        processes.append(spec)
    return attrs.evolve(scenario, processes=tuple(processes))


__all__ = [
    "Acquire",
    "Assert",
    "Barrier",
    "BarrierWait",
    "CasResult",
    "Check",
    "ClearEvent",
    "Compute",
    "Exit",
    "Fork",
    "Get",
    "Io",
    "Join",
    "Let",
    "Load",
    "Lock",
    "Notify",
    "NotifyAll",
    "Put",
    "Release",
    "SetEvent",
    "Sleep",
    "Spawn",
    "Store",
    "ThreadContext",
    "Unlock",
    "Value",
    "Wait",
    "WaitEvent",
    "WaitProcess",
    "Yield",
    "assert_that",
    "atomic_add",
    "atomic_load",
    "atomic_set",
    "atomic_sub",
    "cas",
    "expression",
    "incr",
    "ms",
    "ns",
    "s",
    "swap",
    "us",
    "with_thread",
]
