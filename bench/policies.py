"""The per-policy measurement of `make bench`: what one scheduling decision costs as the ready queue grows.

`threads` CPU-bound threads share 4 CPUs, so that all but four are ready at any moment. Each thread repeats
`cycles` times: compute 0.25 ms (shorter than every policy's slice), then yield, so that every policy makes
the same events: one dispatch per burst, each after a thread joined the ready queue (and, for preemptive
policies, a preemption check on every CPU).
Priorities, tickets and nice values vary from thread to thread, so that ordered policies have real work to
do. Events are counted as in bench.workload (dispatches, preemptions, wake-ups); a thread's yield is a
dispatch too.

A figure is *per event beyond the arrivals*: the run with `2 * cycles` minus the run with `cycles`, in CPU
time (process_time, not the wall clock), so that building the threads and their first insertion cancel.

Run one measurement: `python -m bench.policies POLICY THREADS CYCLES`; it prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time

CPUS = 4
BURST = 250_000  # ns

#: The policies measured, as `--policy` texts: every registered policy, with its time-dependent options on.
POLICY_SETTINGS = {
    "fcfs": "fcfs",
    "rr": "rr",
    "sjf": "sjf",
    "srtf": "srtf",
    "priority": "priority:aging=1",
    "mlfq": "mlfq:growth=2,boost=100",
    "lottery": "lottery",
    "stride": "stride",
    "cfs": "cfs",
}


def scenario(policy: str, threads: int, cycles: int):  # type: ignore[no-untyped-def]
    """The workload as a Scenario (times in ms in `policy`)."""
    from simulator import Compute, MachineSpec, ProcessSpec, Repeat, Scenario, ThreadSpec, Yield, parse_policy_text

    program = (Repeat(cycles, (Compute(BURST), Yield())),)
    specs = tuple(
        ThreadSpec(f"t{i}", f"p{i}", 0, program, priority=i % 8, tickets=10 * (i % 10 + 1), nice=i % 11 - 5)
        for i in range(threads)
    )
    return Scenario(
        name="bench-policies",
        time_unit="ms",
        seed=0,
        machine=MachineSpec(cpus=CPUS, policy=parse_policy_text(POLICY_SETTINGS[policy], "ms")),
        processes=tuple(ProcessSpec(spec.process, 0, (spec,)) for spec in specs),
    )


def run(policy: str, threads: int, cycles: int) -> tuple[int, float]:
    """(events, CPU seconds of the run, model building excluded)."""
    from simulator.model.kernel import Kernel

    kernel = Kernel(scenario(policy, threads, cycles), seed=0, max_steps=None)
    start = time.process_time()
    kernel.run()
    seconds = time.process_time() - start
    assert kernel.complete
    preemptions = sum(thread.involuntary_switches for thread in kernel.threads)
    return kernel.dispatches + preemptions + kernel.wakeups, seconds


def main() -> None:
    policy, threads, cycles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    events, seconds = run(policy, threads, cycles)
    print(json.dumps({"policy": policy, "threads": threads, "events": events, "run_seconds": seconds}))


if __name__ == "__main__":
    main()
