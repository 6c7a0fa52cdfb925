"""Tests of synchronization semantics, misuse, deadlocks and stuck threads (simulator.model.sync, steps)."""

from __future__ import annotations

from tests.conftest import MS, run_yaml, trace_of


def memory_of(metrics, process: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A process's final memory."""
    return dict(dict(metrics.memory)[process])


def kinds(metrics) -> list[str]:  # type: ignore[no-untyped-def]
    """The kinds of the run's violations."""
    return [violation.kind for violation in metrics.violations]


def messages(metrics) -> list[str]:  # type: ignore[no-untyped-def]
    """The messages of the run's violations."""
    return [violation.message for violation in metrics.violations]


def one_process(sync: str, *threads: str, memory: str = "{x: 0}", cpus: int = 1) -> str:
    """A scenario with one process `p` holding `sync` objects and the given thread programs."""
    body = "".join(f"      - name: {name}\n        program: {program}\n"
                   for name, program in (thread.split(":", 1) for thread in threads))  # fmt: skip
    return (f"machine: {{cpus: {cpus}, policy: {{name: rr, quantum: 2}}}}\nprocesses:\n  - name: p\n"
            f"    memory: {memory}\n    sync: {sync}\n    threads:\n{body}")  # fmt: skip


def test_a_mutex_hands_over_to_its_first_waiter_in_fifo_order() -> None:
    """Waiters get the mutex in the order they asked, directly from the unlocker (quantum 2 on one CPU)."""
    metrics, events = trace_of(one_process(
        "{m: mutex}",
        "A: [lock: m, compute: 5, unlock: m]",
        "B: [compute: 1, lock: m, compute: 1, unlock: m]",
        "C: [compute: 1, lock: m, compute: 1, unlock: m]",
    ))  # fmt: skip
    handoffs = [(e.time // MS, e.thread, dict(e.details)["from"]) for e in events if e.event == "handoff"]
    # A runs 0-2, B locks at 3 and C at 4 (both wait), A runs on and unlocks at 7, B unlocks at 8.
    assert handoffs == [(7, "B", "A"), (8, "C", "B")]
    blocks = [dict(e.details)["reason"] for e in events if e.event == "block"]
    assert blocks == ["mutex m held by A", "mutex m held by A"]
    assert not metrics.violations


def test_misuse_is_a_violation_with_a_clear_message_never_a_crash() -> None:
    """Unlocking a mutex one does not hold, re-locking one's own, waiting without the mutex, joining oneself."""
    metrics = run_yaml("""\
        processes:
          - name: p
            sync: {m: mutex, cv: {condition: m}}
            threads:
              - name: A
                program: [unlock: m, lock: m, lock: m, unlock: m, wait: cv, join: A]
        """)
    assert kinds(metrics) == ["misuse"] * 4
    assert messages(metrics) == [
        "A unlocks mutex m, held by nobody",
        "A locks mutex m, which it already holds (not recursive)",
        "A waits on condition cv without holding mutex m",
        "A joins itself",
    ]
    assert metrics.complete


def test_semaphores_count_and_wake_in_order() -> None:
    """A semaphore of 1 lets one thread in at a time; release hands the unit to the first waiter."""
    metrics = run_yaml(one_process(
        "{s: {semaphore: 1}}",
        "A: [acquire: s, compute: 3, release: s]",
        "B: [acquire: s, compute: 3, release: s]",
    ))  # fmt: skip
    a, b = metrics.threads
    # A is preempted at 2 holding the unit; B blocks on acquire at 2 until A releases at 3.
    assert (a.completion, b.completion, b.blocked) == (3 * MS, 6 * MS, 1 * MS)


def test_condition_wait_with_timeout_times_out_and_reacquires() -> None:
    """A timed wait nobody notifies ends at its timeout, re-takes the mutex, and is never a deadlock."""
    metrics, events = trace_of(one_process(
        "{m: mutex, cv: {condition: m}}",
        "A: [lock: m, {wait: {cond: cv, timeout: 4}}, store: {var: x, value: 1}, unlock: m]",
    ))  # fmt: skip
    assert [e.time // MS for e in events if e.event == "timeout"] == [0 + 4]
    assert memory_of(metrics, "p") == {"x": 1} and not metrics.violations


def test_events_barriers_and_queues_block_until_they_can_go_on() -> None:
    """wait_event waits for set_event; a barrier for all parties; get for a put."""
    metrics = run_yaml(one_process(
        "{e: event, b: {barrier: 2}, q: {queue: 1}}",
        "A: [compute: 2, set_event: e, barrier: b, {put: {queue: q, value: 7}}]",
        "B: [wait_event: e, compute: 1, barrier: b, {get: {queue: q, into: r}}, store: {var: x, value: r}]",
        cpus=2,
    ))  # fmt: skip
    assert memory_of(metrics, "p") == {"x": 7}
    a, b = metrics.threads
    # B waits 0-2 for the event; A reaches the barrier at 2 and waits for B, who arrives at 3.
    assert (b.blocked, a.blocked) == (2 * MS, 1 * MS)
    assert not metrics.violations


def test_a_deadlock_cycle_is_reported_when_it_forms_even_while_others_run() -> None:
    """Two threads lock two mutexes in opposite orders; a third keeps computing: a partial deadlock."""
    metrics = run_yaml(one_process(
        "{a: mutex, b: mutex}",
        "T1: [lock: a, compute: 1, lock: b]",
        "T2: [lock: b, compute: 1, lock: a]",
        "T3: [compute: 20]",
        cpus=3,
    ))  # fmt: skip
    deadlocks = [v for v in metrics.violations if v.kind == "deadlock"]
    assert [(v.time, v.message) for v in deadlocks] == [
        (1 * MS, "deadlock cycle: T2 waits for mutex a held by T1; T1 waits for mutex b held by T2"),
    ]
    assert metrics.end_time == 20 * MS and not metrics.complete


def test_threads_that_can_never_run_again_are_reported_as_stuck() -> None:
    """An event nobody sets: no cycle, but nothing can ever happen, so it is reported as stuck."""
    metrics = run_yaml(one_process("{e: event, q: {queue: 2}}", "A: [wait_event: e]",
                                   "B: [{get: {queue: q, into: r}}]"))  # fmt: skip
    assert messages(metrics) == [
        "stuck: nothing can run any more: A waits for event e (not set); B waits for queue q empty"
    ]


def test_a_timed_wait_is_never_reported_as_deadlocked() -> None:
    """A thread in a timed wait can always go on by itself."""
    metrics = run_yaml(one_process(
        "{m: mutex, cv: {condition: m}}",
        "A: [lock: m, {wait: {cond: cv, timeout: 3}}, unlock: m]",
        "B: [compute: 1, lock: m, unlock: m]",
    ))  # fmt: skip
    assert not metrics.violations and metrics.complete


def test_assert_and_expect_violations_show_the_values() -> None:
    """A false assert reports its line and the variables' values; so does a false expectation."""
    metrics = run_yaml("""\
        processes:
          - name: p
            memory: {x: 3}
            threads:
              - name: A
                program: [assert: x == 4, store: {var: x, value: 5}]
        expect: [p.x == 6, p.x > 0]
        """)
    assert [(v.kind, v.message) for v in metrics.violations] == [
        ("assert", "assert x == 4 failed at line 6 (x = 3)"),
        ("expect", "p.x == 6 is false (p.x = 5)"),
    ]


def test_spawn_join_fork_and_wait_process() -> None:
    """Spawned threads start on spawn and can be joined; forked processes get a copy of the memory."""
    metrics = run_yaml("""\
        processes:
          - name: p
            memory: {x: 1}
            threads:
              - name: main
                program: [spawn: t, join: t, fork: c, fork: c, wait_process: c, load: {var: x, into: r}]
              - name: t
                start: spawned
                program: [compute: 2, store: {var: x, value: 2}]
          - name: c
            start: forked
            threads:
              - name: w
                program: [compute: 1, load: {var: x, into: r}, store: {var: x, value: r * 10}]
        expect: [p.x == 2, c.x == 20, no_data_race]
        """)
    assert not metrics.violations
    assert [t.name for t in metrics.threads] == ["main", "t", "w", "w#2"]
    assert dict(metrics.memory) == {"p": {"x": 2}, "c": {"x": 20}, "c#2": {"x": 20}}


def test_ipc_channels_carry_values_between_processes() -> None:
    """send/recv on a machine.ipc channel hand values from one process to another, in order."""
    metrics = run_yaml("""\
        machine: {cpus: 2, ipc: {pipe: {channel: 1}, done: event}}
        processes:
          - name: producer
            threads:
              - name: p
                program: [send: {channel: pipe, value: 5}, send: {channel: pipe, value: 7}, set_event: done]
          - name: consumer
            memory: {total: 0}
            threads:
              - name: c
                program:
                  - recv: {channel: pipe, into: a}
                  - recv: {channel: pipe, into: b}
                  - wait_event: done
                  - store: {var: total, value: a * 10 + b}
        expect: [consumer.total == 57]
        """)
    assert not metrics.violations and metrics.complete


def test_joining_what_already_ended_goes_on_and_still_orders_memory() -> None:
    """A join (or wait_process) that comes after the end goes on at once, and the end still happens
    before the joiner's next steps: no race on what the ended thread wrote."""
    metrics = run_yaml("""\
        machine: {cpus: 2}
        processes:
          - name: p
            memory: {x: 0}
            threads:
              - name: main
                program: [spawn: t, fork: c, compute: 10, join: t, wait_process: c, load: {var: x, into: r},
                          store: {var: x, value: r + 1}]
              - name: t
                start: spawned
                program: [store: {var: x, value: 5}]
          - name: c
            start: forked
            threads:
              - {name: w, program: [store: {var: x, value: 7}]}
        expect: [p.x == 6, c.x == 7, no_data_race]
        """)
    assert not metrics.violations and metrics.complete
