"""The race detector's shortcut (simulator.analysis.races, `RaceDetector.for_run`): no vector clocks until the
run's first shared access, and none at all when the scenario cannot race (simulator.analysis.footprints,
`may_race`). Every report must be what the detector running from the start gives: each scenario file, run
and explored both ways, and generated programs that synchronize before they race."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Load, Lock, Put, Store, Unlock, load_scenario, parse_scenario, simulate, with_thread
from simulator.analysis import races
from simulator.analysis.footprints import Footprints, may_race
from simulator.api import explore
from simulator.cli import main
from simulator.model.kernel import Kernel
from simulator.output.json_report import render_json
from tests.conftest import ROOT, SCENARIOS, scenario_from
from tests.test_scenarios import SCENARIO_FILES

MUTEX_ONLY = """\
machine: {cpus: 2, policy: {name: rr, quantum: 1}}
processes:
  - name: app
    memory: {unused: 0}
    sync: {m: mutex, s: {semaphore: 1}, q: {queue: 1}}
    threads:
      - {name: A, count: 3, program: [{repeat: {times: 3, do: [lock: m, compute: 2, unlock: m, compute: 1]}}]}
      - {name: B, program: [acquire: s, {put: {queue: q, value: 1}}, release: s]}
      - {name: C, program: [{get: {queue: q, into: r}}, let: {reg: r, value: r + 1}]}
"""


def one_process(threads: str, memory: str = "{x: 0}", sync: str = "{m: mutex}") -> str:
    """A scenario of one process with these thread declarations (YAML flow mappings, one a line)."""
    lines = "".join(f"      - {thread}\n" for thread in threads.splitlines())
    return (f"machine: {{cpus: 2, policy: fcfs}}\nprocesses:\n  - name: app\n    memory: {memory}\n"
            f"    sync: {sync}\n    threads:\n{lines}")  # fmt: skip


def test_a_mutex_only_scenario_cannot_race_and_a_counter_can() -> None:
    """Locks, semaphores, queues and registers (no variable read or written): no race possible. Two threads
    incrementing a counter: possible, with or without a mutex around it (the mutex is what the clocks check)."""
    assert not may_race(scenario_from(MUTEX_ONLY))
    assert may_race(load_scenario(SCENARIOS / "counter-incr.yaml"))
    assert may_race(load_scenario(SCENARIOS / "counter-mutex.yaml"))
    assert not Footprints(scenario_from(MUTEX_ONLY)).may_race
    assert Footprints(load_scenario(SCENARIOS / "counter-incr.yaml")).may_race


@pytest.mark.parametrize(
    ("threads", "possible"),
    [
        ("{name: A, program: [incr: x]}", False),  # one thread: nobody to race with
        ("{name: A, program: [incr: x]}\n{name: B, program: [load: {var: x, into: r}]}", True),
        ("{name: A, program: [load: {var: x, into: r}]}\n{name: B, program: [load: {var: x, into: r}]}", False),
        ("{name: A, count: 2, program: [store: {var: x, value: 1}]}", True),  # copies of one declaration
        ("{name: A, count: 2, program: [load: {var: x, into: r}]}", False),
        ("{name: A, program: [incr: x]}\n{name: B, program: [incr: y]}", False),  # different variables
        ("{name: A, program: [incr: x]}\n{name: B, program: [{if: {cond: x > 0, then: [compute: 1]}}]}", True),
        ("{name: A, program: [incr: x]}\n{name: B, program: [{atomic: {var: y, op: add, value: x}}]}", True),
        # A put's value is read like any expression, though the put's footprint names only its queue.
        ("{name: A, program: [incr: x]}\n{name: B, program: [{put: {queue: q, value: x + 1}}]}", True),
    ],
)
def test_what_may_race_within_one_process(threads: str, possible: bool) -> None:
    """Two thread instances, one variable, at least one write: possible; anything less: not."""
    scenario = scenario_from(one_process(threads, "{x: 0, y: 0}", "{m: mutex, q: {queue: 5}}"))
    assert may_race(scenario) is possible


def test_separate_memories_cannot_race() -> None:
    """Each copy of a process and each forked instance has memory of its own: one writer in each is no race."""
    copies = """\
    machine: {cpus: 2, policy: fcfs}
    processes:
      - name: app
        count: 3
        memory: {x: 0}
        threads: [{name: A, program: [incr: x]}]
      - name: parent
        memory: {x: 0}
        threads: [{name: P, program: [incr: x, fork: child, incr: x, wait_process: child]}]
      - name: child
        start: forked
        threads: [{name: C, program: [incr: x]}]
    """
    assert not may_race(scenario_from(copies))


def python_writer() -> Generator[Any, Any, None]:
    """Synchronizes first, then writes x unlocked."""
    yield Lock("m")
    yield Put("q", 1)
    yield Unlock("m")
    yield Store("x", 1)


def python_reader() -> Generator[Any, Any, None]:
    yield Lock("m")
    yield Unlock("m")
    value = yield Load("x")
    yield Store("y", value)


#: Python threads: no static footprint, so the detector starts at the first access, after the lock and put.
PYTHON = with_thread(with_thread(parse_scenario(one_process("{name: T0, program: [compute: 1]}", "{x: 0, y: 0}",
                                                            "{m: mutex, q: {queue: 5}}")),
                                 "app", "T1", python_writer), "app", "T2", python_reader)  # fmt: skip


def test_a_python_thread_may_race() -> None:
    """What a Python body touches is known only as it runs."""
    assert may_race(PYTHON)


def test_the_detector_keeps_no_clock_unless_a_race_is_possible(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mutex-only run makes no clock at all (the detector from the start makes one per thread); the
    counter's run makes them, and a mutex-only run with a race somewhere else in it makes them too."""
    mutex_only = scenario_from(MUTEX_ONLY)
    lazy = Kernel(mutex_only, seed=0)
    lazy.run()
    assert lazy.complete and lazy.races.clocks == {} and lazy.races.history == {}
    counter = Kernel(load_scenario(SCENARIOS / "counter-incr.yaml"), seed=0)
    counter.run()
    assert len(counter.races.clocks) == 2 and counter.races.races
    monkeypatch.setattr(races, "MODE", "eager")
    eager = Kernel(mutex_only, seed=0)
    eager.run()
    assert len(eager.races.clocks) == len(eager.threads) == 5


def test_a_run_without_the_detector_reports_no_race(monkeypatch: pytest.MonkeyPatch) -> None:
    """MODE "none", the benchmark's baseline, detects nothing (what makes it a baseline, not a result)."""
    counter = load_scenario(SCENARIOS / "counter-incr.yaml")
    assert simulate(counter).races
    monkeypatch.setattr(races, "MODE", "none")
    assert not simulate(counter).races


def reports(monkeypatch: pytest.MonkeyPatch, mode: str, arguments: list[str]) -> list[tuple[int, str]]:
    """Exit status and output of `threadsim run` with each report format, the detector in `mode`."""
    monkeypatch.setattr(races, "MODE", mode)
    outputs = []
    for report in ("json", "text"):
        result = CliRunner().invoke(main, ["run", *arguments, "--report", report])
        outputs.append((result.exit_code, result.output))
    return outputs


@pytest.mark.parametrize("name", SCENARIO_FILES)
def test_every_scenario_reports_the_same_with_and_without_the_shortcut(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each scenario file, with its own seed and two others: the JSON and text reports are byte-identical
    whether the clocks run from the start or only when (and from when) a race is possible."""
    monkeypatch.chdir(ROOT)
    for seed in (None, 1, 2):
        arguments = [f"scenarios/{name}"] + ([] if seed is None else ["--seed", str(seed)])
        eager = reports(monkeypatch, "eager", arguments)
        assert reports(monkeypatch, "lazy", arguments) == eager
        assert eager[0][0] in (0, 1), eager[0][1]


@pytest.mark.parametrize("name", ["counter-incr.yaml", "counter-mutex.yaml", "peterson.yaml", "fork.yaml",
                                  "dining-philosophers.yaml", "producer-consumer-queue.yaml"])  # fmt: skip
def test_exploration_finds_the_same_with_and_without_the_shortcut(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every schedule of an exploration (its runs share one `Footprints`, which decides once for all)."""
    scenario = load_scenario(SCENARIOS / name)
    found = {}
    for mode in ("eager", "lazy"):
        monkeypatch.setattr(races, "MODE", mode)
        found[mode] = explore(scenario, "random", runs=60, shrink_budget=50)
    assert found["lazy"] == found["eager"]


def test_python_threads_report_the_same_with_and_without_the_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    """T1's unlocked store races with T2's load only in schedules where the lock orders nothing between them;
    the clocks start at the first access, after both threads' locking, in every seed."""
    for seed in range(6):
        monkeypatch.setattr(races, "MODE", "eager")
        eager = simulate(PYTHON, seed=seed)
        monkeypatch.setattr(races, "MODE", "lazy")
        assert render_json(simulate(PYTHON, seed=seed)) == render_json(eager)


# -- generated programs: synchronization first, then races ------------------------------------------------------


@st.composite
def chunk(draw: st.DrawFn, spawner: bool) -> list[object]:
    """A piece of a program: shared accesses, alone or inside a critical section; synchronization on its own
    (a semaphore, a queue, an event); compute; for the first thread, spawning or joining S."""
    access = st.sampled_from([
        {"load": {"var": "x", "into": "r"}}, {"store": {"var": "x", "value": "r + 1"}}, {"incr": "y"},
        {"atomic": {"var": "x", "op": "add", "value": 1}}, {"let": {"reg": "r", "value": "y"}},
    ])  # fmt: skip
    kinds = ["access", "locked", "semaphore", "put", "get", "event", "wait", "compute"]
    kind = draw(st.sampled_from(kinds + (["spawn", "join"] if spawner else [])))
    body = draw(st.lists(access, min_size=1, max_size=2))
    return {
        "access": body,
        "locked": [{"lock": "m"}, *body, {"unlock": "m"}],
        "semaphore": [{"acquire": "s"}, *body, {"release": "s"}],
        "put": [{"put": {"queue": "q", "value": "r"}}],
        "get": [{"get": {"queue": "q", "into": "r"}}],
        "event": [{"set_event": "e"}],
        "wait": [{"wait_event": "e"}],
        "compute": [{"compute": draw(st.integers(0, 2))}],
        "spawn": [{"spawn": "S"}],
        "join": [{"join": "S"}],
    }[kind]


@st.composite
def synchronized_programs(draw: st.DrawFn) -> str:
    """Two or three threads and a spawned one, in one process, mixing synchronization and accesses in any
    order (so that some runs synchronize a good while before their first access). Some deadlock or misuse
    a primitive: the reports must still agree."""
    threads: list[dict[str, object]] = []
    for index in range(draw(st.integers(2, 3))):
        program = [step for part in draw(st.lists(chunk(index == 0), min_size=1, max_size=5)) for step in part]
        threads.append({"name": f"T{index}", "arrival": draw(st.integers(0, 2)), "program": program})
    spawned = [step for part in draw(st.lists(chunk(False), min_size=1, max_size=2)) for step in part]
    threads.append({"name": "S", "start": "spawned", "program": spawned})
    machine: dict[str, object] = {
        "cpus": draw(st.integers(1, 2)),
        "policy": draw(st.sampled_from(["fcfs", {"name": "rr", "quantum": 1}])),
    }
    if draw(st.booleans()):
        machine["tiebreak"] = "random"
    document = {
        "seed": draw(st.integers(0, 1000)),
        "machine": machine,
        "processes": [{"name": "app", "memory": {"x": 0, "y": 0},
                       "sync": {"m": "mutex", "s": {"semaphore": 1}, "q": {"queue": 1}, "e": "event"},
                       "threads": threads}],
    }  # fmt: skip
    return yaml.safe_dump(document, sort_keys=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(synchronized_programs())
def test_generated_programs_report_the_same_with_and_without_the_shortcut(text: str) -> None:
    """The JSON report (races with their accesses and counts, violations, memory, metrics) is the same."""
    scenario = parse_scenario(text)
    reported = {}
    for mode in ("eager", "lazy"):
        races.MODE = mode
        try:
            reported[mode] = render_json(simulate(scenario))
        finally:
            races.MODE = "lazy"
    assert reported["lazy"] == reported["eager"]
