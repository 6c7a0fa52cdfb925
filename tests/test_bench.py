"""Tests of the benchmark's plumbing (make bench itself is too long for the suite): each measurement runs in
a fresh process, and the runs go in rounds."""

from __future__ import annotations

import attrs
import pytest

from bench import __main__ as bench
from bench import races as bench_races
from bench import reports as bench_reports
from bench import workload


def test_each_case_keeps_its_fastest_run_and_its_largest_peak(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rounds: every case once per round; a case whose implementation is missing is not run again."""
    order: list[tuple[str, int, int]] = []
    seconds = {("a", 1, 1): iter([3.0, 1.0, 2.0]), ("b", 1, 1): iter([1.0, 2.0, 3.0])}
    peaks = iter(range(10, 20))

    def fake_run(impl: str, threads: int, cycles: int) -> dict[str, float] | None:
        order.append((impl, threads, cycles))
        if impl == "missing":
            return None
        return {"events": 10.0, "run_seconds": next(seconds[impl, threads, cycles]), "peak_mib": next(peaks)}

    monkeypatch.setattr(bench, "run_once", fake_run)
    results = bench.measure([("a", 1, 1), ("missing", 1, 1), ("b", 1, 1)], repeats=3)
    assert order == [("a", 1, 1), ("missing", 1, 1), ("b", 1, 1), ("a", 1, 1), ("b", 1, 1), ("a", 1, 1), ("b", 1, 1)]
    assert results["missing", 1, 1] is None
    assert results["a", 1, 1] == {"events": 10.0, "run_seconds": 1.0, "peak_mib": 14}  # peaks 10, 12, 14
    assert results["b", 1, 1] == {"events": 10.0, "run_seconds": 1.0, "peak_mib": 15}  # peaks 11, 13, 15


def test_a_run_measures_the_workload_in_a_fresh_process() -> None:
    """The real thing, small: the fresh process counts the events this one does, and reports its times and
    peak memory."""
    result = bench.run_once("threadsim", 6, 2)
    assert result is not None
    events, _, _ = workload.run_threadsim(6, 2)
    assert result["events"] == events > 6 * 2 * 2  # some quantum expiries: 6 threads on 4 CPUs
    assert result["run_seconds"] > 0 and result["peak_mib"] > 0


def test_the_report_has_every_figure_the_readme_quotes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """make bench end to end, on tiny sizes: the table, the ratios, both scaling figures, streaming, cost."""
    monkeypatch.setattr(bench, "SIZES", ((20, 2), (60, 1)))
    monkeypatch.setattr(bench, "REPEATS", 1)
    monkeypatch.setattr(bench, "STREAM_CYCLES", (1,))
    monkeypatch.setattr(bench, "MM1_REQUESTS", 30)
    monkeypatch.setattr(bench, "exploration_rate", lambda: (1.0, 10))
    monkeypatch.setattr(bench, "POLICY_SIZES", (6, 12))
    monkeypatch.setattr(bench, "POLICY_EVENTS", 24)
    monkeypatch.setattr(bench, "POLICY_REPEATS", 1)
    monkeypatch.setattr(bench.startup, "measure", lambda: dict.fromkeys(bench.startup.all_commands(), 0.1))
    monkeypatch.setattr(bench_races, "SIZE", (8, 2))
    monkeypatch.setattr(bench_races, "REPEATS", 1)
    monkeypatch.setattr(bench_reports, "SIZE", (6, 2))
    monkeypatch.setattr(bench_reports, "REPEATS", 1)
    bench.main()
    out = capsys.readouterr().out
    for impl in ("heapq", "threadsim"):
        assert f"      20 {impl}" in out and f"      60 {impl}" in out
    assert "threadsim at 60 threads runs at " in out and "(the bare heapq loop: " in out
    assert "per event beyond each thread's arrival and end" in out
    assert "compute 1000000000000 ms under RR:   9 events" in out
    assert "an M/M/1 queue of 30 requests (scenarios/mm1-queue.yaml" in out and "engine events), peak" in out
    assert "each policy with 6, 12 threads ready on 4 CPUs" in out
    for policy in bench.policies.POLICY_SETTINGS:
        assert f"\n  {policy:<9}" in out  # a row per policy
    assert (
        'start-up (whole processes, CPU time, fastest of 11 in rounds, bytecode cached), against python -c "import'
        in out
    )
    assert "the race detector, 8 threads x 2 cycles sharing one mutex" in out
    assert "\n  no shared memory: no detector " in out and "\n  a counter incremented under the mutex: " in out
    assert "what each report adds to the run (6 threads x 2 cycles, rr, 4 CPUs; CPU time, best of 1" in out
    assert "\n  default text report " in out and "\n  --report json --timeline run.trace.json " in out


def test_the_policy_workload_keeps_every_thread_ready_but_four() -> None:
    """bench.policies: every policy makes about one dispatch per burst (the last yields add one each while
    others wait), whatever its order; the fresh process counts what this one does."""
    from bench import policies

    for policy in policies.POLICY_SETTINGS:
        events, seconds = policies.run(policy, 10, 3)
        assert 10 * 3 <= events <= 10 * 4 and seconds >= 0, policy
    assert bench.run_policy_once("cfs", 10, 3)[0] == policies.run("cfs", 10, 3)[0]


def test_the_start_up_figure_is_each_command_against_the_libraries_it_needs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """bench.startup: one line per process, its CPU time and its ratio to `import yaml, click, attrs`."""
    from bench import startup

    figures = dict.fromkeys(startup.all_commands(), 0.25) | {'python -c "import yaml, click, attrs"': 0.1}
    monkeypatch.setattr(startup, "measure", lambda: figures)
    startup.print_startup()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + len(figures)
    assert lines[1].split() == ["python", "-c", '"import', "yaml,", "click,", 'attrs"', "100.0", "ms", "1.00x"]
    assert lines[-1].split() == ["threadsim", "run", "scenarios/rr-textbook.yaml", "250.0", "ms", "2.50x"]


def test_the_start_up_figure_runs_each_command_in_a_fresh_process() -> None:
    """The real thing, one round: every command succeeds (a failing one raises) and costs some CPU time."""
    from bench import startup

    best = startup.measure(repeats=1)
    assert list(best) == list(startup.all_commands())
    assert all(0 < seconds < 60 for seconds in best.values())


def test_the_race_detector_figure_compares_the_same_runs() -> None:
    """bench.races: the mutex-only threads cannot race (the detector never starts), the counter's can (it
    starts, and finds nothing: the mutex orders every increment); each line has the three detectors."""
    from simulator.analysis.footprints import may_race
    from simulator.model.kernel import Kernel

    assert not may_race(bench_races.scenario(4, 2, shared=False))
    assert may_race(bench_races.scenario(4, 2, shared=True))
    kernel = Kernel(bench_races.scenario(4, 2, shared=True), seed=0)
    kernel.run()
    assert kernel.complete and len(kernel.races.clocks) == 4 and not kernel.races.races
    assert kernel.processes["p"].memory["counter"] == 8
    lines = bench_races.report(4, 2, repeats=1)
    assert len(lines) == 2 and all(line.count("x)") == 3 for line in lines)
    assert "no detector" in lines[0] and "(1.00x)" in lines[0]


def test_the_report_figure_runs_every_format_against_the_bare_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """bench.reports: a line per report and timeline format, each adding its time to the simulation's; the
    fresh process runs the case for real (a failing run raises)."""
    figures = dict.fromkeys(bench_reports.CASES, 0.3) | {bench_reports.BASELINE: 0.2}
    monkeypatch.setattr(bench_reports, "measure", lambda threads, cycles, repeats=1: figures)
    lines = bench_reports.report(6, 2)
    assert len(lines) == len(bench_reports.CASES) == 3 + len(bench_reports.TIMELINE_FORMATS)
    assert lines[0].split() == ["simulation", "alone", "(no", "listener)", "0.20", "s"]
    assert lines[1].split() == ["default", "text", "report", "0.30", "s", "adds", "0.10", "s", "=", "0.50x"]
    assert lines[-1].split()[:4] == ["--report", "json", "--timeline", "run.txt"]
    for case in ("simulation", "text", ".trace.json"):
        assert 0 < bench_reports.run_once(case, 6, 2) < 60


def test_the_whole_process_w1_file_is_the_workload() -> None:
    """bench.whole's YAML file is W1: loaded, it runs as the scenario bench.workload builds (names aside)."""
    from bench import whole
    from simulator import parse_scenario, simulate

    written = simulate(parse_scenario(whole.w1_yaml(12, 3)))
    built = simulate(workload._bench_scenario(12, 3))
    assert [attrs.evolve(thread, name="", process="") for thread in written.threads] == [
        attrs.evolve(thread, name="", process="") for thread in built.threads
    ]
    assert (written.end_time, written.context_switches) == (built.end_time, built.context_switches)


def test_whole_process_seconds_come_from_the_child() -> None:
    """A child's CPU seconds are measured, and a failing command is an error naming it."""
    import sys

    from bench import whole

    assert whole.child_seconds([sys.executable, "-c", "sum(range(10**6))"]) > 0
    with pytest.raises(RuntimeError, match="failed"):
        whole.child_seconds([sys.executable, "-c", "raise SystemExit(3)"])
