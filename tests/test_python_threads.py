"""Threads written in Python: generator bodies, the results sent back, misuse, exploration and determinism."""

from __future__ import annotations

import itertools
import os
from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import given, settings

from simulator import (
    Acquire,
    CasResult,
    Compute,
    Fork,
    Get,
    Join,
    Load,
    Lock,
    Notify,
    Put,
    Release,
    Sleep,
    Spawn,
    Store,
    ThreadContext,
    ThreadSpec,
    Unlock,
    Wait,
    WaitProcess,
    atomic_add,
    cas,
    incr,
    load_scenario,
    ms,
    parse_scenario,
    simulate,
    us,
    with_thread,
)
from simulator.analysis.footprints import Footprints
from simulator.exploration.explorer import Explorer
from simulator.ops import assert_that, s
from simulator.program.determinism import NondeterministicBodyError, check_deterministic
from simulator.program.python import PythonBody
from simulator.scenario.model import Scenario
from simulator.strategies import SCHEDULE_SETTINGS, schedules
from simulator.trace import TraceEvent

HERE = os.path.relpath(__file__)

#: A process with memory, a mutex, two accounts' mutexes, a queue and a condition; one placeholder thread.
BASE = """
name: python-threads
time_unit: ms
machine: {cpus: 2, policy: {name: rr, quantum: 3}}
processes:
  - name: app
    memory: {counter: 0, x: 0, a: 100, b: 100}
    sync: {m: mutex, ma: mutex, mb: mutex, q: {queue: 2}, cv: {condition: m}, sem: {semaphore: 1}}
    threads:
      - name: T1
        program: [{compute: 1}]
"""

Body = Generator[Any, Any, Any]


def scenario_with(*bodies: tuple[str, Any], text: str = BASE) -> Scenario:
    """BASE (or `text`) with these Python threads added to process app (T1 replaced when named)."""
    scenario = parse_scenario(text)
    for name, body in bodies:
        scenario = with_thread(scenario, "app", name, body)
    return scenario


def line_of(function: Any, offset: int) -> str:
    """`file:line` of the line `offset` lines below the def of `function`."""
    return f"{HERE}:{function.__code__.co_firstlineno + offset}"


def unlocked_increments() -> Body:
    for _ in range(3):
        value = yield Load("counter")
        yield Store("counter", value + 1)


#: One CPU: the default schedule runs the threads in turn, and only a preemption loses an update.
LOST_UPDATE = scenario_with(("T1", unlocked_increments), ("T2", unlocked_increments),
                            text=BASE.replace("cpus: 2", "cpus: 1") + "expect: [app.counter == 6]\n")  # fmt: skip


def transfer_ab() -> Body:
    yield Lock("ma")
    yield Compute(ms(1))
    yield Lock("mb")
    a = yield Load("a")
    yield Store("a", a - 10)
    b = yield Load("b")
    yield Store("b", b + 10)
    yield Unlock("mb")
    yield Unlock("ma")


def transfer_ba() -> Body:
    yield Lock("mb")
    yield Compute(ms(1))
    yield Lock("ma")
    yield Unlock("ma")
    yield Unlock("mb")


BANK = scenario_with(("T1", transfer_ab), ("T2", transfer_ba))


def test_a_python_body_runs_and_its_loads_see_values() -> None:
    """Two Python threads incrementing in turn on one CPU leave the counter at 6, with no violation."""
    metrics = simulate(LOST_UPDATE)
    assert metrics.violations == ()
    assert [t.name for t in metrics.threads] == ["T1", "T2"]


def test_explorer_dfs_finds_the_lost_update() -> None:
    """Exploration's DFS finds the lost update of Python threads, shrunk to one preemption."""
    result = Explorer("<python>", LOST_UPDATE, "h").explore_dfs(2)
    kinds = {failure.kind: failure for failure in result.failures}
    assert "expect" in kinds
    assert kinds["expect"].preemptions == 1
    assert "app.counter == 6 is false" in kinds["expect"].message


def test_explorer_dfs_finds_the_bank_transfer_deadlock() -> None:
    """Exploration finds the lock-order deadlock of two Python transfers, naming both mutexes."""
    result = Explorer("<python>", BANK, "h").explore_dfs(2)
    deadlocks = [failure for failure in result.failures if failure.kind == "deadlock"]
    assert deadlocks, result.failures
    assert "ma" in deadlocks[0].message and "mb" in deadlocks[0].message


def test_hypothesis_schedules_find_the_lost_update() -> None:
    """simulator.strategies.schedules() breaks the Python lost update and shrinks it to one preemption."""

    @settings(SCHEDULE_SETTINGS, max_examples=300, database=None, derandomize=True)
    @given(schedules())
    def no_update_is_lost(schedule: Any) -> None:
        assert not simulate(LOST_UPDATE, strategy=schedule).violations, schedule.describe()

    with pytest.raises(AssertionError, match=r"1 decision \(point \d+: preempt\)"):
        no_update_is_lost()


def test_hypothesis_schedules_find_the_deadlock() -> None:
    """Hypothesis finds a schedule where the Python transfers deadlock."""

    @settings(SCHEDULE_SETTINGS, max_examples=300, database=None, derandomize=True)
    @given(schedules())
    def never_deadlocks(schedule: Any) -> None:
        violations = simulate(BANK, strategy=schedule).violations
        assert not [v for v in violations if v.kind == "deadlock"], schedule.describe()

    with pytest.raises(AssertionError):
        never_deadlocks()


def test_results_are_sent_back() -> None:
    """Load's value, Get's item, an atomic's old value, cas's CasResult and a timed wait's outcome reach the body."""
    seen: list[object] = []

    def consumer() -> Body:
        seen.append(("get", (yield Get("q"))))
        seen.append(("get", (yield Get("q"))))
        seen.append(("load", (yield Load("x"))))
        seen.append(("add", (yield atomic_add("x", 5))))
        seen.append(("cas-fail", (yield cas("x", 99, 1))))
        seen.append(("cas-ok", (yield cas("x", 5, 7))))
        seen.append(("incr", (yield from incr("x", 3))))
        yield Lock("m")
        seen.append(("timed", (yield Wait("cv", timeout=ms(2)))))  # nobody notifies: it times out
        seen.append(("notified", (yield Wait("cv", timeout=s(1)))))
        yield Unlock("m")

    def producer() -> Body:
        yield Put("q", 41)
        yield Put("q", "x + 2")  # an expression over shared variables, read at the put
        yield Sleep(ms(10))
        yield Lock("m")
        yield Notify("cv")
        yield Unlock("m")

    metrics = simulate(scenario_with(("T1", consumer), ("T2", producer)))
    assert metrics.violations == ()
    assert seen == [("get", 41), ("get", 2), ("load", 0), ("add", 0), ("cas-fail", CasResult(False, 5)),
                    ("cas-ok", CasResult(True, 5)), ("incr", 10), ("timed", False), ("notified", True)]  # fmt: skip


def test_a_body_may_take_its_context() -> None:
    """A body with a parameter is called with the thread's ThreadContext."""
    contexts: list[ThreadContext] = []

    def body(context: ThreadContext) -> Body:
        contexts.append(context)
        yield Compute(us(5))

    simulate(scenario_with(("T9", body)))
    assert contexts == [ThreadContext("T9", "T9", "app", 1)]


def test_thread_spec_takes_a_generator_function() -> None:
    """ThreadSpec(program=function) holds it as a PythonBody; operations stay a tuple."""
    spec = ThreadSpec("T1", "app", 0, program=unlocked_increments)
    assert spec.program == (PythonBody(unlocked_increments),)
    assert ThreadSpec("T1", "app", 0, program=[Compute(1)]).program == (Compute(1),)


def test_acquire_of_a_mutex_is_a_lock_and_semaphores_work() -> None:
    """Acquire/Release of a mutex lock and unlock it (as in YAML); of a semaphore they count."""

    def body() -> Body:
        yield Acquire("m")
        yield Acquire("sem")
        yield Release("sem")
        yield Release("m")

    metrics = simulate(scenario_with(("T1", body), ("T2", body)))
    assert metrics.violations == ()


def test_mixed_yaml_and_python_threads() -> None:
    """A YAML thread and a Python thread share a mutex-protected counter; the count is exact."""
    text = BASE.replace(
        "program: [{compute: 1}]",
        """program:
          - repeat: {times: 5, do: [{lock: m}, {incr: counter}, {compute: 1}, {unlock: m}]}""",
    )
    text += "expect: [app.counter == 10, no_data_race]\n"

    def python() -> Body:
        for _ in range(5):
            yield Lock("m")
            yield from incr("counter")
            yield Compute(ms(1))
            yield Unlock("m")

    scenario = scenario_with(("P", python), text=text)
    assert simulate(scenario).violations == ()
    result = Explorer("<mixed>", scenario, "h").explore_dfs(2, max_runs=200)
    assert result.failures == ()


def test_data_races_of_python_threads_are_reported() -> None:
    """The race detector sees Python threads' unsynchronized stores, with the Python line."""

    def writer() -> Body:
        yield Store("x", 1)

    scenario = scenario_with(("T1", writer), ("T2", writer), text=BASE + "expect: [no_data_race]\n")
    races = [v for v in simulate(scenario).violations if v.kind == "data_race"]
    assert races
    assert str(writer.__code__.co_firstlineno + 1) in races[0].message


def test_trace_events_carry_python_lines() -> None:
    """Trace events of a Python thread's steps name the line of its yield."""
    events: list[TraceEvent] = []

    def body() -> Body:
        yield Store("x", 3)

    simulate(scenario_with(("T1", body)), listeners=[events.append])
    store = next(event for event in events if event.event == "store")
    assert dict(store.details)["line"] == body.__code__.co_firstlineno + 1


# -- misuse ------------------------------------------------------------------------------------------------


def misuse_of(body: Any) -> list[tuple[str, str | None, str, tuple[str, ...]]]:
    metrics = simulate(scenario_with(("T1", body)))
    return [(v.kind, v.thread, v.message, v.subject) for v in metrics.violations]


def test_yielding_something_else_is_misuse_with_file_and_line() -> None:
    """A yield of a non-operation is a misuse naming the thread, file and line; the thread stops there."""
    after: list[int] = []

    def body() -> Body:
        yield 42
        after.append(1)

    where = line_of(body, 1)
    assert misuse_of(body) == [("misuse", "T1", f"T1 yielded 42 at {where}, which is not a threadsim operation; "
                                                 "the thread stops", (where, "yield"))]  # fmt: skip
    assert after == []


def test_unknown_names_are_misuse() -> None:
    """A variable, object or wrong kind of object the process lacks is a misuse with the file and line."""

    def no_variable() -> Body:
        yield Load("nope")

    def no_object() -> Body:
        yield Lock("nope")

    def wrong_kind() -> Body:
        yield Get("m")

    where = line_of(no_variable, 1)
    assert misuse_of(no_variable) == [("misuse", "T1", f"T1 yielded Load at {where}: process app has no shared "
                                       "variable 'nope' (it has a, b, counter, x); the thread stops",
                                       (where, "Load"))]  # fmt: skip
    where = line_of(no_object, 1)
    [(_, _, message, _)] = misuse_of(no_object)
    assert message.startswith(f"T1 yielded Lock at {where}: process app has no synchronization object 'nope'")
    where = line_of(wrong_kind, 1)
    assert misuse_of(wrong_kind) == [("misuse", "T1", f"T1 yielded Get at {where}: m is a mutex, and Get works on "
                                      "a queue or channel; the thread stops", (where, "Get"))]  # fmt: skip


def test_a_raising_body_is_a_violation_with_file_and_line() -> None:
    """An exception in a body is a misuse at the raising line; a failed Python assert is an assert violation."""

    def raising() -> Body:
        value = yield Load("x")
        yield Store("x", 1 // value)

    def asserting() -> Body:
        value = yield Load("x")
        assert value == 1, "x should be 1"

    where = line_of(raising, 2)
    assert misuse_of(raising) == [("misuse", "T1", f"T1 raised ZeroDivisionError: integer division or modulo by "
                                   f"zero at {where}; the thread stops", (where, "raise"))]  # fmt: skip
    where = line_of(asserting, 2)
    assert misuse_of(asserting) == [("assert", "T1", f"T1: assert failed at {where} (AssertionError: x should be 1)",
                                     (where, "assert"))]  # fmt: skip


def test_a_plain_function_is_misuse() -> None:
    """A body that is not a generator function is a misuse naming its definition."""

    def plain() -> None:
        return None

    [(kind, thread, message, _)] = misuse_of(plain)
    assert (kind, thread) == ("misuse", "T1")
    assert message.startswith(f"the body of T1 ({line_of(plain, 0)}) is not a generator function")


def test_language_assert_from_python() -> None:
    """assert_that is the language's assert: a violation naming the condition, the thread goes on."""

    def body() -> Body:
        yield assert_that("x > 0")
        yield Store("x", 1)

    metrics = simulate(scenario_with(("T1", body)))
    assert [v.kind for v in metrics.violations] == ["assert"]
    assert "x > 0" in metrics.violations[0].message


# -- determinism -------------------------------------------------------------------------------------------


def test_same_seed_same_run() -> None:
    """Two runs of a Python scenario with one seed give identical trace events."""

    def trace() -> list[TraceEvent]:
        events: list[TraceEvent] = []
        simulate(BANK, seed=3, listeners=[events.append])
        return events

    assert trace() == trace()


def test_a_nondeterministic_body_is_detected() -> None:
    """A body that depends on state kept between runs is reported as nondeterministic when a failure is found."""
    runs = itertools.count()

    def drifting() -> Body:
        if next(runs) % 2:
            yield Compute(1)
        value = yield Load("counter")
        yield Store("counter", value + 1)

    scenario = scenario_with(("T1", drifting), ("T2", unlocked_increments), text=BASE + "expect: [app.counter == 4]\n")
    with pytest.raises(NondeterministicBodyError, match=r"nondeterministic thread body: T1 yielded different"):
        check_deterministic(scenario, 0, ())
    with pytest.raises(NondeterministicBodyError):
        Explorer("<drift>", scenario, "h").explore_dfs(2)


def test_python_threads_are_conservative_in_footprints() -> None:
    """A Python thread may touch anything: no step of another thread is taken as independent of it."""
    scenario = with_thread(load_scenario("scenarios/counter-incr.yaml"), "app", "T2", unlocked_increments)
    footprints = Footprints(scenario)
    assert footprints.others["T1"].everything
    assert not footprints.independent("T1", Store("counter", 1))


def test_misuse_names_the_users_line_through_helpers() -> None:
    """Through `yield from incr(...)`, and for a bad argument, the message names the body's line, not threadsim's."""

    def through_incr() -> Body:
        yield from incr("nope")

    def bad_value() -> Body:
        yield Store("x", 1.5)

    [(_, _, message, _)] = misuse_of(through_incr)
    assert f" at {line_of(through_incr, 1)}: process app has no shared variable 'nope'" in message
    where = line_of(bad_value, 1)
    assert misuse_of(bad_value) == [("misuse", "T1", f"T1 raised TypeError: a value is an int, an expression's "
                                     f"text or an Expression, not float at {where}; the thread stops",
                                     (where, "raise"))]  # fmt: skip


def test_spawned_and_forked_python_threads() -> None:
    """A Python thread can spawn and join a Python thread, and fork a process whose Python threads see their replica."""
    text = (
        BASE
        + """  - name: child
    start: forked
    threads:
      - {name: C, program: [{compute: 1}]}
"""
    )
    contexts: list[ThreadContext] = []

    def child(context: ThreadContext) -> Body:
        contexts.append(context)
        yield Store("x", context.replica)

    def worker() -> Body:
        yield Store("x", 7)

    def main() -> Body:
        yield Spawn("W")
        yield Join("W")
        seen = yield Load("x")
        yield Store("counter", seen)
        for _ in range(2):
            yield Fork("child")
            yield WaitProcess("child")

    scenario = with_thread(parse_scenario(text), "child", "C", child)
    scenario = with_thread(with_thread(scenario, "app", "W", worker, start="spawned"), "app", "T1", main)
    metrics = simulate(scenario)
    assert metrics.violations == ()
    assert contexts == [ThreadContext("C", "C", "child", 1), ThreadContext("C#2", "C", "child#2", 2)]
    assert [t.name for t in metrics.threads] == ["T1", "W", "C", "C#2"]


def test_a_found_schedule_replays_and_renders(tmp_path: Any) -> None:
    """The shrunk token of a Python failure replays it, and a timeline of that replay is written."""
    from simulator.analysis.metrics import collect_metrics
    from simulator.exploration.strategies import ReplayStrategy
    from simulator.exploration.tokens import decode
    from simulator.model.kernel import Kernel
    from simulator.output.timeline import open_timeline
    from simulator.output.writer import TimelineInfo

    failure = Explorer("<python>", LOST_UPDATE, "0123abcd").explore_dfs(2).failures[0]
    token = decode(failure.token)
    metrics, _, _ = Explorer("<python>", LOST_UPDATE, "h").replay(token.seed, token.decisions)
    assert [v.message for v in metrics.violations if v.kind == "expect"] == [failure.message]
    path = tmp_path / "lost.jsonl"
    threads = tuple((spec.name, "app") for spec in LOST_UPDATE.threads())
    sink = open_timeline(str(path), TimelineInfo(LOST_UPDATE.name, "ms", 1, threads))
    kernel = Kernel(LOST_UPDATE, seed=token.seed, strategy=ReplayStrategy(dict(token.decisions)), listeners=[sink])
    kernel.run()
    sink.close(collect_metrics(kernel, seed=token.seed))
    text = path.read_text(encoding="utf-8")
    assert '"event": "store"' in text.replace('":"', '": "') and '"T2"' in text


def test_a_forked_python_thread_conflicts_with_its_other_instances() -> None:
    """Other instances of a forked process's Python thread may touch anything: none of its steps is independent."""
    text = (
        BASE
        + """  - name: child
    start: forked
    threads:
      - {name: C, program: [{compute: 1}]}
"""
    )
    scenario = with_thread(parse_scenario(text), "child", "C", unlocked_increments)
    assert Footprints(scenario).others["C"].everything


def test_a_generator_object_is_refused() -> None:
    """ThreadSpec(program=worker()) is a TypeError saying to pass the function: each run calls it afresh."""
    with pytest.raises(TypeError, match=r"generator function itself \(unlocked_increments\), not a generator"):
        ThreadSpec("T1", "app", 0, program=unlocked_increments())  # type: ignore[arg-type]
