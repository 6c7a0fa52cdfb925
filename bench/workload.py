"""The standard benchmark workload, written three ways.

Threads alternate CPU bursts and sleeps under round robin on 4 CPUs. Each implementation counts the same
model events: dispatches (a CPU given to a thread), quantum expiries (a thread preempted) and wake-ups.

Each `run_*` builds its model (timed as setup), then simulates (timed as the run) and returns
(events, setup seconds, run seconds). Events per second are events / run seconds.

Run one measurement: `python -m bench.workload IMPL THREADS CYCLES`; it prints one JSON line.
"""

from __future__ import annotations

import heapq
import json
import resource
import sys
import time
from collections import deque

CPUS = 4
QUANTUM = 2_000_000  # ns
BURST = 5_000_000
SLEEP = 20_000_000
STAGGER = 10_000  # arrivals 10 us apart


def run_threadsim(threads: int, cycles: int) -> tuple[int, float, float]:
    """threadsim, with its metrics (always on)."""
    from simulator.model.kernel import Kernel

    start = time.perf_counter()
    scenario = _bench_scenario(threads, cycles)
    kernel = Kernel(scenario, seed=0, max_steps=None)
    ready = time.perf_counter()
    kernel.run()
    done = time.perf_counter()
    assert kernel.complete
    preemptions = sum(thread.involuntary_switches for thread in kernel.threads)
    return kernel.dispatches + preemptions + kernel.wakeups, ready - start, done - ready


def run_threadsim_mm1(requests: int, cycles: int) -> tuple[int, float, float]:
    """threadsim on scenarios/mm1-queue.yaml with `requests` requests (`cycles` is not used): replicas,
    exponential draws and a span per request. Counts engine callbacks (arrivals, service ends, CPU steps)."""
    from pathlib import Path

    import attrs

    from simulator.model.kernel import Kernel
    from simulator.scenario.loader import load_scenario

    start = time.perf_counter()
    scenario = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "mm1-queue.yaml")
    process = scenario.processes[0]
    request = attrs.evolve(process.threads[0], count=requests)
    scenario = attrs.evolve(scenario, processes=(attrs.evolve(process, threads=(request,)),))
    kernel = Kernel(scenario, seed=scenario.seed, max_steps=None)
    ready = time.perf_counter()
    kernel.run()
    done = time.perf_counter()
    assert kernel.complete and len(kernel.spans["response"]) == requests
    return kernel.engine.events, ready - start, done - ready


def run_threadsim_jsonl(threads: int, cycles: int) -> tuple[int, float, float]:
    """threadsim writing the `.jsonl` event log to a temporary file; counts trace events, not model events."""
    import tempfile

    from simulator.analysis.metrics import collect_metrics
    from simulator.output.event_log import EventLogWriter
    from simulator.output.timeline import TimelineInfo

    start = time.perf_counter()
    scenario = _bench_scenario(threads, cycles)
    info = TimelineInfo("bench", "ms", CPUS, tuple((t.name, t.process) for t in scenario.threads()))
    with tempfile.TemporaryDirectory() as folder, open(f"{folder}/events.jsonl", "w", encoding="utf-8") as stream:
        writer = EventLogWriter(stream, info)
        counted = [0]

        def listener(event: object) -> None:
            counted[0] += 1
            writer(event)  # type: ignore[arg-type]

        from simulator.model.kernel import Kernel

        kernel = Kernel(scenario, seed=0, max_steps=None, listeners=[listener])
        ready = time.perf_counter()
        kernel.run()
        writer.close(collect_metrics(kernel, seed=0))
        stream.flush()
        done = time.perf_counter()
    return counted[0], ready - start, done - ready


def _bench_scenario(threads: int, cycles: int):  # type: ignore[no-untyped-def]
    from simulator import Compute, MachineSpec, PolicySpec, ProcessSpec, Repeat, Scenario, Sleep, ThreadSpec

    program = (Repeat(cycles, (Compute(BURST), Sleep(SLEEP))),)
    return Scenario(
        name="bench",
        time_unit="ms",
        seed=0,
        machine=MachineSpec(cpus=CPUS, policy=PolicySpec("rr", (("quantum", QUANTUM),))),
        processes=tuple(
            ProcessSpec(f"p{i}", i * STAGGER, (ThreadSpec(f"t{i}", f"p{i}", i * STAGGER, program),))
            for i in range(threads)
        ),
    )


def run_simpy(threads: int, cycles: int) -> tuple[int, float, float]:
    """SimPy 4: the CPUs are a Resource; a thread releases it at the end of each quantum."""
    import simpy

    start = time.perf_counter()
    env = simpy.Environment()
    cpu = simpy.Resource(env, capacity=CPUS)
    counts = [0]

    def thread(arrival: int):  # type: ignore[no-untyped-def]
        yield env.timeout(arrival)
        for _ in range(cycles):
            remaining = BURST
            while remaining:
                with cpu.request() as request:
                    yield request
                    counts[0] += 1  # dispatch
                    slice_ = min(QUANTUM, remaining)
                    yield env.timeout(slice_)
                    remaining -= slice_
                    if remaining:
                        counts[0] += 1  # quantum expiry
            yield env.timeout(SLEEP)
            counts[0] += 1  # wake-up

    for i in range(threads):
        env.process(thread(i * STAGGER))
    ready = time.perf_counter()
    env.run()
    return counts[0], ready - start, time.perf_counter() - ready


def run_heapq(threads: int, cycles: int) -> tuple[int, float, float]:
    """A bare heapq loop written for just this workload: the floor for Python."""
    start = time.perf_counter()
    heap: list[tuple[int, int, int, int]] = []  # (time, kind, sequence, thread)
    ready: deque[int] = deque()
    remaining = [BURST] * threads
    cycles_left = [cycles] * threads
    running: list[int] = [-1] * CPUS
    idle = list(range(CPUS))
    sequence = 0
    events = 0
    WAKE, SLICE_END = 0, 1
    for i in range(threads):
        heap.append((i * STAGGER, WAKE, i, i))
    heapq.heapify(heap)
    sequence = threads
    cpu_of = [0] * threads
    ready_at = time.perf_counter()
    while heap:
        now, kind, _, thread = heapq.heappop(heap)
        if kind == WAKE:
            events += thread >= 0 and cycles_left[thread] < cycles
            ready.append(thread)
        else:
            cpu = cpu_of[thread]
            run = min(QUANTUM, remaining[thread])
            remaining[thread] -= run
            running[cpu] = -1
            idle.append(cpu)
            if remaining[thread]:
                events += 1
                ready.append(thread)
            else:
                cycles_left[thread] -= 1
                remaining[thread] = BURST
                if cycles_left[thread]:
                    sequence += 1
                    heapq.heappush(heap, (now + SLEEP, WAKE, sequence, thread))
        if heap and heap[0][0] == now:
            continue  # dispatch after everything else at this instant
        idle.sort()
        while idle and ready:
            cpu = idle.pop(0)
            thread = ready.popleft()
            running[cpu] = thread
            cpu_of[thread] = cpu
            events += 1
            sequence += 1
            heapq.heappush(heap, (now + min(QUANTUM, remaining[thread]), SLICE_END, sequence, thread))
    return events, ready_at - start, time.perf_counter() - ready_at


IMPLEMENTATIONS = {
    "threadsim": run_threadsim,
    "simpy": run_simpy,
    "heapq": run_heapq,
    "threadsim-jsonl": run_threadsim_jsonl,
    "threadsim-mm1": run_threadsim_mm1,
}


def main() -> None:
    impl, threads, cycles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    events, setup, run = IMPLEMENTATIONS[impl](threads, cycles)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"impl": impl, "threads": threads, "events": events, "setup_seconds": setup,
                      "run_seconds": run, "peak_mib": peak_kib / 1024}))  # fmt: skip


if __name__ == "__main__":
    main()
