"""Golden tests: every file in scenarios/ is valid, documented, and reproduces its recorded reports.

Regenerate the golden files after an intended change with `THREADSIM_UPDATE_GOLDEN=1 make test`, then
read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator import load_scenario, simulate
from simulator.cli import main
from tests.conftest import MS, ROOT, SCENARIOS, by_name

GOLDEN = Path(__file__).parent / "golden"
SCENARIO_FILES = sorted(path.name for path in SCENARIOS.glob("*.yaml"))
UPDATE = os.environ.get("THREADSIM_UPDATE_GOLDEN") == "1"


def test_there_are_scenarios() -> None:
    """The glob found the scenario folder (so the parametrized tests below are not silently empty)."""
    assert len(SCENARIO_FILES) >= 6


@pytest.mark.parametrize("name", SCENARIO_FILES)
def test_each_scenario_is_valid_documented_and_described(name: str) -> None:
    """Each scenario loads, has a description, and has a section in docs/scenarios.md."""
    scenario = load_scenario(SCENARIOS / name)
    assert scenario.description.strip()
    assert f"scenarios/{name}" in (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("report", ["text", "json"])
@pytest.mark.parametrize("name", SCENARIO_FILES)
def test_each_scenario_matches_its_golden_report(name: str, report: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`threadsim run scenarios/NAME` prints exactly the recorded report."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["run", f"scenarios/{name}", "--report", report])
    assert result.exit_code == 0, result.output
    golden = GOLDEN / f"{Path(name).stem}.{'txt' if report == 'text' else 'json'}"
    if UPDATE:
        golden.write_text(result.output, encoding="utf-8")
    assert result.output == golden.read_text(encoding="utf-8")


def averages(name: str) -> dict[str, float]:
    """Average waiting, response and turnaround of a scenario, in ms."""
    metrics = simulate(load_scenario(SCENARIOS / name))
    return {field: float(metrics.average(field) or 0) / MS for field in ("waiting", "response", "turnaround")}


def test_fcfs_textbook_numbers() -> None:
    """Silberschatz FCFS: waiting 0, 24, 27, average 17."""
    metrics = simulate(load_scenario(SCENARIOS / "fcfs-textbook.yaml"))
    assert [t.waiting // MS for t in metrics.threads] == [0, 24, 27]
    assert averages("fcfs-textbook.yaml")["waiting"] == 17


def test_rr_textbook_numbers() -> None:
    """Silberschatz RR, quantum 4: waiting 6, 4, 7 (average 5.667), average response 3.667."""
    metrics = simulate(load_scenario(SCENARIOS / "rr-textbook.yaml"))
    assert [t.waiting // MS for t in metrics.threads] == [6, 4, 7]
    result = averages("rr-textbook.yaml")
    assert round(result["waiting"], 3) == 5.667 and round(result["response"], 3) == 3.667
    assert metrics.context_switches == 3


def test_ostep_numbers() -> None:
    """OSTEP chapter 7: FIFO average turnaround 110; RR quantum 1: response 1, turnaround 14."""
    assert averages("ostep-fifo.yaml")["turnaround"] == 110
    rr = averages("ostep-rr.yaml")
    assert (rr["response"], rr["turnaround"]) == (1, 14)


def test_mixed_io_uses_both_cpus_and_queues_at_the_disk() -> None:
    """Two CPUs both run threads; the readers spend time blocked behind each other at the disk."""
    metrics = simulate(load_scenario(SCENARIOS / "mixed-io.yaml"))
    threads = by_name(metrics)
    assert all(cpu.busy > 0 for cpu in metrics.cpu_stats)
    io_time = {"reader1": 4 * 8 * MS, "reader2": 4 * 6 * MS}
    assert all(threads[name].blocked > io_time[name] for name in io_time)  # service plus queueing


def test_greedy_call_makes_others_wait_for_the_whole_call() -> None:
    """The non-preemptible call keeps both interactive threads off the CPU for all 40 ms of it."""
    threads = by_name(simulate(load_scenario(SCENARIOS / "greedy-call.yaml")))
    assert threads["click"].first_run == 40 * MS
    assert threads["hog"].cpu_time == 50 * MS
