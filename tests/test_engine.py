"""Tests of simulator.engine: time order, same-instant order, stopping."""

import pytest

from simulator.engine import PRIORITY_CPU, PRIORITY_DISPATCH, PRIORITY_WAKE, Engine


def test_callbacks_run_in_time_then_priority_then_scheduling_order() -> None:
    """Same instant: lower priority first; same priority: the one scheduled first."""
    engine = Engine()
    seen: list[str] = []
    engine.schedule(5, PRIORITY_DISPATCH, seen.append, "dispatch@5")
    engine.schedule(5, PRIORITY_CPU, seen.append, "cpu@5")
    engine.schedule(5, PRIORITY_WAKE, seen.append, "wake-a@5")
    engine.schedule(5, PRIORITY_WAKE, seen.append, "wake-b@5")
    engine.schedule(1, PRIORITY_DISPATCH, seen.append, "dispatch@1")
    engine.run()
    assert seen == ["dispatch@1", "wake-a@5", "wake-b@5", "cpu@5", "dispatch@5"]
    assert engine.now == 5 and engine.events == 5


def test_callbacks_may_schedule_at_the_current_instant() -> None:
    """A callback can add work at `now`; it runs in the same instant, in priority order."""
    engine = Engine()
    seen: list[str] = []

    def first(_: object) -> None:
        seen.append("cpu")
        engine.schedule(engine.now, PRIORITY_WAKE, seen.append, "wake-later")

    engine.schedule(3, PRIORITY_CPU, first, None)
    engine.schedule(3, PRIORITY_DISPATCH, seen.append, "dispatch")
    engine.run()
    assert seen == ["cpu", "wake-later", "dispatch"]


def test_scheduling_in_the_past_is_refused() -> None:
    """Time never goes backwards."""
    engine = Engine()
    engine.schedule(10, PRIORITY_WAKE, lambda _: None, None)
    engine.run()
    with pytest.raises(ValueError, match="before now"):
        engine.schedule(9, PRIORITY_WAKE, lambda _: None, None)


def test_run_until_leaves_later_events_and_stop_ends_the_loop() -> None:
    """`until` keeps events after it; `stop()` ends the run after the current callback."""
    engine = Engine()
    seen: list[int] = []
    for time in (1, 2, 3, 4):
        engine.schedule(time, PRIORITY_WAKE, seen.append, time)
    engine.run(until=2)
    assert seen == [1, 2]
    engine.schedule(3, PRIORITY_WAKE, lambda _: engine.stop(), None)
    engine.run()
    assert seen == [1, 2, 3]
