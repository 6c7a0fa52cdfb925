"""The kernel's shortcuts change no result.

When nothing else is due at an instant, the kernel gives a CPU that a quantum expiry or a sleep has just
vacated straight to the next ready thread, instead of deferring the end-of-instant dispatch (Kernel._refill).
These tests run every workload both ways and compare every trace event and the whole report.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import Scenario, TraceEvent
from simulator.analysis.metrics import collect_metrics
from simulator.model.kernel import Kernel
from simulator.output.json_report import render_json
from simulator.policies.registry import parse_policy_text
from simulator.scenario.loader import load_scenario
from tests.conftest import SCENARIOS, scenario_from
from tests.test_properties import scenarios
from tests.test_sync_properties import lock_orders, locked_counters, ordered_pipelines


def run(scenario: Scenario, *, shortcut: bool) -> tuple[list[TraceEvent], str, int]:
    """Trace events, JSON report and engine callbacks of one run, with or without the hand-over shortcut."""
    events: list[TraceEvent] = []
    kernel = Kernel(scenario, seed=scenario.seed, listeners=[events.append], max_steps=100_000)
    if not shortcut:
        kernel._handover = False
    kernel.run()
    return events, render_json(collect_metrics(kernel, seed=scenario.seed)), kernel.engine.events


def assert_same_either_way(scenario: Scenario) -> None:
    fast_events, fast_report, _ = run(scenario, shortcut=True)
    slow_events, slow_report, _ = run(scenario, shortcut=False)
    assert fast_events == slow_events
    assert fast_report == slow_report


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_handing_a_cpu_over_directly_changes_nothing(scenario: Scenario) -> None:
    assert_same_either_way(scenario)


@settings(max_examples=60, deadline=None)
@given(st.one_of(locked_counters().map(lambda case: case[0]), ordered_pipelines(), lock_orders()),
       st.sampled_from(["fcfs", "rr", "sjf", "lottery"]))  # fmt: skip
def test_handing_a_cpu_over_directly_changes_nothing_with_synchronization(scenario: Scenario, policy: str) -> None:
    machine = attrs.evolve(scenario.machine, policy=parse_policy_text(policy, "us"))
    assert_same_either_way(attrs.evolve(scenario, machine=machine))


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda path: Path(path).stem)
@pytest.mark.parametrize("policy", [None, "rr:quantum=1", "lottery"])
def test_handing_a_cpu_over_directly_changes_nothing_in_the_shipped_scenarios(path: Path, policy: str | None) -> None:
    scenario = load_scenario(str(path))
    if policy is not None:
        spec = parse_policy_text(policy, "ms")
        scenario = attrs.evolve(scenario, machine=attrs.evolve(scenario.machine, policy=spec))
    assert_same_either_way(scenario)


def test_the_shortcut_is_taken_under_load() -> None:
    """Threads queueing for two CPUs: the shortcut saves engine callbacks (so the tests above test it)."""
    scenario = scenario_from("""\
        machine: {cpus: 2, policy: {name: rr, quantum: 1}}
        threads:
          - {name: A, program: [{repeat: {times: 5, do: [compute: 3, sleep: 2]}}]}
          - {name: B, program: [{repeat: {times: 5, do: [compute: 3, sleep: 2]}}]}
          - {name: C, program: [{repeat: {times: 5, do: [compute: 3, sleep: 2]}}]}
          - {name: D, burst: 20}
        """)
    *_, fast = run(scenario, shortcut=True)
    *_, slow = run(scenario, shortcut=False)
    assert fast < slow
