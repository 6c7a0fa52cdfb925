"""Tests of simulator.engine: time order, same-instant order, stopping."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.engine import PRIORITY_CPU, PRIORITY_WAKE, Engine


def test_callbacks_run_in_time_then_priority_then_scheduling_order() -> None:
    """Same instant: lower priority first; same priority: the one scheduled first."""
    engine = Engine()
    seen: list[str] = []
    engine.schedule(5, PRIORITY_CPU, seen.append, "cpu@5")
    engine.schedule(5, PRIORITY_WAKE, seen.append, "wake-a@5")
    engine.schedule(5, PRIORITY_WAKE, seen.append, "wake-b@5")
    engine.schedule(1, PRIORITY_CPU, seen.append, "cpu@1")
    engine.run()
    assert seen == ["cpu@1", "wake-a@5", "wake-b@5", "cpu@5"]
    assert engine.now == 5 and engine.events == 4


def test_deferred_work_runs_when_the_instant_has_nothing_else_scheduled() -> None:
    """defer() waits for every callback at the current instant, even ones scheduled meanwhile."""
    engine = Engine()
    seen: list[str] = []

    def cpu(_: object) -> None:
        seen.append("cpu")
        engine.defer(lambda: seen.append(f"deferred@{engine.now}"))
        engine.schedule(engine.now, PRIORITY_WAKE, seen.append, "wake-scheduled-at-now")

    engine.schedule(3, PRIORITY_CPU, cpu, None)
    engine.schedule(3, PRIORITY_CPU, seen.append, "cpu-2")
    engine.schedule(4, PRIORITY_WAKE, seen.append, "wake@4")
    engine.run()
    assert seen == ["cpu", "wake-scheduled-at-now", "cpu-2", "deferred@3", "wake@4"]


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


def test_a_run_makes_no_full_collections_and_then_restores_the_collector() -> None:
    """A full collection would walk the whole model; the young generations are still collected, nothing is
    frozen, and the thresholds are the caller's again after the run."""
    import gc

    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []
    engine = Engine()
    engine.schedule(1, PRIORITY_CPU, lambda _: during.append(gc.get_threshold()), None)
    engine.run()
    assert during[0][:2] == before[:2] and during[0][2] > 1_000_000
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_runs_in_several_threads_at_once_restore_the_collector_once_all_are_over() -> None:
    """The first run to start raises the threshold and the last to end restores it: here a worker's run
    starts first and ends in the middle of this thread's run."""
    import gc
    import threading

    before = gc.get_threshold()
    inside, release = threading.Event(), threading.Event()

    def worker_run() -> None:
        engine = Engine()
        engine.schedule(1, PRIORITY_CPU, lambda _: (inside.set(), release.wait(10)), None)
        engine.run()

    worker = threading.Thread(target=worker_run)
    worker.start()
    assert inside.wait(10)
    during: list[int] = []

    def end_the_worker(_: object) -> None:
        release.set()
        worker.join(10)
        during.append(gc.get_threshold()[2])

    engine = Engine()
    engine.schedule(1, PRIORITY_CPU, end_the_worker, None)
    engine.run()
    assert during[0] > 1_000_000  # still raised: this run was not over
    assert gc.get_threshold() == before


@st.composite
def timetables(draw: st.DrawFn) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Entries (time, priority) known before the run, and per entry what its callback schedules: (delay,
    priority) of a follow-up, or a delay of -1 for a deferred callback instead."""
    entries = draw(st.lists(st.tuples(st.integers(0, 6), st.sampled_from([PRIORITY_WAKE, PRIORITY_CPU])), max_size=25))
    reactions = draw(st.lists(st.tuples(st.integers(-1, 3), st.sampled_from([PRIORITY_WAKE, PRIORITY_CPU])),
                              min_size=len(entries), max_size=len(entries)))  # fmt: skip
    return entries, reactions


@settings(max_examples=200, deadline=None)
@given(timetables(), st.sampled_from([None, 1, 2]))
def test_a_batch_runs_exactly_as_the_same_entries_scheduled_one_by_one(
    timetable: tuple[list[tuple[int, int]], list[tuple[int, int]]], tiebreak_seed: int | None
) -> None:
    """Same order (ties, priorities, callbacks they schedule or defer meanwhile), same tie-break draws."""
    entries, reactions = timetable

    def run(batched: bool) -> tuple[list[tuple[int, str]], int]:
        draws = random.Random(tiebreak_seed)
        engine = Engine(None if tiebreak_seed is None else lambda: draws.getrandbits(8))
        seen: list[tuple[int, str]] = []

        def callback(index: int) -> None:
            seen.append((engine.now, f"entry {index}"))
            delay, priority = reactions[index]
            if delay < 0:
                engine.defer(lambda: seen.append((engine.now, f"deferred by {index}")))
            else:
                engine.schedule(
                    engine.now + delay, priority, lambda _: seen.append((engine.now, f"after {index}")), None
                )

        engine.schedule(2, PRIORITY_CPU, lambda _: seen.append((engine.now, "scheduled first")), None)
        if batched:
            engine.schedule_batch([(time, priority, callback, index) for index, (time, priority) in enumerate(entries)])
        else:
            for index, (time, priority) in enumerate(entries):
                engine.schedule(time, priority, callback, index)
        engine.schedule(3, PRIORITY_WAKE, lambda _: seen.append((engine.now, "scheduled last")), None)
        engine.run()
        return seen, engine.events

    assert run(batched=True) == run(batched=False)


def test_a_batch_keeps_only_its_next_entry_in_the_heap() -> None:
    """What makes a batch cheap: the heap stays small however many entries the batch holds."""
    engine = Engine()
    sizes: list[int] = []
    engine.schedule_batch(
        [(time, PRIORITY_WAKE, lambda _: sizes.append(len(engine._heap)), None) for time in range(1000)]
    )
    assert len(engine._heap) == 1
    engine.run()
    assert sizes == [1] * 999 + [0]
    with pytest.raises(ValueError, match="before now"):
        engine.schedule_batch([(engine.now - 1, PRIORITY_WAKE, print, None)])


def test_the_kernel_builds_its_threads_without_full_collections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the model is like running it: each full collection would walk everything built so far."""
    import gc

    from simulator.model.creation import Creator
    from simulator.model.kernel import Kernel
    from simulator.scenario.loader import parse_scenario

    before = gc.get_threshold()
    seen: list[int] = []
    create = Creator.create_thread

    def recording(creator: Creator, *args: object, **options: object) -> object:
        seen.append(gc.get_threshold()[2])
        return create(creator, *args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(Creator, "create_thread", recording)
    Kernel(parse_scenario("threads:\n  - {name: A, burst: 1ms}\n  - {name: B, burst: 1ms}\n", "t.yaml"), seed=0)
    assert len(seen) == 2 and min(seen) > 1_000_000
    assert gc.get_threshold() == before


def test_max_events_stops_a_run_only_when_more_was_to_come() -> None:
    """run(max_events=N) runs N callbacks and says it was bounded, unless the N-th was the last one due."""

    def engine_of(count: int) -> tuple[Engine, list[int]]:
        engine = Engine()
        seen: list[int] = []
        for time in range(count):
            engine.schedule(time, PRIORITY_CPU, seen.append, time)
        return engine, seen

    bounded, seen = engine_of(5)
    bounded.run(max_events=3)
    assert (seen, bounded.bounded, bounded.stopped, bounded.events) == ([0, 1, 2], True, True, 3)
    ended, seen = engine_of(3)
    ended.run(max_events=3)
    assert (seen, ended.bounded, ended.events) == ([0, 1, 2], False, 3)
    cut, seen = engine_of(5)
    cut.run(until=2, max_events=3)
    assert (seen, cut.bounded) == ([0, 1, 2], False)  # --until came first
