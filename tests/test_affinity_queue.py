"""Pinned threads under one global queue: the queue layer (simulator/policies/affinity.py) decides who may
run where, not the kernel's dispatch loop."""

from __future__ import annotations

import inspect

from simulator import Compute, MachineSpec, ProcessSpec, Scenario, ThreadSpec, parse_policy_text, simulate
from simulator.model.kernel import Kernel
from simulator.policies.affinity import PinnedQueue


def pinned_scenario(policy: str) -> Scenario:
    threads = [ThreadSpec("A", "A", 0, (Compute(3_000),), affinity=(1,)),
               ThreadSpec("B", "B", 0, (Compute(2_000),)),
               ThreadSpec("C", "C", 0, (Compute(1_000),), affinity=(0,))]  # fmt: skip
    return Scenario("pinned", "us", 0, MachineSpec(2, parse_policy_text(policy, "us")),
                    tuple(ProcessSpec(t.name, t.arrival, (t,)) for t in threads))  # fmt: skip


def test_a_cpu_takes_the_first_thread_allowed_on_it() -> None:
    """CPU0 skips A (pinned to CPU1) and takes B; CPU1 then takes A: each CPU's pick honours affinity."""
    kernel = Kernel(pinned_scenario("fcfs"), seed=0)
    assert isinstance(kernel.policy, PinnedQueue)
    kernel.run()
    first_cpu = {thread.name: thread.last_cpu for thread in kernel.threads}
    assert first_cpu == {"A": 1, "B": 0, "C": 0}
    assert kernel.policy.candidates(0) == [] and not kernel.policy.has_waiting(1)


def test_lottery_draws_no_ticket_when_threads_are_pinned() -> None:
    """With pinning, a CPU takes the first allowed thread in ready order, as it always did: no draw."""
    draws: list[int] = []
    kernel = Kernel(pinned_scenario("lottery:quantum=1us"), seed=3)
    original = kernel.policy.context.draw
    kernel.policy.context.draw = lambda count: draws.append(count) or original(count)  # type: ignore[method-assign]
    kernel.run()
    assert kernel.complete and draws == []


def test_the_dispatch_loop_knows_nothing_of_affinity() -> None:
    """docs/design.md says queue layouts are the policy's business: the kernel's dispatch never reads it."""
    for method in (Kernel._dispatch_now, Kernel._waiting_for):
        assert "affinity" not in inspect.getsource(method).replace("# affinity", "")


def test_unpinned_runs_use_the_policy_itself() -> None:
    """No wrapper, so no cost, when nobody is pinned."""
    threads = [ThreadSpec(name, name, 0, (Compute(1_000),)) for name in "ABC"]
    free = Scenario("free", "us", 0, MachineSpec(2, parse_policy_text("rr", "us")),
                    tuple(ProcessSpec(t.name, t.arrival, (t,)) for t in threads))  # fmt: skip
    assert not isinstance(Kernel(free, seed=0).policy, PinnedQueue)
    assert simulate(free).complete


def test_a_better_thread_pinned_elsewhere_does_not_preempt_for_ever() -> None:
    """high (priority 1) may run only on CPU1, where top (0) runs: low on CPU0 is not preempted for it, which
    used to repeat at one instant for ever (CPU0 picked low again at once)."""
    from simulator import parse_scenario, simulate

    scenario = parse_scenario(
        "machine: {cpus: 2, policy: priority}\n"
        "threads:\n"
        "  - {name: top, burst: 10, priority: 0, affinity: [1]}\n"
        "  - {name: low, burst: 10, priority: 5, affinity: [0]}\n"
        "  - {name: high, burst: 5, priority: 1, arrival: 2, affinity: [1]}\n"
    )
    metrics = simulate(scenario, max_steps=1_000)
    assert not metrics.violations
    completion = {thread.name: thread.completion for thread in metrics.threads}
    assert completion == {"top": 10_000_000, "low": 10_000_000, "high": 15_000_000}
