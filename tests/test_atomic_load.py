"""Tests of the atomic load (`atomic: {var: X, op: load, into: R}`, `atomic_load` from Python): an
indivisible read, ordered with the variable's other atomics, that writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator import atomic_load, atomic_set, parse_scenario, simulate, with_thread
from simulator.cli import main
from tests.conftest import run_yaml, trace_of

FLAG = """\
name: flag
machine: {cpus: 2, policy: fcfs}
processes:
  - name: p
    memory: {flag: 0, seen: 0}
    threads:
      - name: writer
        program: [WRITE]
      - name: reader
        program:
          - compute: 1
          - atomic: {var: flag, op: load, into: r}
          - store: {var: seen, value: r}
expect: [no_data_race, p.seen == 1]
"""


def test_an_atomic_load_reads_without_writing_and_does_not_race_with_an_atomic_write() -> None:
    """After an atomic set on another CPU, the atomic load reads 1 into its register; memory is unchanged
    by it and no race is reported."""
    metrics, events = trace_of(FLAG.replace("WRITE", "atomic: {var: flag, op: set, value: 1}"))
    assert not metrics.violations and metrics.races == ()
    loads = [event for event in events if event.event == "atomic" and dict(event.details)["op"] == "load"]
    assert [dict(event.details) for event in loads] == [{"var": "flag", "op": "load", "old": 1, "value": 1, "line": 12}]


def test_an_atomic_load_races_with_a_plain_store() -> None:
    """A plain store is not an atomic: the atomic load of the same variable races with it."""
    metrics = run_yaml(FLAG.replace("WRITE", "store: {var: flag, value: 1}"))
    assert [violation.kind for violation in metrics.violations] == ["data_race"]


@pytest.mark.parametrize(("fields", "message"), [
    ("{var: flag, op: load}", "an atomic load needs 'into', the register that receives the value"),
    ("{var: flag, op: load, into: r, value: 1}", "an atomic load takes no 'value'"),
    ("{var: flag, op: add, into: r}", "atomic add needs 'value'"),
])  # fmt: skip
def test_atomic_load_fields_are_checked(tmp_path: Path, fields: str, message: str) -> None:
    """`into` is required and `value` refused for a load; `value` is still required for the others."""
    path = tmp_path / "bad.yaml"
    path.write_text(FLAG.replace("WRITE", "compute: 1").replace("{var: flag, op: load, into: r}", fields))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"bad.yaml:12:21: processes[0].threads[1].program[1].atomic: {message}" in result.output


def test_atomic_load_from_python_sends_back_the_value() -> None:
    """A Python body's `yield atomic_load(var)` gets the value; the variable is unchanged."""
    base = parse_scenario(FLAG.replace("WRITE", "atomic: {var: flag, op: set, value: 7}"))

    def body():  # type: ignore[no-untyped-def]
        yield atomic_set("seen", 1)
        value = yield atomic_load("flag")
        assert value == 7  # the writer, on CPU0, took its step first
        return value

    metrics = simulate(with_thread(base, "p", "reader", body))
    assert not [v for v in metrics.violations if v.kind != "expect"]
    assert dict(dict(metrics.memory)["p"])["flag"] == 7


def test_the_text_report_says_an_atomic_load_read(tmp_path: Path) -> None:
    """The report's list of accesses shows an atomic load as a read, with no old value."""
    path = tmp_path / "flag.yaml"
    path.write_text(FLAG.replace("WRITE", "atomic: {var: flag, op: set, value: 1}"))
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 0
    assert "  reader: atomic read flag = 1  (line 12)\n" in result.output
