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
#: Scenarios that exist to show something going wrong: they find violations, so threadsim exits with 1.
SHOW_FAILURES = {"lost-update.yaml", "lost-update-2cpu.yaml", "dining-philosophers.yaml", "sync-stuck.yaml"}


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
    assert result.exit_code == (1 if name in SHOW_FAILURES else 0), result.output
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


def final(name: str) -> tuple[dict[str, dict[str, int]], list[str], int]:
    """A scenario's final memory, violation kinds and number of racing pairs."""
    metrics = simulate(load_scenario(SCENARIOS / name))
    memory = {process: dict(variables) for process, variables in metrics.memory.items()}
    return memory, [violation.kind for violation in metrics.violations], len(metrics.races)


def test_lost_update_counters_lose_updates_and_report_races() -> None:
    """Without synchronization the counters come up short, and the race detector says why."""
    memory, kinds, races = final("lost-update.yaml")
    assert memory["app"]["counter"] < 40 and races > 0
    assert kinds[0] == "expect" and set(kinds[1:]) == {"data_race"}
    memory, kinds, races = final("lost-update-2cpu.yaml")
    assert memory["app"]["counter"] == 10 and races > 0


def test_synchronized_scenarios_are_exact_and_race_free() -> None:
    """Mutex, queue, semaphores, condition variable, Peterson and fork: exact results, no races."""
    expected = {
        "counter-mutex.yaml": {"app": {"counter": 40}},
        "producer-consumer-queue.yaml": {"pipeline": {"produced": 12, "total": 78}},
        "readers-writers.yaml": {"library": {"data": 4, "readers": 0, "writing": 0}},
        "peterson.yaml": {"app": {"flag0": 0, "flag1": 0, "turn": 0, "counter": 20}},
        "fork.yaml": {"parent": {"x": 2}, "child": {"x": 100}},
    }
    for name, memory in expected.items():
        assert final(name) == (memory, [], 0), name
    memory, kinds, races = final("producer-consumer-semaphores.yaml")
    assert (memory["buffer"]["sum"], kinds, races) == (36, [], 0)


def test_dining_philosophers_deadlock_unless_forks_are_ordered() -> None:
    """The naive table deadlocks in a five-way cycle; ordered forks never do."""
    metrics = simulate(load_scenario(SCENARIOS / "dining-philosophers.yaml"))
    (violation,) = metrics.violations
    assert violation.kind == "deadlock" and violation.message.startswith("deadlock cycle: ")
    assert all(f"P{i} waits for mutex fork" in violation.message for i in range(5))
    assert final("dining-philosophers-ordered.yaml") == ({}, [], 0)
