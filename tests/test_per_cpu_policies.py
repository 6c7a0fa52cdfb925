"""Every policy under per-CPU queues (`machine.queues: per_cpu`): stealing and balancing move threads
between the CPUs' policies, which must carry what they know of them (cfs crashed on every seed)."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import POLICIES, parse_scenario, simulate
from simulator.errors import InputErrors

SCENARIO = """
name: per-cpu
time_unit: ms
machine:
  cpus: 3
  policy: {policy}
  queues: per_cpu
  balance_interval: 3
  migration_cost: 1
threads:
  - {{name: A, burst: 6}}
  - {{name: B, burst: 20, priority: 2, tickets: 50, nice: 3}}
  - {{name: C, burst: 2}}
  - {{name: D, burst: 24, priority: 1, tickets: 300, nice: -4}}
  - {{name: E, program: [{{compute: 3}}, {{sleep: 2}}, {{compute: 5}}, {{io: 1}}, {{compute: 2}}]}}
  - {{name: F, arrival: 4, burst: 9}}
  - {{name: G, arrival: 4, burst: 1}}
  - {{name: pinned, burst: 12, affinity: [1]}}
"""


@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize("seed", [0, 1, 2, 7])
def test_every_policy_runs_under_per_cpu_queues(policy: str, seed: int) -> None:
    """Each policy completes under per-CPU queues, with threads stolen and balanced between CPUs."""
    scenario = parse_scenario(SCENARIO.format(policy=policy), "per-cpu.yaml")
    metrics = simulate(scenario, seed=seed)
    assert metrics.complete
    assert all(cpu.busy for cpu in metrics.cpu_stats)


def per_cpu_queues_after_a_run(policy: str) -> tuple[list[Any], list[int]]:
    """Run SCENARIO under `policy` with per-CPU queues: each CPU's policy object, and every thread's index."""
    from simulator.model.kernel import Kernel

    kernel = Kernel(parse_scenario(SCENARIO.format(policy=policy), "per-cpu.yaml"), seed=0)
    kernel.run()
    return kernel.policy.queues, [thread.index for thread in kernel.threads]  # type: ignore[attr-defined]


def assert_known_to_one_queue_each(known: list[set[int]], threads: list[int]) -> None:
    """Each thread's state (by thread index) lives in exactly one CPU's policy."""
    for index, first in enumerate(known):
        for other in known[index + 1 :]:
            assert not first & other
    assert set().union(*known) == set(threads)


def test_a_cfs_thread_keeps_its_vruntime_lead_when_it_is_stolen() -> None:
    """A stolen thread's vruntime moves to the thief's queue, relative to each queue's min_vruntime."""
    queues, threads = per_cpu_queues_after_a_run("cfs")
    assert_known_to_one_queue_each([set(queue.vruntime) for queue in queues], threads)


def test_an_mlfq_thread_keeps_its_queue_when_it_is_stolen() -> None:
    """What mlfq knows of a thread (its queue, allotment, slice) lives in the queue of one CPU only: a
    stolen or balanced thread takes it along, so it is not taken for a newcomer to the top queue."""
    queues, threads = per_cpu_queues_after_a_run("{name: mlfq, quantum: 1}")
    assert_known_to_one_queue_each([set(queue.level) for queue in queues], threads)
    assert any(level > 0 for queue in queues for level in queue.level.values())


@pytest.mark.parametrize("params", ["min_granularity: 0", "sched_latency: 0, min_granularity: 0"])
def test_cfs_refuses_a_zero_min_granularity(params: str) -> None:
    """A zero slice would switch at one instant for ever: refused at validation, located, with the reason."""
    text = f"""
name: zero
machine:
  policy: {{name: cfs, {params}}}
threads:
  - {{name: A, burst: 1}}
  - {{name: B, burst: 1}}
"""
    with pytest.raises(InputErrors) as caught:
        parse_scenario(text, "zero.yaml")
    message = str(caught.value)
    assert "zero.yaml:4:" in message and "min_granularity must be positive" in message
    assert "same instant for ever" in message


def test_cfs_with_a_zero_latency_still_runs() -> None:
    """sched_latency 0 alone is fine: every slice is then min_granularity."""
    text = SCENARIO.format(policy="{name: cfs, sched_latency: 0, min_granularity: 1}")
    assert simulate(parse_scenario(text, "latency.yaml")).complete


PINNED_PEEK = """
name: pinned-peek
time_unit: ms
machine:
  cpus: 2
  queues: per_cpu
  balance_interval: 0
  stealing: {stealing}
  peek_interval: 0.7
  policy: {policy}
threads:
  - {{name: T1, arrival: 1, priority: 1, nice: 2, tickets: 50, affinity: [0],
     program: [compute: 5, sleep: 1, compute: 2.5]}}
  - {{name: T2, arrival: 2, priority: 2, nice: 4, tickets: 100, affinity: [0],
     program: [compute: 8, io: 1, compute: 2.5]}}
  - {{name: T3, arrival: 0, priority: 3, nice: 6, tickets: 150, affinity: [0],
     program: [compute: 11, sleep: 1, compute: 4]}}
  - {{name: T4, arrival: 1, priority: 0, nice: 8, tickets: 200, affinity: [1],
     program: [compute: 14, io: 1, compute: 5]}}
"""


@pytest.mark.parametrize("policy", ["fcfs", "{name: rr, quantum: 2}", "sjf", "srtf", "priority", "mlfq", "lottery",
                                    "stride", "cfs"])  # fmt: skip
def test_a_peek_that_can_take_nobody_changes_nothing(policy: str) -> None:
    """With every thread pinned, no peek can move one: the run is the run without peeking (under cfs a peek
    instant was a preemption point of its own: review finding)."""

    def threads(stealing: str) -> object:
        metrics = simulate(parse_scenario(PINNED_PEEK.format(stealing=stealing, policy=policy)), seed=3)
        return metrics.threads, metrics.cpu_stats

    assert threads("peek") == threads("never")
