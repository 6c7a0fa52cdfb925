"""The GIL convoy measured the way issue 14 measured real CPython 3.11: an I/O-bound thread beside one, two or
three CPU-bound threads of one Python process, with the I/O thread's time per operation and its GIL waits
(how long each lasted, and how many times the GIL passed between other threads meanwhile)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from simulator import TraceEvent, simulate
from simulator.scenario.loader import parse_scenario

US = 1_000
MS = 1_000_000


def convoy_yaml(cpu_bound: int, interval_ms: float, operations: int, version: str = "3.11") -> str:
    """The workload: `operations` of 1.5 ms of I/O then 10 us of Python (L + c = 1.51 ms, what the issue's
    6.51 ms prediction at the default 5 ms interval implies), beside `cpu_bound` threads that compute for
    longer than that; one CPU per thread, so waits are the GIL's, not the OS's."""
    work = int(operations * (1.51 + 3 * interval_ms) * 1000) + 1
    threads = "\n".join(f"      - {{name: cpu{k}, burst: {work}}}" for k in range(1, cpu_bound + 1))
    return f"""\
name: gil-convoy-{cpu_bound}
time_unit: us
machine: {{cpus: {cpu_bound + 1}, policy: fcfs}}
processes:
  - name: server
    gil: {{switch_interval: {int(interval_ms * 1000)}, version: "{version}"}}
    threads:
      - name: io
        program: [repeat: {{times: {operations}, do: [io: 1500, compute: 10]}}]
{threads}
"""


@dataclass
class Convoy:
    """The I/O thread's figures in one run."""

    per_operation: float  # ms
    waits: list[float]  # ms, each GIL wait of the I/O thread
    passes: list[int]  # hand-overs between other threads during each wait


class _Watcher:
    """Follows the I/O thread's GIL waits through the trace."""

    def __init__(self) -> None:
        self.start: int | None = None
        self.passes = 0
        self.waits: list[float] = []
        self.counts: list[int] = []
        self.io_done: int | None = None

    def __call__(self, event: TraceEvent) -> None:
        details = dict(event.details)
        if event.event == "block" and event.thread == "io" and "GIL" in str(details.get("reason", "")):
            if self.start is None:
                self.start, self.passes = event.time, 0
        elif event.event == "gil" and details.get("action") == "take":
            if event.thread == "io":
                if self.start is not None:
                    self.waits.append((event.time - self.start) / MS)
                    self.counts.append(self.passes)
                self.start = None
            elif self.start is not None:
                self.passes += 1
        elif event.event == "exit" and event.thread == "io":
            self.io_done = event.time


def run_convoy(cpu_bound: int, interval_ms: float, operations: int, seed: int) -> Convoy:
    """One run of the convoy workload with `seed`."""
    watcher = _Watcher()
    metrics = simulate(parse_scenario(convoy_yaml(cpu_bound, interval_ms, operations)), seed=seed,
                       listeners=[watcher])  # fmt: skip
    io = next(t for t in metrics.threads if t.name == "io")
    assert io.completion is not None
    return Convoy(io.completion / MS / operations, watcher.waits, watcher.counts)


def summary(cpu_bound: int, interval_ms: float, operations: int, seeds: range) -> dict[str, float]:
    """Over `seeds`: mean ms per operation, and the I/O thread's median and worst GIL wait (ms) and the share
    of its waits in which the GIL passed between other threads more than twice."""
    runs = [run_convoy(cpu_bound, interval_ms, operations, seed) for seed in seeds]
    waits = [w for run in runs for w in run.waits]
    passes = [p for run in runs for p in run.passes]
    return {
        "per_operation": statistics.fmean(run.per_operation for run in runs),
        "median_wait": statistics.median(waits),
        "worst_wait": max(waits),
        "passed_over": sum(p > 2 for p in passes) / len(passes),
        "most_passes": max(passes),
    }


#: Issue 14's measurements on real CPython 3.11 (the one-thread figure at the default 5 ms interval, the
#: three-thread figures at 20 ms); "" where none was measured.
MEASURED = {
    (1, 5): ("6.48", "", "", ""),
    (3, 20): ("", "151", "719", "52%"),
}


def convoy_table(seeds: range = range(10), operations: int = 100) -> str:
    """The table docs/policies.md shows: the model's convoy figures beside the measured ones."""
    header = (
        "cpu-bound",
        "interval",
        "ms/op",
        "median wait",
        "worst wait",
        "waits passed >2",
        "CPython 3.11: ms/op / median / worst / passed",
    )
    rows = []
    for interval in (5, 20):
        for cpu_bound in (1, 2, 3):
            f = summary(cpu_bound, interval, operations, seeds)
            measured = MEASURED.get((cpu_bound, interval))
            rows.append((str(cpu_bound), f"{interval} ms", f"{f['per_operation']:.2f}", f"{f['median_wait']:.1f}",
                         f"{f['worst_wait']:.1f}", f"{100 * f['passed_over']:.0f}%",
                         " / ".join(m or "-" for m in measured) if measured else ""))  # fmt: skip
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in (header, *rows)) + "\n"  # fmt: skip
