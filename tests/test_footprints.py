"""Tests of simulator.analysis.footprints: static footprints and the partial-order reduction they give exploration."""

from __future__ import annotations

from pathlib import Path

from simulator.analysis.footprints import Footprint, Footprints, step_footprint
from simulator.exploration.explorer import Explorer
from simulator.exploration.tokens import scenario_hash
from simulator.program.expressions import Number, Register, parse_expression
from simulator.program.operations import Join, Load, Lock, Put, Store
from simulator.scenario.loader import load_scenario
from tests.conftest import scenario_from


def test_conflicts_need_a_shared_variable_with_a_write_or_a_shared_object() -> None:
    """Read/read is independent; read/write and write/write conflict; objects conflict; join conflicts."""
    read_x, write_x = step_footprint(Load("x", "r")), step_footprint(Store("x", Number(1)))
    assert not read_x.conflicts(read_x)
    assert read_x.conflicts(write_x) and write_x.conflicts(write_x)
    assert not write_x.conflicts(step_footprint(Store("y", Register("r"))))
    assert step_footprint(Lock("m")).conflicts(Footprint(objects=frozenset({"m"})))
    assert step_footprint(Join("T")).conflicts(Footprint())


def test_a_put_reads_the_memory_its_value_reads() -> None:
    """`put: {queue: q, value: x + 1}` reads x: it conflicts with a store to x (a footprint without it let
    the partial-order reduction skip the interleavings where the store comes first)."""
    put = Put("q", parse_expression("x + 1", lambda name: name == "x"))
    assert step_footprint(put).conflicts(step_footprint(Store("x", Number(1))))
    assert not step_footprint(put).conflicts(step_footprint(Store("y", Number(1))))


def test_a_step_is_independent_when_no_other_thread_can_conflict_with_it() -> None:
    """Each thread's private counter is independent; the shared one is not."""
    footprints = Footprints(
        scenario_from("""\
        processes:
          - name: p
            memory: {a: 0, b: 0, shared: 0}
            threads:
              - {name: T1, program: [incr: a, incr: shared]}
              - {name: T2, program: [incr: b, incr: shared]}
        """)
    )
    assert footprints.independent("T1", Load("a", "r"))
    assert not footprints.independent("T1", Load("shared", "r"))
    assert not footprints.independent("T2", Store("shared", Number(0)))


SCENARIO = """\
machine: {cpus: 1, policy: fcfs}
processes:
  - name: p
    memory: {a: 0, b: 0, shared: 0}
    threads:
      - {name: T1, program: [repeat: {times: 3, do: [incr: a]}, incr: shared]}
      - {name: T2, program: [repeat: {times: 3, do: [incr: b]}, incr: shared]}
expect: [p.shared == 2]
"""


def test_dfs_runs_fewer_schedules_and_finds_the_same_failure(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without the static reduction every private increment is a decision point; with it only the shared
    ones are (both without the dynamic one, which would find the private ones independent anyway)."""
    path = tmp_path / "independent.yaml"
    path.write_text(SCENARIO)
    reduced = Explorer(str(path), load_scenario(path), scenario_hash(path)).explore_dfs(2, 100_000, 0, reduce=False)
    monkeypatch.setattr(Footprints, "independent", lambda self, name, operation: False)
    full = Explorer(str(path), load_scenario(path), scenario_hash(path)).explore_dfs(2, 100_000, 0, reduce=False)
    assert reduced.complete and full.complete
    assert reduced.runs < full.runs
    assert [kind.kind for kind in reduced.failures] == [kind.kind for kind in full.failures] == ["expect"]
