"""Tests of the interleaving view (simulator.exploration.interleaving) in explore and replay --explain."""

from __future__ import annotations

from click.testing import CliRunner

from simulator import load_scenario
from simulator.cli import main
from simulator.exploration.interleaving import ROW_LIMIT, explain
from simulator.exploration.tokens import decode
from tests.conftest import SCENARIOS

INCR = str(SCENARIOS / "counter-incr.yaml")
PHILOSOPHERS = str(SCENARIOS / "dining-philosophers.yaml")
TOKEN = "ts1.85d3c0e4.1.aehac"  # the counter's shrunk failure: one preemption between a load and its store


def test_the_explorer_decision_and_the_lost_update_are_marked() -> None:
    """The one preemption is the explorer's, before the store whose write conflicts with T2's."""
    recorded = decode(TOKEN)
    lines = explain(load_scenario(INCR), recorded.seed, recorded.decisions, max_steps=200_000)
    text = "\n".join(lines)
    assert lines[0].startswith("interleaving (ms; >> the explorer's decisions")
    decision = next(i for i, line in enumerate(lines) if ">> explorer preempts T1" in line)
    assert "T1: read counter = 6  (line 17)" in lines[decision - 1]
    assert "!T1: wrote counter = 7  (line 17)   (after T2's write at line 20)" in text
    assert "[expect] app.counter == 20 is false" in lines[-1]
    assert len(lines) <= ROW_LIMIT + 12


def test_a_deadlock_shows_the_locks_the_waits_and_the_end_state() -> None:
    """The philosophers' cycle: each lock and wait, then who holds and waits for what at the end."""
    scenario = load_scenario(PHILOSOPHERS)
    text = "\n".join(explain(scenario, scenario.seed, (), max_steps=200_000))
    assert "P0: lock fork0" in text and "P0: waits for mutex fork1 held by P1" in text
    assert "state at the end" in text and "P4: waits for mutex fork0 held by P0; holds fork4" in text


def test_explore_prints_each_failures_interleaving_once_per_schedule() -> None:
    """The text report holds the interleaving; a second failure of the same schedule refers to it."""
    result = CliRunner().invoke(main, ["explore", str(SCENARIOS / "lost-update-2cpu.yaml"), "--runs", "5"])
    out = result.stdout
    assert out.count("interleaving (ms;") >= 1
    if out.count("ts1.") > out.count("interleaving (ms;"):
        assert "interleaving: the same schedule as" in out


def test_replay_explain_prints_the_interleaving_after_the_report() -> None:
    """replay --explain: the report, then the step list with the explorer's decision."""
    result = CliRunner().invoke(main, ["replay", INCR, TOKEN, "--explain"])
    assert result.exit_code == 1
    report, _, steps = result.stdout.partition("\ninterleaving (ms;")
    assert "violations: 1" in report
    assert ">> explorer preempts T1 before its next step" in steps


def test_a_schedule_that_runs_long_keeps_only_the_first_events() -> None:
    """A run to the step bound is explained from its first EVENT_LIMIT events, and says so."""
    from tests.conftest import scenario_from

    scenario = scenario_from(
        "processes: [{name: p, memory: {x: 0}, threads: [{name: A, program: "
        "[repeat: {times: 100000, do: [{load: {var: x, into: r}}, {compute: 1}]}]}]}]\n"
    )
    lines = explain(scenario, 0, (), max_steps=60_000)  # 30,000 loads
    assert any("events after the first 20000 not shown" in line for line in lines)
    assert any("A: step_bound: the run stopped after 60000 steps" in line for line in lines)
