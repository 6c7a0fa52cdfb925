"""What the race detector costs a run: mutex-heavy threads (round robin, 4 CPUs), each cycle taking one mutex
for a 1 ms burst, then computing 4 ms and sleeping 20 ms, all threads of one process sharing the mutex.

Three detectors (simulator.analysis.races, `MODE`): none at all (the baseline), the run's own (vector clocks
only once some access could race) and clocks from the start (what every run paid before). Without shared
memory the run's own detector never starts; with a counter incremented under the mutex (`shared`) it must
run, and costs what the clocks cost: a handed-over mutex joins a clock with an entry per thread.

`python -m bench.races [THREADS [CYCLES]]` prints the CPU time of each run (best of 5, each in a fresh process,
made in rounds, as `make bench` measures everything; building the kernel not counted) and the ratios
against no detector.
`python -m bench.races run MODE SHARED THREADS CYCLES` (SHARED 0 or 1) prints one run's CPU seconds.
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench.workload import BURST, CPUS, QUANTUM, SLEEP, STAGGER
from simulator import Compute, Lock, MachineSpec, PolicySpec, ProcessSpec, Repeat, Scenario, Sleep, ThreadSpec, Unlock
from simulator.analysis import races
from simulator.model.kernel import Kernel
from simulator.program.expressions import Number
from simulator.program.operations import Incr
from simulator.scenario.model import SyncSpec

REPEATS = 5
#: (threads, cycles) that `make bench` measures: about 180,000 engine events (220,000 with the counter).
SIZE = (1_000, 20)
#: The detectors measured: (MODE, what the report calls it).
MODES = (("none", "no detector"), ("lazy", "the detector"), ("eager", "clocks from the start"))
HOLD = 1_000_000  # ns


def scenario(threads: int, cycles: int, shared: bool) -> Scenario:
    """The threads, each `cycles` times: lock m, 1 ms (incrementing the shared counter if `shared`), unlock
    m, the rest of a 5 ms burst, a 20 ms sleep."""
    critical = (Compute(HOLD), Incr("counter", Number(1))) if shared else (Compute(HOLD),)
    program = (Repeat(cycles, (Lock("m"), *critical, Unlock("m"), Compute(BURST - HOLD), Sleep(SLEEP))),)
    members = tuple(ThreadSpec(f"t{k}", "p", k * STAGGER, program) for k in range(threads))
    process = ProcessSpec("p", 0, members, memory=(("counter", 0),), sync=(SyncSpec("m", "mutex"),))
    return Scenario("bench-races", "ms", 0, MachineSpec(CPUS, PolicySpec("rr", (("quantum", QUANTUM),))), (process,))


def run_seconds(threads: int, cycles: int, shared: bool, mode: str) -> float:
    """CPU seconds of one run with the detector `mode` (building the kernel not counted)."""
    previous, races.MODE = races.MODE, mode
    try:
        kernel = Kernel(scenario(threads, cycles, shared), seed=0, max_steps=None)
    finally:
        races.MODE = previous
    start = time.process_time()
    kernel.run()
    seconds = time.process_time() - start
    assert kernel.complete and not kernel.races.races
    return seconds


def run_once(threads: int, cycles: int, shared: bool, mode: str) -> float:
    """`run_seconds` in a fresh process."""
    command = [sys.executable, "-m", "bench.races", "run", mode, str(int(shared)), str(threads), str(cycles)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"bench.races {mode} failed:\n{result.stderr}")
    return float(result.stdout)


def measure(threads: int, cycles: int, repeats: int = REPEATS) -> dict[tuple[bool, str], float]:
    """The fastest of `repeats` runs of each case, (shared, mode), made in rounds (every case once a round)."""
    cases = [(shared, mode) for shared in (False, True) for mode, _ in MODES]
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(repeats):
        for shared, mode in cases:
            best[shared, mode] = min(best[shared, mode], run_once(threads, cycles, shared, mode))
    return best


def report(threads: int, cycles: int, repeats: int = REPEATS) -> list[str]:
    """The lines `make bench` and `python -m bench.races` print."""
    best = measure(threads, cycles, repeats)
    lines = []
    for shared, what in ((False, "no shared memory"), (True, "a counter incremented under the mutex")):
        baseline = best[shared, "none"]
        cells = ", ".join(f"{name} {best[shared, mode]:.2f} s ({best[shared, mode] / baseline:.2f}x)"
                          for mode, name in MODES)  # fmt: skip
        lines.append(f"  {what}: {cells}")
    return lines


def heading(threads: int, cycles: int) -> str:
    return f"{threads:,} threads x {cycles} cycles sharing one mutex, rr, {CPUS} CPUs; CPU time, best of {REPEATS}:"


def main() -> None:
    if sys.argv[1:2] == ["run"]:
        mode, shared, threads, cycles = sys.argv[2], sys.argv[3] == "1", int(sys.argv[4]), int(sys.argv[5])
        print(run_seconds(threads, cycles, shared, mode))
        return
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else SIZE[0]
    cycles = int(sys.argv[2]) if len(sys.argv) > 2 else SIZE[1]
    print(heading(threads, cycles))
    print("\n".join(report(threads, cycles)))


if __name__ == "__main__":
    main()
