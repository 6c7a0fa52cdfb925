"""threadsim against OSTEP's cpu-sched-multi/multi.py (github.com/remzi-arpacidusseau/ostep-homework): per-CPU
queues (`-p`), with no peeking (`-P 0`) and with peeking (`-P N`).

`multi_py` below is a small implementation of multi.py's rules, tick by tick, written from its documented
behaviour (checked against the real program's `-c` answers, finish time and every CPU's utilization, on
generated workloads when this file was written). threadsim with the options docs/ostep.md names must give
the same answers on workloads generated the way multi.py generates them and on random ones.
tests/test_ostep.py covers the central queue without the cache model.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import pytest

from simulator import RunMetrics, load_scenario, parse_scenario, simulate
from tests.conftest import MS, ROOT

#: Chooses one of the other CPUs for a peek (multi.py: random.choice from its random stream).
Choose = Callable[[Sequence[int]], int]


@dataclass(frozen=True)
class MultiJob:
    """One multi.py job: `-L name:run_time:working_set_size`."""

    run: int
    working_set: int = 0


@dataclass(frozen=True)
class MultiAnswer:
    """multi.py -c: the finished time, and each CPU's ticks busy and busy with a warm cache."""

    finished: int
    busy: tuple[int, ...]
    warm: tuple[int, ...]


def multi_py(
    jobs: Sequence[MultiJob],
    cpus: int,
    quantum: int,
    *,
    per_cpu: bool = False,
    peek: int = 0,
    choose: Choose | None = None,
) -> MultiAnswer:
    """multi.py's rules, one tick at a time, at tick t:

    1. at every multiple of the quantum (t > 0), each CPU in order puts its running job at the back of its
       queue (the central queue, or with `-p` its own);
    2. with `-p` and `-P peek` > 0, at every multiple of `peek` (t > 0), each CPU whose queue is empty, in
       order, picks one other CPU (`choose`) and moves the first job of that CPU's queue to its own;
    3. each idle CPU, in order, takes the head of its queue;
    4. each running job does one unit of work; one that has none left ends (at t + 1), and its CPU is idle.

    With `-p`, the jobs are dealt to the CPUs' queues in job order at the start, job j to CPU j mod cpus.
    """
    left = [job.run for job in jobs]
    if per_cpu:
        queues: list[list[int]] = [[] for _ in range(cpus)]
        for job in range(len(jobs)):
            queues[job % cpus].append(job)
    else:
        shared = list(range(len(jobs)))
        queues = [shared] * cpus
    running: list[int | None] = [None] * cpus
    busy = [0] * cpus
    warm = [0] * cpus
    clock = finished = 0
    while finished < len(jobs):
        if clock and clock % quantum == 0:
            for cpu in range(cpus):
                job = running[cpu]
                if job is not None:
                    queues[cpu].append(job)
                    running[cpu] = None
        if per_cpu and peek and clock and clock % peek == 0:
            assert choose is not None
            for cpu in range(cpus):
                if not queues[cpu]:
                    donor = choose([other for other in range(cpus) if other != cpu])
                    if queues[donor]:
                        queues[cpu].append(queues[donor].pop(0))
        for cpu in range(cpus):
            if running[cpu] is None and queues[cpu]:
                running[cpu] = queues[cpu].pop(0)
        for cpu in range(cpus):
            job = running[cpu]
            if job is None:
                continue
            busy[cpu] += 1
            left[job] = max(0, left[job] - 1)
            if not left[job]:
                running[cpu] = None
                finished += 1
        clock += 1
    return MultiAnswer(clock, tuple(busy), tuple(warm))


def threadsims_choice(seed: int) -> Choose:
    """The other CPU threadsim's seeded chooser picks for a peek: its draw of one of the n others (none when
    there is only one), from random.Random(seed), in the order the peeks come. Giving the reference the
    same choices makes the comparison exact on any number of CPUs (multi.py's own draws come from its
    random stream, which threadsim does not share)."""
    rng = random.Random(seed)
    return lambda others: others[rng.randint(0, len(others) - 1) if len(others) > 1 else 0]


def multi_yaml(jobs: Sequence[MultiJob], cpus: int, quantum: int, *, per_cpu: bool = False, peek: int = 0) -> str:
    """The threadsim scenario for multi.py's flags: rr with the machine's timer; with `-p`, per-CPU queues that
    never balance and (`-P 0`) never steal or (`-P N`) peek every N."""
    machine = f"cpus: {cpus}, policy: {{name: rr, quantum: {quantum}, timer: global}}"
    if per_cpu:
        stealing = f"stealing: peek, peek_interval: {peek}" if peek else "stealing: never"
        machine += f", queues: per_cpu, balance_interval: 0, {stealing}"
    lines = [f"time_unit: ms\nmachine: {{{machine}}}\nthreads:"]
    lines += [f"  - {{name: J{index}, burst: {job.run}}}" for index, job in enumerate(jobs)]
    return "\n".join(lines) + "\n"


def answer(metrics: RunMetrics) -> MultiAnswer:
    """threadsim's figures as multi.py's: the end time, each CPU's busy time (and its warm time)."""
    busy = tuple(int(Fraction(cpu.busy, MS)) for cpu in metrics.cpu_stats)
    return MultiAnswer(int(Fraction(metrics.end_time, MS)), busy, (0,) * len(busy))


def threadsim_multi(
    jobs: Sequence[MultiJob], cpus: int, quantum: int, *, per_cpu: bool = False, peek: int = 0, seed: int = 0
) -> MultiAnswer:
    """threadsim's answer for the same jobs and flags."""
    scenario = parse_scenario(multi_yaml(jobs, cpus, quantum, per_cpu=per_cpu, peek=peek), "multi.yaml")
    return answer(simulate(scenario, seed=seed))


def random_jobs(rng: random.Random, most: int = 7, longest: int = 60) -> list[MultiJob]:
    """One to `most` - 1 jobs of random run times (1 to `longest` - 1) and working sets (0 to 190)."""
    return [MultiJob(rng.randrange(1, longest), rng.randrange(20) * 10) for _ in range(rng.randrange(1, most))]


def multi_py_jobs(seed: int, jobs: int = 3, max_run: int = 100, max_wset: int = 200) -> list[MultiJob]:
    """multi.py's random jobs (`-s seed -j jobs -R max_run -W max_wset`): run time, then working set, each
    int(random() * max / 10) * 10, from random.seed(seed)."""
    rng = random.Random(seed)
    result = []
    for _ in range(jobs):
        run = int((rng.random() * max_run) / 10.0) * 10
        result.append(MultiJob(run, int((rng.random() * max_wset) / 10.0) * 10))
    return result


# --------------------------------------------------------------------------------------------------------
# -p: per-CPU queues, -P 0 (no peeking) and -P N


def test_reference_deals_jobs_and_keeps_them_on_their_cpu() -> None:
    """`multi.py -n 2 -L a:10:0,b:30:0,c:30:0 -q 10 -p -P 0`: a and c on CPU 0, b on CPU 1; CPU 1 idles
    once b is done while CPU 0 still has c (no peeking): finished time 40, CPU 1 busy 30 of 40."""
    jobs = [MultiJob(10), MultiJob(30), MultiJob(30)]
    assert multi_py(jobs, 2, 10, per_cpu=True) == MultiAnswer(40, (40, 30), (0, 0))
    assert threadsim_multi(jobs, 2, 10, per_cpu=True) == MultiAnswer(40, (40, 30), (0, 0))


def test_per_cpu_queues_without_peeking_match() -> None:
    """`-p -P 0`, any run times, 1 to 4 CPUs, any quantum: the finish time and every CPU's busy time equal
    multi.py's, 200 workloads."""
    for seed in range(200):
        rng = random.Random(seed)
        quantum, cpus = rng.randrange(1, 15), rng.randrange(1, 5)
        jobs = random_jobs(rng, most=9)
        expected = multi_py(jobs, cpus, quantum, per_cpu=True)
        assert threadsim_multi(jobs, cpus, quantum, per_cpu=True) == expected, (seed, jobs, cpus, quantum)


@pytest.mark.parametrize("cpus", [2, 3, 4])
def test_per_cpu_queues_with_peeking_match(cpus: int) -> None:
    """`-p -P N`, any run times, quantum and peek interval (multiples of the quantum or not): the finish time
    and every CPU's busy time equal multi.py's when it peeks at the CPUs threadsim's seed draws (on two
    CPUs there is no choice), 150 workloads per CPU count."""
    for seed in range(150):
        rng = random.Random(seed)
        quantum, peek = rng.randrange(1, 12), rng.choice([rng.randrange(1, 40), 10, 30])
        jobs = random_jobs(rng, most=10)
        expected = multi_py(jobs, cpus, quantum, per_cpu=True, peek=peek, choose=threadsims_choice(seed))
        got = threadsim_multi(jobs, cpus, quantum, per_cpu=True, peek=peek, seed=seed)
        assert got == expected, (seed, jobs, quantum, peek)


def test_multi_py_random_jobs_with_peeking_match() -> None:
    """multi.py's own random jobs (`-j 6`, its zero-length ones left out) on 2 CPUs with its defaults `-q 10
    -P 30` and with `-P 0`."""
    for seed in range(100):
        jobs = [job for job in multi_py_jobs(seed, jobs=6) if job.run]
        for peek in (0, 30):
            expected = multi_py(jobs, 2, 10, per_cpu=True, peek=peek, choose=threadsims_choice(seed))
            assert threadsim_multi(jobs, 2, 10, per_cpu=True, peek=peek, seed=seed) == expected, (seed, peek)


def test_peeking_takes_a_job_off_its_cpu_at_a_timer_tick() -> None:
    """At a tick that is both the timer's and a peek's, multi.py has put every running job back in its queue
    before the peek: an idle CPU with an empty queue can take the job running alone on another.
    `multi.py -n 2 -q 10 -p -P 10 -L a:30:0,b:5:0 -r 1 -c`: b ends at 5 on CPU 1, and at 10 CPU 1 takes a
    from CPU 0 (whose queue holds only a then); at 20 CPU 0 takes it back and CPU 1, its queue empty now,
    takes it again. Finished time 30, utilizations 33.33 and 83.33."""
    jobs = [MultiJob(30), MultiJob(5)]
    expected = MultiAnswer(30, (10, 25), (0, 0))
    assert multi_py(jobs, 2, 10, per_cpu=True, peek=10, choose=threadsims_choice(0)) == expected
    assert threadsim_multi(jobs, 2, 10, per_cpu=True, peek=10) == expected
    assert threadsim_multi(jobs, 2, 10, per_cpu=True) == MultiAnswer(30, (30, 5), (0, 0))  # -P 0


def test_peeking_differs_from_stealing() -> None:
    """threadsim's default per-CPU rules (steal whenever a queue is empty, balance every 4 ms) are not
    multi.py's: some workloads end at another time under them."""
    differ = 0
    for seed in range(40):
        rng = random.Random(seed)
        jobs = random_jobs(rng, most=9)
        expected = multi_py(jobs, 2, 10, per_cpu=True)
        text = multi_yaml(jobs, 2, 10).replace("timer: global}", "timer: global}, queues: per_cpu")
        differ += answer(simulate(parse_scenario(text, "multi.yaml"))) != expected
    assert differ > 0


def test_per_cpu_scenario_is_multi_pys_answer() -> None:
    """scenarios/ostep-multi-per-cpu.yaml gives multi.py's answer for `-n 2 -q 10 -p -P 30 -L
    a:50:0,b:10:0,c:40:0,d:20:0 -r 1 -c` (finished time 60, both CPUs 100%), and with `stealing: never`
    its answer for `-P 0` (90; CPU 1 33.33%)."""
    jobs = [MultiJob(50), MultiJob(10), MultiJob(40), MultiJob(20)]
    assert multi_py(jobs, 2, 10, per_cpu=True, peek=30, choose=threadsims_choice(0)) == MultiAnswer(
        60, (60, 60), (0, 0)
    )
    assert multi_py(jobs, 2, 10, per_cpu=True) == MultiAnswer(90, (90, 30), (0, 0))
    path = ROOT / "scenarios" / "ostep-multi-per-cpu.yaml"
    assert answer(simulate(load_scenario(path))) == MultiAnswer(60, (60, 60), (0, 0))
    text = path.read_text(encoding="utf-8").replace("stealing: peek ", "stealing: never")
    assert answer(simulate(parse_scenario(text, "never.yaml"))) == MultiAnswer(90, (90, 30), (0, 0))
