"""Tests of the wait queue under every primitive (simulator.model.wait_queue.WaitQueue) and of the vector clocks
the primitives move (pinned to their values before the queue and the completions were rewritten)."""

from __future__ import annotations

import pytest

from simulator.analysis import races
from simulator.model.kernel import Kernel
from simulator.model.threads import Thread
from simulator.model.wait_queue import WaitQueue
from simulator.scenario.loader import parse_scenario
from tests.conftest import MS, trace_of


def threads(count: int) -> list[Thread]:
    """Bare threads to queue."""
    return [Thread(index, f"T{index}", "p", 0, 0, None, ()) for index in range(count)]


def drain(queue: WaitQueue) -> list[str]:
    """Pop every thread, in order."""
    names = []
    while (thread := queue.pop()) is not None:
        names.append(thread.name)
    return names


def test_a_wait_queue_is_first_come_first_served() -> None:
    """Threads come out in the order they parked; an empty queue gives None."""
    queue = WaitQueue()
    for thread in threads(3):
        queue.park(thread)
    assert len(queue) == 3
    assert drain(queue) == ["T0", "T1", "T2"]
    assert queue.pop() is None and len(queue) == 0


def test_a_removed_thread_is_skipped_and_may_park_again_behind_the_others() -> None:
    """Removal (a timed wait that expired) is noted at once in the length; a thread removed and parked again
    comes out at its new place only, however often that happened."""
    a, b, c = threads(3)
    queue = WaitQueue()
    for thread in (a, b, c):
        queue.park(thread)
    queue.remove(a)
    assert len(queue) == 2
    queue.park(a)
    queue.remove(a)
    queue.park(a)
    queue.remove(c)
    assert len(queue) == 2
    assert drain(queue) == ["T1", "T0"]
    assert len(queue) == 0
    queue.park(c)
    assert drain(queue) == ["T2"]


SCENARIOS = [
    # Timed waits woken by notify_all before their time, an event, a barrier, spawn and join, joining what ended.
    """\
machine: {cpus: 2, policy: {name: rr, quantum: 2}}
processes:
  - name: p
    memory: {x: 0}
    sync: {m: mutex, cv: {condition: m}, e: event, b: {barrier: 3}}
    threads:
      - name: A
        program: [lock: m, {wait: {cond: cv, timeout: 3}}, store: {var: x, value: 1}, unlock: m, barrier: b]
      - name: B
        program: [lock: m, wait: cv, unlock: m, wait_event: e, barrier: b]
      - name: C
        program: [compute: 1, lock: m, notify_all: cv, unlock: m, compute: 5, set_event: e, barrier: b,
                  spawn: D, join: D, join: A]
      - {name: D, start: spawned, program: [compute: 1, load: {var: x, into: r}]}
""",
    # fork and wait_process, the first after the child ended (a catch-up), the second before.
    """\
machine: {cpus: 2, policy: fcfs}
processes:
  - name: parent
    memory: {v: 0}
    threads:
      - name: T
        program: [store: {var: v, value: 1}, {fork: child}, compute: 10, {wait_process: child}, {fork: child},
                  {wait_process: child}]
  - name: child
    start: forked
    threads:
      - {name: U, program: [load: {var: v, into: r}, compute: 1]}
      - {name: W, program: [compute: 2]}
""",
    # Timed waits that expire while another thread waits on the same condition, and wait again behind it.
    """\
machine: {cpus: 1, policy: fcfs}
processes:
  - name: p
    memory: {x: 0}
    sync: {m: mutex, cv: {condition: m}}
    threads:
      - name: A
        program: [lock: m, {wait: {cond: cv, timeout: 2}}, {wait: {cond: cv, timeout: 1}}, wait: cv,
                  store: {var: x, value: 1}, unlock: m]
      - {name: B, program: [lock: m, wait: cv, load: {var: x, into: r}, unlock: m]}
      - {name: C, program: [compute: 5, lock: m, notify: cv, unlock: m, compute: 1, lock: m, notify: cv, unlock: m]}
""",
]

#: Each thread's final vector clock (thread index -> clock), as the branch point of the rewrite computed them.
PINS = [
    {0: {0: 4, 1: 3, 2: 4}, 1: {0: 3, 1: 4, 2: 4}, 2: {0: 4, 1: 3, 2: 6, 3: 1}, 3: {0: 3, 1: 3, 2: 5, 3: 2}},
    {
        0: {0: 3, 1: 1, 2: 1, 3: 1, 4: 1},
        1: {0: 1, 1: 1},
        2: {0: 1, 2: 1},
        3: {0: 2, 1: 1, 2: 1, 3: 1},
        4: {0: 2, 1: 1, 2: 1, 4: 1},
    },
    {0: {0: 5, 1: 2, 2: 4}, 1: {0: 2, 1: 3, 2: 2}, 2: {0: 3, 1: 2, 2: 5}},
]


@pytest.mark.parametrize("index", range(len(SCENARIOS)))
def test_the_primitives_move_the_vector_clocks_as_before(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Timed waits, notify_all, events, barriers, spawn/join, joining what ended, fork/wait_process: every
    thread's final vector clock is what it was before the wait queue and completions were rewritten (with
    the clocks running from the start: a run's detector starts them only at its first shared access)."""
    monkeypatch.setattr(races, "MODE", "eager")
    kernel = Kernel(parse_scenario(SCENARIOS[index]), seed=0)
    kernel.run()
    assert kernel.complete and not kernel.violations
    assert dict(sorted(kernel.races.clocks.items())) == PINS[index]


def test_a_notify_skips_waiters_whose_timed_wait_expired() -> None:
    """A's first timed wait expires at 2 while B still waits; A waits again (behind B) at 5, so the notify at
    5 goes to B (who then waits for the mutex), and A's second wait expires at 6."""
    metrics, events = trace_of(SCENARIOS[2])
    assert [(e.time // MS, e.thread) for e in events if e.event == "timeout"] == [(2, "A"), (6, "A")]
    assert [(e.time // MS, e.thread) for e in events if e.event == "rewait"] == [(5, "B"), (6, "A"), (6, "A")]
    assert metrics.complete and not metrics.violations
