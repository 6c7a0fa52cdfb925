"""Property tests per policy (Hypothesis)."""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulator import (
    Compute,
    Io,
    MachineSpec,
    ProcessSpec,
    Scenario,
    Sleep,
    ThreadSpec,
    parse_policy_text,
    simulate,
)
from simulator.output.json_report import report_dict
from tests.listeners import CpuStates

US = 1_000
WORK_CONSERVING = ("fcfs", "rr:quantum=3us", "sjf", "srtf", "priority", "priority:preemptive=false",
                   "mlfq:quantum=2us", "lottery:quantum=2us", "stride:quantum=2us", "cfs")  # fmt: skip


@st.composite
def workloads(draw: st.DrawFn, io: bool = True) -> list[ThreadSpec]:
    """A few threads with CPU bursts, and (optionally) sleeps and I/O between them."""
    threads = []
    for index in range(draw(st.integers(1, 5))):
        program: list = []  # type: ignore[type-arg]
        for _ in range(draw(st.integers(1, 3))):
            program.append(Compute(draw(st.integers(1, 12)) * US))
            if io and draw(st.booleans()):
                gap = draw(st.integers(1, 6)) * US
                program.append(Sleep(gap) if draw(st.booleans()) else Io("io", gap))
        threads.append(ThreadSpec(f"T{index}", f"T{index}", draw(st.integers(0, 8)) * US, tuple(program),
                                  priority=draw(st.integers(0, 3)), tickets=draw(st.integers(1, 300)),
                                  nice=draw(st.integers(-5, 5))))  # fmt: skip
    return threads


def scenario(threads: list[ThreadSpec], policy: str, cpus: int = 1, seed: int = 0) -> Scenario:
    return Scenario("property", "us", seed, MachineSpec(cpus, parse_policy_text(policy, "us")),
                    tuple(ProcessSpec(t.name, t.arrival, (t,)) for t in threads))  # fmt: skip


class IdleWhileReady(CpuStates):
    """Records any span of time in which a CPU is idle while a thread is ready."""

    def __init__(self, cpus: int) -> None:
        super().__init__()
        self.cpus = cpus

    def between(self, start: int, end: int) -> None:
        if self.ready and len(self.running) < self.cpus:
            self.problems.append((start, end))


@settings(max_examples=60, deadline=None)
@given(workloads(), st.sampled_from(WORK_CONSERVING), st.integers(1, 3), st.integers(0, 100))
def test_no_cpu_idles_while_a_thread_is_ready(threads: list[ThreadSpec], policy: str, cpus: int, seed: int) -> None:
    """Work conservation: between two instants, never an idle CPU and a ready thread at once."""
    checker = IdleWhileReady(cpus)
    metrics = simulate(scenario(threads, policy, cpus, seed), listeners=[checker])
    assert metrics.complete
    assert checker.problems == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 20), min_size=1, max_size=5))
def test_sjf_waits_least_of_any_non_preemptive_order(bursts: list[int]) -> None:
    """For jobs arriving together on one CPU, SJF's average waiting is the least of every FCFS order."""
    jobs = [ThreadSpec(f"J{i}", f"J{i}", 0, (Compute(b * US),)) for i, b in enumerate(bursts)]
    best = simulate(scenario(jobs, "sjf")).average("waiting")
    for order in itertools.permutations(jobs):
        assert best <= simulate(scenario(list(order), "fcfs")).average("waiting")  # type: ignore[operator]


#: Two computes end at one instant on two CPUs. Arming the quantum expiry of the one that started first (when T1
#: became ready) used to reschedule its compute's end, behind the other CPU's: a different run from FCFS.
TWO_ENDS_AT_ONE_INSTANT = [
    ThreadSpec("T0", "T0", 0, (Compute(1 * US), Io("io", 2 * US), Compute(5 * US), Io("io", 1 * US))),
    ThreadSpec("T1", "T1", 0, (Compute(1 * US), Compute(1 * US), Io("io", 1 * US))),
    ThreadSpec("T2", "T2", 0, (Compute(1 * US), Compute(6 * US), Io("io", 1 * US), Compute(1 * US))),
]


@settings(max_examples=60, deadline=None)
@given(workloads(), st.integers(1, 3))
@example(TWO_ENDS_AT_ONE_INSTANT, 2)
def test_rr_with_a_quantum_longer_than_every_burst_is_fcfs(threads: list[ThreadSpec], cpus: int) -> None:
    """No burst reaches the quantum, so no preemption: the same schedule as FCFS. (A burst is the CPU time a
    thread uses between leaving the CPU: consecutive compute steps make one burst.)"""
    quantum = longest_burst(threads) + US
    policies = (f"rr:quantum={quantum}ns", "fcfs")
    rr, fcfs = (report_dict(simulate(scenario(threads, policy, cpus))) for policy in policies)
    for report in (rr, fcfs):
        del report["policy"]
    assert rr == fcfs


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 10), min_size=2, max_size=4))
def test_stride_shares_converge_to_ticket_ratios(tickets: list[int]) -> None:
    """CPU-bound threads: while all compete, each one's CPU time is its ticket share, within a quantum."""
    threads = [ThreadSpec(f"T{i}", f"T{i}", 0, (Compute(10_000 * US),), tickets=t * 10)
               for i, t in enumerate(tickets)]  # fmt: skip
    until = 400 * US * len(tickets)
    # A large `big` keeps strides' integer truncation (10000 // 70 = 142, not 142.86) from skewing shares.
    metrics = simulate(scenario(threads, "stride:quantum=1us,big=1000000"), until=until)
    total = sum(tickets)
    for thread, share in zip(metrics.threads, tickets, strict=True):
        expected = Fraction(until * share, total)
        assert abs(thread.cpu_time - expected) <= 2 * US * max(tickets) // min(tickets)


def longest_burst(threads: list[ThreadSpec]) -> int:
    """The most CPU time any thread uses without leaving the CPU (ns)."""
    longest = 0
    for thread in threads:
        burst = 0
        for operation in thread.program:
            burst = burst + operation.duration if isinstance(operation, Compute) else 0
            longest = max(longest, burst)
    return longest


class UrgencyChecker(CpuStates):
    """Whenever time moves on, no ready thread is more urgent than a running one."""

    def __init__(self, priorities: dict[str, int]) -> None:
        super().__init__()
        self.priorities = priorities

    def between(self, start: int, end: int) -> None:
        if self.ready and self.running:
            most_urgent_waiting = min(self.priorities[name] for name in self.ready)
            least_urgent_running = max(self.priorities[name] for name in self.running.values())
            if most_urgent_waiting < least_urgent_running:
                self.problems.append(f"at {start}: {sorted(self.ready)} wait while {self.running} run")


@settings(max_examples=60, deadline=None)
@given(workloads(), st.integers(1, 3))
def test_preemptive_priority_never_runs_a_less_urgent_thread_while_a_more_urgent_one_waits(
    threads: list[ThreadSpec], cpus: int
) -> None:
    """With priority (preemptive), the ready set never holds a thread more urgent than a running one."""
    checker = UrgencyChecker({thread.name: thread.priority for thread in threads})
    metrics = simulate(scenario(threads, "priority", cpus), listeners=[checker])
    assert metrics.complete and checker.problems == []
