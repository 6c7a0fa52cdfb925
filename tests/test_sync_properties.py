"""Property tests with synchronization: mutual exclusion, no false races, honest deadlock reports."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import (
    Compute,
    MachineSpec,
    PolicySpec,
    ProcessSpec,
    Repeat,
    Scenario,
    ThreadSpec,
    TraceEvent,
    simulate,
)
from simulator.output.json_report import render_json
from simulator.program.expressions import Binary, Number, Register
from simulator.program.operations import Acquire, Get, Join, Load, Lock, Put, Release, Spawn, Store, Unlock
from simulator.scenario.model import SyncSpec

US = 1_000
durations = st.integers(0, 6).map(lambda n: n * US)
policies = st.sampled_from([PolicySpec("fcfs")]) | st.integers(1, 5).map(
    lambda q: PolicySpec("rr", (("quantum", q * US),))
)
machines = st.builds(MachineSpec, cpus=st.integers(1, 3), policy=policies, context_switch=st.sampled_from([0, US]))


def increment(var: str) -> tuple:  # type: ignore[type-arg]
    """r := var; var := r + 1 (two steps)."""
    return (Load(var, "r"), Store(var, Binary("+", Register("r"), Number(1))))


class MutexChecker:
    """A listener that fails if a mutex ever has two holders or is released by a non-holder."""

    def __init__(self) -> None:
        self.holder: dict[str, str] = {}

    def __call__(self, event: TraceEvent) -> None:
        details = dict(event.details)
        if event.event in ("lock", "handoff"):
            assert details["object"] not in self.holder, f"{event.thread} and {self.holder} hold the mutex"
            self.holder[details["object"]] = event.thread  # type: ignore[assignment]
        elif event.event == "unlock":
            assert self.holder.pop(details["object"]) == event.thread


@st.composite
def locked_counters(draw: st.DrawFn) -> tuple[Scenario, int]:
    """Threads that increment `counter` only while holding mutex m; returns the expected count."""
    threads, expected = [], 0
    for index in range(draw(st.integers(2, 4))):
        times = draw(st.integers(1, 4))
        expected += times
        body = (
            Compute(draw(durations)), Lock("m"), Load("counter", "r"), Compute(draw(durations)),
            Store("counter", Binary("+", Register("r"), Number(1))), Unlock("m"),
        )  # fmt: skip
        threads.append(ThreadSpec(f"T{index}", "app", draw(st.integers(0, 3)) * US, (Repeat(times, body),)))
    process = ProcessSpec("app", 0, tuple(threads), memory=(("counter", 0),), sync=(SyncSpec("m", "mutex"),))
    return Scenario("locked", "us", draw(st.integers(0, 1000)), draw(machines), (process,)), expected


@settings(max_examples=80, deadline=None)
@given(locked_counters())
def test_one_mutex_around_every_access_gives_exclusion_exact_counts_and_no_race(case: tuple[Scenario, int]) -> None:
    """Never two holders, never a race, and the count is exact."""
    scenario, expected = case
    metrics = simulate(scenario, listeners=[MutexChecker()])
    assert metrics.complete and not metrics.violations and not metrics.races
    assert dict(dict(metrics.memory)["app"])["counter"] == expected


@st.composite
def ordered_pipelines(draw: st.DrawFn) -> Scenario:
    """A chain of threads, each touching x after the previous one, ordered only by a queue, a semaphore,
    or spawn/join; and a main thread that touches x before spawning the chain and after joining it."""
    length = draw(st.integers(2, 4))
    links = [draw(st.sampled_from(["queue", "semaphore"])) for _ in range(length - 1)]
    sync = tuple(SyncSpec(f"q{i}", "queue", 1) if kind == "queue" else SyncSpec(f"s{i}", "semaphore", 0)
                 for i, kind in enumerate(links))  # fmt: skip
    threads = []
    for index in range(length):
        program: tuple = (Compute(draw(durations)),)  # type: ignore[type-arg]
        if index > 0:
            kind = links[index - 1]
            program += (Get(f"q{index - 1}", "token"),) if kind == "queue" else (Acquire(f"s{index - 1}"),)
        program += increment("x") + (Compute(draw(durations)),)
        if index < length - 1:
            kind = links[index]
            program += (Put(f"q{index}", Number(1)),) if kind == "queue" else (Release(f"s{index}"),)
        threads.append(ThreadSpec(f"S{index}", "app", 0, program, start="spawned"))
    main = (*increment("x"), *(Spawn(f"S{i}") for i in range(length)), *(Join(f"S{i}") for i in range(length)),
            *increment("x"))  # fmt: skip
    threads.insert(0, ThreadSpec("main", "app", 0, main))
    process = ProcessSpec("app", 0, tuple(threads), memory=(("x", 0),), sync=sync)
    return Scenario("pipeline", "us", draw(st.integers(0, 1000)), draw(machines), (process,))


@settings(max_examples=80, deadline=None)
@given(ordered_pipelines())
def test_accesses_ordered_by_spawn_join_queues_and_semaphores_never_race(scenario: Scenario) -> None:
    """Happens-before through spawn, join, queue hand-offs and semaphores: no race is reported."""
    metrics = simulate(scenario)
    assert metrics.complete and not metrics.violations
    assert not metrics.races, metrics.races
    length = len(scenario.processes[0].threads) - 1
    assert dict(dict(metrics.memory)["app"])["x"] == length + 2


@st.composite
def lock_orders(draw: st.DrawFn) -> Scenario:
    """Threads that each take two of three mutexes in some order (perhaps deadlocking), then release."""
    threads = []
    for index in range(draw(st.integers(2, 4))):
        first, second = draw(st.permutations(["a", "b", "c"]))[:2]
        program = (Compute(draw(durations)), Lock(first), Compute(draw(durations)), Lock(second),
                   Compute(draw(durations)), Unlock(second), Unlock(first))  # fmt: skip
        threads.append(ThreadSpec(f"T{index}", "app", 0, program))
    sync = tuple(SyncSpec(name, "mutex") for name in "abc")
    return Scenario("locks", "us", 0, draw(machines), (ProcessSpec("app", 0, tuple(threads), sync=sync),))


@settings(max_examples=150, deadline=None)
@given(lock_orders())
def test_deadlocks_are_reported_exactly_when_threads_can_never_finish(scenario: Scenario) -> None:
    """Every thread named in a deadlock never finishes; a run that cannot finish always reports one."""
    metrics = simulate(scenario)
    finished = {thread.name for thread in metrics.threads if thread.completion is not None}
    deadlocks = [violation for violation in metrics.violations if violation.kind == "deadlock"]
    for violation in deadlocks:
        named = {word for word in violation.message.replace(";", " ").split() if word.startswith("T")}
        assert named and not named & finished, violation.message
    assert metrics.complete == (not deadlocks)
    assert {v.kind for v in metrics.violations} <= {"deadlock"}


@settings(max_examples=40, deadline=None)
@given(st.one_of(locked_counters().map(lambda case: case[0]), ordered_pipelines(), lock_orders()))
def test_runs_with_synchronization_are_deterministic(scenario: Scenario) -> None:
    """The same scenario and seed give the same report, synchronization and all."""
    assert render_json(simulate(scenario)) == render_json(simulate(scenario))
