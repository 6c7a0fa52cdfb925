"""Tests of simulator.scenario.loader: valid files become frozen scenarios; every mistake is located."""

import textwrap

import pytest

from simulator import Compute, Exit, Io, PolicySpec, Repeat, Sleep, Yield, parse_scenario
from simulator.errors import InputErrors


def errors_of(text: str) -> list[str]:
    """The error lines a scenario text produces."""
    with pytest.raises(InputErrors) as caught:
        parse_scenario(textwrap.dedent(text), "s.yaml")
    return [str(error) for error in caught.value.errors]


def test_a_full_scenario_loads_into_frozen_values() -> None:
    """Processes, threads, programs, devices and the policy come out as validated values in ns."""
    scenario = parse_scenario(
        textwrap.dedent("""\
        name: demo
        time_unit: ms
        seed: 7
        machine:
          cpus: 2
          policy: {name: rr, quantum: 4}
          context_switch: 0.5
          devices: {disk: {servers: 1}}
        processes:
          - name: app
            arrival: 1
            threads:
              - name: T1
                priority: 3
                program:
                  - compute: {duration: 5, jitter: 1, preemptible: false}
                  - io: {device: disk, duration: "250us"}
                  - io: 2
                  - sleep: 2
                  - yield
                  - repeat: {times: 2, do: [compute: 1]}
                  - exit
        threads:
          - {name: P1, burst: 24, arrival: 3}
        """),
        "demo.yaml",
    )
    assert scenario.name == "demo" and scenario.seed == 7
    assert scenario.machine.policy == PolicySpec("rr", (("quantum", 4_000_000),))
    assert scenario.machine.context_switch == 500_000
    app, p1 = scenario.processes
    thread = app.threads[0]
    assert (thread.arrival, thread.priority, thread.process) == (1_000_000, 3, "app")
    assert thread.program == (
        Compute(5_000_000, 1_000_000, False),
        Io("disk", 250_000),
        Io("io", 2_000_000),
        Sleep(2_000_000),
        Yield(),
        Repeat(2, (Compute(1_000_000),)),
        Exit(),
    )
    assert thread.program[0].line == 16
    assert (p1.name, p1.arrival, p1.threads[0].program) == ("P1", 3_000_000, (Compute(24_000_000),))


def test_defaults() -> None:
    """Name from the file, ms, seed 0, one CPU, FCFS, no context-switch cost."""
    scenario = parse_scenario("threads: [{name: A, burst: 1}]\n", "dir/my-file.yaml")
    assert (scenario.name, scenario.time_unit, scenario.seed) == ("my-file", "ms", 0)
    assert (scenario.machine.cpus, scenario.machine.policy.name, scenario.machine.context_switch) == (1, "fcfs", 0)


def test_the_spec_example_error_message() -> None:
    """SPEC section 6's example: an unknown operation with a did-you-mean, located exactly."""
    lines = errors_of("""\
        processes:
          - name: app
            threads:
              - name: T1
                program: [compute: 1]
              - name: T2
                program:
                  - compute: 1
                  - compute: 2
                  - lok: m
        """)
    assert lines == ["s.yaml:10:13: processes[0].threads[1].program[2]: unknown operation 'lok' (did you mean 'lock'?)"]


def test_every_error_in_a_file_is_reported_in_file_order() -> None:
    """One pass reports unknown keys, wrong types, bad durations, unknown devices and duplicates."""
    lines = errors_of("""\
        machine:
          cpus: two
          policy: {name: rr, quantum: 0}
        processes:
          - name: app
            threads:
              - name: T1
                program:
                  - compute: -3
                  - io: {device: dsk, duration: 1}
                  - sleep: 0.0000001
              - name: T1
                burst: 1
                colour: red
        """)
    assert lines == [
        "s.yaml:2:9: machine.cpus: cpus must be an integer, got a string",
        "s.yaml:3:31: machine.policy.quantum: quantum must be positive",
        "s.yaml:9:22: processes[0].threads[0].program[0].compute: duration must not be negative, got -3",
        "s.yaml:10:26: processes[0].threads[0].program[1].io.device: unknown device 'dsk' (devices: io)",
        "s.yaml:11:20: processes[0].threads[0].program[2].sleep: 0.0000001 ms is not a whole number of nanoseconds",
        "s.yaml:12:15: processes[0].threads[1].name: duplicate thread name 'T1' (first declared at line 7)",
        "s.yaml:14:9: processes[0].threads[1].colour: unknown key 'colour' in thread",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2]\n", "s.yaml:1:1: (top): a scenario is a YAML mapping, got a list"),
        ("thread: []\n", "s.yaml:1:1: thread: unknown key 'thread' in scenario (did you mean 'threads'?)"),
        (
            "threads: [{name: A, burst: 1}]\nexpect: [x]\n",
            "s.yaml:2:10: expect[0]: write PROCESS.x to name a variable in expectation 'x'",
        ),
        (
            "threads: [{name: A, program: [lock: m]}]\n",
            "s.yaml:1:37: threads[0].program[0].lock: unknown mutex 'm' (none declared: add one to the process's sync)",
        ),
        (
            "machine: {queues: per_core}\nthreads: [{name: A, burst: 1}]\n",
            "s.yaml:1:19: machine.queues: queues must be one of global, per_cpu, got 'per_core'",
        ),
        (
            "machine: {cpus: 2}\nthreads: [{name: A, burst: 1, affinity: [0, 2]}]\n",
            "s.yaml:2:45: threads[0].affinity[1]: not a CPU of this machine (CPUs 0 to 1): 2",
        ),
        (
            "threads: [{name: A, program: [compute]}]\n",
            "s.yaml:1:31: threads[0].program[0]: operation 'compute' needs a value, e.g. 'compute: 5'",
        ),
        (
            "threads: [{name: A, program: [{compute: 1, sleep: 2}]}]\n",
            "s.yaml:1:31: threads[0].program[0]: an operation is a one-key mapping such as 'compute: 5' or a word"
            " such as 'yield', got a mapping with 2 keys",
        ),
        (
            "threads: [{name: A, program: [compute: {duration: 2, jitter: 3}]}]\n",
            "s.yaml:1:62: threads[0].program[0].compute.jitter: jitter cannot exceed the duration"
            " (a duration is never negative)",
        ),
        (
            "threads: [{name: A, burst: 1, program: []}]\n",
            "s.yaml:1:28: threads[0].burst: give either 'burst' or 'program', not both",
        ),
        ("threads: [{name: A}]\n", "s.yaml:1:11: threads[0]: a thread needs a 'program' or a 'burst'"),
        (
            "threads: [{name: A, burst: 1}]\nprocesses: [{name: A, threads: [{name: B, burst: 1}]}]\n",
            "s.yaml:1:18: threads[0].name: duplicate process name 'A' (first declared at line 2)",
        ),
        (
            "machine: {policy: lotery}\nthreads: [{name: A, burst: 1}]\n",
            "s.yaml:1:19: machine.policy: unknown policy 'lotery' (did you mean 'lottery'?) "
            "(known: fcfs, rr, sjf, srtf, priority, mlfq, lottery, stride, cfs)",
        ),
        (
            "machine: {policy: {name: rr, quantm: 3}}\nthreads: [{name: A, burst: 1}]\n",
            "s.yaml:1:30: machine.policy.quantm: policy 'rr' has no parameter 'quantm' (did you mean 'quantum'?)"
            " (parameters: quantum, timer)",
        ),
        (
            "time_unit: hours\nthreads: [{name: A, burst: 1}]\n",
            "s.yaml:1:12: time_unit: time_unit must be one of ns, us, ms, s, got 'hours'",
        ),
        (
            "version: 2\nthreads: [{name: A, burst: 1}]\n",
            "s.yaml:1:10: version: unsupported version 2 (this threadsim reads version 1)",
        ),
        ("name: x\n", "s.yaml:1:1: (top): a scenario needs 'processes' or 'threads'"),
        (
            "threads: [{name: A, program: [repeat: {times: -1, do: []}]}]\n",
            "s.yaml:1:47: threads[0].program[0].repeat.times: times must be at least 0, got -1",
        ),
        (
            "processes: [{name: p, threads: []}]\n",
            "s.yaml:1:32: processes[0].threads: a process needs at least one thread",
        ),
        (
            "processes: [{name: p, arrival: 5, threads: [{name: A, burst: 1, arrival: 2}]}]\n",
            "s.yaml:1:74: processes[0].threads[0].arrival: a thread cannot arrive before its process",
        ),
    ],
)
def test_single_errors_are_pinned(text: str, expected: str) -> None:
    """Each kind of mistake has an exact, located message."""
    assert errors_of(text) == [expected]


def test_expression_errors_point_inside_the_expression() -> None:
    """The column is that of the problem within the expression, quoted or not."""
    lines = errors_of("""\
        processes:
          - name: p
            memory: {x: 0}
            threads:
              - name: A
                program:
                  - store: {var: x, value: x + * 2}
                  - store: {var: x, value: "x + (1"}
                  - while: {cond: x < 3 < 4, do: [yield]}
                  - load: {var: y, into: r}
                  - load: {var: x, into: x}
        expect: [p.z == 1, q.x == 2]
        """)
    assert lines == [
        "s.yaml:7:40: processes[0].threads[0].program[0].store.value: unexpected '*' in expression 'x + * 2'",
        "s.yaml:8:43: processes[0].threads[0].program[1].store.value: expected ')' in expression 'x + (1'",
        "s.yaml:9:33: processes[0].threads[0].program[2].while.cond: chained comparisons are not supported; "
        "use 'and' in expression 'x < 3 < 4'",
        "s.yaml:10:25: processes[0].threads[0].program[3].load.var: unknown shared variable 'y' (variables: x)",
        "s.yaml:11:34: processes[0].threads[0].program[4].load.into: 'x' is a shared variable; name a register "
        "here (or use store)",
        "s.yaml:12:10: expect[0]: process 'p' has no variable 'z' (variables: x)",
        "s.yaml:12:20: expect[1]: unknown process 'q' in 'q.x == 2'",
    ]


def test_a_fork_inside_structure_gives_the_child_its_parents_variables() -> None:
    """The fork survey looks inside repeat, while and if bodies, in programs and in expectations."""
    scenario = parse_scenario(
        textwrap.dedent("""\
        processes:
          - name: parent
            memory: {x: 0}
            threads:
              - name: main
                program:
                  - repeat: {times: 1, do: [{if: {cond: 'x == 0', then: [yield], else: [{fork: child}]}}]}
                  - while: {cond: 'x > 5', do: [{fork: other}]}
          - name: child
            start: forked
            threads: [{name: c, program: [{load: {var: x, into: r}}]}]
          - name: other
            start: forked
            threads: [{name: o, program: [{incr: x}]}]
        expect: ['child.x == 0', 'other.x == 1']
        """),
        "s.yaml",
    )
    assert [expectation.text for expectation in scenario.expect] == ["child.x == 0", "other.x == 1"]
    assert errors_of("""\
        processes:
          - name: parent
            memory: {x: 0}
            threads: [{name: main, program: [{repeat: {times: 1, do: [yield]}}]}]
          - name: child
            start: forked
            threads: [{name: c, program: [{load: {var: x, into: r}}]}]
        """) == [
        "s.yaml:7:48: processes[1].threads[0].program[0].load.var: unknown shared variable 'x' "
        "(variables: none: declare them in the process's memory)"
    ]
