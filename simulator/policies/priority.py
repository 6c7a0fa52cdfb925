"""Priority scheduling: lower number = more urgent, optionally preemptive and with aging."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Parameter, ReadyReason
from simulator.policies.ordered import OrderedPolicy
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread

_EMPTY = float("inf")  # an empty slot of the aging tree: above every value (exact against any int)


class Priority(OrderedPolicy):
    """The most urgent ready thread runs; equal priorities go first come, first served.

    With `aging` A, a thread's priority number drops by 1 for every A it has waited ready, so it cannot
    starve. With `preemptive`, a thread that becomes ready more urgent than a running one takes its CPU.
    """

    name = "priority"
    summary = "priority: lowest priority number first; preemptive or not; aging"
    parameters = (
        Parameter("preemptive", "boolean", True, "a more urgent ready thread takes the CPU at once"),
        Parameter("aging", "duration", 0, "every this much waiting makes a thread 1 more urgent (0: no aging)"),
    )

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.preemptive = bool(spec.param("preemptive"))  # type: ignore[misc]  # per instance, read once
        self.aging = spec.number("aging")
        self._aged = _AgedQueue(self.aging) if self.aging else None

    def key(self, thread: Thread) -> int:
        aging = self.aging
        since = self.ready_since.get(thread.index)
        if not aging or since is None or not self.is_ready(thread):
            return thread.priority
        return thread.priority - (self.context.now - since) // aging

    def should_preempt(self, running: Thread) -> bool:
        best = self.best_waiting()
        return best is not None and best < running.priority

    # With aging, the aged queue replaces the heap (keys change while threads wait).

    def is_ready(self, thread: Thread) -> bool:
        if self._aged is not None:
            return thread.index in self._aged.position
        return super().is_ready(thread)

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        if self._aged is None:
            super().add(thread, reason)
            return
        now = self.context.now
        self.ready_since[thread.index] = now
        self._aged.push(thread, now)

    def pick(self, cpu: int) -> Thread | None:
        if self._aged is None:
            return super().pick(cpu)
        thread = self._aged.first(self.context.now)
        if thread is not None:
            self._aged.remove(thread)
        return thread

    def take(self, thread: Thread) -> None:
        if self._aged is None:
            super().take(thread)
        else:
            self._aged.remove(thread)

    def ready_threads(self) -> Sequence[Thread]:
        if self._aged is None:
            return super().ready_threads()
        return self._aged.in_order(self.context.now)

    def __len__(self) -> int:
        return super().__len__() if self._aged is None else len(self._aged.position)

    def best_waiting(self) -> int | None:
        if self._aged is None:
            return super().best_waiting()
        return self._aged.best(self.context.now)


class _AgedQueue:
    """Ready threads under aging, picked in O(log n).

    A thread of priority p ready since s has, at time `now`, the aged priority p - (now - s) // A, which is
    ceil((V - now) / A) with V = p * A + s, a value fixed when it becomes ready. So at any instant the least
    aged priority k belongs to the least V, and the threads that share it are exactly those with
    V <= now + k * A (every V is above now + (k - 1) * A, k being the least). Among them the first to become
    ready wins, as it always did. A tree of minima over the insertion order answers both questions: its
    root is the least V, and a descent finds the leftmost position whose V is at most the bound.
    Positions are handed out in insertion order; when they run out, the live ones are renumbered (order
    kept) into a tree twice their number, so each operation costs O(log n) amortized.
    """

    def __init__(self, aging: int) -> None:
        self.aging = aging
        self.size = 16  # leaves; a power of two
        self.tree: list[float] = [_EMPTY] * (2 * self.size)  # tree[1] is the root; leaves at size + position
        self.slots: list[Thread | None] = [None] * self.size
        self.next = 0
        self.position: dict[int, int] = {}  # thread index -> position

    def push(self, thread: Thread, now: int) -> None:
        if self.next == self.size:
            self._compact()
        position = self.next
        self.next += 1
        self.slots[position] = thread
        self.position[thread.index] = position
        value = thread.priority * self.aging + now
        tree = self.tree
        node = position + self.size
        tree[node] = value
        node >>= 1
        while node and tree[node] > value:  # an ancestor at or below value already is, and so are those above
            tree[node] = value
            node >>= 1

    def remove(self, thread: Thread) -> None:
        position = self.position.pop(thread.index)
        self.slots[position] = None
        tree = self.tree
        node = position + self.size
        tree[node] = _EMPTY
        node >>= 1
        while node:
            least = min(tree[2 * node], tree[2 * node + 1])
            if tree[node] == least:
                break  # unchanged here, so unchanged above
            tree[node] = least
            node >>= 1

    def best(self, now: int) -> int | None:
        """The least aged priority, or None if no thread is ready."""
        least = self.tree[1]
        if least == _EMPTY:
            return None
        return -((now - int(least)) // self.aging)

    def first(self, now: int) -> Thread | None:
        """The thread to run: least aged priority, then the first to become ready."""
        best = self.best(now)
        if best is None:
            return None
        bound = now + best * self.aging
        tree = self.tree
        node = 1
        while node < self.size:
            node = 2 * node if tree[2 * node] <= bound else 2 * node + 1
        return self.slots[node - self.size]

    def in_order(self, now: int) -> list[Thread]:
        """Every ready thread, in pick order."""
        aging, size, tree = self.aging, self.size, self.tree
        ranked = [(-((now - int(tree[size + position])) // aging), position, thread)
                  for position, thread in enumerate(self.slots) if thread is not None]  # fmt: skip
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [thread for _, _, thread in ranked]

    def _compact(self) -> None:
        live = [(thread, self.tree[self.size + position]) for position, thread in enumerate(self.slots)
                if thread is not None]  # fmt: skip
        size = 16
        while size < 2 * len(live):
            size *= 2
        self.size = size
        self.tree = tree = [_EMPTY] * (2 * size)
        self.slots = [None] * size
        self.position = {}
        for position, (thread, value) in enumerate(live):
            self.slots[position] = thread
            self.position[thread.index] = position
            tree[size + position] = value
        for node in range(size - 1, 0, -1):
            tree[node] = min(tree[2 * node], tree[2 * node + 1])
        self.next = len(live)
