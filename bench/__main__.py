"""`make bench`: the standard workload in threadsim, SimPy and a bare heapq loop, in one invocation.

Each measurement runs in its own Python process, so that peak memory (ru_maxrss) is that run's alone.
Figures are reported as ratios against the baselines measured in the same invocation: wall-clock speed
varies from machine to machine and from minute to minute, ratios much less.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

from bench import policies, startup, whole, workload

#: (threads, cycles): about one million events each.
SIZES = ((1_000, 165), (100_000, 2))
IMPLEMENTATIONS = ("heapq", "simpy", "threadsim")
#: Cycles giving about 1 and 10 million trace events with 1,000 threads.
STREAM_CYCLES = (137, 1370)
#: Requests of the M/M/1 queue measured (scenarios/mm1-queue.yaml at the size tests/test_queueing.py runs).
MM1_REQUESTS = 40_000


#: Each case is measured this many times, each time in a fresh process, and its fastest run kept (the least
#: disturbed by the rest of the machine, as timeit advises). The runs go in rounds, every case once per
#: round, so that a slow spell of this shared machine falls on all of them alike.
REPEATS = 5

#: A measurement: (implementation, threads, cycles).
Case = tuple[str, int, int]

#: The per-policy figure: ready-queue sizes, events each run aims at beyond the arrivals, and repeats (each
#: a fresh process per run, in rounds like the table's).
POLICY_SIZES = (100, 1_000, 10_000)
POLICY_EVENTS = 20_000
POLICY_REPEATS = 2


def run_once(impl: str, threads: int, cycles: int) -> dict[str, float] | None:
    """One run in a fresh process; None if the implementation is not installed."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.workload", impl, str(threads), str(cycles)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        if "No module named 'simpy'" in result.stderr:
            return None
        raise RuntimeError(f"{impl} failed:\n{result.stderr}")
    return dict(json.loads(result.stdout))


def measure(cases: list[Case], repeats: int = REPEATS) -> dict[Case, dict[str, float] | None]:
    """Each case's fastest of `repeats` runs (with the largest peak memory of them), run in rounds; None for
    a case whose implementation is not installed."""
    best: dict[Case, dict[str, float] | None] = {}
    peaks: dict[Case, float] = {}
    for _ in range(repeats):
        for case in cases:
            if case in best and best[case] is None:
                continue  # not installed
            run = run_once(*case)
            previous = best.get(case)
            if run is None or previous is None or run["run_seconds"] < previous["run_seconds"]:
                best[case] = run
            if run is not None:
                peaks[case] = max(peaks.get(case, 0.0), run["peak_mib"])
    return {case: None if result is None else result | {"peak_mib": peaks[case]} for case, result in best.items()}


def cpu_model() -> str:
    """The processor's name, where the OS says it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"


def main() -> None:
    print("threadsim benchmark: threads alternating 5 ms CPU bursts and 20 ms sleeps, RR quantum 2 ms, 4 CPUs")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
          f"Python {platform.python_version()}")  # fmt: skip
    print("events: dispatches + quantum expiries + wake-ups, counted by each implementation; rates exclude")
    print(f"building the model (its time is shown as setup); each row is the fastest of {REPEATS} runs, made in")
    print("rounds (every measurement once per round)", flush=True)
    print()
    header = f"{'threads':>8} {'impl':<10} {'events':>10} {'setup s':>8} {'run s':>7} {'events/s':>10} {'peak MiB':>9}"
    print(header)
    # The table's cases, and threadsim with twice the cycles for the per-event figure.
    cases = [(impl, threads, cycles) for threads, cycles in SIZES for impl in IMPLEMENTATIONS]
    doubled = {threads: ("threadsim", threads, 2 * cycles) for threads, cycles in SIZES}
    results = measure(cases + list(doubled.values()))
    rates: dict[tuple[str, int], float] = {}
    threadsim_runs: dict[int, dict[str, float]] = {}  # threadsim's result at each size
    for impl, threads, cycles in cases:
        result = results[impl, threads, cycles]
        if result is None:
            print(f"{threads:>8} {impl:<10} (not installed: pip install 'threadsim[bench]')")
            continue
        rate = result["events"] / result["run_seconds"]
        rates[impl, threads] = rate
        if impl == "threadsim":
            threadsim_runs[threads] = result
        print(f"{threads:>8} {impl:<10} {int(result['events']):>10,} {result['setup_seconds']:>8.2f} "
              f"{result['run_seconds']:>7.2f} {rate / 1e6:>9.3f}M {result['peak_mib']:>9.1f}")  # fmt: skip
    print()
    print("ratios (events per second):")
    for threads, _ in SIZES:
        ours = rates["threadsim", threads]
        bases = [base for base in ("simpy", "heapq") if (base, threads) in rates]
        parts = [f"{ours / rates[base, threads]:.2f}x {base}" for base in bases]
        print(f"  {threads:>7} threads: threadsim = " + ", ".join(parts))
    small, large = (rates["threadsim", threads] for threads, _ in SIZES)
    baseline = ""
    if all(("heapq", threads) in rates for threads, _ in SIZES):
        heap_small, heap_large = (rates["heapq", threads] for threads, _ in SIZES)
        baseline = f" (the bare heapq loop: {heap_large / heap_small:.2f}x)"
    print(f"  threadsim at {SIZES[1][0]:,} threads runs at {large / small:.2f}x its speed at {SIZES[0][0]:,}{baseline}")
    marginal = {threads: marginal_rate(threadsim_runs[threads], results[doubled[threads]]) for threads, _ in SIZES}
    small, large = (marginal[threads] for threads, _ in SIZES)
    print(f"  per event beyond each thread's arrival and end (the events and time that twice the cycles add): "
          f"{small / 1e6:.3f}M and {large / 1e6:.3f}M events/s, {large / small:.2f}x")  # fmt: skip
    print()
    if all(("simpy", threads) in rates for threads, _ in SIZES):
        whole.print_whole(SIZES)
        print()
    print("streaming the .jsonl event log (1,000 threads; trace events, peak memory of the whole process):")
    for cycles in STREAM_CYCLES:
        case = ("threadsim-jsonl", 1_000, cycles)
        result = measure([case], repeats=1)[case]
        assert result is not None
        print(f"  {int(result['events']):>11,} events in {result['run_seconds']:6.1f} s, "
              f"peak {result['peak_mib']:6.1f} MiB")  # fmt: skip
    print()
    print_policy_costs()
    print_race_detector_cost()
    print_report_costs()
    print()
    case = ("threadsim-mm1", MM1_REQUESTS, 1)
    queue = measure([case], repeats=3)[case]
    assert queue is not None
    print(f"an M/M/1 queue of {MM1_REQUESTS:,} requests (scenarios/mm1-queue.yaml: replicas, exponential draws, "
          f"a span each), fastest of 3:")  # fmt: skip
    print(f"  build {queue['setup_seconds']:.2f} s, run {queue['run_seconds']:.2f} s "
          f"({int(queue['events']):,} engine events), peak {queue['peak_mib']:.1f} MiB")  # fmt: skip
    print()
    rate, schedules = exploration_rate()
    print("exploring scenarios/counter-incr.yaml (2 threads x 10 increments), random strategy, one process:")
    print(f"  {schedules:,} schedules at {rate:,.0f} schedules per second; one plain simulate of the same "
          f"scenario: {plain_run_seconds() * 1e3:.2f} ms")  # fmt: skip
    print()
    print("cost against simulated time (engine callbacks, one thread computing alone beside a short one):")
    for burst in ("10", "1000000000000"):
        print(f"  compute {burst:>13} ms under RR: {cost_in_events(burst):>3} events")
    print()
    startup.print_startup()


def run_policy_once(policy: str, threads: int, cycles: int) -> tuple[float, float]:
    """(events, CPU seconds) of one bench.policies run, in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.policies", policy, str(threads), str(cycles)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"policy {policy} failed:\n{result.stderr}")
    figures = json.loads(result.stdout)
    return float(figures["events"]), float(figures["run_seconds"])


def policy_costs() -> dict[tuple[str, int], float]:
    """CPU seconds per event of each policy at each ready-queue size: the run with twice the cycles minus
    the run with the cycles (arrivals and model building cancel), each the fastest of POLICY_REPEATS
    rounds (the difference of two fastest runs: the least of differences would favour a disturbed run)."""
    fastest: dict[tuple[str, int, int], tuple[float, float]] = {}
    for _ in range(POLICY_REPEATS):
        for threads in POLICY_SIZES:
            cycles = max(1, POLICY_EVENTS // threads)
            for policy in policies.POLICY_SETTINGS:
                for run_cycles in (cycles, 2 * cycles):
                    events, seconds = run_policy_once(policy, threads, run_cycles)
                    previous = fastest.get((policy, threads, run_cycles))
                    if previous is None or seconds < previous[1]:
                        fastest[policy, threads, run_cycles] = (events, seconds)
    costs: dict[tuple[str, int], float] = {}
    for threads in POLICY_SIZES:
        cycles = max(1, POLICY_EVENTS // threads)
        for policy in policies.POLICY_SETTINGS:
            events, seconds = fastest[policy, threads, cycles]
            twice_events, twice_seconds = fastest[policy, threads, 2 * cycles]
            costs[policy, threads] = max(twice_seconds - seconds, 1e-9) / (twice_events - events)
    return costs


def print_policy_costs() -> None:
    """The per-policy table: cost per event at each size, growth from the smallest size, and against rr."""
    small, large = POLICY_SIZES[0], POLICY_SIZES[-1]
    print(f"each policy with {', '.join(f'{size:,}' for size in POLICY_SIZES)} threads ready on {policies.CPUS} CPUs "
          f"(bursts then yields; CPU time per event beyond the arrivals, best of {POLICY_REPEATS}):")  # fmt: skip
    costs = policy_costs()
    header = "".join(f"{f'{size:,}':>10}" for size in POLICY_SIZES)
    print(f"  {'policy':<9}{header}   {f'{large:,}/{small:,}':>12} {'x rr':>6}")
    for policy in policies.POLICY_SETTINGS:
        cells = "".join(f"{costs[policy, size] * 1e6:>8.2f}us" for size in POLICY_SIZES)
        growth = costs[policy, large] / costs[policy, small]
        against_rr = costs[policy, large] / costs["rr", large]
        print(f"  {policy:<9}{cells}   {growth:>11.2f}x {against_rr:>5.2f}x")


def print_race_detector_cost() -> None:
    """What the race detector costs a mutex-heavy run, against the same run without it (bench.races)."""
    from bench import races

    print()
    print("the race detector, " + races.heading(*races.SIZE))
    print("\n".join(races.report(*races.SIZE)), flush=True)


def print_report_costs() -> None:
    """What the text report, the JSON report and each timeline format add to the run (bench.reports)."""
    from bench import reports

    print()
    print(reports.heading(*reports.SIZE))
    print("\n".join(reports.report(*reports.SIZE)), flush=True)


def marginal_rate(once: dict[str, float], twice: dict[str, float] | None) -> float:
    """threadsim's events per second counting only what the run `twice` (with twice the cycles) adds to the
    run `once`: the events of a thread's arrival and end (which the count leaves out) cancel."""
    assert twice is not None
    return (twice["events"] - once["events"]) / (twice["run_seconds"] - once["run_seconds"])


def exploration_rate(schedules: int = 4000) -> tuple[float, int]:
    """Schedules per second exploring the lost-update counter in this process (best of three)."""
    import time
    from pathlib import Path

    from simulator.exploration.explorer import Explorer
    from simulator.exploration.tokens import scenario_hash
    from simulator.scenario.loader import load_scenario

    path = str(Path(__file__).resolve().parent.parent / "scenarios" / "counter-incr.yaml")
    explorer = Explorer(path, load_scenario(path), scenario_hash(path))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        explorer.explore_seeds("random", schedules, 0)
        best = min(best, time.perf_counter() - start)
    return schedules / best, schedules


def plain_run_seconds(repeats: int = 200) -> float:
    """The time of one plain `simulate` of the counter explored above (best of `repeats`), in this process: the
    floor under the cost of an explored schedule."""
    import time
    from pathlib import Path

    from simulator.scenario.loader import load_scenario
    from simulator.simulation import simulate

    scenario = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "counter-incr.yaml")
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        simulate(scenario)
        best = min(best, time.perf_counter() - start)
    return best


def cost_in_events(burst: str) -> int:
    """Engine callbacks for a thread computing `burst` ms while another arrives and leaves."""
    from simulator import parse_scenario
    from simulator.model.kernel import Kernel

    kernel = Kernel(parse_scenario(
        f"machine: {{policy: {{name: rr, quantum: 4}}}}\n"
        f"threads: [{{name: A, burst: {burst}}}, {{name: B, burst: 1, arrival: 2}}]\n"
    ), seed=0)  # fmt: skip
    kernel.run()
    return kernel.engine.events


if __name__ == "__main__":
    assert workload.CPUS == 4
    main()
