"""The test listeners catch what they are for (so the property tests built on them cannot pass vacuously)."""

from simulator import TraceEvent
from tests.test_policy_properties import IdleWhileReady, UrgencyChecker


def test_an_idle_cpu_beside_a_ready_thread_is_caught() -> None:
    """A thread ready from 0 to 5 on a machine whose only CPU runs nobody."""
    checker = IdleWhileReady(cpus=1)
    checker(TraceEvent(0, None, "A", "arrive"))
    checker(TraceEvent(5, 0, "A", "run"))
    assert checker.problems == [(0, 5)]


def test_a_less_urgent_thread_running_while_a_more_urgent_waits_is_caught() -> None:
    """B (priority 0) waits from 2 to 4 while A (priority 3) runs."""
    checker = UrgencyChecker({"A": 3, "B": 0})
    for event in (TraceEvent(0, None, "A", "arrive"), TraceEvent(0, 0, "A", "run"),
                  TraceEvent(2, None, "B", "arrive"), TraceEvent(4, 0, "A", "exit")):  # fmt: skip
        checker(event)
    assert checker.problems == ["at 2: ['B'] wait while {0: 'A'} run"]
