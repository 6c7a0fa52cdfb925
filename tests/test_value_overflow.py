"""Values a program computes are signed 64-bit (docs/scenarios.md, "Memory"): past the range, an `overflow`
violation stops the thread, in every operation that computes, from YAML and from Python, in bounded steps
and memory (the squaring loop that built integers of millions of digits)."""

from __future__ import annotations

import textwrap
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from simulator import Load, Store, parse_scenario, simulate, with_thread
from simulator.cli import main
from simulator.exploration.explorer import Explorer
from simulator.ops import atomic_add
from tests.conftest import run_yaml, trace_of

MAX = 2**63 - 1


def program(lines: str, memory: str = "{x: 0}", sync: str = "{}") -> str:
    """A one-thread scenario whose program is `lines` (YAML list items, any indentation)."""
    body = textwrap.indent(textwrap.dedent(lines).strip(), " " * 10)
    return f"""\
name: o
machine: {{cpus: 1, policy: fcfs}}
processes:
  - name: p
    memory: {memory}
    sync: {sync}
    threads:
      - name: T1
        program:
{body}
"""


SQUARING = program("""\
    - let: {reg: r, value: 3}
    - repeat:
        times: 1000000
        do:
          - let: {reg: r, value: r * r}
    - store: {var: x, value: r}
""")


def test_squaring_in_a_loop_stops_at_the_overflow_in_a_few_steps(tmp_path: Path) -> None:
    """`let r = r * r` a million times: the sixth product is past 2**63 - 1, so the run takes 6 + 2 steps
    (the first let, six squarings, the exit) instead of building a number of millions of digits."""
    path = tmp_path / "square.yaml"
    path.write_text(SQUARING, encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(path), "--report", "json"])
    assert result.exit_code == 1, result.output
    assert '"steps": 8' in result.output
    assert '"x": 0' in result.output  # the store after the loop never ran: the thread stopped
    text = CliRunner().invoke(main, ["run", str(path)]).output
    assert (
        "  [overflow] at 0 T1: r * r overflows at line 14: 1853020188851841 * 1853020188851841 = "
        "3433683820292512484657849089281 is above 2**63 - 1 (values are signed 64-bit); T1 stops"
    ) in text


@pytest.mark.parametrize(
    ("lines", "memory", "subject", "computed"),
    [
        ("- store: {var: x, value: x + 1}", f"{{x: {MAX}}}", ("10", "x + 1"), f"{MAX} + 1 = {MAX + 1}"),
        ("- incr: {var: x, by: 2}", f"{{x: {MAX}}}", ("10", "x + 2"), f"{MAX} + 2 = {MAX + 2}"),
        ("- atomic: {var: x, op: add, value: x}", f"{{x: {MAX}}}", ("10", "atomic add x"),
         f"{MAX} + {MAX} = {2 * MAX}"),
        ("- atomic: {var: x, op: sub, value: 2}", f"{{x: {-MAX}}}", ("10", "atomic sub x"),
         f"{-MAX} - 2 = {-MAX - 2}"),
        ("- assert: x * 2 > 0", f"{{x: {MAX}}}", ("10", "x * 2"), f"{MAX} * 2 = {2 * MAX}"),
        ("- while: {cond: x * x > 0, do: [compute: 1]}", f"{{x: {MAX}}}", ("10", "x * x"),
         f"{MAX} * {MAX} = {MAX * MAX}"),
        ("- let: {reg: r, value: -9223372036854775807 - 1}\n- let: {reg: r, value: -r}", "{x: 0}", ("11", "-r"),
         f"-({-MAX - 1}) = {MAX + 1}"),
    ],
)  # fmt: skip
def test_every_operation_that_computes_reports_overflow(lines: str, memory: str, subject: tuple[str, ...],
                                                        computed: str) -> None:  # fmt: skip
    """Store, incr, atomic add and sub, an assert's and a while's condition, unary minus: each is an
    `overflow` with the line and the operation as subject; the step has no effect (x keeps its value)."""
    metrics = run_yaml(program(lines, memory))
    (violation,) = metrics.violations
    assert (violation.kind, violation.thread, violation.subject) == ("overflow", "T1", subject)
    assert computed in violation.message
    assert dict(metrics.memory)["p"] == {"x": int(memory.strip("{}").split(": ")[1])}


def test_a_put_that_overflows_puts_nothing() -> None:
    """A queue item is a value too: the put has no effect, so the get after it would wait for ever."""
    metrics = run_yaml(program("- put: {queue: q, value: x * 4}", f"{{x: {MAX}}}", "{q: {queue: 2}}"))
    assert [(v.kind, v.subject) for v in metrics.violations] == [("overflow", ("10", "x * 4"))]


def test_the_thread_stops_as_if_it_exited_and_the_others_go_on() -> None:
    """T1 overflows holding m: it ends there (an exit event), still holding m; T2 then waits for m for ever,
    a deadlock with an ended holder, as with an `exit` inside the lock."""
    metrics, events = trace_of("""\
        machine: {cpus: 1, policy: fcfs}
        processes:
          - name: p
            memory: {x: 9223372036854775807}
            sync: {m: mutex}
            threads:
              - {name: T1, program: [lock: m, {store: {var: x, value: x + 1}}, unlock: m]}
              - {name: B, program: [compute: 1, lock: m, compute: 1]}
        """)
    kinds = [violation.kind for violation in metrics.violations]
    assert kinds[0] == "overflow" and "deadlock" in kinds
    assert [(event.thread, event.event) for event in events if event.event in ("exit", "violation")][:2] == [
        ("T1", "violation"),
        ("T1", "exit"),
    ]


def test_an_expectation_that_overflows_cannot_be_checked() -> None:
    """An `expect` whose arithmetic leaves the range is a failed expectation saying why."""
    metrics = run_yaml(program("- compute: 1", f"{{x: {MAX}}}") + "expect: [p.x * p.x > 0]\n")
    (violation,) = metrics.violations
    assert violation.kind == "expect"
    assert violation.message.startswith("p.x * p.x > 0 cannot be checked: p.x * p.x overflows: ")


def test_explore_reports_an_overflow_as_its_own_failure(tmp_path: Path) -> None:
    """The explorer orders and groups the new kind like the others (no ValueError on an unknown kind)."""
    path = tmp_path / "square.yaml"
    path.write_text(SQUARING, encoding="utf-8")
    result = CliRunner().invoke(main, ["explore", str(path), "--runs", "3", "--no-database"])
    assert result.exit_code == 1, result.output
    assert "overflow" in result.output
    report = Explorer(str(path), parse_scenario(SQUARING), "o").explore_dfs(1)
    assert [(failure.kind, failure.subject) for failure in report.failures] == [("overflow", ("14", "r * r"))]


BASE = parse_scenario(program("- compute: 1", "{x: 3}"))


def test_a_python_body_storing_a_huge_int_is_an_overflow() -> None:
    """A Python body squares in Python, where ints grow without bound; the store of the first value past the
    range is an `overflow` naming the body's line, and the thread stops (x keeps its last value in range)."""

    def square() -> Generator[Any, Any, None]:
        while True:
            value = yield Load("x")
            yield Store("x", value * value)

    metrics = simulate(with_thread(BASE, "p", "T1", square))
    (violation,) = metrics.violations
    assert (violation.kind, violation.subject[1]) == ("overflow", "value")
    assert violation.subject[0].endswith(f"test_value_overflow.py:{square.__code__.co_firstlineno + 3}")
    assert "with the value 3433683820292512484657849089281, which is out of range" in violation.message
    assert dict(metrics.memory)["p"] == {"x": 1853020188851841}


def test_a_python_body_with_an_int_too_long_to_print_is_an_overflow_not_a_traceback() -> None:
    """10**100000 has more digits than Python's str() allows (4,300): the message gives its size instead."""

    def huge() -> Generator[Any, Any, None]:
        yield atomic_add("x", 10**100_000)

    (violation,) = simulate(with_thread(BASE, "p", "T1", huge)).violations
    assert violation.kind == "overflow"
    assert "with the value 2**332192 or more in magnitude, which is out of range" in violation.message


def test_a_python_body_atomic_add_that_overflows_in_the_kernel() -> None:
    """Operands in range, sum out of range: the kernel's check, as for YAML."""

    def twice() -> Generator[Any, Any, None]:
        yield atomic_add("x", MAX)

    (violation,) = simulate(with_thread(BASE, "p", "T1", twice)).violations
    assert (violation.kind, violation.subject[1]) == ("overflow", "atomic add x")
