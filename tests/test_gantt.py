"""Tests of simulator.output.gantt and recorder: the text chart's scale, symbols and glyphs."""

from simulator.output.gantt import column_width, render_gantt, thread_glyphs
from simulator.output.recorder import IntervalRecorder
from simulator.states import State
from simulator.trace import TraceEvent
from tests.conftest import MS, trace_of


def test_column_width_is_a_round_number_that_fits() -> None:
    """1, 2 or 5 times a power of ten ns: the smallest that fits the run in the width."""
    assert column_width(30 * MS, 80) == MS // 2
    assert column_width(79_500_000, 80) == MS
    assert column_width(81 * MS, 80) == 2 * MS
    assert column_width(7, 80) == 1


def test_glyphs_prefer_distinct_last_then_first_characters() -> None:
    """P1, P2 -> 1, 2; A1, B1 -> A, B; otherwise letters in order."""
    assert thread_glyphs(["P1", "P2"]) == {"P1": "1", "P2": "2"}
    assert thread_glyphs(["A1", "B1"]) == {"A1": "A", "B1": "B"}
    assert thread_glyphs(["xa", "xa2", "ya2"]) == {"xa": "A", "xa2": "B", "ya2": "C"}


def test_recorder_builds_intervals_per_thread_and_cpu() -> None:
    """Thread rows get state intervals; CPU rows get who ran; the end closes what is open."""
    recorder = IntervalRecorder(["A"], 1)
    for event in (
        TraceEvent(0, None, "A", "arrive"),
        TraceEvent(2, 0, "A", "run"),
        TraceEvent(5, 0, "A", "sleep"),
        TraceEvent(9, None, "A", "wake"),
    ):
        recorder(event)
    recorder.finish(10)
    assert [(i.start, i.end, i.state) for i in recorder.threads["A"]] == [
        (0, 2, State.READY), (2, 5, State.RUNNING), (5, 9, State.SLEEPING), (9, 10, State.READY),
    ]  # fmt: skip
    assert [(i.start, i.end, i.thread) for i in recorder.cpu_rows[0]] == [(2, 5, "A")]


def test_every_state_has_its_symbol_in_the_chart() -> None:
    """Running, ready, blocked, sleeping and switching are all distinguishable."""
    _, events = trace_of("""\
        machine: {context_switch: 1}
        threads:
          - {name: A, program: [compute: 2, io: 4, compute: 1]}
          - {name: B, program: [compute: 3, sleep: 4, compute: 1]}
        """)
    recorder = IntervalRecorder(["A", "B"], 1)
    for event in events:
        recorder(event)
    end = max(event.time for event in events)
    recorder.finish(end)
    lines = render_gantt(recorder, end, "ms", 80)
    assert lines[0] == "Timeline (1 column = 0.2 ms)"
    cpu, row_a, row_b = lines[1], lines[2], lines[3]
    assert cpu.startswith("CPU0 |AAAAAAAAAA~~~~~BBBBBBBBBBBBBBB~~~~~AAAAA")
    assert row_a.startswith("A    |##########bbbbbbbbbbbbbbbbbbbb")
    assert set(row_b[6:-1]) == {".", "~", "#", "z"}
