"""A simplified Linux CFS: virtual runtime weighted by nice, the kernel's weight table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policies.base import Parameter, Policy, ReadyReason
from simulator.policies.ordered import ChargingPolicy
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread

#: sched_prio_to_weight from the Linux kernel (kernel/sched/core.c), for nice -20 to 19.
NICE_TO_WEIGHT = (
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
    9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
    1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
    110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
)  # fmt: skip
NICE_0_WEIGHT = 1024


def weight(thread: Thread) -> int:
    return NICE_TO_WEIGHT[thread.nice + 20]


class Cfs(ChargingPolicy):
    """The ready thread with the least virtual runtime runs. Running for t adds t * 1024 / weight to a
    thread's vruntime, so a lower nice (a higher weight) ages more slowly and gets more CPU. A thread's
    slice is its weight's share of `sched_latency` among the ready threads, at least `min_granularity`. A
    new thread starts at the least vruntime of the ready threads; a waking one no further back than
    `sched_latency` / 2 behind it. A waking thread preempts the running one if it is more than
    `wakeup_granularity` behind in vruntime."""

    name = "cfs"
    summary = "completely fair scheduler: least virtual runtime first, weights from nice"
    parameters = (
        Parameter("sched_latency", "duration", 6_000_000, "period in which every ready thread should run once"),
        Parameter("min_granularity", "duration", 750_000, "shortest slice (positive)"),
        Parameter("wakeup_granularity", "duration", 1_000_000, "vruntime lead a waking thread needs to preempt"),
    )
    preemptive = True

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.vruntime: dict[int, int] = {}  # ns of CPU * 1024 / weight, in integers
        self.min_vruntime = 0
        #: The ready threads' weights, summed (for time_slice).
        self.ready_weight = 0
        self.sched_latency = spec.number("sched_latency")
        self.min_granularity = spec.number("min_granularity")
        self.wakeup_granularity = spec.number("wakeup_granularity")

    def key(self, thread: Thread) -> int:
        return self.vruntime[thread.index]

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        index = thread.index
        if index in self.vruntime:
            self.vruntime[index] += self.used_since_pick(thread) * NICE_0_WEIGHT // weight(thread)
        least = self.best_waiting()  # the least vruntime among ready threads
        floor = self.min_vruntime if least is None else least
        self.min_vruntime = max(self.min_vruntime, min(floor, self.vruntime.get(index, floor)))
        if index not in self.vruntime:
            self.vruntime[index] = floor
        elif reason == "wakeup":
            self.vruntime[index] = max(self.vruntime[index], floor - self.sched_latency // 2)
        super().add(thread, reason)
        self.ready_weight += weight(thread)

    def pick(self, cpu: int) -> Thread | None:
        thread = super().pick(cpu)
        if thread is not None:
            self.ready_weight -= weight(thread)
        return thread

    def take(self, thread: Thread) -> None:
        super().take(thread)
        self.ready_weight -= weight(thread)

    def time_slice(self, thread: Thread) -> int | None:
        total = weight(thread) + self.ready_weight
        share = self.sched_latency * weight(thread) // total
        return max(self.min_granularity, share)

    def adopt(self, thread: Thread, donor: Policy) -> None:
        # Linux's rule on migration: a vruntime is relative to its queue's min_vruntime, so keep the lead
        # or lag the thread had there, on this queue's scale.
        assert isinstance(donor, Cfs)
        index = thread.index
        self.vruntime[index] = donor.vruntime.pop(index) - donor.min_vruntime + self.min_vruntime
        start = donor.cpu_at_pick.pop(index, None)
        if start is not None:
            self.cpu_at_pick[index] = start

    def running_vruntime(self, thread: Thread) -> int:
        return self.vruntime[thread.index] + self.using_now(thread) * NICE_0_WEIGHT // weight(thread)

    def should_preempt(self, running: Thread) -> bool:
        best = self.best_waiting()
        lead = self.wakeup_granularity
        return best is not None and self.running_vruntime(running) - best > lead
