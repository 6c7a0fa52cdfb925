"""Helpers shared by the tests: build scenarios from YAML text and run them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from simulator import RunMetrics, Scenario, parse_scenario, simulate
from simulator.trace import TraceEvent

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def scenario_from(text: str, file: str = "test.yaml") -> Scenario:
    """A scenario from (dedented) YAML text."""
    return parse_scenario(textwrap.dedent(text), file)


def run_yaml(text: str, **options: object) -> RunMetrics:
    """Run a scenario given as YAML text."""
    return simulate(scenario_from(text), **options)  # type: ignore[arg-type]


def trace_of(text: str, **options: object) -> tuple[RunMetrics, list[TraceEvent]]:
    """Run a scenario given as YAML text, returning its metrics and every trace event."""
    events: list[TraceEvent] = []
    metrics = simulate(scenario_from(text), listeners=[events.append], **options)  # type: ignore[arg-type]
    return metrics, events


def interrupt_after(monkeypatch: pytest.MonkeyPatch, schedules: int) -> None:
    """Make the explorer's next schedule after `schedules` of them raise KeyboardInterrupt (Ctrl-C)."""
    from simulator.exploration.explorer import Explorer

    original = Explorer.run
    calls: list[int] = []

    def interrupted(self, seed, strategy):  # type: ignore[no-untyped-def]
        calls.append(seed)
        if len(calls) > schedules:
            raise KeyboardInterrupt
        return original(self, seed, strategy)

    monkeypatch.setattr(Explorer, "run", interrupted)


def by_name(metrics: RunMetrics) -> dict[str, object]:
    """Thread metrics by thread name."""
    return {thread.name: thread for thread in metrics.threads}


MS = 1_000_000


@pytest.fixture(autouse=True)
def no_failure_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """`threadsim explore` saves failing schedules in .threadsim/ of the working directory: no test may write
    there (or see what another saved), so the database is off unless a test points it at a tmp dir."""
    monkeypatch.setenv("THREADSIM_DATABASE", "")


@pytest.fixture
def tmp_scenario(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write YAML text to a file and return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
