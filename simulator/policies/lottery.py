"""Lottery scheduling (Waldspurger and Weihl): each quantum goes to a ticket drawn from the run's seed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Parameter, Policy, ReadyReason
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class Lottery(Policy):
    """At each dispatch a winning ticket is drawn uniformly among the ready threads' tickets; the winner
    runs for a quantum. The draws come from the run's seed, so a seed replays the same lotteries.

    The ready threads' tickets lie end to end in the order the threads became ready, and the winner is the
    thread whose stretch holds the winning ticket. A Fenwick tree of ticket sums over that order finds it in
    O(log n) (a scan of the queue cost O(n)) with the same draw, so a seed gives the same winners as ever.
    """

    name = "lottery"
    summary = "lottery: a random ticket (from the seed) picks who runs each quantum"
    parameters = (Parameter("quantum", "duration", 10_000_000, "time slice"),)

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.quantum = spec.number("quantum")
        self.tickets = _TicketTree()

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self.tickets.push(thread)

    def pick(self, cpu: int) -> Thread | None:
        tickets = self.tickets
        if not tickets.position:
            return None
        thread = tickets.holder(self.context.draw(tickets.total))
        tickets.remove(thread)
        return thread

    def ready_threads(self) -> Sequence[Thread]:
        return [thread for thread in self.tickets.slots if thread is not None]

    def take(self, thread: Thread) -> None:
        self.tickets.remove(thread)

    def __len__(self) -> int:
        return len(self.tickets.position)

    def time_slice(self, thread: Thread) -> int | None:
        return self.quantum


class _TicketTree:
    """Threads in the order they became ready, with a Fenwick tree of their tickets.

    Positions are handed out in order; when they run out, the live threads are renumbered (order kept) into
    a tree twice their number, so that each operation costs O(log n) amortized.
    """

    def __init__(self) -> None:
        self.size = 16  # a power of two
        self.sums = [0] * (self.size + 1)  # Fenwick tree, 1-based
        self.slots: list[Thread | None] = [None] * self.size
        self.next = 0
        self.position: dict[int, int] = {}  # thread index -> position (0-based)
        self.total = 0

    def push(self, thread: Thread) -> None:
        if self.next == self.size:
            self._compact()
        position = self.next
        self.next += 1
        self.slots[position] = thread
        self.position[thread.index] = position
        self._change(position, thread.tickets)

    def remove(self, thread: Thread) -> None:
        position = self.position.pop(thread.index)
        self.slots[position] = None
        self._change(position, -thread.tickets)

    def holder(self, ticket: int) -> Thread:
        """The thread holding `ticket` (0 <= ticket < total): the first whose tickets, added to those of the
        threads before it, exceed `ticket`."""
        sums, size = self.sums, self.size
        node = 0  # the largest prefix (1-based length) whose sum is at most `ticket`
        step = size
        while step:
            following = node + step
            if following <= size and sums[following] <= ticket:
                node = following
                ticket -= sums[following]
            step >>= 1
        thread = self.slots[node] if node < size else None
        assert thread is not None, "the winning ticket is always held by a ready thread"
        return thread

    def _change(self, position: int, delta: int) -> None:
        self.total += delta
        sums, size = self.sums, self.size
        node = position + 1
        while node <= size:
            sums[node] += delta
            node += node & -node

    def _compact(self) -> None:
        live = [thread for thread in self.slots if thread is not None]
        size = 16
        while size < 2 * len(live):
            size *= 2
        self.size = size
        self.slots = [None] * size
        self.position = {}
        sums = self.sums = [0] * (size + 1)
        for position, thread in enumerate(live):
            self.slots[position] = thread
            self.position[thread.index] = position
            sums[position + 1] = thread.tickets
        for node in range(1, size + 1):  # build in O(n): each node adds itself to its parent
            parent = node + (node & -node)
            if parent <= size:
                sums[parent] += sums[node]
        self.next = len(live)
