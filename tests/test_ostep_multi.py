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

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import InputErrors, Scenario, load_scenario, parse_scenario, simulate
from simulator.model.kernel import Kernel
from simulator.scenario.model import CacheSpec
from tests.conftest import MS, ROOT
from tests.test_properties import US, LiveTimesChecker, assert_times_match_the_trace, compute_bounds, scenarios

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
    cache_size: int = 100,
    warmup: int = 10,
    warm_rate: int = 1,
) -> MultiAnswer:
    """multi.py's rules, one tick at a time, at tick t:

    1. at every multiple of the quantum (t > 0), each CPU in order puts its running job at the back of its
       queue (the central queue, or with `-p` its own);
    2. with `-p` and `-P peek` > 0, at every multiple of `peek` (t > 0), each CPU whose queue is empty, in
       order, picks one other CPU (`choose`) and moves the first job of that CPU's queue to its own;
    3. each idle CPU, in order, takes the head of its queue (a job new to that CPU's cache starts warming
       up there, or with `-w 0` is warm there at once);
    4. each running job does `warm_rate` units of work if warm on its CPU, else one (at least nothing is
       left); a job warming up there has one tick less to go, and once it has none it is warm there, the
       most recently warmed: while the working sets warm there exceed `cache_size`, the least recently
       warmed job (this one last) is evicted and warms up from `warmup` again; a job with no work left
       ends (at t + 1), and its CPU is idle.

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
    cached: list[list[int]] = [[] for _ in range(cpus)]  # warm there, most recently warmed first
    warming: list[dict[int, int]] = [{} for _ in range(cpus)]  # ticks still to run there to be warm

    def warmed(cpu: int, job: int) -> None:
        warming[cpu].pop(job, None)
        cached[cpu].insert(0, job)
        while sum(jobs[other].working_set for other in cached[cpu]) > cache_size:
            warming[cpu][cached[cpu].pop()] = warmup

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
                job = running[cpu] = queues[cpu].pop(0)
                if job not in cached[cpu] and job not in warming[cpu]:
                    if warmup:
                        warming[cpu][job] = warmup
                    else:
                        warmed(cpu, job)
        for cpu in range(cpus):
            job = running[cpu]
            if job is None:
                continue
            rate = warm_rate if job in cached[cpu] else 1
            busy[cpu] += 1
            warm[cpu] += rate > 1
            left[job] = max(0, left[job] - rate)
            if job in warming[cpu]:
                warming[cpu][job] -= 1
                if warming[cpu][job] <= 0:
                    warmed(cpu, job)
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


#: multi.py's cache flags `-M`, `-w`, `-r` (None: `-r 1`, no cache model needed).
Cache = tuple[int, int, int] | None


def multi_yaml(
    jobs: Sequence[MultiJob], cpus: int, quantum: int, *, per_cpu: bool = False, peek: int = 0, cache: Cache = None
) -> str:
    """The threadsim scenario for multi.py's flags: rr with the machine's timer; with `-p`, per-CPU queues that
    never balance and (`-P 0`) never steal or (`-P N`) peek every N; with a cache, multi.py's cache model on
    its 1 ms clock (`tick: 1`), each thread with its job's working set."""
    machine = f"cpus: {cpus}, policy: {{name: rr, quantum: {quantum}, timer: global}}"
    if per_cpu:
        stealing = f"stealing: peek, peek_interval: {peek}" if peek else "stealing: never"
        machine += f", queues: per_cpu, balance_interval: 0, {stealing}"
    if cache is not None:
        size, warmup, rate = cache
        machine += f", cache: {{size: {size}, warmup: {warmup}, warm_rate: {rate}, tick: 1}}"
    lines = [f"time_unit: ms\nmachine: {{{machine}}}\nthreads:"]
    lines += [
        f"  - {{name: J{index}, burst: {job.run}, working_set: {job.working_set}}}" for index, job in enumerate(jobs)
    ]
    return "\n".join(lines) + "\n"


def run_kernel(text: str, seed: int = 0) -> Kernel:
    """A kernel that ran the scenario (its caches' warm time is not a report figure)."""
    kernel = Kernel(parse_scenario(text, "multi.yaml"), seed=seed)
    kernel.run()
    return kernel


def answer(kernel: Kernel) -> MultiAnswer:
    """threadsim's figures as multi.py's: the end time, each CPU's busy time and its time busy warm."""
    busy = tuple(int(Fraction(cpu.busy, MS)) for cpu in kernel.cpus)
    warm = kernel.caches.warm_time if kernel.caches is not None else [0] * len(busy)
    return MultiAnswer(int(Fraction(kernel.end_time, MS)), busy, tuple(int(Fraction(time, MS)) for time in warm))


def threadsim_multi(
    jobs: Sequence[MultiJob],
    cpus: int,
    quantum: int,
    *,
    per_cpu: bool = False,
    peek: int = 0,
    cache: Cache = None,
    seed: int = 0,
) -> MultiAnswer:
    """threadsim's answer for the same jobs and flags."""
    return answer(run_kernel(multi_yaml(jobs, cpus, quantum, per_cpu=per_cpu, peek=peek, cache=cache), seed))


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
        differ += answer(run_kernel(text)) != expected
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
    kernel = Kernel(load_scenario(path), seed=0)
    kernel.run()
    assert answer(kernel) == MultiAnswer(60, (60, 60), (0, 0))
    text = path.read_text(encoding="utf-8").replace("stealing: peek ", "stealing: never")
    assert answer(run_kernel(text)) == MultiAnswer(90, (90, 30), (0, 0))


# --------------------------------------------------------------------------------------------------------
# -M, -w, -r: the cache model (`machine.cache`, each thread's `working_set`)


def random_cache(rng: random.Random) -> tuple[int, int, int]:
    """multi.py's cache flags `-M` (size), `-w` (warm-up ticks) and `-r` (warm rate), drawn."""
    return rng.choice([50, 100, 200, 1000]), rng.choice([0, 1, 5, 10]), rng.choice([1, 2, 3])


def test_cache_model_matches_for_random_workloads() -> None:
    """multi.py's cache model, any `-M`, `-w` and `-r`, with the central queue or `-p` (with or without
    peeking), 1 to 4 CPUs, any quantum: the finish time and every CPU's busy and warm time equal multi.py's,
    400 workloads."""
    for seed in range(400):
        rng = random.Random(seed)
        cpus, quantum = rng.randrange(1, 5), rng.randrange(1, 12)
        jobs = random_jobs(rng, most=8)
        per_cpu = rng.random() < 0.5
        peek = rng.choice([0, rng.randrange(1, 40), 30]) if per_cpu and cpus > 1 else 0
        size, warmup, rate = cache = random_cache(rng)
        expected = multi_py(jobs, cpus, quantum, per_cpu=per_cpu, peek=peek, choose=threadsims_choice(seed),
                            cache_size=size, warmup=warmup, warm_rate=rate)  # fmt: skip
        got = threadsim_multi(jobs, cpus, quantum, per_cpu=per_cpu, peek=peek, cache=cache, seed=seed)
        assert got == expected, (seed, jobs, cpus, quantum, per_cpu, peek, cache)


def test_multi_py_random_jobs_with_its_defaults_match() -> None:
    """multi.py's own random jobs (`-j 4`, its zero-length ones left out) with all its defaults (`-q 10 -M 100
    -w 10 -r 2`): one central queue on 1 to 3 CPUs, and `-p` (with its default `-P 30`) on 2."""
    for seed in range(100):
        jobs = [job for job in multi_py_jobs(seed, jobs=4) if job.run]
        if not jobs:
            continue
        for cpus in (1, 2, 3):
            expected = multi_py(jobs, cpus, 10, warm_rate=2)
            assert threadsim_multi(jobs, cpus, 10, cache=(100, 10, 2)) == expected, (seed, cpus)
        expected = multi_py(jobs, 2, 10, per_cpu=True, peek=30, choose=threadsims_choice(seed), warm_rate=2)
        assert threadsim_multi(jobs, 2, 10, per_cpu=True, peek=30, cache=(100, 10, 2), seed=seed) == expected, seed


def test_a_working_set_larger_than_the_cache_never_gets_warm() -> None:
    """`multi.py -n 1 -L a:30:200 -c`: a's working set does not fit the 100-unit cache, so it never runs warm
    (finished time 30); with `-M 300` it is warm after 10 ticks and does the other 20 in 10 (finished 20)."""
    jobs = [MultiJob(30, 200)]
    assert multi_py(jobs, 1, 10, warm_rate=2) == MultiAnswer(30, (30,), (0,))
    assert threadsim_multi(jobs, 1, 10, cache=(100, 10, 2)) == MultiAnswer(30, (30,), (0,))
    assert multi_py(jobs, 1, 10, cache_size=300, warm_rate=2) == MultiAnswer(20, (20,), (10,))
    assert threadsim_multi(jobs, 1, 10, cache=(300, 10, 2)) == MultiAnswer(20, (20,), (10,))


def test_warm_rate_one_changes_nothing() -> None:
    """A cache with `warm_rate: 1` (multi.py's `-r 1`) gives the run without a cache, event for event."""
    for seed in range(50):
        rng = random.Random(seed)
        jobs, cpus = random_jobs(rng), rng.randrange(1, 4)
        plain = threadsim_multi(jobs, cpus, 7, per_cpu=True)
        assert threadsim_multi(jobs, cpus, 7, per_cpu=True, cache=(100, 5, 1)) == MultiAnswer(
            plain.finished, plain.busy, (0,) * cpus
        )


def test_without_a_tick_the_speed_up_is_continuous() -> None:
    """Without `tick` (multi.py's clock), a warm thread runs exactly `warm_rate` times as fast: 15 ms of work
    with a 10 ms warm-up at rate 2 take 10 + 2.5 ms, and its cpu_time is the 12.5 ms it ran."""
    text = (
        "machine: {cache: {size: 100, warmup: 10, warm_rate: 2}}\nthreads:\n  - {name: a, burst: 15, working_set: 10}\n"
    )
    kernel = run_kernel(text)
    assert kernel.end_time == 12_500_000 and kernel.caches is not None and kernel.caches.warm_time == [2_500_000]
    assert kernel.threads[0].cpu_time == 12_500_000


def test_cache_scenario_is_multi_pys_answer() -> None:
    """scenarios/ostep-multi-cache.yaml gives multi.py's answer for the homework's `-n 2 -L
    a:100:100,b:100:50,c:100:50 -p -c`: finished time 100; utilization 95 and 95, warm 35 and 75."""
    jobs = [MultiJob(100, 100), MultiJob(100, 50), MultiJob(100, 50)]
    expected = MultiAnswer(100, (95, 95), (35, 75))
    assert multi_py(jobs, 2, 10, per_cpu=True, peek=30, choose=threadsims_choice(0), warm_rate=2) == expected
    kernel = Kernel(load_scenario(ROOT / "scenarios" / "ostep-multi-cache.yaml"), seed=0)
    kernel.run()
    assert answer(kernel) == expected


@pytest.mark.parametrize(
    ("cache", "message"),
    [
        ("{size: 10, warmth: 1}", "unknown key 'warmth' in cache (did you mean 'warmup'?)"),
        ("{warm_rate: 0}", "warm_rate must be at least 1"),
        ("[100]", "cache must be a mapping such as {size: 100, warmup: 10, warm_rate: 2}, got a list"),
    ],
)
def test_bad_cache_settings_are_located_errors(cache: str, message: str) -> None:
    """A bad `machine.cache` is an input error that says what is wrong."""
    with pytest.raises(InputErrors) as caught:
        parse_scenario(f"machine: {{cache: {cache}}}\nthreads: [{{name: a, burst: 1}}]\n", "bad.yaml")
    assert message in str(caught.value)


@settings(max_examples=120, deadline=None)
@given(scenarios(), st.data())
def test_runs_with_caches_keep_every_invariant(scenario: Scenario, data: st.DataObject) -> None:
    """With a cache on every CPU and working sets, a run still keeps every invariant: exclusive CPUs, times
    that add up and match the trace (at every event, too), CPU busy time that is the threads' cpu_time, and
    a cpu_time never above the bursts' (a warm thread needs less)."""
    cache = CacheSpec(size=data.draw(st.sampled_from([0, 5, 20, 100])), warmup=data.draw(st.integers(0, 4)) * US,
                      warm_rate=data.draw(st.integers(1, 3)), tick=data.draw(st.sampled_from([0, 0, US])))  # fmt: skip
    processes = tuple(
        attrs.evolve(
            process,
            threads=tuple(
                attrs.evolve(thread, working_set=data.draw(st.integers(0, 10))) for thread in process.threads
            ),
        )  # fmt: skip
        for process in scenario.processes
    )
    scenario = attrs.evolve(scenario, machine=attrs.evolve(scenario.machine, cache=cache), processes=processes)
    checker = LiveTimesChecker()
    kernel = Kernel(scenario, seed=scenario.seed, listeners=[checker])
    checker.threads = kernel.threads
    kernel.run()
    assert kernel.complete and not checker.on_cpu
    metrics = simulate(scenario)
    specs = {spec.name: spec for spec in scenario.threads()}
    for thread in metrics.threads:
        assert thread.cpu_time <= compute_bounds(specs[thread.name].program)[1]
        assert thread.turnaround == (
            thread.cpu_time + thread.waiting + thread.blocked + thread.sleeping + thread.switching
        )
        assert_times_match_the_trace(thread, checker)
    assert sum(cpu.busy for cpu in metrics.cpu_stats) == sum(t.cpu_time for t in metrics.threads)
    for cpu in metrics.cpu_stats:
        assert cpu.warm is not None and 0 <= cpu.warm <= cpu.busy


@pytest.mark.parametrize(
    ("value", "message"),
    [("-5", "duration must not be negative, got -5"), ("abc", "expected a duration such as"),
     ("0", "peek_interval must be positive")],
)  # fmt: skip
def test_a_bad_peek_interval_is_one_located_error(value: str, message: str) -> None:
    """Each bad `peek_interval` is reported once, by what is wrong with it (a value the duration parser
    refused was also called "not positive" before)."""
    with pytest.raises(InputErrors) as caught:
        parse_scenario(f"machine: {{cpus: 2, queues: per_cpu, stealing: peek, peek_interval: {value}}}\n"
                       "threads: [{name: a, burst: 1}]\n", "bad.yaml")  # fmt: skip
    (error,) = caught.value.errors
    assert message in str(error) and "peek_interval" in str(error)
