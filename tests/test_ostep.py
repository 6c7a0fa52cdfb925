"""threadsim against the OSTEP homework simulators (github.com/remzi-arpacidusseau/ostep-homework).

Each test generates workloads the way one OSTEP program does (its random rules, re-implemented here from
its documented behaviour, not copied), computes the program's `-c` answers with a small reference
implementation of its textbook rules, and checks that threadsim's run of the same workload gives the same
figures. docs/ostep.md explains each correspondence and what threadsim cannot express.
"""

from __future__ import annotations

import bisect
import random
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import pytest
from click.testing import CliRunner

from simulator import RunMetrics, load_scenario, parse_scenario, simulate
from simulator.cli import main
from tests.conftest import MS, ROOT

# --------------------------------------------------------------------------------------------------------
# Shared helpers


def run_text(text: str, *, seed: int | None = None) -> RunMetrics:
    """Run a scenario given as YAML text (times in ms)."""
    return simulate(parse_scenario(text, "ostep.yaml"), seed=seed)


def burst_threads(lengths: Sequence[int | Fraction], *, extra: str = "") -> str:
    """The `threads:` section for CPU-only jobs J0, J1, ... of the given lengths, arriving at 0."""
    lines = [f"  - {{name: J{index}, burst: {length}{extra}}}" for index, length in enumerate(lengths)]
    return "threads:\n" + "\n".join(lines) + "\n"


def in_ms(value: int | None) -> Fraction:
    """A metric (ns) in ms, exactly."""
    assert value is not None, "the job did not finish"
    return Fraction(value, MS)


# --------------------------------------------------------------------------------------------------------
# cpu-sched/scheduler.py: FIFO, SJF and RR on jobs that all arrive at 0


def scheduler_jobs(seed: int, jobs: int, maxlen: int) -> list[int]:
    """scheduler.py's random job list: each length is int(maxlen * random()) + 1, from random.seed(seed)."""
    rng = random.Random(seed)
    return [int(maxlen * rng.random()) + 1 for _ in range(jobs)]


@dataclass(frozen=True)
class JobFigures:
    """The three figures scheduler.py prints for each job."""

    response: Fraction
    turnaround: Fraction
    wait: Fraction


def scheduler_reference(lengths: Sequence[int], policy: str, quantum: int = 1) -> list[JobFigures]:
    """scheduler.py's answers: FIFO in job order, SJF a stable sort by length (ties keep job order), RR a
    queue where a job that used its quantum goes to the back; wait is the time spent in the queue."""
    count = len(lengths)
    if policy in ("FIFO", "SJF"):
        order = sorted(range(count), key=lambda job: lengths[job]) if policy == "SJF" else list(range(count))
        figures: dict[int, JobFigures] = {}
        clock = 0
        for job in order:
            figures[job] = JobFigures(Fraction(clock), Fraction(clock + lengths[job]), Fraction(clock))
            clock += lengths[job]
        return [figures[job] for job in range(count)]
    assert policy == "RR"
    left = list(lengths)
    first: dict[int, int] = {}
    done: dict[int, int] = {}
    last_ran = [0] * count
    waited = [0] * count
    queue = list(range(count))
    clock = 0
    while queue:
        job = queue.pop(0)
        first.setdefault(job, clock)
        waited[job] += clock - last_ran[job]
        ran = min(quantum, left[job])
        left[job] -= ran
        clock += ran
        last_ran[job] = clock
        if left[job]:
            queue.append(job)
        else:
            done[job] = clock
    return [JobFigures(Fraction(first[job]), Fraction(done[job]), Fraction(waited[job])) for job in range(count)]


THREADSIM_POLICY = {"FIFO": "fcfs", "SJF": "sjf", "RR": "{name: rr, quantum: %d}"}


def threadsim_scheduler(lengths: Sequence[int], policy: str, quantum: int = 1) -> list[JobFigures]:
    """threadsim's figures for the same jobs: one CPU, no context-switch cost, all arriving at 0."""
    name = THREADSIM_POLICY[policy] % quantum if policy == "RR" else THREADSIM_POLICY[policy]
    metrics = run_text(f"time_unit: ms\nmachine: {{cpus: 1, policy: {name}}}\n" + burst_threads(lengths))
    return [
        JobFigures(in_ms(thread.response), in_ms(thread.turnaround), in_ms(thread.waiting))
        for thread in metrics.threads
    ]


@pytest.mark.parametrize(
    ("jobs", "maxlen", "quantum"),
    [(3, 10, 1), (5, 10, 2), (4, 30, 5), (8, 10, 3), (2, 100, 7)],
)
@pytest.mark.parametrize("policy", ["FIFO", "SJF", "RR"])
def test_scheduler_py_figures_match_for_many_seeds(policy: str, jobs: int, maxlen: int, quantum: int) -> None:
    """Every job's response, turnaround and wait equal scheduler.py's -c answers, seeds 0-59."""
    for seed in range(60):
        lengths = scheduler_jobs(seed, jobs, maxlen)
        expected = scheduler_reference(lengths, policy, quantum)
        assert threadsim_scheduler(lengths, policy, quantum) == expected, (policy, seed, lengths)


def test_scheduler_py_ties_keep_job_order() -> None:
    """Equal lengths: SJF and RR keep scheduler.py's job order (job 0 before job 1)."""
    lengths = [4, 2, 4, 2]
    for policy in ("SJF", "RR"):
        assert threadsim_scheduler(lengths, policy, 3) == scheduler_reference(lengths, policy, 3)
    assert [figure.response for figure in threadsim_scheduler(lengths, "SJF")] == [4, 0, 8, 2]


def test_scheduler_job_generation_is_scheduler_pys() -> None:
    """The generator gives scheduler.py's job list: `-s 0` is 9, 8, 5 and `-s 1` is 2, 9, 8 (its output)."""
    assert scheduler_jobs(0, 3, 10) == [9, 8, 5]
    assert scheduler_jobs(1, 3, 10) == [2, 9, 8]


# --------------------------------------------------------------------------------------------------------
# cpu-intro/process-run.py: CPU and I/O instructions, default rules (SWITCH_ON_IO, IO_RUN_LATER)

CPU, IO = "cpu", "io"


def process_run_programs(seed: int, descriptions: Sequence[tuple[int, int]]) -> list[list[str]]:
    """process-run.py's `-l X:Y,...` programs: each of X instructions is a CPU one when random() < Y/100,
    otherwise an I/O; one random.seed(seed) stream, process after process."""
    rng = random.Random(seed)
    return [[CPU if rng.random() < percent / 100 else IO for _ in range(count)] for count, percent in descriptions]


@dataclass(frozen=True)
class ProcessRunAnswer:
    """process-run.py -c -p: the tick each process ends at, the total time and the CPU-busy ticks."""

    done: tuple[int, ...]
    total: int
    cpu_busy: int


SWITCH_ON_IO, SWITCH_ON_END = "SWITCH_ON_IO", "SWITCH_ON_END"
IO_RUN_LATER, IO_RUN_IMMEDIATE = "IO_RUN_LATER", "IO_RUN_IMMEDIATE"


def process_run_reference(
    programs: Sequence[Sequence[str]], io_length: int, switch: str = SWITCH_ON_IO, io_done: str = IO_RUN_LATER
) -> ProcessRunAnswer:
    """process-run.py's rules, one instruction per tick: a CPU instruction takes a tick; an I/O takes a
    tick to issue, is in flight for `io_length` ticks, then takes one more tick (its completion is handled
    by the process, `io_done`). Each tick, first the I/Os that end then make their processes ready (in
    process order); then the current process, if running, executes one instruction.

    - `-S SWITCH_ON_IO`: the CPU changes process when the running one issues an I/O or ends, to the next
      ready process after it in process order, wrapping around; `SWITCH_ON_END` only when it ends: while
      its I/O is in flight the CPU is idle.
    - `-I IO_RUN_LATER`: a process whose I/O ended waits its turn, unless nothing else can run (or, under
      SWITCH_ON_END, it is the current process): then it runs at once; `IO_RUN_IMMEDIATE`: it runs at
      once, and the running process becomes ready."""
    code = [
        [step for instruction in program for step in ([CPU] if instruction == CPU else [IO, "io_done"])]
        for program in programs
    ]
    count = len(code)
    state = ["READY"] * count
    io_done_at: dict[int, list[int]] = {}
    done = [0] * count
    current, state[0] = 0, "RUNNING"
    clock = cpu_busy = 0

    def run(pid: int) -> None:
        nonlocal current
        current, state[pid] = pid, "RUNNING"

    def next_process() -> None:
        for pid in [*range(current + 1, count), *range(current + 1)]:
            if state[pid] == "READY":
                run(pid)
                return

    def runnable() -> int:
        return sum(s in ("READY", "RUNNING") for s in state)

    def end_if_done() -> None:
        if not code[current] and state[current] == "RUNNING":
            state[current] = "DONE"
            next_process()

    while any(s != "DONE" for s in state):
        clock += 1
        for pid in sorted(io_done_at.pop(clock, [])):
            state[pid] = "READY"
            if io_done == IO_RUN_IMMEDIATE:
                if current != pid and state[current] == "RUNNING":
                    state[current] = "READY"
                run(pid)
            else:
                if switch == SWITCH_ON_END and runnable() > 1:
                    run(pid)
                if runnable() == 1:
                    run(pid)
            end_if_done()
        instruction = ""
        if state[current] == "RUNNING" and code[current]:
            instruction = code[current].pop(0)
            cpu_busy += 1
            if not code[current]:
                done[current] = clock
        if instruction == IO:
            state[current] = "BLOCKED"
            io_done_at.setdefault(clock + io_length + 1, []).append(current)
            if switch == SWITCH_ON_IO:
                next_process()
        end_if_done()
    return ProcessRunAnswer(tuple(done), clock, cpu_busy)


#: process-run.py's flags as fcfs's parameters (docs/policies.md).
PROCESS_RUN_SWITCH = {SWITCH_ON_IO: "", SWITCH_ON_END: ", io_wait: hold"}
PROCESS_RUN_IO_DONE = {IO_RUN_LATER: "", IO_RUN_IMMEDIATE: ", wakeup: preempt"}


def process_run_policy(switch: str = SWITCH_ON_IO, io_done: str = IO_RUN_LATER, order: str = "cyclic") -> str:
    """The fcfs policy with process-run.py's rules for its `-S` and `-I` flags."""
    return f"{{name: fcfs, order: {order}{PROCESS_RUN_SWITCH[switch]}{PROCESS_RUN_IO_DONE[io_done]}}}"


def process_run_yaml(programs: Sequence[Sequence[str]], io_length: int, io: str = "io", policy: str = "fcfs") -> str:
    """The threadsim scenario: one thread per process under `policy`; a CPU instruction is `compute: 1`, an
    I/O is `compute: 1` (issuing it), `io: L`, `compute: 1` (handling its completion)."""
    lines = ["time_unit: ms", f"machine: {{cpus: 1, policy: {policy}}}", "threads:"]
    for pid, program in enumerate(programs):
        steps: list[str] = []
        for instruction in program:
            steps += ["compute: 1"] if instruction == CPU else ["compute: 1", f"{io}: {io_length}", "compute: 1"]
        lines.append(f"  - name: PID{pid}")
        lines.append("    program: [" + ", ".join("{" + step + "}" for step in steps) + "]")
    return "\n".join(lines) + "\n"


def threadsim_process_run(
    programs: Sequence[Sequence[str]], io_length: int, io: str = "io", policy: str = "fcfs"
) -> ProcessRunAnswer:
    """threadsim's figures for the same programs."""
    metrics = run_text(process_run_yaml(programs, io_length, io, policy))
    done = tuple(int(in_ms(thread.completion)) for thread in metrics.threads)
    busy = sum(cpu.busy for cpu in metrics.cpu_stats)
    return ProcessRunAnswer(done, int(in_ms(metrics.end_time)), int(in_ms(busy)))


PROCESS_RUN_WORKLOADS = [
    (((5, 50), (5, 50)), 5),
    (((4, 100), (1, 0)), 5),
    (((3, 30), (6, 70), (4, 50)), 3),
    (((8, 20), (8, 80), (5, 50), (3, 0)), 4),
    (((10, 60), (10, 60)), 1),
    (((6, 40), (6, 40), (6, 40)), 7),
    (((6, 40), (6, 40)), 0),
]


@pytest.mark.parametrize(("descriptions", "io_length"), PROCESS_RUN_WORKLOADS)
def test_process_run_py_default_rules_match_for_many_seeds(
    descriptions: tuple[tuple[int, int], ...], io_length: int
) -> None:
    """Each process's end, the total time and CPU busy equal process-run.py -c -p's, seeds 0-39: under plain
    fcfs, and under `order: cyclic` (process-run.py's own order)."""
    for seed in range(40):
        programs = process_run_programs(seed, descriptions)
        expected = process_run_reference(programs, io_length)
        assert threadsim_process_run(programs, io_length) == expected, (seed, programs)
        assert threadsim_process_run(programs, io_length, policy=process_run_policy()) == expected, (seed, programs)


@pytest.mark.parametrize(("descriptions", "io_length"), PROCESS_RUN_WORKLOADS)
@pytest.mark.parametrize(
    ("switch", "io_done"),
    [(SWITCH_ON_IO, IO_RUN_IMMEDIATE), (SWITCH_ON_END, IO_RUN_LATER), (SWITCH_ON_END, IO_RUN_IMMEDIATE)],
)
def test_process_run_py_flags_match_for_many_seeds(
    descriptions: tuple[tuple[int, int], ...], io_length: int, switch: str, io_done: str
) -> None:
    """`-S SWITCH_ON_END` (fcfs `io_wait: hold`) and `-I IO_RUN_IMMEDIATE` (`wakeup: preempt`), alone and
    together, with `order: cyclic`: each process's end, the total time and CPU busy equal process-run.py's,
    seeds 0-39."""
    policy = process_run_policy(switch, io_done)
    for seed in range(40):
        programs = process_run_programs(seed, descriptions)
        expected = process_run_reference(programs, io_length, switch, io_done)
        assert threadsim_process_run(programs, io_length, policy=policy) == expected, (seed, programs)


def test_process_run_py_immediate_needs_the_cyclic_order() -> None:
    """Under `-I IO_RUN_IMMEDIATE` a preempted process waits beside the others, and process-run.py scans
    them from the current process on: the ready-longest order (`order: fifo`) picks another process in
    some workloads, `order: cyclic` in none."""
    fifo = process_run_policy(io_done=IO_RUN_IMMEDIATE, order="fifo")
    differ = 0
    for seed in range(40):
        programs = process_run_programs(seed, ((6, 40), (6, 40), (6, 40)))
        expected = process_run_reference(programs, 2, io_done=IO_RUN_IMMEDIATE)
        differ += threadsim_process_run(programs, 2, policy=fifo) != expected
    assert differ > 0


def test_process_run_py_switch_on_end_is_io_as_computation() -> None:
    """-S SWITCH_ON_END's timing is also that of I/O modelled as computation: the ends and the total time
    equal process-run.py's, but CPU busy then counts the I/O ticks too (`io_wait: hold` counts them idle)."""
    for seed in range(60):
        programs = process_run_programs(seed, ((5, 50), (4, 30), (6, 70)))
        expected = process_run_reference(programs, 4, SWITCH_ON_END)
        got = threadsim_process_run(programs, 4, io="compute")
        ios = sum(program.count(IO) for program in programs)
        assert (got.done, got.total, got.cpu_busy) == (expected.done, expected.total, expected.cpu_busy + 4 * ios), seed


def test_process_run_immediate_scenario_is_process_run_pys_answer() -> None:
    """scenarios/ostep-process-run-immediate.yaml gives process-run.py's answer for `-l 3:0,5:100,5:100 -L 3
    -I IO_RUN_IMMEDIATE -c -p`: ends 15, 8 and 16, total time 16, CPU busy 16."""
    programs = [[IO] * 3, [CPU] * 5, [CPU] * 5]
    expected = ProcessRunAnswer((15, 8, 16), 16, 16)
    assert process_run_reference(programs, 3, io_done=IO_RUN_IMMEDIATE) == expected
    metrics = simulate(load_scenario(ROOT / "scenarios" / "ostep-process-run-immediate.yaml"))
    done = tuple(int(in_ms(thread.completion)) for thread in metrics.threads)
    assert ProcessRunAnswer(done, int(in_ms(metrics.end_time)), int(in_ms(metrics.cpu_stats[0].busy))) == expected


def test_process_run_homework_example() -> None:
    """`process-run.py -l 1:0,4:100 -c -p`: total time 7, CPU busy 6; the I/O process ends at 7."""
    programs = [[IO], [CPU] * 4]
    assert process_run_reference(programs, 5) == ProcessRunAnswer((7, 5), 7, 6)
    assert threadsim_process_run(programs, 5) == ProcessRunAnswer((7, 5), 7, 6)


# --------------------------------------------------------------------------------------------------------
# cpu-sched-lottery/lottery.py: the same distributions (threadsim draws from its own seeded generator)


def lottery_jobs(seed: int, jobs: int = 3, maxlen: int = 10, maxticket: int = 100) -> list[tuple[int, int]]:
    """lottery.py's random jobs (length, tickets): each drawn as int(max * random()) until nonzero."""
    rng = random.Random(seed)
    result = []
    for _ in range(jobs):
        length = tickets = 0
        while length == 0:
            length = int(maxlen * rng.random())
        while tickets == 0:
            tickets = int(maxticket * rng.random())
        result.append((length, tickets))
    return result


def lottery_reference(jobs: Sequence[tuple[int, int]], rng: random.Random) -> list[int]:
    """lottery.py's rules with quantum 1: each tick, r = int(random() * 1000001) and ticket r % total picks
    the job holding it (jobs in order, a finished job's tickets withdrawn); the winner runs one tick.
    Returns each job's completion time."""
    left = [length for length, _ in jobs]
    tickets = [count for _, count in jobs]
    done = [0] * len(jobs)
    clock = 0
    while any(left):
        winner = int(rng.random() * 1000001) % sum(tickets)
        job = 0
        while winner >= tickets[job]:
            winner -= tickets[job]
            job += 1
        left[job] -= 1
        clock += 1
        if not left[job]:
            done[job], tickets[job] = clock, 0
    return done


def lottery_yaml(jobs: Sequence[tuple[int, int]]) -> str:
    """The threadsim scenario: lottery with a 1 ms quantum, one thread per job with its tickets."""
    lines = ["time_unit: ms", "machine: {cpus: 1, policy: {name: lottery, quantum: 1}}", "threads:"]
    for index, (length, count) in enumerate(jobs):
        lines.append(f"  - {{name: J{index}, burst: {length}, tickets: {count}}}")
    return "\n".join(lines) + "\n"


def ks_distance(first: Sequence[int], second: Sequence[int]) -> float:
    """Two-sample Kolmogorov-Smirnov distance: the largest gap between the empirical distribution functions."""
    a, b = sorted(first), sorted(second)
    values = sorted(set(a) | set(b))
    return max(abs(bisect.bisect_right(a, x) / len(a) - bisect.bisect_right(b, x) / len(b)) for x in values)


def lottery_distances(jobs: Sequence[tuple[int, int]], seeds: int, reference_runs: int) -> list[float]:
    """Per job, the KS distance between threadsim's completion times over `seeds` seeds and the reference's
    over `reference_runs` runs (a larger reference sample, so that its own noise hardly counts)."""
    scenario = parse_scenario(lottery_yaml(jobs), "lottery.yaml")
    ours = [[int(in_ms(t.completion)) for t in simulate(scenario, seed=seed).threads] for seed in range(seeds)]
    rng = random.Random(20_240_101)
    theirs = [lottery_reference(jobs, rng) for _ in range(reference_runs)]
    return [ks_distance([run[job] for run in ours], [run[job] for run in theirs]) for job in range(len(jobs))]


#: lottery.py -s 0, -s 1 and -s 2 -j 4, its homework's unfair pair, and a fair pair.
LOTTERY_WORKLOADS = [
    lottery_jobs(0),
    lottery_jobs(1),
    lottery_jobs(2, jobs=4),
    [(10, 1), (10, 100)],
    [(8, 50), (8, 50)],
]


@pytest.mark.parametrize("jobs", LOTTERY_WORKLOADS, ids=str)
def test_lottery_py_distributions_agree_fast(jobs: list[tuple[int, int]]) -> None:
    """Each job's completion time has lottery.py's distribution: KS distance <= 0.12 at 200 seeds."""
    assert max(lottery_distances(jobs, 200, 5000)) <= 0.12


@pytest.mark.parametrize("jobs", LOTTERY_WORKLOADS[:3], ids=str)
def test_lottery_py_distributions_agree_1000_seeds(jobs: list[tuple[int, int]]) -> None:
    """Each job's completion time has lottery.py's distribution: KS distance <= 0.05 at 1000 seeds."""
    assert max(lottery_distances(jobs, 1000, 10_000)) <= 0.05


def test_lottery_ks_check_can_fail() -> None:
    """The check detects a wrong distribution: fair tickets against 1:100 tickets are far apart."""
    scenario = parse_scenario(lottery_yaml([(10, 50), (10, 50)]), "lottery.yaml")
    ours = [int(in_ms(simulate(scenario, seed=seed).threads[0].completion)) for seed in range(200)]
    rng = random.Random(7)
    theirs = [lottery_reference([(10, 1), (10, 100)], rng)[0] for _ in range(2000)]
    assert ks_distance(ours, theirs) > 0.5


# --------------------------------------------------------------------------------------------------------
# cpu-sched-multi/multi.py: one central queue, no cache speed-up (-r 1)


def multi_jobs(seed: int, jobs: int = 3, max_run: int = 100) -> list[int]:
    """multi.py's random run times, int(random() * max_run / 10) * 10 (each job's working set, drawn next
    from the same stream, does not matter without the cache speed-up)."""
    rng = random.Random(seed)
    result = []
    for _ in range(jobs):
        result.append(int((rng.random() * max_run) / 10.0) * 10)
        rng.random()  # the working-set size
    return result


def multi_reference(run_times: Sequence[int], cpus: int, quantum: int, rate: int = 1) -> tuple[int, tuple[int, ...]]:
    """multi.py's central-queue rules, tick by tick: at every multiple of the quantum, every running job
    goes to the back of the queue (CPU 0's first); then each idle CPU, in CPU order, takes the queue's
    head; each running job does `rate` units of work (1: a cold cache, or `-r 1`; with `-w 0` and a cache
    that holds every working set, `-r` from the first tick). Returns the finish time and each CPU's busy
    ticks."""
    left = list(run_times)
    queue = list(range(len(run_times)))
    running: list[int | None] = [None] * cpus
    busy = [0] * cpus
    clock = finished = 0
    while finished < len(run_times):
        if clock and clock % quantum == 0:
            for cpu in range(cpus):
                job = running[cpu]
                if job is not None:
                    queue.append(job)
                    running[cpu] = None
        for cpu in range(cpus):
            if running[cpu] is None and queue:
                running[cpu] = queue.pop(0)
        for cpu in range(cpus):
            job = running[cpu]
            if job is not None:
                busy[cpu] += 1
                left[job] = max(0, left[job] - rate)
                if left[job] == 0:
                    running[cpu] = None
                    finished += 1
        clock += 1
    return clock, tuple(busy)


def multi_yaml(run_times: Sequence[int], cpus: int, quantum: int, timer: str = "dispatch") -> str:
    """The threadsim scenario: `cpus` CPUs sharing one rr queue with the same quantum (`timer: global`: the
    quantum is the machine's timer, as in multi.py)."""
    policy = f"{{name: rr, quantum: {quantum}, timer: {timer}}}"
    return f"time_unit: ms\nmachine: {{cpus: {cpus}, policy: {policy}}}\n" + burst_threads(run_times)


def threadsim_multi(
    run_times: Sequence[int], cpus: int, quantum: int, timer: str = "dispatch"
) -> tuple[int, tuple[int, ...]]:
    """threadsim's end time and per-CPU busy time."""
    metrics = run_text(multi_yaml(run_times, cpus, quantum, timer))
    return int(in_ms(metrics.end_time)), tuple(int(in_ms(cpu.busy)) for cpu in metrics.cpu_stats)


def multiples(rng: random.Random, quantum: int, most: int = 7) -> list[int]:
    """Between one and six run times, each a multiple of `quantum`."""
    return [quantum * rng.randrange(1, most) for _ in range(rng.randrange(1, 7))]


def test_multi_py_finish_time_matches_when_slices_stay_on_the_timer() -> None:
    """Run times that are multiples of -q, 1 to 4 CPUs, -r 1: threadsim ends at multi.py's finish time."""
    for seed in range(150):
        rng = random.Random(seed)
        quantum, cpus = rng.randrange(1, 15), rng.randrange(1, 5)
        run_times = multiples(rng, quantum)
        assert threadsim_multi(run_times, cpus, quantum)[0] == multi_reference(run_times, cpus, quantum)[0], seed


def test_multi_py_random_jobs_match_with_the_default_quantum() -> None:
    """multi.py's own random jobs (multiples of 10; the zero-length ones left out) with -q 10 -r 1."""
    for seed in range(100):
        run_times = [time for time in multi_jobs(seed, jobs=4) if time]
        for cpus in (1, 2, 3):
            if run_times:
                expected = multi_reference(run_times, cpus, 10)[0]
                assert threadsim_multi(run_times, cpus, 10)[0] == expected, (seed, cpus)


def test_multi_py_one_cpu_matches_exactly() -> None:
    """One CPU, any run times and quantum: the finish time and the CPU's busy time equal multi.py's."""
    for seed in range(150):
        rng = random.Random(seed)
        run_times, quantum = [rng.randrange(1, 60) for _ in range(rng.randrange(1, 7))], rng.randrange(1, 15)
        assert threadsim_multi(run_times, 1, quantum) == multi_reference(run_times, 1, quantum), seed


def test_multi_py_warm_from_the_start_is_a_shorter_job() -> None:
    """`-w 0` with a cache holding every working set: a job of run time R runs ceil(R / r) ticks, so
    threadsim with those bursts ends at multi.py's finish time."""
    for seed in range(100):
        rng = random.Random(seed)
        quantum, cpus, rate = rng.randrange(1, 10), rng.randrange(1, 4), rng.randrange(2, 4)
        run_times = [time * rate - rng.randrange(rate) for time in multiples(rng, quantum, 6)]
        shorter = [-(-time // rate) for time in run_times]
        expected = multi_reference(run_times, cpus, quantum, rate)[0]
        assert threadsim_multi(shorter, cpus, quantum)[0] == expected, seed


def test_multi_py_global_timer_moves_jobs_between_cpus() -> None:
    """multi.py's timer re-queues every running job at once, so when a CPU falls idle the jobs shift CPUs:
    with rr's `timer: global` threadsim does the same; with its own timer per dispatch the finish time
    agrees but the per-CPU busy times do not."""
    run_times = [14, 28, 28]
    assert multi_reference(run_times, 3, 14) == (28, (28, 28, 14))
    assert threadsim_multi(run_times, 3, 14, "global") == (28, (28, 28, 14))
    assert threadsim_multi(run_times, 3, 14) == (28, (14, 28, 28))


def test_multi_py_global_timer_matches_for_any_run_times() -> None:
    """rr with `timer: global`: any run times (not only multiples of -q), 1 to 4 CPUs, -r 1: the finish
    time and every CPU's busy time equal multi.py's."""
    for seed in range(200):
        rng = random.Random(seed)
        quantum, cpus = rng.randrange(1, 15), rng.randrange(1, 5)
        run_times = [rng.randrange(1, 60) for _ in range(rng.randrange(1, 8))]
        expected = multi_reference(run_times, cpus, quantum)
        assert threadsim_multi(run_times, cpus, quantum, "global") == expected, (seed, run_times, cpus, quantum)


# --------------------------------------------------------------------------------------------------------
# docs/ostep.md: its threadsim samples are real

SAMPLE = re.compile(r"```\n\$ threadsim (.*?)\n(.*?)```", flags=re.DOTALL)


def samples() -> list[tuple[str, str]]:
    """Each `$ threadsim ...` block of docs/ostep.md: the command line and the output shown."""
    return SAMPLE.findall((ROOT / "docs" / "ostep.md").read_text(encoding="utf-8"))


def test_ostep_md_has_a_sample_for_each_program() -> None:
    """docs/ostep.md shows threadsim's output for each of the five OSTEP programs' scenarios."""
    commands = " ".join(command for command, _ in samples())
    for name in ("scheduler", "process-run", "lottery", "mlfq", "multi"):
        assert f"scenarios/ostep-{name}.yaml" in commands


@pytest.mark.parametrize(("command", "shown"), samples(), ids=[command for command, _ in samples()])
def test_ostep_md_samples_are_real_output(command: str, shown: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each sample is threadsim's output: all of it, or, where lines `...` mark an excerpt, each part in
    order."""
    monkeypatch.chdir(ROOT)
    output = CliRunner().invoke(main, shlex.split(command)).output
    lines = shown.splitlines()
    if "..." not in lines:
        assert output == shown, f"docs/ostep.md: the output of 'threadsim {command}' changed"
        return
    parts: list[list[str]] = [[]]
    for line in lines:
        if line == "...":
            parts.append([])
        else:
            parts[-1].append(line)
    position = 0
    for part in ("\n".join(part) for part in parts if part):
        found = output.find(part, position)
        assert found >= 0, f"docs/ostep.md: 'threadsim {command}' no longer prints:\n{part}"
        position = found + len(part)
