"""Tests of the GIL model (simulator.model.gil and the kernel's GIL steps)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import (
    Compute,
    Io,
    MachineSpec,
    PolicySpec,
    ProcessSpec,
    Scenario,
    Sleep,
    ThreadSpec,
    TraceEvent,
    load_scenario,
    simulate,
)
from simulator.program.operations import Lock, Unlock
from simulator.scenario.model import SyncSpec
from tests.conftest import MS, SCENARIOS, by_name, run_yaml

US = 1_000


def completion(name: str) -> dict[str, int]:
    """Each thread's completion (ms) in a shipped scenario."""
    return {t.name: t.completion // MS for t in simulate(load_scenario(SCENARIOS / name)).threads}  # type: ignore[operator]


def test_two_threads_of_one_python_process_take_as_long_as_the_work_twice() -> None:
    """One GIL: 200 ms for 2 x 100 ms on 2 CPUs (T1, first to hold it, ends its last 5 ms slice at 195, T2
    at 200); two processes (two GILs): 100 ms."""
    assert completion("gil-two-threads.yaml") == {"T1": 195, "T2": 200}
    assert completion("gil-two-processes.yaml") == {"T1": 100, "T2": 100}


def test_the_convoy_effect_costs_a_switch_interval_per_operation() -> None:
    """An I/O-bound thread beside a CPU-bound one: 20 * (L + c + S) instead of 20 * (L + c)."""
    assert completion("gil-convoy.yaml")["io_bound"] == 20 * (5 + 1 + 5)
    alone = run_yaml("""\
        processes:
          - name: server
            gil: {switch_interval: 5}
            threads: [{name: io_bound, program: [repeat: {times: 20, do: [io: 5, compute: 1]}]}]
        """)
    assert alone.threads[0].completion == 20 * (5 + 1) * MS


def test_c_code_that_releases_the_gil_runs_in_parallel() -> None:
    """releases_gil: true computes without the GIL."""
    assert completion("gil-releasing-c-code.yaml") == {"hashing": 100, "interpreter": 100}


def test_a_waiter_asks_for_the_gil_after_one_switch_interval_and_forced_switching_holds() -> None:
    """T2 waits 5 ms then gets the GIL; T1 cannot retake it before T2 has had it."""
    metrics = run_yaml("""\
        machine: {cpus: 2}
        processes:
          - name: py
            gil: {switch_interval: 5}
            threads: [{name: T1, burst: 12}, {name: T2, burst: 3}]
        """)
    threads = by_name(metrics)
    # T1 holds 0-5; T2 asks at 5 and runs 5-8; T1 (waiting since 5) gets it back at 8 and ends at 15.
    assert (threads["T2"].first_run, threads["T2"].completion, threads["T1"].completion) == (0, 8 * MS, 15 * MS)
    assert threads["T2"].blocked == 5 * MS and threads["T1"].blocked == 3 * MS


def test_a_gil_is_per_process_and_off_by_default() -> None:
    """Without gil: true, threads of one process run in parallel."""
    metrics = run_yaml("machine: {cpus: 2}\n"
                       "processes: [{name: p, threads: [{name: A, burst: 10}, {name: B, burst: 10}]}]\n")  # fmt: skip
    assert metrics.end_time == 10 * MS


class GilChecker:
    """A listener: each process's GIL has at most one holder, who is on a CPU or ready (in Python code),
    never sleeping, blocked or done."""

    def __init__(self) -> None:
        self.holder: dict[str, str] = {}
        self.problems: list[str] = []

    def __call__(self, event: TraceEvent) -> None:
        details = dict(event.details)
        if event.event == "gil":
            process = str(details.get("process", ""))
            if details["action"] == "take":
                if process in self.holder:
                    self.problems.append(f"{event.thread} takes {process}'s GIL held by {self.holder[process]}")
                self.holder[process] = str(event.thread)
            elif details["action"] == "release":
                if self.holder.get(process) != event.thread:
                    self.problems.append(f"{event.thread} releases a GIL it does not hold")
                self.holder.pop(process, None)
        elif (event.event in ("sleep", "block", "exit") and event.thread in self.holder.values()
              and not (event.event == "block" and "GIL" in str(details.get("reason", "")))):  # fmt: skip
            self.problems.append(f"{event.thread} {event.event}s holding the GIL")


@st.composite
def python_workloads(draw: st.DrawFn) -> Scenario:
    """Python processes whose threads compute (sometimes releasing the GIL), sleep, do I/O and lock."""
    processes = []
    for p in range(draw(st.integers(1, 2))):
        threads = []
        for t in range(draw(st.integers(1, 3))):
            program: list = []  # type: ignore[type-arg]
            for _ in range(draw(st.integers(1, 4))):
                program.append(Compute(draw(st.integers(1, 9)) * US, releases_gil=draw(st.booleans())))
                kind = draw(st.sampled_from(["none", "sleep", "io", "lock"]))
                if kind == "sleep":
                    program.append(Sleep(draw(st.integers(1, 5)) * US))
                elif kind == "io":
                    program.append(Io("io", draw(st.integers(1, 5)) * US))
                elif kind == "lock":
                    program += [Lock("m"), Compute(draw(st.integers(1, 4)) * US), Unlock("m")]
            threads.append(ThreadSpec(f"p{p}t{t}", f"p{p}", 0, tuple(program)))
        processes.append(ProcessSpec(f"p{p}", 0, tuple(threads), sync=(SyncSpec("m", "mutex"),),
                                     gil=draw(st.integers(1, 6)) * US))  # fmt: skip
    policy = draw(st.sampled_from([PolicySpec("fcfs"), PolicySpec("rr", (("quantum", 3 * US),))]))
    return Scenario("python", "us", 0, MachineSpec(draw(st.integers(1, 3)), policy), tuple(processes))


@settings(max_examples=80, deadline=None)
@given(python_workloads())
def test_the_gil_has_one_holder_who_is_running_python_code(scenario: Scenario) -> None:
    """At most one holder per process; released before sleeping, I/O, blocking and ending; every run ends."""
    checker = GilChecker()
    metrics = simulate(scenario, listeners=[checker])
    assert metrics.complete and not metrics.violations
    assert checker.problems == []


def test_a_holder_the_os_preempted_drops_the_gil_it_was_asked_for_when_it_resumes() -> None:
    """A holds the GIL when round robin preempts it for C (another process); B's switch interval ends
    meanwhile. Resuming, A must drop the GIL at once, not hold it to the end of its compute (B then waits
    at most a few quanta, not the whole of A's work)."""
    metrics = run_yaml("""\
        machine: {cpus: 1, policy: {name: rr, quantum: 2}}
        processes:
          - name: python
            gil: {switch_interval: 1}
            threads: [{name: A, burst: 10}, {name: B, burst: 10}]
          - name: other
            threads: [{name: C, burst: 10}]
        """)
    threads = by_name(metrics)
    assert threads["B"].cpu_time == 10 * MS
    assert threads["A"].blocked > 0  # A waited for the GIL it had handed to B
    assert threads["A"].completion > 20 * MS  # it no longer finishes all its work before B starts
