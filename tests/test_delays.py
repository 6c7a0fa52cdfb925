"""The explorer's delays (simulator.model.control): before a visible step, when nobody is ready but another
thread goes on by itself, the running thread can be held off its CPU until another thread steps, so that
interleavings that timing allows are explored whatever the number of CPUs."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from simulator import simulate
from simulator.cli import main
from simulator.exploration.explorer import Explorer
from simulator.exploration.strategies import DefaultStrategy, DfsStrategy, ReplayStrategy
from simulator.exploration.tokens import decode, scenario_hash
from simulator.model.kernel import Kernel
from simulator.scenario.loader import load_scenario, parse_scenario
from simulator.trace import TraceEvent

TWO_CPUS = "scenarios/deadlock-two-cpus.yaml"


def explore_json(*arguments: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["explore", TWO_CPUS, "--report", "json", "--no-database", *arguments])
    return result.exit_code, json.loads(result.output)


def test_the_plain_run_of_the_two_cpu_deadlock_passes() -> None:
    """Timing hides the deadlock: T1 is done with both locks before T2 arrives."""
    assert not simulate(load_scenario(TWO_CPUS)).violations


@pytest.mark.parametrize("strategy", ["random", "pct", "dfs"])
def test_every_strategy_finds_the_two_cpu_lock_order_deadlock(strategy: str) -> None:
    """With as many CPUs as threads nobody is ever ready, so only a delay reorders the threads; each strategy
    finds the deadlock, and it shrinks to one delay and nothing else."""
    code, report = explore_json("--strategy", strategy, "--runs", "300")
    assert code == 1
    (failure,) = report["failures"]
    assert failure["kind"] == "deadlock"
    assert (failure["preemptions"], failure["delays"], failure["picks"]) == (0, 1, 0)
    assert failure["original_delays"] >= 1
    assert decode(failure["token"]).version == 2


def test_the_report_counts_delays_apart_and_the_interleaving_marks_them() -> None:
    result = CliRunner().invoke(main, ["explore", TWO_CPUS, "--runs", "50", "--no-database"])
    assert result.exit_code == 1
    assert "shrunk to 0 preemptions, 1 delay and 0 picks" in result.output
    assert (
        ">> explorer delays T1 before its next step (as an interrupt would), so that T2 can go first" in result.output
    )
    assert "T1: is delayed (off its CPU until another thread steps)" in result.output


def test_a_replayed_delay_shows_in_the_event_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The replay of a delaying token reproduces the deadlock; the timeline has a `delay` event and the
    thread is ready (reason `delayed`) while held."""
    _, report = explore_json("--runs", "50")
    token = report["failures"][0]["token"]
    events = tmp_path / "events.jsonl"
    csv = tmp_path / "intervals.csv"
    result = CliRunner().invoke(main, ["replay", TWO_CPUS, token, "--timeline", str(events), "--timeline", str(csv)])
    assert result.exit_code == 1 and "deadlock cycle" in result.output
    kinds = [json.loads(line)["event"] for line in events.read_text().splitlines()]
    assert "delay" in kinds
    assert ",ready,,,delayed" in csv.read_text() or "delayed" in csv.read_text()


def test_dfs_proves_the_fixed_order_within_the_bound() -> None:
    """Both threads taking the locks in the same order: no schedule within the bound fails, delays included."""
    with open(TWO_CPUS, encoding="utf-8") as file:
        original = file.read()
    text = (
        original.replace("- lock: b\n          - compute: 0.2\n          - lock: a",
                                                         "- lock: a\n          - compute: 0.2\n          - lock: b")
        .replace("- unlock: a\n          - unlock: b", "- unlock: b\n          - unlock: a")
    )  # fmt: skip
    scenario = parse_scenario(text, "ordered.yaml")
    result = Explorer("ordered.yaml", scenario, "0123abcd").explore_dfs(3)
    assert result.complete and not result.failures and result.runs > 1


def test_a_default_strategy_never_delays_and_changes_nothing() -> None:
    """A controlled run whose strategy takes every default is the plain run, byte for byte in its metrics."""
    scenario = load_scenario(TWO_CPUS)
    assert simulate(scenario, strategy=DefaultStrategy()) == simulate(scenario)


def test_a_delayed_thread_goes_on_when_nothing_else_can_happen() -> None:
    """The thread T1 waits for takes no step that may conflict (its store to x is never reached; its check
    of y conflicts with nothing): T1 is released when the engine has nothing left to do, and the run
    completes."""
    scenario = parse_scenario(
        """
name: alone
machine: {cpus: 2, policy: fcfs}
processes:
  - name: app
    memory: {x: 0, y: 0}
    threads:
      - name: T1
        program: [{compute: 1}, {store: {var: x, value: 1}}]
      - name: T2
        program: [{compute: 5}, {if: {cond: "y == 1", then: [{store: {var: x, value: 2}}]}}]
""",
        "alone.yaml",
    )
    kernel = Kernel(scenario, seed=0, strategy=DfsStrategy([], 1))
    kernel.run()
    assert kernel.complete and kernel.chooser.delays == 1
    assert {thread.name: thread.completion for thread in kernel.threads} == {"T1": 5_000_000, "T2": 5_000_000}


def test_a_delay_on_one_cpu_waits_for_a_sleeper() -> None:
    """On one CPU too: while T2 sleeps nobody is ready, and T1 can be held until T2 has woken and stepped."""
    scenario = parse_scenario(
        """
name: sleeper
machine: {cpus: 1, policy: fcfs}
processes:
  - name: app
    memory: {x: 0}
    threads:
      - name: T2
        program: [{sleep: 3}, {store: {var: x, value: 2}}]
      - name: T1
        program: [{compute: 1}, {store: {var: x, value: 1}}]
expect: ["app.x == 2"]
""",
        "sleeper.yaml",
    )
    assert not simulate(scenario).violations
    result = Explorer("sleeper.yaml", scenario, "0123abcd").explore_dfs(1)
    (failure,) = result.failures
    assert (failure.preemptions, failure.delays, failure.picks) == (0, 1, 0)


def test_a_ts1_token_replays_without_delay_points() -> None:
    """A token written before delays existed numbers its points without them: replayed as recorded, it
    reproduces what it did then (here the lost update of the documentation's counter token)."""
    path = "scenarios/counter-incr.yaml"
    token = decode(f"ts1.{scenario_hash(path)}.1.aehac")
    scenario = load_scenario(path)
    old = simulate(scenario, seed=token.seed, strategy=ReplayStrategy(dict(token.decisions), token.delays))
    assert not token.delays and old.violations
    result = CliRunner().invoke(main, ["replay", path, str(token)])
    assert result.exit_code == 1 and "warning" not in result.output


def test_delays_are_deterministic_across_runs() -> None:
    """The same seed explores the same delays: two searches print the same report."""
    first = explore_json("--runs", "100", "--strategy", "pct")
    second = explore_json("--runs", "100", "--strategy", "pct")
    assert first == second


def test_listeners_see_the_delay_event_with_state_ready() -> None:
    seen: list[TraceEvent] = []
    _, report = explore_json("--runs", "20")
    token = decode(report["failures"][0]["token"])
    simulate(load_scenario(TWO_CPUS), seed=token.seed, strategy=ReplayStrategy(dict(token.decisions)),
             listeners=[seen.append])  # fmt: skip
    (delay,) = [event for event in seen if event.event == "delay"]
    assert delay.thread == "T1" and str(delay.state) == "ready"


FIGHTING_POLICY = """\
machine: {cpus: 1, policy: cfs, context_switch: 1}
processes:
  - name: app
    memory: {c: 0}
    threads:
      - name: T1
        program: [repeat: {times: 5, do: [load: {var: c, into: r}, compute: 1, store: {var: c, value: r + 1}]}]
      - name: T2
        program: [repeat: {times: 5, do: [load: {var: c, into: r}, compute: 2, store: {var: c, value: r + 1}]}]
      - name: T3
        arrival: 1
        program: [repeat: {times: 5, do: [load: {var: c, into: r}, compute: 1, store: {var: c, value: r + 1}]}]
"""


def test_a_policy_that_takes_the_cpu_back_does_not_fight_the_explorer_for_ever() -> None:
    """Under cfs with a context switch, PCT preempts a thread for a higher one, and cfs takes the CPU back from
    that one before it steps (time moves, no step is taken): the held-back thread is not asked again until some
    thread has stepped, so the run ends (it once went on for ever, 1 ms of switching per decision)."""
    from simulator.exploration.explorer import count_steps, make_strategy

    scenario = parse_scenario(FIGHTING_POLICY, "fight.yaml")
    steps = count_steps(scenario, 0, (200_000, 10_000))
    for seed in range(10):
        kernel = Kernel(scenario, seed=seed, strategy=make_strategy("pct", seed, 2, steps), max_steps=200_000)
        kernel.run(
            until=10**12
        )  # 1,000 s: never reached by the run, ten thousand times its length without the explorer
        assert kernel.unfinished() == 0 and kernel.chooser.points < 1_000, seed
