"""Tests of simulator.model.kernel: the scheduling semantics users ask about (SPEC section 4)."""

from pathlib import Path

import pytest

from simulator import (
    Compute,
    MachineSpec,
    PolicySpec,
    ProcessSpec,
    Scenario,
    ThreadSpec,
    TraceEvent,
    load_scenario,
    simulate,  # fmt: skip
)
from simulator.model.kernel import Kernel
from tests.conftest import MS, by_name, run_yaml, scenario_from, trace_of


def test_an_arrival_enters_the_ready_queue_before_a_thread_preempted_at_the_same_instant() -> None:
    """P3 arrives at 4 when P1's quantum ends: P3 is queued first, so it runs at 4."""
    threads = by_name(
        run_yaml("""\
        machine: {policy: {name: rr, quantum: 4}}
        threads:
          - {name: P1, burst: 10}
          - {name: P3, burst: 2, arrival: 4}
        """)
    )
    assert threads["P3"].first_run == 4 * MS
    assert threads["P1"].involuntary_switches == 1


def test_a_quantum_ending_with_nobody_ready_changes_nothing() -> None:
    """A lone thread keeps the CPU: no preemption, no context switch."""
    metrics = run_yaml("""\
        machine: {policy: {name: rr, quantum: 4}, context_switch: 1}
        threads: [{name: A, burst: 20}]
        """)
    assert metrics.context_switches == 0
    assert metrics.threads[0].involuntary_switches == 0
    assert metrics.end_time == 20 * MS


def test_cost_grows_with_events_never_with_simulated_time() -> None:
    """Computing alone for 10^12 ms under RR costs exactly as many events as computing for 10 ms."""

    def events_for(burst: str) -> int:
        kernel = Kernel(
            scenario_from(f"""\
            machine: {{policy: {{name: rr, quantum: 4}}}}
            threads: [{{name: A, burst: {burst}}}, {{name: B, burst: 1, arrival: 2}}]
            """),
            seed=0,
        )
        kernel.run()
        return kernel.engine.events

    assert events_for("1000000000000") == events_for("10")


def test_the_quantum_restarts_at_each_dispatch_and_blocking_gives_up_the_rest() -> None:
    """A leaves after 1 ms of its quantum; B's quantum starts when B is dispatched, at 1."""
    _, events = trace_of("""\
        machine: {policy: {name: rr, quantum: 4}}
        threads:
          - {name: A, program: [compute: 1, io: 1, compute: 10]}
          - {name: B, burst: 10}
        """)
    preemptions = [(e.time // MS, e.thread) for e in events if e.event == "preempt"]
    assert preemptions[0] == (5, "B")


def test_a_context_switch_costs_time_on_the_cpu_but_not_the_first_dispatch() -> None:
    """Switching from A to B takes context_switch on the CPU; it is not B's CPU time."""
    metrics = run_yaml("""\
        machine: {policy: fcfs, context_switch: 1}
        threads: [{name: A, burst: 5}, {name: B, burst: 5}]
        """)
    a, b = metrics.threads
    assert (a.first_run, b.first_run, b.completion) == (0, 6 * MS, 11 * MS)
    assert (b.cpu_time, b.switching, a.switching) == (5 * MS, 1 * MS, 0)
    assert metrics.context_switches == 1
    cpu = metrics.cpu_stats[0]
    assert (cpu.busy, cpu.switching, cpu.idle) == (10 * MS, 1 * MS, 0)


def test_yield_goes_behind_every_ready_thread_or_continues_when_none() -> None:
    """Yield with others ready hands over the CPU; alone, it continues at once."""
    threads = by_name(
        run_yaml("""\
        threads:
          - {name: A, program: [compute: 1, yield, compute: 1]}
          - {name: B, burst: 3}
        """)
    )
    assert (threads["A"].completion, threads["B"].completion) == (5 * MS, 4 * MS)
    assert threads["A"].voluntary_switches == 1
    alone = run_yaml("threads: [{name: A, program: [compute: 1, yield, yield, compute: 1]}]\n")
    assert alone.threads[0].completion == 2 * MS and alone.threads[0].voluntary_switches == 0


def test_sleep_leaves_the_cpu_and_is_counted_as_sleeping() -> None:
    """While A sleeps, B runs; A's sleep is sleeping time, not waiting."""
    threads = by_name(
        run_yaml("""\
        threads:
          - {name: A, program: [compute: 1, sleep: 5, compute: 1]}
          - {name: B, burst: 2}
        """)
    )
    assert threads["A"].sleeping == 5 * MS
    assert threads["A"].completion == 7 * MS
    assert threads["B"].completion == 3 * MS


def test_a_device_serves_its_servers_at_once_and_queues_the_rest_in_fifo_order() -> None:
    """With one server, the second request waits for the first; unlimited `io` serves both at once."""
    text = """\
        machine: {{cpus: 2, devices: {{disk: {{servers: {servers}}}}}}}
        threads:
          - {{name: A, program: [io: {{device: {device}, duration: 5}}]}}
          - {{name: B, program: [io: {{device: {device}, duration: 5}}]}}
        """
    one = by_name(run_yaml(text.format(servers=1, device="disk")))
    assert (one["A"].completion, one["B"].completion) == (5 * MS, 10 * MS)
    assert one["B"].blocked == 10 * MS
    two = by_name(run_yaml(text.format(servers=2, device="disk")))
    assert two["B"].completion == 5 * MS
    implicit = by_name(run_yaml(text.format(servers=1, device="io")))
    assert implicit["B"].completion == 5 * MS


def test_a_non_preemptible_compute_holds_the_cpu_past_its_quantum() -> None:
    """The greedy call runs to its end; the quantum is enforced only after it returns."""
    threads = by_name(
        run_yaml("""\
        machine: {policy: {name: rr, quantum: 2}}
        threads:
          - {name: A, program: [compute: {duration: 10, preemptible: false}, compute: 5]}
          - {name: B, burst: 2, arrival: 1}
        """)
    )
    assert threads["B"].first_run == 10 * MS
    assert threads["A"].involuntary_switches == 1


def test_jitter_draws_within_bounds_from_the_seed() -> None:
    """Durations vary with the seed, stay in [D-J, D+J], and repeat for the same seed."""
    text = "threads: [{name: A, program: [repeat: {times: 20, do: [compute: {duration: 10, jitter: 3}]}]}]\n"
    times = {seed: run_yaml(text, seed=seed).threads[0].cpu_time for seed in range(10)}
    assert all(20 * 7 * MS <= cpu <= 20 * 13 * MS for cpu in times.values())
    assert len(set(times.values())) > 1
    assert run_yaml(text, seed=3).threads[0].cpu_time == times[3]


def test_the_step_bound_is_a_violation_and_never_a_hang() -> None:
    """A run past --max-steps stops with a step_bound violation and is incomplete."""
    metrics = run_yaml("threads: [{name: A, program: [repeat: {times: 1000000000, do: [yield]}]}]\n",
                       max_steps=1000)  # fmt: skip
    assert not metrics.complete
    assert [v.kind for v in metrics.violations] == ["step_bound"]
    assert metrics.violations[0].message == "stopped after 1000 steps (the step bound, --max-steps 1000)"


def test_events_that_take_no_step_are_bounded_with_the_steps() -> None:
    """A 1 ns quantum over long computes takes two steps and ever more expiries: 10 events per step of the
    step bound stop it."""
    metrics = run_yaml("""\
        time_unit: ns
        machine: {policy: {name: rr, quantum: 1}}
        threads: [{name: A, burst: 1000000000000}, {name: B, burst: 1000000000000}]
        """, max_steps=1000)  # fmt: skip
    assert not metrics.complete and metrics.steps == 2
    assert [v.kind for v in metrics.violations] == ["step_bound"]
    assert metrics.violations[0].message == (
        "stopped after 10000 events and 2 steps (the event bound: 10 events per step of --max-steps 1000)"
    )
    assert metrics.end_time < 10000


def test_until_stops_the_run_early_without_a_violation() -> None:
    """--until: incomplete, end time at the bound, every state charged up to it."""
    metrics = run_yaml("threads: [{name: A, burst: 10}, {name: B, burst: 10}]\n", until=15 * MS)
    assert (metrics.complete, metrics.end_time, metrics.violations) == (False, 15 * MS, ())
    a, b = metrics.threads
    assert (a.completion, b.completion, b.cpu_time, b.waiting) == (10 * MS, None, 5 * MS, 10 * MS)
    assert metrics.cpu_stats[0].busy == 15 * MS


def test_idle_cpus_dispatch_in_index_order_and_migrations_are_counted() -> None:
    """With 2 CPUs, the first ready thread goes to CPU0; a thread resumed elsewhere has migrated."""
    metrics, events = trace_of("""\
        machine: {cpus: 2, policy: {name: rr, quantum: 2}}
        threads: [{name: A, burst: 4}, {name: B, burst: 4}, {name: C, burst: 4}]
        """)
    runs = [(e.time // MS, e.thread, e.cpu) for e in events if e.event == "run"]
    # At 2 both quanta end: A (CPU0) then B (CPU1) queue behind C; CPU0 takes C, CPU1 takes A.
    assert runs[:4] == [(0, "A", 0), (0, "B", 1), (2, "C", 0), (2, "A", 1)]
    assert by_name(metrics)["A"].migrations == 1


def test_threads_with_empty_programs_end_when_first_dispatched() -> None:
    """An empty program ends at once, without using CPU time."""
    metrics = run_yaml("threads: [{name: A, program: []}, {name: B, program: [exit, compute: 5]}]\n")
    assert [(t.completion, t.cpu_time) for t in metrics.threads] == [(0, 0), (0, 0)]


def test_a_scenario_built_in_python_runs_like_one_from_yaml() -> None:
    """The model is plain values: a Scenario can be built without a file."""
    scenario = Scenario(
        name="py",
        time_unit="ms",
        seed=0,
        machine=MachineSpec(cpus=1, policy=PolicySpec("fcfs")),
        processes=(ProcessSpec("p", 0, (ThreadSpec("t", "p", 0, (Compute(3 * MS),)),)),),
    )
    assert simulate(scenario).end_time == 3 * MS


@pytest.mark.parametrize("name", sorted(path.name for path in Path("scenarios").glob("*.yaml")))
def test_an_involuntary_switch_is_a_preemption_that_gave_the_cpu_to_another_thread(name: str) -> None:
    """A thread's involuntary switches are its preempt and delay events, less those after which the policy
    gave the same CPU straight back to it at that instant (cfs, lottery, stride and mlfq do when it is
    still the best: it never left the CPU for another thread, and no context switch is counted)."""
    events: list[TraceEvent] = []
    scenario = load_scenario(f"scenarios/{name}")
    metrics = simulate(scenario, listeners=[events.append])
    expected: dict[str, int] = {}
    pending: dict[int, TraceEvent] = {}  # CPU -> the preemption it saw last, until its next run
    for event in events:
        if event.event in ("preempt", "delay") and event.cpu is not None:
            expected[event.thread] = expected.get(event.thread, 0) + 1  # type: ignore[index]
            pending[event.cpu] = event
        elif event.event == "run" and event.cpu in pending:
            last = pending.pop(event.cpu)
            if last.event == "preempt" and last.thread == event.thread and last.time == event.time:
                expected[event.thread] -= 1  # type: ignore[index]
    assert {t.name: t.involuntary_switches for t in metrics.threads if t.involuntary_switches} == {
        thread: count for thread, count in expected.items() if count
    }


def test_cfs_counts_a_thread_given_the_cpu_straight_back_as_not_preempted() -> None:
    """policy-cfs: nice5 is preempted at 6 ms with its vruntime still the least and runs on at once: it left
    the CPU for nice0 twice, so two involuntary switches (it was three)."""
    metrics = simulate(load_scenario("scenarios/policy-cfs.yaml"))
    assert {t.name: t.involuntary_switches for t in metrics.threads} == {"nice0": 2, "nice5": 2}
    assert metrics.context_switches == 5
