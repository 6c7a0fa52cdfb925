"""Mutex priority protocols: priority inheritance (transitive) and the immediate priority ceiling."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import (
    Compute,
    InputErrors,
    MachineSpec,
    Operation,
    PolicySpec,
    ProcessSpec,
    Scenario,
    ThreadSpec,
    load_scenario,
    simulate,
)
from simulator.model.kernel import Kernel
from simulator.program.operations import Lock, Unlock
from simulator.scenario.model import SyncSpec
from simulator.trace import TraceEvent
from tests.conftest import MS, SCENARIOS, by_name, scenario_from, trace_of


def pathfinder(variant: str) -> dict[str, object]:
    """The shipped Pathfinder scenario (`variant`: '', '-inherit' or '-ceiling'), threads by name."""
    return by_name(simulate(load_scenario(SCENARIOS / f"pathfinder{variant}.yaml")))


def test_pathfinder_inverts_priorities_without_a_protocol() -> None:
    """The bus task waits for the lock through the whole of the medium task's 30 ms."""
    threads = pathfinder("")
    assert threads["bus_task"].sync == 38 * MS  # type: ignore[attr-defined]
    assert threads["comms"].completion < threads["bus_task"].completion  # type: ignore[attr-defined]


def test_pathfinder_with_inheritance_waits_only_for_the_critical_section() -> None:
    """meteo inherits the bus task's priority: comms cannot preempt it, so the wait is meteo's 8 ms left."""
    threads = pathfinder("-inherit")
    assert threads["bus_task"].sync == 8 * MS  # type: ignore[attr-defined]
    assert threads["bus_task"].completion == 13 * MS  # type: ignore[attr-defined]


def test_pathfinder_with_a_ceiling_never_blocks_on_the_bus() -> None:
    """meteo runs its critical section at the ceiling: the bus task waits ready, never for the lock."""
    threads = pathfinder("-ceiling")
    bus_task = threads["bus_task"]
    assert (bus_task.sync, bus_task.waiting, bus_task.completion) == (0, 8 * MS, 13 * MS)  # type: ignore[attr-defined]


def priority_changes(events: list[TraceEvent]) -> list[tuple[int, str, object, object]]:
    """(time ms, thread, new priority, old priority) of each priority event."""
    return [(event.time // MS, str(event.thread), dict(event.details)["priority"], dict(event.details)["from"])
            for event in events if event.event == "priority"]  # fmt: skip


def test_inheritance_is_transitive_and_restored_on_unlock() -> None:
    """H waits for b held by M, which waits for a held by L: L runs at H's priority until it unlocks a,
    and every priority is back to its own at the end."""
    metrics, events = trace_of("""
        name: chain
        time_unit: ms
        machine: {cpus: 1, policy: {name: priority, preemptive: true}}
        processes:
          - name: p
            sync: {a: {mutex: {protocol: inherit}}, b: {mutex: {protocol: inherit}}}
            threads:
              - {name: L, priority: 5, program: [{lock: a}, {compute: 10}, {unlock: a}]}
              - {name: M, priority: 3, arrival: 1, program: [{lock: b}, {lock: a}, {unlock: a}, {unlock: b}]}
              - {name: H, priority: 1, arrival: 2, program: [{lock: b}, {unlock: b}]}
              - {name: X, priority: 2, arrival: 3, program: [{compute: 20}]}
    """)
    assert priority_changes(events) == [(1, "L", 3, 5), (2, "M", 1, 3), (2, "L", 1, 3), (10, "L", 5, 1),
                                        (10, "M", 3, 1)]  # fmt: skip
    threads = by_name(metrics)
    assert threads["H"].completion == 10 * MS  # type: ignore[attr-defined]  # X never got in between


def test_a_ready_holder_raised_by_inheritance_is_refiled_and_runs_first() -> None:
    """A holder preempted into the ready queue inherits a waiter's priority while ready, and the policy
    then picks it before a thread that was more urgent than it."""
    metrics, events = trace_of("""
        name: refile
        time_unit: ms
        machine: {cpus: 1, policy: {name: priority, preemptive: true}}
        processes:
          - name: p
            sync: {m: {mutex: {protocol: inherit}}}
            threads:
              - {name: L, priority: 5, program: [{lock: m}, {compute: 4}, {unlock: m}]}
              - {name: M, priority: 3, arrival: 1, program: [{compute: 5}]}
              - {name: H, priority: 1, arrival: 2, program: [{lock: m}, {unlock: m}]}
    """)
    # L is preempted (ready) by M at 1; H preempts M at 2 and blocks on m; L, now at 1, runs before M.
    assert priority_changes(events)[0] == (2, "L", 1, 5)
    threads = by_name(metrics)
    assert threads["H"].completion == 5 * MS  # type: ignore[attr-defined]
    assert threads["M"].completion == 9 * MS  # type: ignore[attr-defined]  # 1 ms before, 4 after L and H


def test_a_ceiling_is_taken_on_lock_and_dropped_on_unlock() -> None:
    """The holder runs at the ceiling from its lock; on unlock a more urgent ready thread preempts it."""
    _, events = trace_of("""
        name: ceiling
        time_unit: ms
        machine: {cpus: 1, policy: {name: priority, preemptive: true}}
        processes:
          - name: p
            sync: {m: {mutex: {protocol: ceiling, ceiling: 0}}}
            threads:
              - {name: L, priority: 5, program: [{lock: m}, {compute: 4}, {unlock: m}, {compute: 1}]}
              - {name: M, priority: 3, arrival: 1, program: [{compute: 1}]}
    """)
    assert priority_changes(events) == [(0, "L", 0, 5), (4, "L", 5, 0)]
    runs = [(event.time // MS, event.thread) for event in events if event.event == "run"]
    assert runs == [(0, "L"), (4, "M"), (5, "L")]


@pytest.mark.parametrize(("declaration", "message"), [
    ("{mutex: {protocol: inherits}}", "a mutex's protocol is inherit or ceiling (did you mean 'inherit'?)"),
    ("{mutex: {protocol: ceiling}}", "protocol: ceiling needs `ceiling`"),
    ("{mutex: {protocol: inherit, ceiling: 1}}", "only protocol: ceiling takes a ceiling"),
    ("{mutex: {protocl: inherit}}", "unknown mutex setting 'protocl'"),
    ("{mutex: 1}", "a mutex takes no value (a mutex takes {protocol: inherit}"),
    ("{mutex: {}}", "a mutex's settings need a protocol: inherit or ceiling"),  # it said "got None"
])  # fmt: skip
def test_bad_protocol_declarations_are_located_errors(declaration: str, message: str) -> None:
    """Each mistake is reported at the object, with what is allowed."""
    with pytest.raises(InputErrors) as caught:
        scenario_from(f"""
            name: bad
            processes:
              - name: p
                sync: {{m: {declaration}}}
                threads: [{{name: T, program: [{{lock: m}}, {{unlock: m}}]}}]
        """)
    assert message in str(caught.value)


@st.composite
def protocol_scenarios(draw: st.DrawFn) -> Scenario:
    """Threads of random priorities that lock two protocol mutexes (in a fixed order: no deadlock),
    sometimes nested, around computes, under preemptive or non-preemptive priority scheduling."""
    specs = []
    for name in ("a", "b"):
        protocol = draw(st.sampled_from(["inherit", "ceiling", ""]))
        ceiling = draw(st.integers(0, 4)) if protocol == "ceiling" else None
        specs.append(SyncSpec(name, "mutex", protocol=protocol, ceiling=ceiling))
    threads = []
    for index in range(draw(st.integers(2, 5))):
        program: list[Operation] = [Compute(draw(st.integers(0, 3)) * MS)]
        for _ in range(draw(st.integers(1, 3))):
            inner = draw(st.sampled_from([("a",), ("b",), ("a", "b")]))
            program += [Lock(name) for name in inner]
            program.append(Compute(draw(st.integers(0, 4)) * MS))
            program += [Unlock(name) for name in reversed(inner)]
        threads.append(ThreadSpec(f"T{index}", "p", draw(st.integers(0, 6)) * MS, tuple(program),
                                  priority=draw(st.integers(0, 5))))  # fmt: skip
    policy = PolicySpec("priority", (("preemptive", draw(st.booleans())), ("aging", 0)))
    machine = MachineSpec(cpus=draw(st.integers(1, 2)), policy=policy)
    return Scenario("generated", "ms", 0, machine, (ProcessSpec("p", 0, tuple(threads), sync=tuple(specs)),))


@settings(max_examples=60, deadline=None)
@given(protocol_scenarios())
def test_protocols_keep_priorities_consistent_and_restore_them(scenario: Scenario) -> None:
    """Whenever the scheduler acts (a thread arrives, is dispatched, switched in, preempted or ends: never in
    the middle of a lock operation), a thread's priority is what its own and the protocol mutexes it holds
    give (the most urgent of its own, its held ceilings and its held inheriting mutexes' waiters); at the
    end every priority is the thread's own."""
    kernel: Kernel | None = None

    def check(event: TraceEvent) -> None:
        assert kernel is not None
        if event.event not in ("arrive", "run", "switch", "preempt", "exit"):
            return
        for thread in kernel.threads:
            expected = thread.base_priority
            for mutex in thread.boosting or ():
                if mutex.owner is thread:
                    pull = mutex.pull()
                    expected = min(expected, pull) if pull is not None else expected
            assert thread.priority == expected, thread.name

    kernel = Kernel(scenario, seed=0, listeners=[check])
    kernel.run()
    assert kernel.complete and not kernel.violations
    assert all(thread.priority == thread.base_priority for thread in kernel.threads)
