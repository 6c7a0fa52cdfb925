"""explore() and replay() from Python (simulator.api), on loaded and built scenarios."""

from __future__ import annotations

import warnings
from pathlib import Path

import attrs
import pytest

from simulator import RunMetrics, explore, load_scenario, ops, replay
from simulator.api import TokenMismatchWarning, scenario_hash_of
from simulator.builder import Machine, Process, build
from simulator.exploration.tokens import content_hash, scenario_hash
from simulator.scenario.model import Scenario

COUNTER = "scenarios/counter-incr.yaml"


def _built_counter(times: int = 10) -> Scenario:
    app = Process("app", memory={"counter": 0})
    for name in ("T1", "T2"):
        app.thread(name, program=[{"repeat": {"times": times, "do": [{"incr": "counter"}, {"compute": 1}]}}])
    return build(Machine(), app, name="counter", expect=[f"app.counter == {2 * times}"])


def test_loaded_scenarios_carry_the_files_hash() -> None:
    """Tokens of a loaded scenario match the command line's (the file's hash)."""
    assert scenario_hash_of(load_scenario(COUNTER)) == scenario_hash(COUNTER)


def test_built_scenarios_hash_their_content_stably() -> None:
    """Equal built scenarios hash alike; another program hashes differently."""
    assert content_hash(_built_counter()) == content_hash(_built_counter())
    assert content_hash(_built_counter()) != content_hash(_built_counter(times=3))
    assert scenario_hash_of(_built_counter()) == content_hash(_built_counter())


def test_a_python_body_is_hashed_by_what_it_does() -> None:
    """Two bodies of the same name differ by their source or by the values they close over: their scenarios
    hash differently, so replaying one's token on the other warns (the hash named only the function)."""

    def body_of(step: int):  # type: ignore[no-untyped-def]
        def worker():  # type: ignore[no-untyped-def]
            yield ops.Compute(step)

        return worker

    def other_worker():  # type: ignore[no-untyped-def]
        yield ops.Compute(2)

    def scenario(body) -> Scenario:  # type: ignore[no-untyped-def]
        process = Process("p")
        process.thread("w", program=body)
        return build(Machine(), process, name="py")

    assert content_hash(scenario(body_of(1))) == content_hash(scenario(body_of(1)))
    assert content_hash(scenario(body_of(1))) != content_hash(scenario(body_of(2)))
    other_worker.__qualname__ = body_of(1).__qualname__  # the same name, another body
    assert content_hash(scenario(body_of(1))) != content_hash(scenario(other_worker))


@pytest.mark.parametrize("strategy", ["random", "pct", "dfs"])
def test_explore_finds_and_replay_reproduces_the_lost_update(strategy: str) -> None:
    """Every strategy finds the lost update in a built scenario; its shrunk token replays it."""
    scenario = _built_counter()
    result = explore(scenario, strategy, runs=200, preemption_bound=1)
    assert [failure.kind for failure in result.failures] == ["expect"]
    assert result.failures[0].preemptions == 1
    metrics = replay(scenario, result.failures[0].token)
    assert [violation.kind for violation in metrics.violations] == ["expect"]


def test_jobs_do_not_change_the_result_of_a_built_scenario() -> None:
    """Workers get the built scenario pickled (it has no file to reload): the result equals jobs=1's."""
    scenario = _built_counter()
    assert explore(scenario, "random", runs=60, jobs=2) == explore(scenario, "random", runs=60)


def test_explore_on_an_in_memory_variant_of_a_file_explores_the_variant() -> None:
    """A loaded scenario changed in memory is explored as changed, in workers too (never reloaded)."""
    loaded = load_scenario(COUNTER)
    fixed = attrs.evolve(loaded, expect=())  # no expectation left to fail
    result = explore(fixed, "random", runs=40, jobs=2)
    assert result.failures == ()
    assert result.scenario == loaded.name


def test_shrink_false_keeps_the_first_schedule() -> None:
    """Without shrinking, the report keeps the first failing schedule's decisions."""
    result = explore(_built_counter(), "random", runs=50, shrink=False)
    failure = result.failures[0]
    assert (failure.preemptions, failure.picks) == (failure.original_preemptions, failure.original_picks)


def test_database_replays_saved_failures_first(tmp_path: Path) -> None:
    """A failure saved by one explore is replayed first by the next one, and still fails."""
    scenario = _built_counter()
    first = explore(scenario, "random", runs=50, database=tmp_path)
    again = explore(scenario, "random", runs=1, seed_start=10_000, database=tmp_path)
    assert [saved.token for saved in again.saved] == [first.failures[0].token]
    assert again.saved[0].still_fails and again.failed


def test_replay_of_another_scenarios_token_warns() -> None:
    """A token of another scenario replays with a TokenMismatchWarning."""
    token = explore(_built_counter(), "random", runs=50).failures[0].token
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        replay(_built_counter(times=3), token)
    assert [warning.category for warning in caught] == [TokenMismatchWarning]


def test_bad_arguments_are_refused() -> None:
    """Unknown strategies and bad numbers are ValueErrors naming the argument."""
    with pytest.raises(ValueError, match="strategy must be one of"):
        explore(_built_counter(), "bfs")
    with pytest.raises(ValueError, match="runs must be an integer of at least 1"):
        explore(_built_counter(), runs=0)


def _counter_is_twenty(metrics: RunMetrics) -> None:
    assert dict(metrics.memory)["app"] == {"counter": 20}, f"counter is {dict(dict(metrics.memory)['app'])}"


def test_a_check_on_the_metrics_fails_schedules_as_an_expectation_does() -> None:
    """check(metrics) raising AssertionError is a failure named after the check, shrunk like any, with jobs too."""
    scenario = attrs.evolve(_built_counter(), expect=())
    result = explore(scenario, "random", runs=60, check=_counter_is_twenty)
    assert [(failure.kind, failure.subject) for failure in result.failures] == [
        ("expect", ("check _counter_is_twenty",))
    ]
    assert result.failures[0].message.startswith("check _counter_is_twenty: counter is {'counter': 1")
    assert result.failures[0].preemptions == 1
    assert explore(scenario, "random", runs=60, check=_counter_is_twenty, jobs=2) == result
