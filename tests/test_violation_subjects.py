"""Tests of `Violation.subject` (simulator.analysis.violations): every kind the model reports carries its
structured subject, the same whatever the timing."""

from __future__ import annotations

from tests.conftest import run_yaml


def subjects(metrics) -> list[tuple[str, tuple[str, ...]]]:  # type: ignore[no-untyped-def]
    """Each violation's kind and subject, in report order."""
    return [(violation.kind, violation.subject) for violation in metrics.violations]


def test_expect_assert_and_data_race_subjects() -> None:
    """An expectation by its text, an assertion by its line and text, a race by process and variable."""
    metrics = run_yaml("""\
        machine: {cpus: 2, policy: fcfs}
        processes:
          - name: p
            memory: {x: 0}
            threads:
              - {name: A, program: [store: {var: x, value: 1}, assert: x == 5]}
              - {name: B, program: [store: {var: x, value: 2}]}
        expect:
          - p.x == 7
          - no_data_race
        """)
    assert subjects(metrics) == [
        ("assert", ("6", "x == 5")),
        ("expect", ("p.x == 7",)),
        ("data_race", ("p", "x")),  # A's store and B's
        ("data_race", ("p", "x")),  # A's assert reads x, B's store
    ]


def test_misuse_subjects_name_the_object_and_the_operation() -> None:
    """Each misuse names what was misused and how."""
    metrics = run_yaml("""\
        processes:
          - name: p
            memory: {x: 0}
            sync: {m: mutex, cv: {condition: m}}
            threads:
              - name: A
                program: [unlock: m, lock: m, lock: m, unlock: m, wait: cv, join: A, join: B,
                          {store: {var: x, value: 1 // x}}]
              - {name: B, start: spawned, program: [compute: 1]}
        """)
    assert subjects(metrics) == [
        ("misuse", ("m", "unlock")),
        ("misuse", ("m", "lock")),
        ("misuse", ("cv", "wait")),
        ("misuse", ("A", "join")),
        ("misuse", ("B", "join")),
        ("misuse", ("8", "evaluate")),
    ]


def test_a_deadlock_cycle_is_named_by_its_sorted_objects_whichever_thread_closes_it() -> None:
    """Two threads locking two mutexes in opposite orders: the same subject whoever blocks last."""

    def cycle(first: str, second: str) -> list[tuple[str, tuple[str, ...]]]:
        return subjects(
            run_yaml(f"""\
            machine: {{cpus: 2, policy: fcfs}}
            processes:
              - name: p
                sync: {{zeta: mutex, alpha: mutex}}
                threads:
                  - {{name: T1, program: [lock: {first}, compute: 1, lock: {second}]}}
                  - {{name: T2, program: [lock: {second}, compute: 2, lock: {first}]}}
            """)
        )

    assert cycle("zeta", "alpha") == cycle("alpha", "zeta") == [("deadlock", ("alpha", "zeta"))]


def test_stuck_threads_are_named_by_the_objects_they_wait_for() -> None:
    """Threads stuck on an event and a queue: the distinct objects, sorted."""
    metrics = run_yaml("""\
        processes:
          - name: p
            sync: {e: event, q: {queue: 1}}
            threads:
              - {name: A, program: [wait_event: e]}
              - {name: B, program: [wait_event: e]}
              - {name: C, program: [{get: {queue: q, into: r}}]}
        """)
    assert subjects(metrics) == [("deadlock", ("e", "q"))]


def test_the_step_bound_has_an_empty_subject() -> None:
    """Stopping at the step bound is one failure, whatever was running."""
    metrics = run_yaml("processes:\n  - name: p\n    threads:\n      - {name: A, program: [yield, yield, yield]}\n",
                       max_steps=2)  # fmt: skip
    assert subjects(metrics) == [("step_bound", ())]
