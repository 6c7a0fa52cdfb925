"""Tests of simulator.validation's limits: a scenario built in Python is held to the numbers a file is."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from simulator import MachineSpec, PolicySpec, simulate
from simulator.program.distributions import Distribution
from simulator.program.expressions import Binary, Expression, Number, Unary
from simulator.program.operations import Compute, Operation, Repeat, Sleep, Store
from simulator.scenario.model import ProcessSpec, Scenario, SyncSpec, ThreadSpec
from simulator.validation import ScenarioError, validate

OUT_OF_RANGE = "is out of range (integers in a scenario are signed 64-bit: -2**63 to 2**63-1)"
BIG = 2**63  # one past the largest integer


def scenario(program: tuple[Operation, ...] = (Compute(1),), *, seed: int = 0, cpus: int = 1,
             thread: dict[str, object] | None = None,
             process: dict[str, object] | None = None) -> Scenario:  # fmt: skip
    """One thread T in process p, with these fields."""
    threads = (ThreadSpec("T", "p", 0, program, **(thread or {})),)  # type: ignore[arg-type]
    processes = (ProcessSpec("p", 0, threads, **(process or {})),)  # type: ignore[arg-type]
    return Scenario("s", "ns", seed, MachineSpec(cpus=cpus, policy=PolicySpec("fcfs")), processes)


def nested(depth: int, make: Callable[[Expression], Expression]) -> Expression:
    expression: Expression = Number(1)
    for _ in range(depth):
        expression = make(expression)
    return expression


CASES = {
    "seed": (lambda: scenario(seed=BIG), "seed", f"integer 9223372036854775808 {OUT_OF_RANGE}"),
    "cpus": (
        lambda: scenario(cpus=10**30),
        "machine.cpus",
        f"integer 100000000000...000000 (31 characters) {OUT_OF_RANGE}",
    ),
    "priority": (
        lambda: scenario(thread={"priority": -BIG - 1}),
        "processes[0].threads[0].priority",
        f"integer -9223372036854775809 {OUT_OF_RANGE}",
    ),
    "memory": (
        lambda: scenario(process={"memory": (("x", BIG),)}),
        "processes[0].memory.x",
        f"integer 9223372036854775808 {OUT_OF_RANGE}",
    ),
    "semaphore": (
        lambda: scenario(process={"sync": (SyncSpec("s", "semaphore", BIG),)}),
        "processes[0].sync.s.semaphore",
        f"integer 9223372036854775808 {OUT_OF_RANGE}",
    ),
    "count": (
        lambda: scenario(thread={"count": 2_000_000}),
        "processes[0].threads[0].count",
        "count must be at most 1,000,000, got 2,000,000",
    ),
    "a huge integer": (
        lambda: scenario(process={"memory": (("x", 10**6000),)}),
        "processes[0].memory.x",
        f"integer of about 6,000 digits {OUT_OF_RANGE}",
    ),
    "a duration": (
        lambda: scenario((Sleep(10**200),)),
        "processes[0].threads[0].program[0]",
        "duration: duration 100000000000...000000 (201 characters) is too long (at most 10**100 in any unit)",
    ),
    "a distribution": (
        lambda: scenario((Compute(1, distribution=Distribution("exponential", (10**400,))),)),
        "processes[0].threads[0].program[0]",
        "distribution: parameter 1: duration "
        "100000000000...000000 (401 characters) is too long (at most 10**100 in any unit)",
    ),
    "an interarrival": (
        lambda: scenario(thread={"count": 2, "interarrival_distribution": Distribution("exponential", (10**5000,))}),
        "processes[0].threads[0].interarrival.exponential",
        "duration of about 5,000 digits is too long (at most 10**100 in any unit)",
    ),
    "nested repeats": (
        lambda: scenario((Repeat(10**7, (Repeat(10**7, (Compute(1),)),)),)),
        "processes[0].threads[0].program[0].body[0]",
        "times: repeats nested here run "
        "100,000,000,000,000 times; nested repeats run at most 1,000,000,000,000 times (the product "
        "of their times)",
    ),
    "a number": (
        lambda: scenario((Store("x", Number(BIG)),), process={"memory": (("x", 0),)}),
        "processes[0].threads[0].program[0]",
        f"value: integer 9223372036854775808 {OUT_OF_RANGE}",
    ),
    "a deep expression": (
        lambda: scenario(
            (Store("x", nested(5000, lambda e: Binary("+", e, Number(1)))),), process={"memory": (("x", 0),)}
        ),
        "processes[0].threads[0].program[0]",
        "value: the expression nests more than 100 operations deep (split it with let)",
    ),
    "nested negations": (
        lambda: scenario((Store("x", nested(33, lambda e: Unary("-", e))),), process={"memory": (("x", 0),)}),
        "processes[0].threads[0].program[0]",
        "value: 'not' and '-' nest more than 32 deep",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_numbers_past_the_files_limits_are_refused_naming_the_field(case: str) -> None:
    """Each number a file's reader or loader refuses is refused in a scenario built in Python: a
    ScenarioError naming the field (and the line that made it), never a traceback or a run for ever."""
    make, field, message = CASES[case]
    with pytest.raises(ScenarioError) as caught:
        validate(make())  # type: ignore[operator]
    assert (caught.value.field, caught.value.message) == (field, message)
    assert caught.value.problems[0].made_at.startswith(__file__)
    assert len(caught.value.problems) == 1  # the loader's checks say nothing more of it


def test_numbers_at_the_limits_are_accepted() -> None:
    """2**63-1 anywhere, a 101-digit duration, 10**12 nested passes and 100 nested operations run."""
    largest = 2**63 - 1
    deep = nested(100, lambda e: Binary("*", e, Number(1)))
    program = (Store("x", deep), Repeat(10**6, (Repeat(10**6, ()),)), Sleep(10**100), Compute(1))
    metrics = simulate(scenario(program, seed=largest, thread={"priority": largest},
                                process={"memory": (("x", largest),)}))  # fmt: skip
    assert metrics.complete and not metrics.violations
