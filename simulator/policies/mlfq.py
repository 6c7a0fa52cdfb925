"""Multi-level feedback queue, with OSTEP's rules (chapter 8), and options for the rules of OSTEP's mlfq.py."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Parameter, ParameterValue, Policy, PolicyError, ReadyReason
from simulator.scenario.limits import MAX_MLFQ_QUEUES
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class Mlfq(Policy):
    """OSTEP's MLFQ:

    1. a thread in a higher queue runs before any in a lower one (and preempts it when it becomes ready);
    2. threads in the same queue take turns (round robin with that queue's quantum);
    3. a new thread starts in the top queue;
    4. once a thread has used its allotment of CPU time in a queue, however many times it gave up the CPU
       (for I/O, say), it moves down one queue; giving up the CPU earlier keeps its place;
    5. every `boost` period, every thread moves back to the top queue, with a fresh allotment and slice (the
       running ones too: the boost is a timer).

    Queue i's quantum is `quantum * growth**i` (or `quanta[i]`); its allotment `allotment` (or
    `allotments[i]`), 0 meaning one quantum. The other parameters select mlfq.py's rules (docs/ostep.md).

    The policy keeps, per thread, its queue and the CPU time it had when it entered it (`level_start`): its
    slices and allotment are worked out from its CPU time when asked, so a thread alone on a CPU costs no
    event however many slices it runs through.
    """

    name = "mlfq"
    summary = "multi-level feedback queue (OSTEP's rules: allotment, boost, I/O keeps priority)"
    parameters = (
        Parameter("queues", "integer", 3, "number of queues", minimum=1, maximum=MAX_MLFQ_QUEUES),
        Parameter("quantum", "duration", 10_000_000, "time slice of the top queue"),
        Parameter("growth", "integer", 1, "each lower queue's quantum is this many times the one above", minimum=1),
        Parameter("allotment", "duration", 0, "CPU time a thread may use in a queue before moving down (0: a quantum)"),
        Parameter("boost", "duration", 0, "period of the priority boost to the top queue (0: never)"),
        Parameter("quanta", "durations", (), "each queue's time slice, top first (sets queues; OSTEP -Q)",
                  minimum=1, maximum=MAX_MLFQ_QUEUES, always_shown=False),
        Parameter("allotments", "durations", (), "each queue's allotment, top first (0: a quantum; OSTEP -A)",
                  maximum=MAX_MLFQ_QUEUES, always_shown=False),
        Parameter("slice", "choice", "dispatch", "dispatch: a fresh slice at every dispatch; thread: a thread keeps "
                  "the rest of its slice across I/O and preemption (OSTEP)", choices=("dispatch", "thread"),
                  always_shown=False),
        Parameter("preempted", "choice", "back", "where a thread preempted before its slice ended rejoins its queue "
                  "(front: OSTEP)", choices=("back", "front"), always_shown=False),
        Parameter("boost_order", "choice", "highest_first", "which lower queue joins the top first at a boost "
                  "(lowest_first: OSTEP, running threads in their place)",
                  choices=("highest_first", "lowest_first"), always_shown=False),
        Parameter("io_reset", "boolean", False, "a thread that gives up the CPU (I/O, sleep, a wait) gets a fresh "
                  "allotment and slice in its queue (OSTEP -S)", always_shown=False),
        Parameter("io_front", "boolean", False, "a thread back from I/O or a wait joins the front of its queue, "
                  "ahead of a running thread of that queue (OSTEP -I)", always_shown=False),
    )  # fmt: skip
    preemptive = True

    @classmethod
    def complete(cls, values: dict[str, ParameterValue], given: Collection[str]) -> None:
        quanta = values["quanta"]
        assert isinstance(quanta, tuple)
        if quanta:
            if "queues" in given and values["queues"] != len(quanta):
                raise PolicyError("queues", f"queues is {values['queues']} but quanta has {len(quanta)} values "
                                            "(give one of them, or both alike)")  # fmt: skip
            if "growth" in given and values["growth"] != 1:
                raise PolicyError("growth", "growth has no effect with quanta (each queue's quantum is given)")
            values["queues"] = len(quanta)
        allotments = values["allotments"]
        assert isinstance(allotments, tuple)
        if allotments:
            if "allotment" in given and values["allotment"] != 0:
                raise PolicyError("allotment", "give allotment or allotments, not both")
            if len(allotments) != values["queues"]:
                raise PolicyError("allotments", f"allotments has {len(allotments)} values for {values['queues']} "
                                                "queues (one per queue, top first)")  # fmt: skip

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        count = spec.number("queues")
        quantum = spec.number("quantum")
        growth = spec.number("growth")
        quanta = self.setting("quanta")
        assert isinstance(quanta, tuple)
        #: Each queue's quantum and allotment (CPU time), computed once (update runs at every decision).
        self.quanta = list(quanta) or [quantum * growth**level for level in range(count)]
        allotment = spec.number("allotment")
        allotments = self.setting("allotments")
        assert isinstance(allotments, tuple)
        self.allotments = [given or self.quanta[level]
                           for level, given in enumerate(allotments or (allotment,) * count)]  # fmt: skip
        self.queues: list[deque[Thread]] = [deque() for _ in self.quanta]
        self.boost = spec.number("boost")
        self.timed = self.boost > 0
        self.kept_slice = self.setting("slice") == "thread"
        self.front_when_preempted = self.setting("preempted") == "front"
        self.lowest_first = self.setting("boost_order") == "lowest_first"
        self.io_reset = bool(self.setting("io_reset"))
        self.io_front = bool(self.setting("io_front"))
        #: Only `preempted: front` and `io_reset` need to know where each thread's slice ends.
        self.tracks_slices = self.front_when_preempted or self.io_reset
        #: The boost period of the last refresh: every waiting thread has seen it (see _refresh).
        self.refreshed = 0
        self.level: dict[int, int] = {}
        self.level_start: dict[int, int] = {}  # the thread's CPU time when it entered its queue
        self.boosted: dict[int, int] = {}  # the boost period the thread last saw
        self.slice_end: dict[int, int] = {}  # the thread's CPU time when its current slice ends
        self.slice_level: dict[int, int] = {}  # the queue it was in when it got that slice
        #: Per queue, how many threads at its front were put there by `io_front` (they go before anyone
        #: preempted to the front, and a running thread of that queue yields to them).
        self.bumped = [0] * len(self.queues)
        #: Per queue, how many threads `io_front` has put there so far, and per thread its queue and that count
        #: when it last got a slice: a running thread yields to those put at the front after that, not before
        #: (and, when it has moved down since, to all those at the front of its new queue).
        self.bumps = [0] * len(self.queues)
        self.bumps_seen: dict[int, tuple[int, int]] = {}
        #: A `lowest_first` boost put these running threads behind waiting ones: thread index -> the thread it
        #: follows in the top queue, where it goes when the kernel preempts it.
        self.displaced: dict[int, Thread] = {}

    def period(self) -> int:
        """The number of boosts so far. A boost due now whose timer has not gone off yet (it goes off after
        the CPUs' events of the instant, under `same_instant: cpu_first`) has not happened."""
        if not self.boost:
            return 0
        now = self.context.now
        return now // self.boost - (1 if now == self.context.pending_timer else 0)

    def update(self, thread: Thread, period: int | None = None) -> int:
        """Apply boosts and allotments to `thread`'s queue; return it. `period`: the boost period to apply
        (by default the current one)."""
        index = thread.index
        context = self.context
        used = context.cpu_time(thread)
        if period is None:  # self.period(), inline: update runs at every decision
            boost = self.boost
            period = context.now // boost - (context.now == context.pending_timer) if boost else 0
        level = self.level.get(index)
        if level is None or self.boosted.get(index, 0) < period:
            level = 0
            start = used
        else:
            start = self.level_start[index]
        self.boosted[index] = period
        allotments = self.allotments
        last = len(allotments) - 1
        while level < last and used - start >= allotments[level]:
            start += allotments[level]
            level += 1
        self.level_start[index] = start
        self.level[index] = level
        return level

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        level = self._reset(thread) if reason == "wakeup" and self.io_reset else self.update(thread)
        index = thread.index
        queue = self.queues[level]
        place = self.displaced.pop(index, None) if self.displaced else None
        if reason == "preempted":
            if place is not None:  # a lowest_first boost gave it its place among the boosted
                queue.insert(queue.index(place) + 1 if place in queue else 0, thread)
            elif self.front_when_preempted and self.context.cpu_time(thread) < self.slice_end.get(index, 0):
                # Preempted before its slice ended: it keeps its turn, behind those io_front put ahead of it.
                ahead = self._bumped_ahead(thread, level)
                queue.insert(ahead, thread)
                self.bumped[level] = ahead  # those behind it are no longer at the front
            else:
                queue.append(thread)
            return
        if reason == "wakeup" and self.io_front:
            queue.appendleft(thread)
            self.bumped[level] += 1
            self.bumps[level] += 1
            return
        queue.append(thread)

    def _reset(self, thread: Thread) -> int:
        """`io_reset` (mlfq.py's -S): a thread back from I/O or a wait has a fresh allotment in the queue it
        left, as if it was reset when it gave up the CPU. As in mlfq.py, the reset comes before a slice that
        ended with the I/O is counted: such a thread stays in its queue (the allotment that ran out with the
        I/O is renewed), with that one slice used of the new allotment (so with an allotment of one slice it
        moves down after all)."""
        index = thread.index
        used = self.context.cpu_time(thread)
        seen = self.boosted.get(index, 0)
        level = self.update(thread)
        if self.boosted[index] != seen:
            return level  # a boost came while it was away: it reset the allotment (after the I/O's reset)
        ended = self.slice_end.get(index) == used
        ran = self.slice_level.get(index, level)
        if ended and level == ran + 1 and self.level_start[index] == used:
            level = ran  # its allotment ran out with the I/O: the reset comes first
        self.level[index] = level
        self.level_start[index] = used - (self.quanta[level] if ended else 0)
        return self.update(thread)

    def _refresh(self) -> list[int]:
        """A boost may have come while threads waited: move them up, in `boost_order`. Returns how many
        threads each queue held before (empty when there was no new boost).

        Only a new boost period can move a waiting thread (its CPU time does not change while it waits, and
        it saw the period current when it was added or last refreshed), so the queues are walked once per
        period, not at every decision.
        """
        if not self.boost:
            return []
        period = self.period()
        if period == self.refreshed:
            return []
        self.refreshed = period
        before = [len(queue) for queue in self.queues]
        levels = range(len(self.queues) - 1, 0, -1) if self.lowest_first else range(1, len(self.queues))
        top = self.queues[0]
        for level in levels:
            queue = self.queues[level]
            for thread in queue:
                self.update(thread)  # to the top queue, with a fresh allotment
            top.extend(queue)
            queue.clear()
            self.bumped[level] = 0
        return before

    def next_timer(self, now: int) -> int | None:
        return max(1, -(-now // self.boost)) * self.boost if self.boost else None

    def on_timer(self, running: Sequence[Thread]) -> None:
        """A boost: waiting threads move up (see _refresh), and so do the running ones, with a fresh slice
        (the kernel asks time_slice next). With `lowest_first`, a running thread keeps its place at the head
        of its queue as the queues merge: the threads of the queues below it go first, so it yields to them."""
        period = self.period()
        levels = [self.update(thread, period - 1) for thread in running]  # where they ran until now
        before = self._refresh()
        self.displaced.clear()
        for thread, level in zip(running, levels, strict=True):
            if self.lowest_first and before and level > 0:
                ahead = before[0] + sum(before[level + 1 :])
                if ahead:
                    self.displaced[thread.index] = self.queues[0][ahead - 1]
            self.update(thread)

    def ready_threads(self) -> Sequence[Thread]:
        self._refresh()
        return [thread for queue in self.queues for thread in queue]

    def pick(self, cpu: int) -> Thread | None:
        self._refresh()
        for level, queue in enumerate(self.queues):
            if queue:
                if self.bumped[level]:
                    self.bumped[level] -= 1
                return queue.popleft()
        return None

    def take(self, thread: Thread) -> None:
        level = self.level[thread.index]
        queue = self.queues[level]
        if self.bumped[level] and queue.index(thread) < self.bumped[level]:
            self.bumped[level] -= 1
        queue.remove(thread)

    def __len__(self) -> int:
        return sum(len(queue) for queue in self.queues)

    def time_slice(self, thread: Thread) -> int | None:
        level = self.update(thread)
        index = thread.index
        used = self.context.cpu_time(thread)
        start = self.level_start[index]
        quantum = self.quanta[level]
        left = quantum - (used - start) % quantum if self.kept_slice else quantum
        if level < len(self.queues) - 1:
            # Run at most to the end of the allotment, so that a thread alone is demoted on time.
            left = max(1, min(left, start + self.allotments[level] - used))
        if self.tracks_slices:
            self.slice_end[index] = used + left
            self.slice_level[index] = level
        if self.io_front:
            self.bumps_seen[index] = (level, self.bumps[level])
        return left

    def renew_slice(self, thread: Thread, start: int, length: int, now: int) -> tuple[int, int]:
        """The slice in progress at `now`: slices follow each other on the queue's quantum from where the
        last one ended (`slice: dispatch`) or from where the thread entered its queue (`slice: thread`), each
        queue's last one cut at the end of the allotment, and a demotion starts the next queue's."""
        index = thread.index
        self.displaced.pop(index, None)
        used = self.context.cpu_time(thread)
        ended = used - (now - (start + length))  # the CPU time at which the last slice ended
        level = self.update(thread)
        level_start = self.level_start[index]
        quantum = self.quanta[level]
        origin = level_start if self.kept_slice else max(ended, level_start)
        begin = origin + (used - origin) // quantum * quantum
        size = quantum
        if level < len(self.queues) - 1:
            size = min(quantum, level_start + self.allotments[level] - begin)
        self.slice_end[index] = begin + size
        self.slice_level[index] = level
        if self.io_front:
            # It was alone when the slice began: those io_front put at the front since then are all ahead.
            self.bumps_seen[index] = (level, self.bumps[level] - self.bumped[level])
        return now - (used - begin), size

    def left_cpu(self, thread: Thread, start: int, length: int, now: int) -> None:
        """It ran alone past its slice: record the slice it leaves in (one that ends right now, rather
        than the next), for `preempted` and `io_reset`."""
        begin, _ = self.renew_slice(thread, start, length, now)
        if begin != now:
            return
        index = thread.index
        used = self.context.cpu_time(thread)
        self.slice_end[index] = used
        level = self.level[index]
        if level > 0 and self.level_start[index] == used:
            self.slice_level[index] = level - 1  # that slice ended its allotment in the queue above

    def should_preempt(self, running: Thread) -> bool:
        self._refresh()
        if running.index in self.displaced:
            return True
        top = next((level for level, queue in enumerate(self.queues) if queue), None)
        if top is None:
            return False
        level = self.update(running)
        if top < level:
            return True
        # io_front: a thread put at the front of its queue since it got its slice goes before it.
        return top == level and self.bumped[top] > 0 and self._bumped_ahead(running, level) > 0

    def _bumped_ahead(self, thread: Thread, level: int) -> int:
        """How many of the threads `io_front` put at the front of queue `level` are ahead of `thread`, which
        runs (or just ran) in that queue: those put there since it got its slice, or all of them if it
        moved down to this queue since (it was alone then, so they all came after)."""
        seen_level, seen = self.bumps_seen.get(thread.index, (level, self.bumps[level]))
        ahead = self.bumps[level] - seen if seen_level == level else self.bumped[level]
        return min(ahead, self.bumped[level])

    def adopt(self, thread: Thread, donor: Policy) -> None:
        """A thread taken from another CPU's queue keeps its queue level, allotment and slice."""
        assert isinstance(donor, Mlfq)
        index = thread.index
        for mine, theirs in ((self.level, donor.level), (self.level_start, donor.level_start),
                             (self.boosted, donor.boosted), (self.slice_end, donor.slice_end),
                             (self.slice_level, donor.slice_level)):  # fmt: skip
            if index in theirs:
                mine[index] = theirs.pop(index)

    def describe(self) -> dict[str, object]:
        return {"queues": len(self.queues)}
