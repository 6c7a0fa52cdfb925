"""What the reports cost: the standard workload W1 (bench.workload: 1,000 threads, 5 ms bursts and 20 ms
sleeps, round robin, 4 CPUs, about a million events) run bare (`simulate`, no listener), then as
`threadsim run` runs it with each report: the default text report, `--report json`, and `--report json`
with each `--timeline` format (the file written into a temporary folder and renamed into place).

Each figure is CPU time (time.process_time) of the run and its report in a fresh process (building the
scenario and importing not counted), the fastest of REPEATS, made in rounds (every case once a round), so
that a slow spell of the shared machine falls on all alike. A format's cost is what it adds to the bare
simulation of the same rounds, shown as a ratio to it: 1.00x means the report costs as much as the run.

`python -m bench.reports [THREADS [CYCLES]]` prints the table; `python -m bench.reports run CASE THREADS
CYCLES` prints one run's CPU seconds (CASE: `simulation`, `text`, `json` or a timeline extension).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time

from bench import workload
from simulator.output.timeline import TIMELINE_FORMATS

REPEATS = 3
#: (threads, cycles) that `make bench` measures: W1, about 1.16 million trace events.
SIZE = (1_000, 165)
BASELINE = "simulation"
#: Every case, by what the table calls it: the bare run, the two reports, then each timeline format.
CASES: dict[str, str] = {
    BASELINE: "simulation alone (no listener)",
    "text": "default text report",
    "json": "--report json",
    **{entry.extension: f"--report json --timeline run{entry.extension}" for entry in TIMELINE_FORMATS},
}


def run_seconds(case: str, threads: int, cycles: int) -> float:
    """CPU seconds of one run of W1 with `case`'s report (see the module docstring)."""
    from simulator import commands
    from simulator.simulation import simulate
    from simulator.validation import validate

    scenario = validate(workload._bench_scenario(threads, cycles))
    out = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="threadsim-bench-reports-") as folder:
        start = time.process_time()
        if case == BASELINE:
            metrics = simulate(scenario)
            status = 1 if metrics.violations else 0
        elif case in ("text", "json"):
            status = commands._run_and_report(scenario, "w1.yaml", out, report=case)
        else:
            path = os.path.join(folder, f"run{case}")
            status = commands._run_and_report(scenario, "w1.yaml", out, report="json", timelines=[path])
        seconds = time.process_time() - start
    assert status == 0, f"{case}: the run found a violation"
    return seconds


def run_once(case: str, threads: int, cycles: int) -> float:
    """`run_seconds` in a fresh process."""
    command = [sys.executable, "-m", "bench.reports", "run", case, str(threads), str(cycles)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"bench.reports {case} failed:\n{result.stderr}")
    return float(result.stdout)


def measure(threads: int, cycles: int, repeats: int = REPEATS) -> dict[str, float]:
    """The fastest of `repeats` runs of each case, made in rounds (every case once a round)."""
    best = dict.fromkeys(CASES, float("inf"))
    for _ in range(repeats):
        for case in CASES:
            best[case] = min(best[case], run_once(case, threads, cycles))
    return best


def report(threads: int, cycles: int, repeats: int = REPEATS) -> list[str]:
    """The lines `make bench` and `python -m bench.reports` print: each case's CPU time, and what it adds
    to the bare simulation as a ratio to it."""
    best = measure(threads, cycles, repeats)
    baseline = best[BASELINE]
    width = max(len(what) for what in CASES.values())
    lines = [f"  {CASES[BASELINE]:<{width}} {baseline:>7.2f} s"]
    for case, what in CASES.items():
        if case != BASELINE:
            added = best[case] - baseline
            lines.append(f"  {what:<{width}} {best[case]:>7.2f} s   adds {added:>6.2f} s = {added / baseline:>5.2f}x")
    return lines


def heading(threads: int, cycles: int) -> str:
    return (f"what each report adds to the run ({threads:,} threads x {cycles} cycles, rr, {workload.CPUS} CPUs; "
            f"CPU time, best of {REPEATS} in rounds, each in a fresh process; x: times the simulation's "
            "own):")  # fmt: skip


def main() -> None:
    if sys.argv[1:2] == ["run"]:
        case, threads, cycles = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        print(run_seconds(case, threads, cycles))
        return
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else SIZE[0]
    cycles = int(sys.argv[2]) if len(sys.argv) > 2 else SIZE[1]
    print(heading(threads, cycles), flush=True)
    print("\n".join(report(threads, cycles)))


if __name__ == "__main__":
    main()
