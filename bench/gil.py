"""What the GIL costs a run: the standard workload (round robin, 4 CPUs, threads alternating 5 ms bursts
and 20 ms sleeps) without a GIL and with Python processes of 1, 10 and all the threads.

`python -m bench.gil [THREADS [CYCLES]]` prints, per case, the CPU time of the run (best of 3, building the
kernel not counted), its model events (dispatches, preemptions, wake-ups) and the cost per event, with the
ratios against the same threads without a GIL. A GIL that is contended changes the run (more hand-overs,
more events, a longer run), so the whole-run ratio says what a user waits and the per-event ratio what
each event costs.
"""

from __future__ import annotations

import sys
import time

from bench.workload import BURST, CPUS, QUANTUM, SLEEP, STAGGER
from simulator import Compute, MachineSpec, PolicySpec, ProcessSpec, Repeat, Scenario, Sleep, ThreadSpec
from simulator.model.kernel import Kernel

REPEATS = 3


def scenario(threads: int, cycles: int, per_process: int, gil: bool) -> Scenario:
    """The workload with the threads grouped `per_process` to a process, each with a GIL if `gil`."""
    program = (Repeat(cycles, (Compute(BURST), Sleep(SLEEP))),)
    processes = []
    for p in range(threads // per_process):
        first = p * per_process
        members = tuple(ThreadSpec(f"t{first + k}", f"p{p}", (first + k) * STAGGER, program)
                        for k in range(per_process))  # fmt: skip
        processes.append(ProcessSpec(f"p{p}", first * STAGGER, members, gil=5_000_000 if gil else None))
    return Scenario("bench-gil", "ms", 0, MachineSpec(CPUS, PolicySpec("rr", (("quantum", QUANTUM),))),
                    tuple(processes))  # fmt: skip


def measure(threads: int, cycles: int, per_process: int, gil: bool) -> tuple[float, int]:
    """(best CPU seconds of the run, model events)."""
    best = float("inf")
    events = 0
    for _ in range(REPEATS):
        kernel = Kernel(scenario(threads, cycles, per_process, gil), seed=0, max_steps=None)
        start = time.process_time()
        kernel.run()
        best = min(best, time.process_time() - start)
        assert kernel.complete
        events = kernel.dispatches + sum(t.involuntary_switches for t in kernel.threads) + kernel.wakeups
    return best, events


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    cycles = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    print(
        f"{threads} threads x {cycles} cycles, rr {QUANTUM // 1_000_000} ms, {CPUS} CPUs; CPU time, best of {REPEATS}"
    )
    print(f"{'threads per process':>20}  {'GIL':>3}  {'run s':>7}  {'events':>9}  {'us/event':>8}  "
          f"{'run ratio':>9}  {'event ratio':>11}")  # fmt: skip
    for per_process in (1, 10, threads):
        plain, plain_events = measure(threads, cycles, per_process, False)
        for gil in (False, True):
            seconds, events = (plain, plain_events) if not gil else measure(threads, cycles, per_process, True)
            per_event = seconds / events * 1e6
            print(f"{per_process:>20}  {'yes' if gil else 'no':>3}  {seconds:7.3f}  {events:9}  {per_event:8.2f}  "
                  f"{seconds / plain:9.2f}  {per_event / (plain / plain_events * 1e6):11.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
