"""Tests of simulator.strategies: Hypothesis-driven schedules find and shrink bugs; generated scenarios are valid."""

from __future__ import annotations

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from simulator import Scenario, load_scenario, parse_scenario, simulate
from simulator.exploration.strategies import ReplayStrategy
from simulator.strategies import (
    POLICY_NAMES,
    SCHEDULE_SETTINGS,
    HypothesisSchedule,
    policies,
    scenario_data,
    scenarios,
    schedules,
)
from tests.conftest import SCENARIOS

COUNTER = load_scenario(SCENARIOS / "counter-incr.yaml")
LOCKED = load_scenario(SCENARIOS / "counter-mutex.yaml")


def find_failing_schedule(scenario: Scenario, hypothesis_seed: int = 0) -> HypothesisSchedule:
    """Run Hypothesis until a schedule of `scenario` fails an expectation; the shrunk schedule."""
    found: list[HypothesisSchedule] = []

    @seed(hypothesis_seed)
    @settings(SCHEDULE_SETTINGS, max_examples=500, database=None)
    @given(schedules())
    def counter_is_exact(schedule: HypothesisSchedule) -> None:
        metrics = simulate(scenario, strategy=schedule)
        if any(v.kind == "expect" for v in metrics.violations):
            found.append(schedule)
            raise AssertionError(schedule.describe())

    with pytest.raises(AssertionError):
        counter_is_exact()
    return found[-1]


@pytest.mark.parametrize("seed", range(4))
def test_hypothesis_finds_the_lost_update_and_shrinks_it_to_one_preemption(seed: int) -> None:
    """Whatever Hypothesis' seed, the failing schedule it ends on (the shrunk one) has a single preemption."""
    shrunk = find_failing_schedule(COUNTER, seed)
    assert shrunk.preemptions == 1
    assert len(shrunk.decisions) == 1


def test_a_found_schedule_replays_exactly() -> None:
    """The recorded decisions, replayed with ReplayStrategy, give the same failing run."""
    shrunk = find_failing_schedule(COUNTER)
    replayed = simulate(COUNTER, strategy=ReplayStrategy(dict(shrunk.decisions)))
    assert any(v.kind == "expect" for v in replayed.violations)


@settings(SCHEDULE_SETTINGS, max_examples=60, database=None, derandomize=True)
@given(schedules())
def test_no_schedule_breaks_the_locked_counter(schedule: HypothesisSchedule) -> None:
    """With a mutex, every drawn schedule keeps the count exact."""
    metrics = simulate(LOCKED, strategy=schedule)
    assert not metrics.violations, schedule.describe()


def test_a_schedule_with_no_budget_is_the_default_run() -> None:
    """max_decisions=0 draws nothing and runs as the plain run does."""

    @settings(max_examples=3, database=None)
    @given(schedules(max_decisions=0))
    def check(schedule: HypothesisSchedule) -> None:
        assert simulate(COUNTER, strategy=schedule) == simulate(COUNTER)
        assert schedule.describe() == "the default schedule (no decision differs from the policy's)"

    check()


@pytest.mark.parametrize(("options", "message"), [
    ({"max_gap": -1}, "max_gap must be a non-negative integer, got -1"),
    ({"max_gap": True}, "max_gap must be a non-negative integer, got True"),
    ({"max_decisions": -1}, "max_decisions must be a non-negative integer, got -1"),
])  # fmt: skip
def test_bad_options_are_refused_at_once(options: dict[str, object], message: str) -> None:
    """schedules() checks its arguments when called, naming the argument."""
    with pytest.raises(ValueError, match=message):
        schedules(**options)  # type: ignore[arg-type]


@settings(max_examples=25, database=None, deadline=None)
@given(scenarios())
def test_generated_scenarios_are_valid_and_run(scenario: object) -> None:
    """Every generated scenario passed the loader and runs to the same result twice."""
    first = simulate(scenario)  # type: ignore[arg-type]
    assert first == simulate(scenario)  # type: ignore[arg-type]
    assert not any(v.kind in ("misuse", "step_bound") for v in first.violations)


@settings(max_examples=20, database=None, deadline=None)
@given(scenario_data(shared_memory=True, max_threads=2))
def test_shared_memory_scenarios_declare_what_they_use(data: dict[str, object]) -> None:
    """Scenarios with shared memory declare the variable and the mutex their programs use."""
    process = data["processes"][0]  # type: ignore[index]
    assert process["memory"] == {"x": 0}
    assert process["sync"] == {"m": "mutex"}


@settings(max_examples=2, database=None, deadline=None)
@given(st.data())
def test_every_policy_can_be_generated(data: st.DataObject) -> None:
    """A scenario of each policy name validates."""
    for name in POLICY_NAMES:
        scenario = data.draw(scenarios(policy=policies(names=[name])))
        assert scenario.machine.policy.name == name


def test_the_python_docs_samples_run_and_print_what_they_say(capsys: pytest.CaptureFixture[str]) -> None:
    """Each python block of docs/python.md runs, and each `# value` comment on a print line is what it printed."""
    import re

    text = (SCENARIOS.parent / "docs" / "python.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(blocks) >= 3
    for block in blocks:
        expected = [line.split("# ", 1)[1] for line in block.splitlines()
                    if line.lstrip().startswith("print(") and "# " in line]  # fmt: skip
        exec(compile(block, "docs/python.md", "exec"), {})  # noqa: S102 - our own documentation
        printed = capsys.readouterr().out.splitlines()
        assert printed == expected


#: T1's sleep is drawn: when it outlasts T2's, T1 stores last and the expectation fails. Seed 1 (the
#: scenario's) passes; seed 0, the one Hypothesis tries first, fails.
DRAWN = """
name: drawn
time_unit: ms
seed: 1
machine: {cpus: 2, policy: fcfs}
processes:
  - name: app
    memory: {x: 0}
    threads:
      - {name: T1, program: [{sleep: {choice: [1, 5]}}, {store: {var: x, value: 1}}]}
      - {name: T2, program: [{sleep: 3}, {store: {var: x, value: 2}}]}
expect: [app.x == 2]
"""


def test_schedules_with_seeds_let_hypothesis_find_a_failing_draw() -> None:
    """With seeds=True the run's seed is Hypothesis': it finds a seed whose draw fails, the seed replays the
    failure, and describe() names it."""
    scenario = parse_scenario(DRAWN)
    assert not simulate(scenario).violations
    found: list[HypothesisSchedule] = []

    @settings(SCHEDULE_SETTINGS, max_examples=200, database=None, derandomize=True)
    @given(schedules(seeds=True))
    def x_is_two(schedule: HypothesisSchedule) -> None:
        metrics = simulate(scenario, strategy=schedule)
        assert metrics.seed == schedule.seed
        if metrics.violations:
            found.append(schedule)
            raise AssertionError(schedule.describe())

    with pytest.raises(AssertionError, match=r"policy.s\), seed 0\n"):
        x_is_two()
    failing = found[-1]
    assert failing.seed is not None and simulate(scenario, seed=failing.seed).violations


def test_a_drawn_seed_and_another_given_seed_are_refused() -> None:
    """simulate(seed=...) with a schedule that drew another seed is a ValueError saying which."""

    @settings(max_examples=1, database=None)
    @given(schedules(seeds=True))
    def check(schedule: HypothesisSchedule) -> None:
        assert schedule.seed is not None
        with pytest.raises(ValueError, match="draws the run's seed"):
            simulate(COUNTER, seed=schedule.seed + 1, strategy=schedule)

    check()
