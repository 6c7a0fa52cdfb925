"""Tests of replicas (`count`, `interarrival`, the `replica` register): names, arrivals, errors."""

import textwrap

import attrs
import pytest

from simulator import parse_scenario, simulate
from simulator.errors import InputErrors
from simulator.scenario.limits import MAX_THREADS

MS = 1_000_000


def run(text: str, seed: int | None = None):  # type: ignore[no-untyped-def]
    """The metrics of a scenario text's run."""
    return simulate(parse_scenario(textwrap.dedent(text), "s.yaml"), seed=seed)


def errors_of(text: str) -> list[str]:
    """The error lines a scenario text produces."""
    with pytest.raises(InputErrors) as caught:
        parse_scenario(textwrap.dedent(text), "s.yaml")
    return [str(error) for error in caught.value.errors]


def test_count_makes_named_copies_spaced_by_the_interarrival_time() -> None:
    """count: 3 makes T-1, T-2, T-3, arriving at arrival, arrival + 2, arrival + 4."""
    metrics = run("""\
        machine: {cpus: 3}
        threads:
          - {name: T, burst: 1, arrival: 1, count: 3, interarrival: 2}
        """)
    assert [(t.name, t.arrival // MS) for t in metrics.threads] == [("T-1", 1), ("T-2", 3), ("T-3", 5)]


def test_the_replica_register_holds_the_copy_number() -> None:
    """Each copy adds its own number: 1 + 2 + 3 + 4."""
    metrics = run("""\
        processes:
          - name: app
            memory: {total: 0}
            threads:
              - name: w
                count: 4
                program:
                  - atomic: {var: total, op: add, value: replica}
        """)
    assert dict(metrics.memory)["app"] == {"total": 10}


def test_a_process_with_copies_has_one_memory_per_copy_and_shifted_threads() -> None:
    """Copies of a process are web-1, web-2 with their own memory; their threads arrive with them."""
    metrics = run("""\
        processes:
          - name: web
            count: 2
            interarrival: 5
            memory: {seen: 0}
            threads:
              - name: h
                arrival: 1
                program:
                  - store: {var: seen, value: replica * 10}
        """)
    assert [(t.name, t.process, t.arrival // MS) for t in metrics.threads] == [("h-1", "web-1", 1), ("h-2", "web-2", 6)]
    assert dict(metrics.memory) == {"web-1": {"seen": 10}, "web-2": {"seen": 20}}


def test_a_drawn_interarrival_is_replayed_by_the_seed() -> None:
    """Exponential interarrival times differ between seeds and repeat for one seed."""
    text = """\
        threads:
          - {name: r, burst: 0, count: 5, interarrival: {exponential: 3}}
        """
    first = [t.arrival for t in run(text, seed=1).threads]
    assert first == [t.arrival for t in run(text, seed=1).threads]
    assert first != [t.arrival for t in run(text, seed=2).threads]
    assert first[0] == 0 and first == sorted(first)


def test_replica_errors_are_located() -> None:
    """Bad counts, an interarrival without count, clashing names and joins of copies are reported."""
    assert errors_of("""\
        threads:
          - {name: H, burst: 1, interarrival: 2}
          - {name: I, burst: 1, count: 0}
          - {name: K, burst: 1, count: 2}
          - {name: K-2, burst: 1}
        processes:
          - name: p
            threads:
              - {name: a, burst: 1, count: 3}
              - {name: b, program: [join: a]}
              - {name: c, burst: 1, start: spawned, count: 2}
        """) == [
        "s.yaml:2:39: threads[0].interarrival: interarrival spaces the copies made by count: give count too",
        "s.yaml:3:32: threads[1].count: count must be at least 1, got 0",
        "s.yaml:5:12: threads[3].name: thread name 'K-2' is also the name of a copy of 'K' (count): rename one",
        "s.yaml:10:9: processes[0].threads[1]: line 10: join 'a' names a thread with copies (count): name one thread",
        "s.yaml:11:52: processes[0].threads[2].count: a spawned thread cannot have copies (count): it starts when "
        "it is spawned",
    ]


def test_the_total_number_of_threads_is_bounded() -> None:
    """Copies count towards the limit of 1,000,000 threads."""
    assert MAX_THREADS == 1_000_000
    assert errors_of("""\
        threads:
          - {name: M, burst: 1, count: 600000}
          - {name: N, burst: 1, count: 600000}
        """) == [
        "s.yaml:1:1: (top): the scenario starts 1,200,000 threads (copies made by count included); at most "
        "1,000,000 are allowed"
    ]
    assert errors_of("threads: [{name: M, burst: 1, count: 1000001}]") == [
        "s.yaml:1:38: threads[0].count: count must be at most 1,000,000, got 1,000,001"
    ]


def test_an_expectation_cannot_name_a_process_with_copies() -> None:
    """Each copy has its own memory: `web.hits` would mean none of them."""
    assert errors_of("""\
        processes:
          - {name: web, count: 2, memory: {hits: 0}, threads: [{name: h, burst: 1}]}
        expect:
          - web.hits == 2
        """) == [
        "s.yaml:4:5: expect[0]: process 'web' has copies (count), web-1 and on, each with its own memory: "
        "an expectation cannot name it"
    ]


def test_copies_run_exactly_as_the_same_threads_written_out() -> None:
    """count: 3 with interarrival 2 is the run of T-1, T-2, T-3 declared one by one at 0, 2, 4."""
    replicated = run("""\
        machine: {cpus: 2, policy: {name: rr, quantum: 1}, devices: {disk: {servers: 1}}}
        threads:
          - name: T
            count: 3
            interarrival: 2
            program: [compute: 3, io: {device: disk, duration: 2}, compute: 1]
        """)
    written = run("""\
        machine: {cpus: 2, policy: {name: rr, quantum: 1}, devices: {disk: {servers: 1}}}
        threads:
          - {name: T-1, arrival: 0, program: [compute: 3, io: {device: disk, duration: 2}, compute: 1]}
          - {name: T-2, arrival: 2, program: [compute: 3, io: {device: disk, duration: 2}, compute: 1]}
          - {name: T-3, arrival: 4, program: [compute: 3, io: {device: disk, duration: 2}, compute: 1]}
        """)
    assert [attrs.evolve(thread, process="-") for thread in replicated.threads] == [
        attrs.evolve(thread, process="-") for thread in written.threads
    ]
    assert replicated.end_time == written.end_time and replicated.context_switches == written.context_switches


def test_copies_of_copies_are_named_by_process_then_thread() -> None:
    """Thread copy K in process copy J is NAME-J-K, and its replica register is K."""
    metrics = run("""\
        processes:
          - name: p
            count: 2
            memory: {sum: 0}
            threads:
              - {name: t, count: 2, program: [atomic: {var: sum, op: add, value: replica}]}
        """)
    assert [t.name for t in metrics.threads] == ["t-1-1", "t-1-2", "t-2-1", "t-2-2"]
    assert dict(metrics.memory) == {"p-1": {"sum": 3}, "p-2": {"sum": 3}}


def test_a_process_named_like_a_copy_is_refused() -> None:
    """`P-1` next to a process P with copies would take the copy's place (its memory vanished from the
    report): refused at the name. `P-3` and `P-01` are no copy of a two-copy P."""
    assert errors_of("""\
        processes:
          - {name: P, count: 2, threads: [{name: T, burst: 1}]}
          - {name: P-1, threads: [{name: U, burst: 1}]}
          - {name: P-3, threads: [{name: V, burst: 1}]}
          - {name: P-01, threads: [{name: W, burst: 1}]}
        """) == ["s.yaml:3:12: processes[1].name: process name 'P-1' is also the name of a copy of 'P' (count): "
                 "rename one"]  # fmt: skip


def test_names_with_a_hash_are_refused_as_forks_name_their_instances_so() -> None:
    """A declared `C#2` or `T#2` would clash with the second instance fork makes of C and its thread T (two
    rows named T#2 in the report, one process's memory lost)."""
    assert errors_of("""\
        processes:
          - {name: P, threads: [{name: T1, program: [fork: C, fork: C]}]}
          - {name: C, start: forked, threads: [{name: T, burst: 1}]}
          - {name: "C#2", threads: [{name: "T#2", burst: 1}]}
        """) == [
        "s.yaml:4:12: processes[2].name: a process name cannot contain '#': fork names the instances it makes "
        "NAME#2, NAME#3, ... (got 'C#2')",
        "s.yaml:4:36: processes[2].threads[0].name: a thread name cannot contain '#': fork names the instances it "
        "makes NAME#2, NAME#3, ... (got 'T#2')",
    ]
