"""Whole-process W1: `threadsim run W1.yaml --report json` as a user runs it (start-up, loading and checking
the YAML file, the run, the report), against SimPy's script of the same workload run as a program (start-up,
building, the run), each in a fresh process.

Each figure is the CPU time (user + system) of the child process, the fastest of REPEATS made in rounds
(threadsim once, then SimPy, each round), so that a slow spell of the shared machine falls on both alike.
The YAML file is bench.workload's W1 as a user writes it (`w1_yaml`).

`python -m bench.whole [THREADS CYCLES]` prints the comparison for one size.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile

from bench import workload

REPEATS = 3


def w1_yaml(threads: int, cycles: int) -> str:
    """W1 as a user writes it: one process declared with `count` copies arriving STAGGER apart (a file listing
    100,000 processes one by one would pass the loader's limit of 1,000,000 values); it runs as
    bench.workload._bench_scenario's one process per thread does (only the names differ)."""
    return (
        "name: bench\n"
        "time_unit: ns\n"
        "seed: 0\n"
        f"machine: {{cpus: {workload.CPUS}, policy: {{name: rr, quantum: {workload.QUANTUM}}}}}\n"
        "processes:\n"
        f"  - name: p\n"
        f"    count: {threads}\n"
        f"    interarrival: {workload.STAGGER}\n"
        "    threads:\n"
        "      - name: t\n"
        f"        program: [{{repeat: {{times: {cycles}, do: [{{compute: {workload.BURST}}}, "
        f"{{sleep: {workload.SLEEP}}}]}}}}]\n"
    )


def child_seconds(command: list[str]) -> float:
    """CPU seconds (user + system) of running `command` to its end, its output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed ({done.returncode}):\n{done.stderr}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compare(threads: int, cycles: int, repeats: int = REPEATS) -> tuple[float, float]:
    """(threadsim's, SimPy's) whole-process CPU seconds for W1 of this size, the fastest of `repeats`."""
    with tempfile.TemporaryDirectory(prefix="threadsim-bench-whole-") as folder:
        path = os.path.join(folder, "w1.yaml")
        with open(path, "w", encoding="utf-8") as file:
            file.write(w1_yaml(threads, cycles))
        threadsim = [sys.executable, "-m", "simulator", "run", path, "--report", "json"]
        simpy = [sys.executable, "-m", "bench.workload", "simpy", str(threads), str(cycles)]
        best = [float("inf"), float("inf")]
        for _ in range(repeats):
            for index, command in enumerate((threadsim, simpy)):
                best[index] = min(best[index], child_seconds(command))
    return best[0], best[1]


def print_whole(sizes: tuple[tuple[int, int], ...]) -> None:
    """The table `make bench` prints."""
    print(f"whole process, from the YAML file (`threadsim run W1.yaml --report json` against SimPy's script run "
          f"as a program), CPU seconds, fastest of {REPEATS}:")  # fmt: skip
    for threads, cycles in sizes:
        ours, theirs = compare(threads, cycles)
        print(f"  {threads:>7,} threads: threadsim {ours:6.2f} s, SimPy {theirs:6.2f} s: threadsim = "
              f"{theirs / ours:.2f}x SimPy")  # fmt: skip


if __name__ == "__main__":
    size = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (1_000, 165)
    print_whole((size,))
