"""Tests of several CPUs: per-CPU queues, work stealing, load balancing, affinity, migration cost."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import (
    Compute,
    MachineSpec,
    ProcessSpec,
    Scenario,
    Sleep,
    ThreadSpec,
    TraceEvent,
    load_scenario,
    parse_policy_text,
    simulate,
)
from tests.conftest import MS, SCENARIOS, by_name, run_yaml
from tests.listeners import CpuStates

US = 1_000


def test_per_cpu_queues_steal_work_and_charge_migration() -> None:
    """Threads stay with their CPU until one runs dry and steals; the move costs migration_cost."""
    metrics = simulate(load_scenario(SCENARIOS / "per-cpu-queues.yaml"))
    threads = by_name(metrics)
    assert threads["D"].migrations == 1 and threads["D"].switching == 1 * MS
    assert sum(thread.migrations for thread in metrics.threads) == 1
    assert metrics.complete


def test_pinned_threads_run_only_where_allowed() -> None:
    """affinity: [1] keeps a thread on CPU1 even when CPU0 is idle."""
    events: list[TraceEvent] = []
    metrics = simulate(load_scenario(SCENARIOS / "per-cpu-queues.yaml"), listeners=[events.append])
    assert {event.cpu for event in events if event.thread == "pinned" and event.event == "run"} == {1}
    threads = by_name(run_yaml("machine: {cpus: 2}\nthreads: [{name: A, burst: 5, affinity: [1]}]\n"))
    assert threads["A"].first_run == 0 and metrics.complete


def test_global_queue_migrates_more_than_per_cpu_queues() -> None:
    """With one global queue three threads on two CPUs wander between them; per-CPU queues keep them home."""
    text = """\
        machine: {{cpus: 2, policy: {{name: rr, quantum: 2}}, queues: {queues}}}
        threads: [{{name: A, burst: 20}}, {{name: B, burst: 20}}, {{name: C, burst: 20}}]
        """
    wandering = sum(t.migrations for t in run_yaml(text.format(queues="global")).threads)
    homebodies = sum(t.migrations for t in run_yaml(text.format(queues="per_cpu")).threads)
    assert homebodies < wandering


def test_load_balancing_moves_waiting_threads_to_an_idle_queue() -> None:
    """All threads start on CPU0's queue (CPU1 was busy with a long pinned thread); balancing evens them out."""
    metrics = run_yaml("""\
        machine: {cpus: 2, policy: {name: rr, quantum: 2}, queues: per_cpu, balance_interval: 3}
        threads:
          - {name: pin, burst: 4, affinity: [1]}
          - {name: A, burst: 10}
          - {name: B, burst: 10}
          - {name: C, burst: 10, arrival: 1}
        """)
    assert metrics.complete and sum(t.migrations for t in metrics.threads) >= 1


def test_a_cpus_override_that_strands_a_pinned_thread_is_refused() -> None:
    """--cpus 1 with a thread pinned to CPU1 is a usage error, not a hang."""
    from click.testing import CliRunner

    from simulator.cli import main

    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "per-cpu-queues.yaml"), "--cpus", "1"])
    assert result.exit_code == 2
    assert "thread pinned may only run on CPUs [1], which a machine of 1 CPUs does not have" in result.stderr


@st.composite
def pinned_workloads(draw: st.DrawFn) -> Scenario:
    cpus = draw(st.integers(2, 3))
    threads = []
    for index in range(draw(st.integers(1, 6))):
        program = []
        for _ in range(draw(st.integers(1, 3))):
            program.append(Compute(draw(st.integers(1, 8)) * US))
            if draw(st.booleans()):
                program.append(Sleep(draw(st.integers(1, 5)) * US))
        affinity = draw(st.none() | st.sets(st.integers(0, cpus - 1), min_size=1).map(lambda s: tuple(sorted(s))))
        threads.append(ThreadSpec(f"T{index}", f"T{index}", draw(st.integers(0, 5)) * US, tuple(program),
                                  affinity=affinity))  # fmt: skip
    machine = MachineSpec(cpus, parse_policy_text(draw(st.sampled_from(["fcfs", "rr:quantum=2us", "sjf", "priority"])),
                                                  "us"),
                          queues=draw(st.sampled_from(["global", "per_cpu"])), balance_interval=2 * US,
                          migration_cost=draw(st.sampled_from([0, US])))  # fmt: skip
    return Scenario("pinned", "us", 0, machine, tuple(ProcessSpec(t.name, t.arrival, (t,)) for t in threads))


class AffinityChecker(CpuStates):
    """Threads run only where allowed, and no CPU idles while a thread allowed on it waits."""

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.allowed = {t.name: set(t.affinity) if t.affinity else set(range(scenario.machine.cpus))
                        for t in scenario.threads()}  # fmt: skip
        self.cpus = scenario.machine.cpus

    def between(self, start: int, end: int) -> None:
        idle = set(range(self.cpus)) - set(self.running)
        for name in self.ready:
            if self.allowed[name] & idle:
                self.problems.append(f"{name} waits at {start} while CPUs {sorted(idle)} idle")

    def on_run(self, name: str, cpu: int) -> None:
        if cpu not in self.allowed[name]:
            self.problems.append(f"{name} runs on CPU{cpu}")


@settings(max_examples=80, deadline=None)
@given(pinned_workloads())
def test_affinity_is_respected_and_no_allowed_cpu_idles_while_threads_wait(scenario: Scenario) -> None:
    """With either queue layout: pinned threads stay where allowed; work is conserved within affinity."""
    checker = AffinityChecker(scenario)
    metrics = simulate(scenario, listeners=[checker])
    assert metrics.complete
    assert checker.problems == []
