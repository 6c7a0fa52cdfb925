"""Tests that every synchronization step is a trace event saying what it did and whom it woke."""

from __future__ import annotations

import io
import json

from simulator import load_scenario, simulate
from simulator.model.threads import Thread
from simulator.model.wait_queue import WaitQueue
from simulator.output.chrome_trace import ChromeTraceWriter
from simulator.output.event_log import EventLogWriter
from simulator.output.writer import TimelineInfo
from simulator.trace import TraceEvent
from tests.conftest import SCENARIOS, trace_of

SYNC = "{m: mutex, c: {condition: m}, s: {semaphore: 0}, e: event, b: {barrier: 2}, q: {queue: 1}}"


def scenario(*threads: str) -> str:
    """One process with every kind of object and the given threads (`name: program`)."""
    body = "".join(f"      - name: {name}\n        program: {program}\n"
                   for name, program in (thread.split(":", 1) for thread in threads))  # fmt: skip
    return f"machine: {{cpus: 1, policy: fcfs}}\nprocesses:\n  - name: p\n    sync: {SYNC}\n    threads:\n{body}"


def sync_events(text: str) -> list[tuple[str, str | None, dict[str, object]]]:
    """(event, thread, details) of the run's synchronization events."""
    _, events = trace_of(text)
    names = {"notify", "notify_all", "acquire", "release", "set_event", "clear_event", "wait_event", "barrier",
             "put", "get"}  # fmt: skip
    return [(e.event, e.thread, dict(e.details)) for e in events if e.event in names]


def test_notify_says_whom_it_woke_or_that_it_woke_nobody() -> None:
    """A notify before anyone waits wakes nobody; notify_all names every waiter."""
    events = sync_events(
        scenario(
            "N: [{lock: m}, {notify: c}, {unlock: m}, {sleep: 5}, {lock: m}, {notify_all: c}, {unlock: m}]",
            "W1: [{sleep: 1}, {lock: m}, {wait: c}, {unlock: m}]",
            "W2: [{sleep: 1}, {lock: m}, {wait: c}, {unlock: m}]",
        )
    )
    assert events == [("notify", "N", {"object": "c", "woke": []}),
                      ("notify_all", "N", {"object": "c", "woke": ["W1", "W2"]})]  # fmt: skip


def test_semaphore_event_barrier_and_queue_steps_are_events_with_values() -> None:
    """acquire/release with counts, set_event and barrier with whom they release, put/get with values."""
    events = sync_events(
        scenario(
            "A: [{acquire: s}, {wait_event: e}, {barrier: b}, {get: {queue: q, into: r}}]",
            "B: [{release: s}, {set_event: e}, {barrier: b}, {put: {queue: q, value: 7}}, {put: {queue: q, value: 8}},"
            " {wait_event: e}]",
        )
    )
    # fcfs on one CPU: B's release readies A but B goes on, so its set_event finds nobody waiting yet.
    assert events == [
        ("release", "B", {"object": "s", "count": 0, "woke": ["A"]}),
        ("set_event", "B", {"object": "e", "woke": []}),
        ("barrier", "B", {"object": "b", "arrived": 1, "parties": 2, "woke": []}),
        ("wait_event", "A", {"object": "e"}),
        ("barrier", "A", {"object": "b", "arrived": 2, "parties": 2, "woke": ["B"]}),
        ("put", "B", {"object": "q", "value": 7, "woke": ["A"]}),  # A waited in get: it receives 7
        ("put", "B", {"object": "q", "value": 8, "woke": []}),
        ("wait_event", "B", {"object": "e"}),
    ]


def test_the_first_waiters_are_those_pop_takes_and_removed_ones_are_skipped() -> None:
    """WaitQueue.first agrees with pop, across a removed (timed-out) entry."""
    queue = WaitQueue()
    a, b, c = (Thread(i, name, "p", 0, 0, None, ()) for i, name in enumerate("abc"))
    for thread in (a, b, c):
        queue.park(thread)
    queue.remove(b)
    assert queue.first() == [a, c] and queue.first(1) == [a]
    assert [queue.pop(), queue.pop(), queue.pop()] == [a, c, None]


def test_the_event_log_and_the_chrome_trace_carry_the_synchronization_events() -> None:
    """A pool that puts and gets logs every put and get, in both timeline formats."""
    loaded = load_scenario(str(SCENARIOS / "producer-consumer-queue.yaml"))
    info = TimelineInfo(scenario=loaded.name, time_unit=loaded.time_unit, cpus=loaded.machine.cpus,
                        threads=tuple((t.name, t.process) for t in loaded.threads()), width=80, header="")  # fmt: skip
    log, trace = io.StringIO(), io.StringIO()
    log_writer, trace_writer = EventLogWriter(log, info), ChromeTraceWriter(trace, info)
    seen: list[TraceEvent] = []
    metrics = simulate(loaded, listeners=[log_writer, trace_writer, seen.append])
    trace_writer.close(metrics)
    puts = sum(1 for event in seen if event.event == "put")
    assert puts > 0
    logged = [json.loads(line) for line in log.getvalue().splitlines()]
    assert sum(1 for record in logged if record["event"] == "put") == puts
    assert all(isinstance(r["details"]["woke"], list) for r in logged if r["event"] in ("put", "get"))
    instants = [e for e in json.loads(trace.getvalue())["traceEvents"] if e.get("ph") == "i"]
    assert sum(1 for e in instants if e["name"] == "put q") == puts


def test_the_text_report_lists_notifies_among_the_waits() -> None:
    """A lost wake-up reads as a notify that wakes nobody, then the wait that never ends."""
    from click.testing import CliRunner

    from simulator.cli import main

    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "readers-writers.yaml")])
    assert "notifies all of ok: wakes W1, W2" in result.stdout
