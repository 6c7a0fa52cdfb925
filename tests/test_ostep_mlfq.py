"""threadsim's mlfq against OSTEP's cpu-sched-mlfq/mlfq.py (github.com/remzi-arpacidusseau/ostep-homework).

`mlfq_py` below is a small implementation of mlfq.py's rules, tick by tick, written from its documented
behaviour (checked against the real program's `-c` answers on 400 random workloads with every flag, when
this file was written). threadsim with `mlfq_py_options()` must give the same schedule, tick by tick, and so
the same responses and turnarounds, on workloads generated the way mlfq.py generates them and on random
ones with every flag; with its own default rules it still matches where the two sets of rules agree.
docs/ostep.md explains the correspondence.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import pytest

from simulator import InputErrors, PolicyError, RunMetrics, TraceEvent, parse_policy_text, parse_scenario, simulate
from simulator.output.values import policy_text
from tests.conftest import MS


@dataclass(frozen=True)
class MlfqJob:
    """One mlfq.py job: `-l start,run,iofreq` (iofreq 0: no I/O)."""

    start: int
    run: int
    io_freq: int


@dataclass(frozen=True)
class MlfqOptions:
    """mlfq.py's flags: `-Q` (quanta, top queue first), `-A` (allotments in slices, top first), `-B`, `-i`,
    `-S` (stay), `-I` (iobump)."""

    quanta: tuple[int, ...] = (10, 10, 10)
    allotments: tuple[int, ...] = (1, 1, 1)
    boost: int = 0
    io_time: int = 5
    stay: bool = False
    iobump: bool = False


@dataclass
class Answer:
    """Who ran at each tick (None: idle), and each job's (response, turnaround)."""

    schedule: list[int | None] = field(default_factory=list)
    figures: list[tuple[int, int]] = field(default_factory=list)


def mlfq_py_jobs(seed: int, jobs: int = 3, maxlen: int = 100, maxio: int = 10) -> list[MlfqJob]:
    """mlfq.py's random jobs (`-s seed -j jobs -m maxlen -M maxio`): all start at 0; run
    int(random() * (maxlen - 1) + 1), then I/O every int(random() * (maxio - 1) + 1) ticks of CPU."""
    rng = random.Random(seed)
    result = []
    for _ in range(jobs):
        run = int(rng.random() * (maxlen - 1) + 1)
        result.append(MlfqJob(0, run, int(rng.random() * (maxio - 1) + 1)))
    return result


def mlfq_py(jobs: Sequence[MlfqJob], options: MlfqOptions) -> Answer:
    """mlfq.py's rules, tick by tick (queue 0 is the top one here; mlfq.py numbers them the other way).

    Each tick: at a multiple of `boost` (not 0), the jobs waiting in the lower queues join the top one,
    lowest queue first, and every job gets the top queue, a fresh slice and a fresh allotment; then the jobs
    arriving, and those back from I/O (at the front of their queue with `iobump`), join their queue, in the
    order they were due; then the job at the head of the highest non-empty queue runs one tick. The running
    job stays at the head of its queue until it ends, does I/O or uses up its slice; a job keeps what is
    left of its slice and allotment across I/O and preemption. After every `io_freq` ticks of CPU (unless it
    is done) a job does I/O for `io_time`; with `stay`, that resets its slice and allotment first. When its
    slice is used up it goes to the back of its queue, one queue lower once its allotment (in slices) is."""
    quanta, allotments = options.quanta, options.allotments
    bottom = len(quanta) - 1
    level = [0] * len(jobs)
    ticks = [quanta[0]] * len(jobs)
    allot = [allotments[0]] * len(jobs)
    left = [job.run for job in jobs]
    first: list[int | None] = [None] * len(jobs)
    end = [0] * len(jobs)
    due: dict[int, list[tuple[int, bool]]] = {}  # instant -> (job, back from I/O?) in the order they were due
    for index, job in enumerate(jobs):
        due.setdefault(job.start, []).append((index, False))
    queue: list[list[int]] = [[] for _ in quanta]
    answer = Answer()
    clock = finished = 0
    while finished < len(jobs):
        if options.boost and clock and clock % options.boost == 0:
            for q in range(bottom, 0, -1):
                queue[0] += queue[q]
                queue[q] = []
            for j in range(len(jobs)):
                if left[j] > 0:
                    level[j], ticks[j], allot[j] = 0, quanta[0], allotments[0]
        for j, from_io in due.pop(clock, []):
            if from_io and options.iobump:
                queue[level[j]].insert(0, j)
            else:
                queue[level[j]].append(j)
        current = next((q for q in range(len(quanta)) if queue[q]), None)
        if current is None:
            answer.schedule.append(None)
            clock += 1
            continue
        j = queue[current][0]
        answer.schedule.append(j)
        left[j] -= 1
        ticks[j] -= 1
        if first[j] is None:
            first[j] = clock
        clock += 1
        if left[j] == 0:
            end[j] = clock
            finished += 1
            queue[current].pop(0)
            continue
        expired = ticks[j] == 0
        io = jobs[j].io_freq > 0 and (jobs[j].run - left[j]) % jobs[j].io_freq == 0
        if io:
            queue[current].pop(0)
            if options.stay:
                ticks[j], allot[j] = quanta[current], allotments[current]
            due.setdefault(clock + options.io_time, []).append((j, True))
        if expired:
            if not io:
                queue[current].pop(0)
            allot[j] -= 1
            if allot[j] == 0:
                level[j] = min(current + 1, bottom)
                ticks[j], allot[j] = quanta[level[j]], allotments[level[j]]
            else:
                ticks[j] = quanta[current]
            if not io:
                queue[level[j]].append(j)
    answer.figures = [(int(first[j] or 0) - job.start, end[j] - job.start) for j, job in enumerate(jobs)]
    return answer


def mlfq_py_policy(options: MlfqOptions) -> str:
    """threadsim's mlfq with every one of mlfq.py's rules (docs/ostep.md), for `options`."""
    quanta = ", ".join(map(str, options.quanta))
    allotments = ", ".join(
        str(count * quantum) for count, quantum in zip(options.allotments, options.quanta, strict=True)
    )
    return (f"{{name: mlfq, quanta: [{quanta}], allotments: [{allotments}], boost: {options.boost}, "
            f"slice: thread, preempted: front, boost_order: lowest_first, "
            f"io_reset: {str(options.stay).lower()}, io_front: {str(options.iobump).lower()}}}")  # fmt: skip


def default_policy(options: MlfqOptions) -> str:
    """threadsim's mlfq with its own rules and the same queues, quanta, allotments and boost."""
    quanta = ", ".join(map(str, options.quanta))
    allotments = ", ".join(
        str(count * quantum) for count, quantum in zip(options.allotments, options.quanta, strict=True)
    )
    return f"{{name: mlfq, quanta: [{quanta}], allotments: [{allotments}], boost: {options.boost}}}"


def scenario_text(jobs: Sequence[MlfqJob], options: MlfqOptions, ostep: bool = True) -> str:
    """The threadsim scenario: a job is `compute: io_freq`, `io: io_time`, ... and the rest of its CPU time;
    with mlfq.py's rules, `same_instant: cpu_first` too."""
    policy = mlfq_py_policy(options) if ostep else default_policy(options)
    order = ", same_instant: cpu_first" if ostep else ""
    lines = ["time_unit: ms", f"machine: {{cpus: 1, policy: {policy}{order}}}", "threads:"]
    for index, job in enumerate(jobs):
        ios = (job.run - 1) // job.io_freq if job.io_freq else 0
        steps = [f"{{compute: {job.io_freq}}}, {{io: {options.io_time}}}"] * ios
        steps.append(f"{{compute: {job.run - ios * job.io_freq}}}")
        lines.append(f"  - {{name: J{index}, arrival: {job.start}, program: [{', '.join(steps)}]}}")
    return "\n".join(lines) + "\n"


def threadsim(jobs: Sequence[MlfqJob], options: MlfqOptions, ostep: bool = True) -> Answer:
    """threadsim's schedule (from the trace) and figures for the same workload."""
    events: list[TraceEvent] = []
    metrics = simulate(parse_scenario(scenario_text(jobs, options, ostep), "mlfq.yaml"), listeners=[events.append])
    return Answer(schedule(events, metrics), figures(metrics))


def schedule(events: Sequence[TraceEvent], metrics: RunMetrics) -> list[int | None]:
    """Who ran in each millisecond, from the run and leave events."""
    ticks: list[int | None] = [None] * (metrics.end_time // MS)
    running: tuple[str, int] | None = None
    for event in events:
        if event.event == "run":
            running = (event.thread or "", event.time)
        elif event.event in ("preempt", "yield", "block", "sleep", "exit") and running is not None:
            name, since = running
            for tick in range(since // MS, event.time // MS):
                ticks[tick] = int(name[1:])
            running = None
    return ticks


def figures(metrics: RunMetrics) -> list[tuple[int, int]]:
    def ms(value: int | None) -> int:
        assert value is not None, "the job did not finish"
        whole = Fraction(value, MS)
        assert whole.denominator == 1
        return int(whole)

    return [(ms(thread.response), ms(thread.turnaround)) for thread in metrics.threads]


def random_workload(seed: int) -> tuple[list[MlfqJob], MlfqOptions]:
    """1 to 4 jobs (some arriving later, some doing I/O) and 1 to 4 queues with random quanta and
    allotments; a boost, -S and -I now and then."""
    rng = random.Random(seed)
    queues = rng.randrange(1, 5)
    options = MlfqOptions(
        quanta=tuple(rng.randrange(1, 12) for _ in range(queues)),
        allotments=tuple(rng.randrange(1, 4) for _ in range(queues)),
        boost=rng.choice([0, rng.randrange(5, 80)]),
        io_time=rng.randrange(1, 8),
        stay=rng.random() < 0.3,
        iobump=rng.random() < 0.3,
    )
    jobs = [MlfqJob(rng.choice([0, rng.randrange(0, 60)]), rng.randrange(1, 100), rng.choice([0, rng.randrange(1, 12)]))
            for _ in range(rng.randrange(1, 5))]  # fmt: skip
    return jobs, options


def small_workload(seed: int) -> tuple[list[MlfqJob], MlfqOptions]:
    """Short jobs, short quanta and frequent boosts: many rules meet at the same tick."""
    rng = random.Random(seed)
    queues = rng.randrange(1, 4)
    options = MlfqOptions(
        quanta=tuple(rng.randrange(1, 4) for _ in range(queues)),
        allotments=tuple(rng.randrange(1, 3) for _ in range(queues)),
        boost=rng.randrange(2, 9),
        io_time=rng.randrange(1, 4),
        stay=rng.random() < 0.3,
        iobump=rng.random() < 0.3,
    )
    jobs = [MlfqJob(rng.choice([0, rng.randrange(0, 8)]), rng.randrange(1, 14), rng.randrange(0, 4))
            for _ in range(rng.randrange(1, 4))]  # fmt: skip
    return jobs, options


# --------------------------------------------------------------------------------------------------------
# With mlfq.py's rules: the same schedule, tick by tick


@pytest.mark.parametrize("first", range(0, 300, 100))
def test_mlfq_py_rules_give_its_schedule_on_random_workloads(first: int) -> None:
    for seed in range(first, first + 100):
        jobs, options = random_workload(seed)
        expected = mlfq_py(jobs, options)
        assert threadsim(jobs, options) == expected, (seed, jobs, options)


def test_mlfq_py_rules_give_its_schedule_when_rules_meet_at_one_tick() -> None:
    for seed in range(400):
        jobs, options = small_workload(seed)
        assert threadsim(jobs, options) == mlfq_py(jobs, options), (seed, jobs, options)


@pytest.mark.parametrize(
    "options",
    [
        MlfqOptions(),
        MlfqOptions(boost=50),
        MlfqOptions(stay=True),
        MlfqOptions(iobump=True),
        MlfqOptions(quanta=(10, 20, 40), allotments=(1, 2, 3), boost=100, stay=True, iobump=True),
    ],
    ids=["defaults", "B50", "S", "I", "Q-A-B-S-I"],
)
def test_mlfq_py_random_jobs_give_its_schedule(options: MlfqOptions) -> None:
    """mlfq.py's own random jobs (`-s 0` to `-s 39`, 3 jobs, -m 100 -M 10), under its flags."""
    for seed in range(40):
        jobs = mlfq_py_jobs(seed)
        assert threadsim(jobs, options) == mlfq_py(jobs, options), (seed, jobs)


def test_mlfq_py_job_generation() -> None:
    """`mlfq.py -s 1 -j 3` lists jobs of run time 14, 76, 50 with I/O every 8, 3 and 5."""
    assert mlfq_py_jobs(1) == [MlfqJob(0, 14, 8), MlfqJob(0, 76, 3), MlfqJob(0, 50, 5)]


def test_mlfq_py_reference_is_not_threadsim_default() -> None:
    """The rules differ: on random workloads threadsim's own rules give other schedules (so the checks
    above see the options at work)."""
    differ = sum(
        threadsim(*random_workload(seed), ostep=False) != mlfq_py(*random_workload(seed)) for seed in range(60)
    )
    assert differ >= 10


# --------------------------------------------------------------------------------------------------------
# threadsim's own rules, where they agree with mlfq.py's


@pytest.mark.parametrize("allotment", [1, 2, 3])
def test_default_rules_match_for_cpu_bound_jobs(allotment: int) -> None:
    """Jobs that all start at 0 and do no I/O, without -B: the same schedule for any -n, -q and -a."""
    for seed in range(80):
        rng = random.Random(seed)
        jobs = [MlfqJob(0, rng.randrange(1, 100), 0) for _ in range(rng.randrange(2, 6))]
        queues = rng.randrange(1, 5)
        quantum = rng.randrange(1, 12)
        options = MlfqOptions(quanta=(quantum,) * queues, allotments=(allotment,) * queues)
        assert threadsim(jobs, options, ostep=False) == mlfq_py(jobs, options), (seed, jobs, options)


def test_default_rules_match_for_one_job_with_io() -> None:
    for seed in range(80):
        rng = random.Random(seed)
        jobs = [MlfqJob(0, rng.randrange(1, 100), rng.randrange(0, 12))]
        queues = rng.randrange(1, 5)
        options = MlfqOptions(quanta=(rng.randrange(1, 12),) * queues, allotments=(1,) * queues,
                              io_time=rng.randrange(1, 8))  # fmt: skip
        assert threadsim(jobs, options, ostep=False) == mlfq_py(jobs, options), (seed, jobs, options)


def test_chapter_example() -> None:
    """`mlfq.py -l 0,200,0:100,20,0 -c`: A's response 0, turnaround 220; B's 0 and 20, under both rules."""
    jobs = [MlfqJob(0, 200, 0), MlfqJob(100, 20, 0)]
    expected = mlfq_py(jobs, MlfqOptions())
    assert expected.figures == [(0, 220), (0, 20)]
    assert threadsim(jobs, MlfqOptions()) == threadsim(jobs, MlfqOptions(), ostep=False) == expected


# --------------------------------------------------------------------------------------------------------
# The two bugs issue 14 found in threadsim's own rules


def test_a_thread_moved_down_while_alone_gets_the_new_queues_slice() -> None:
    """Queues of 2 and 6 ms. B runs 0-2 and leaves for I/O; A, alone, uses its 2 ms in the top queue by 4
    and moves down, still alone: its slice there is 6 ms, 4-10, so B (back at 5, in the same queue) waits
    until 10. (The kernel used to renew the 2 ms slice in place: A was preempted at 6.)"""
    text = """
time_unit: ms
machine: {cpus: 1, policy: {name: mlfq, queues: 2, quantum: 2, growth: 3}}
threads:
  - {name: B, program: [{compute: 2}, {io: 3}, {compute: 5}]}
  - {name: A, arrival: 1, burst: 20}
"""
    events: list[TraceEvent] = []
    simulate(parse_scenario(text, "demoted.yaml"), listeners=[events.append])
    runs = [(event.time // MS, event.thread) for event in events if event.event == "run"]
    assert runs == [(0, "B"), (2, "A"), (10, "B"), (15, "A")]


def test_a_boost_moves_the_running_thread_up_with_a_fresh_slice() -> None:
    """Two CPU-bound threads, two queues of 4 ms, a boost every 10 ms: at each boost the running thread
    joins the top queue with a fresh 4 ms slice and allotment, as in mlfq.py (the boost is a timer; it
    used to be applied only when the running thread's slice ended)."""
    jobs = [MlfqJob(0, 30, 0), MlfqJob(0, 30, 0)]
    options = MlfqOptions(quanta=(4, 4), allotments=(1, 1), boost=10)
    expected = mlfq_py(jobs, options)
    assert expected.schedule[8:16] == [0, 0, 0, 0, 0, 0, 1, 1]  # A's slice 8-12 renewed at 10: it runs to 14
    assert threadsim(jobs, options, ostep=False) == expected


def test_a_boost_that_no_thread_computes_across_adds_no_event() -> None:
    """The boost is an event only while a thread computes across it: a run that ends before the first
    boost, or whose threads all wait, ends when they do."""
    text = """
time_unit: ms
machine: {cpus: 1, policy: {name: mlfq, quantum: 2, boost: 50}}
threads:
  - {name: A, program: [{compute: 3}, {sleep: 200}, {compute: 1}]}
"""
    metrics = simulate(parse_scenario(text, "quiet.yaml"))
    assert metrics.end_time == 204 * MS


# --------------------------------------------------------------------------------------------------------
# Parameters


def test_quanta_and_allotments_from_the_command_line() -> None:
    spec = parse_policy_text("mlfq:quanta=2/4/8,allotments=4/8/0,slice=thread", "ms")
    assert spec.param("queues") == 3
    assert spec.param("quanta") == (2 * MS, 4 * MS, 8 * MS)
    assert spec.param("allotments") == (4 * MS, 8 * MS, 0)
    assert policy_text(spec, "ms") == "mlfq:queues=3,quantum=10,growth=1,allotment=0,boost=0,quanta=2/4/8," \
                                      "allotments=4/8/0,slice=thread"  # fmt: skip
    assert parse_policy_text(policy_text(spec, "ms"), "ms") == spec  # the reproduce line gives it back


def test_options_at_their_defaults_are_not_shown() -> None:
    spec = parse_policy_text("mlfq:quantum=2,boost=20", "ms")
    assert policy_text(spec, "ms") == "mlfq:queues=3,quantum=2,growth=1,allotment=0,boost=20"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mlfq:queues=2,quanta=1/2/3", "queues is 2 but quanta has 3 values"),
        ("mlfq:quanta=1/2,growth=2", "growth has no effect with quanta"),
        ("mlfq:quanta=1/2,allotments=1/2/3", "allotments has 3 values for 2 queues"),
        ("mlfq:allotment=4,allotments=1/2/3", "give allotment or allotments, not both"),
        ("mlfq:quanta=1/0", "quanta value 2 must be at least 1"),
        ("mlfq:quanta=1/x", "quanta value 2:"),
        ("mlfq:slice=job", "slice must be one of dispatch, thread"),
        ("mlfq:io_front=maybe", "expected true or false"),
    ],
)
def test_bad_parameters_are_named(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy_text(text, "ms")


def test_bad_parameters_in_a_file_are_located() -> None:
    text = "machine:\n  policy: {name: mlfq, quanta: [1, 2], queues: 3}\nthreads:\n  - {name: A, burst: 1}\n"
    with pytest.raises(InputErrors) as caught:
        parse_scenario(text, "bad.yaml")
    assert "bad.yaml:2:48: machine.policy.queues" in str(caught.value) and "queues is 3 but quanta has 2 values" in str(
        caught.value
    )


def test_too_many_quanta_are_refused() -> None:
    with pytest.raises(PolicyError, match="at most"):
        parse_policy_text("mlfq:quanta=" + "/".join(["1"] * 1000), "ms")


# --------------------------------------------------------------------------------------------------------
# machine.same_instant


@pytest.mark.parametrize(("order", "b_runs_at"), [("wakeups_first", 2), ("cpu_first", 4)])
def test_same_instant_order(order: str, b_runs_at: int) -> None:
    """A runs alone under rr with a 2 ms quantum; B arrives at 2, when A's quantum ends. By default B is
    there first and takes the CPU; with `cpu_first` A's quantum ends first, with nobody waiting, and A goes
    on for another quantum."""
    text = f"""
time_unit: ms
machine: {{cpus: 1, policy: {{name: rr, quantum: 2}}, same_instant: {order}}}
threads:
  - {{name: A, burst: 6}}
  - {{name: B, arrival: 2, burst: 1}}
"""
    events: list[TraceEvent] = []
    simulate(parse_scenario(text, "order.yaml"), listeners=[events.append])
    assert [event.time // MS for event in events if event.event == "run" and event.thread == "B"] == [b_runs_at]
