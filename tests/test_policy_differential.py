"""The sub-linear policies against the straightforward scans they replaced (kept here as the reference):
over generated workloads, every trace event and every report figure must be the same."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import MachineSpec, Scenario, ThreadSpec, parse_policy_text, simulate
from simulator.model.threads import Thread
from simulator.output.json_report import report_dict
from simulator.policies import registry
from simulator.policies.base import Policy, ReadyReason
from simulator.policies.cfs import NICE_0_WEIGHT, Cfs, weight
from simulator.policies.lottery import Lottery
from simulator.policies.mlfq import Mlfq
from simulator.policies.priority import Priority
from simulator.policies.sjf import Sjf, Srtf
from simulator.policies.stride import Stride
from simulator.scenario.model import PolicySpec
from tests.test_policy_properties import scenario, workloads

# -- the reference: the scans as they were -------------------------------------------------------------


class ScanOrdered(Policy):
    """The old OrderedPolicy: a list in ready order, every decision a scan of it."""

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.ready: list[Thread] = []
        self.ready_since: dict[int, int] = {}

    def key(self, thread: Thread) -> int:
        raise NotImplementedError

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self.ready.append(thread)
        self.ready_since[thread.index] = self.context.now

    def ready_threads(self) -> Sequence[Thread]:
        return sorted(self.ready, key=self.key)

    def pick(self, cpu: int) -> Thread | None:
        if not self.ready:
            return None
        best = min(range(len(self.ready)), key=lambda index: (self.key(self.ready[index]), index))
        return self.ready.pop(best)

    def take(self, thread: Thread) -> None:
        self.ready.remove(thread)

    def __len__(self) -> int:
        return len(self.ready)

    def best_waiting(self) -> int | None:
        return min((self.key(thread) for thread in self.ready), default=None)


class ScanCharging(ScanOrdered):
    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.cpu_at_pick: dict[int, int] = {}

    def used_since_pick(self, thread: Thread) -> int:
        start = self.cpu_at_pick.pop(thread.index, None)
        return 0 if start is None else self.context.cpu_time(thread) - start

    def using_now(self, thread: Thread) -> int:
        now = self.context.cpu_time(thread)
        return now - self.cpu_at_pick.get(thread.index, now)

    def pick(self, cpu: int) -> Thread | None:
        thread = super().pick(cpu)
        if thread is not None:
            self.cpu_at_pick[thread.index] = self.context.cpu_time(thread)
        return thread

    def take(self, thread: Thread) -> None:
        super().take(thread)
        self.cpu_at_pick[thread.index] = self.context.cpu_time(thread)


class ScanSjf(ScanOrdered):
    name, summary, parameters = Sjf.name, Sjf.summary, Sjf.parameters

    def key(self, thread: Thread) -> int:
        if self.spec.param("estimate") == "next_burst":
            return self.context.next_burst(thread)
        return self.context.remaining_demand(thread)


class ScanSrtf(ScanSjf):
    name, summary, preemptive = Srtf.name, Srtf.summary, True

    def should_preempt(self, running: Thread) -> bool:
        best = self.best_waiting()
        return best is not None and best < self.key(running)


class ScanPriority(ScanOrdered):
    name, summary, parameters = Priority.name, Priority.summary, Priority.parameters

    @property
    def preemptive(self) -> bool:  # type: ignore[override]
        return bool(self.spec.param("preemptive"))

    def key(self, thread: Thread) -> int:
        aging = int(self.spec.param("aging"))
        since = self.ready_since.get(thread.index)
        if not aging or since is None or thread not in self.ready:
            return thread.priority
        return thread.priority - (self.context.now - since) // aging

    def should_preempt(self, running: Thread) -> bool:
        best = self.best_waiting()
        return best is not None and best < running.priority


class ScanStride(ScanCharging):
    name, summary, parameters = Stride.name, Stride.summary, Stride.parameters

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.passes: dict[int, int] = {}
        self.strides: dict[str, int] = {}

    def stride(self, thread: Thread) -> int:
        return int(self.spec.param("big")) // thread.tickets

    def key(self, thread: Thread) -> int:
        return self.passes[thread.index]

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self.strides[thread.name] = self.stride(thread)
        if thread.index not in self.passes:
            self.passes[thread.index] = min((self.passes[t.index] for t in self.ready), default=0)
        else:
            self.passes[thread.index] += self.stride(thread) * self.used_since_pick(thread)
        super().add(thread, reason)

    def time_slice(self, thread: Thread) -> int | None:
        return int(self.spec.param("quantum"))

    def describe(self) -> dict[str, object]:
        return {"strides": dict(self.strides)}


class ScanCfs(ScanCharging):
    name, summary, parameters, preemptive = Cfs.name, Cfs.summary, Cfs.parameters, True

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.vruntime: dict[int, int] = {}
        self.min_vruntime = 0

    def key(self, thread: Thread) -> int:
        return self.vruntime[thread.index]

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        index = thread.index
        if index in self.vruntime:
            self.vruntime[index] += self.used_since_pick(thread) * NICE_0_WEIGHT // weight(thread)
        floor = min((self.vruntime[t.index] for t in self.ready), default=self.min_vruntime)
        self.min_vruntime = max(self.min_vruntime, min(floor, self.vruntime.get(index, floor)))
        if index not in self.vruntime:
            self.vruntime[index] = floor
        elif reason == "wakeup":
            self.vruntime[index] = max(self.vruntime[index], floor - int(self.spec.param("sched_latency")) // 2)
        super().add(thread, reason)

    def time_slice(self, thread: Thread) -> int | None:
        total = weight(thread) + sum(weight(t) for t in self.ready)
        share = int(self.spec.param("sched_latency")) * weight(thread) // total
        return max(int(self.spec.param("min_granularity")), share)

    def should_preempt(self, running: Thread) -> bool:
        best = self.best_waiting()
        lead = int(self.spec.param("wakeup_granularity"))
        used = self.vruntime[running.index] + self.using_now(running) * NICE_0_WEIGHT // weight(running)
        return best is not None and used - best > lead


class ScanLottery(Policy):
    name, summary, parameters = Lottery.name, Lottery.summary, Lottery.parameters

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.ready: list[Thread] = []

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self.ready.append(thread)

    def pick(self, cpu: int) -> Thread | None:
        if not self.ready:
            return None
        ticket = self.context.draw(sum(thread.tickets for thread in self.ready))
        for index, thread in enumerate(self.ready):
            if ticket < thread.tickets:
                return self.ready.pop(index)
            ticket -= thread.tickets
        raise AssertionError("unreachable")

    def ready_threads(self) -> Sequence[Thread]:
        return list(self.ready)

    def take(self, thread: Thread) -> None:
        self.ready.remove(thread)

    def __len__(self) -> int:
        return len(self.ready)

    def time_slice(self, thread: Thread) -> int | None:
        return int(self.spec.param("quantum"))


class ScanMlfq(Mlfq):
    """The old refresh: every decision walks every lower queue."""

    def _refresh(self) -> None:
        if not self.boost:
            return
        for level in range(1, len(self.queues)):
            for thread in list(self.queues[level]):
                if self.update(thread) != level:
                    self.queues[level].remove(thread)
                    self.queues[self.level[thread.index]].append(thread)


REFERENCES: dict[str, type[Policy]] = {
    policy.name: policy for policy in (ScanSjf, ScanSrtf, ScanPriority, ScanStride, ScanCfs, ScanLottery, ScanMlfq)
}
SETTINGS = (
    "sjf", "sjf:estimate=next_burst", "srtf", "srtf:estimate=next_burst", "priority", "priority:preemptive=false",
    "priority:aging=1us", "priority:aging=3us", "priority:aging=7us,preemptive=false", "stride:quantum=2us",
    "stride:quantum=3us,big=999", "cfs", "cfs:sched_latency=10us,min_granularity=2us,wakeup_granularity=1us",
    "lottery:quantum=2us", "mlfq:quantum=2us,growth=2,boost=20us", "mlfq:quantum=1us,queues=4,boost=5us",
)  # fmt: skip
assert {text.partition(":")[0] for text in SETTINGS} == set(REFERENCES)


@contextmanager
def reference_policies() -> Iterator[None]:
    """Runs made inside use the scans instead of the registered policies."""
    saved = dict(registry.POLICIES)
    registry.POLICIES.update(REFERENCES)
    try:
        yield
    finally:
        registry.POLICIES.clear()
        registry.POLICIES.update(saved)


def outcome(run: Scenario, seed: int) -> tuple[list[str], dict[str, Any]]:
    """Every trace event, and the JSON report."""
    events: list[str] = []
    metrics = simulate(run, seed=seed, listeners=[lambda event: events.append(repr(event))])
    return events, report_dict(metrics)


def compare(threads: list[ThreadSpec], policy: str, cpus: int, seed: int) -> None:
    run = scenario(threads, policy, cpus, seed)
    fast = outcome(run, seed)
    with reference_policies():
        slow = outcome(run, seed)
    assert fast == slow


@settings(max_examples=150, deadline=None)
@given(workloads(), st.sampled_from(SETTINGS), st.integers(1, 3), st.integers(0, 50))
def test_every_policy_decides_as_the_scan_did(threads: list[ThreadSpec], policy: str, cpus: int, seed: int) -> None:
    """Same events and same report as the straightforward scan, for each changed policy."""
    compare(threads, policy, cpus, seed)


@settings(max_examples=40, deadline=None)
@given(workloads(), st.sampled_from(("priority:aging=1us", "priority:aging=2us,preemptive=false",
                                     "lottery:quantum=1us", "stride:quantum=1us", "sjf")),
       st.integers(0, 50))  # fmt: skip
def test_many_threads_outgrow_the_first_tree(threads: list[ThreadSpec], policy: str, seed: int) -> None:
    """Twenty copies of a workload: the trees renumber their positions, and still decide as the scan."""
    many = [ThreadSpec(f"{t.name}x{copy}", f"{t.name}x{copy}", t.arrival, t.program, priority=t.priority,
                       tickets=t.tickets, nice=t.nice) for copy in range(20) for t in threads]  # fmt: skip
    compare(many, policy, 2, seed)


@pytest.mark.parametrize("policy", ["priority:aging=1us", "lottery:quantum=1us", "cfs", "srtf", "stride:quantum=1us"])
def test_exploration_sees_the_policys_order(policy: str) -> None:
    """ready_threads (exploration's candidates) lists threads in the order the scan sorted them."""
    from simulator import Compute, ProcessSpec

    threads = [ThreadSpec(f"T{i}", f"T{i}", i * 1_000, (Compute((7 - i % 4) * 1_000),), priority=i % 3,
                          tickets=10 + i, nice=i % 5 - 2) for i in range(12)]  # fmt: skip
    run = Scenario("order", "us", 0, MachineSpec(1, parse_policy_text(policy, "us")),
                   tuple(ProcessSpec(t.name, t.arrival, (t,)) for t in threads))  # fmt: skip
    from simulator.model.kernel import Kernel

    def decisions() -> list[list[str]]:
        """The ready threads, in the policy's order, at each pick."""
        seen: list[list[str]] = []
        kernel = Kernel(run, seed=0)
        original = kernel.policy.pick

        def pick(cpu: int) -> Thread | None:
            seen.append([thread.name for thread in kernel.policy.ready_threads()])
            return original(cpu)

        kernel.policy.pick = pick  # type: ignore[method-assign]
        kernel.run()
        return seen

    fast = decisions()
    with reference_policies():
        slow = decisions()
    orders = [fast, slow]
    assert orders[0] == orders[1] and any(len(order) > 2 for order in orders[0])
