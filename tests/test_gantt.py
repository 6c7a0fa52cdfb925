"""Tests of simulator.output.gantt and recorder: the text chart's scale, symbols and glyphs."""

import re

from simulator.output.gantt import (
    CPU_LEGEND,
    KEYS,
    OVERFLOW_KEY,
    THREAD_LEGEND,
    column_width,
    render_gantt,
    thread_keys,
)
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


def test_keys_prefer_distinct_last_then_first_characters() -> None:
    """P1, P2 -> 1, 2; A1, B1 -> A, B; otherwise letters in order; only ASCII letters and digits."""
    assert thread_keys(["P1", "P2"]) == {"P1": "1", "P2": "2"}
    assert thread_keys(["A1", "B1"]) == {"A1": "A", "B1": "B"}
    assert thread_keys(["xa", "xa2", "ya2"]) == {"xa": "A", "xa2": "B", "ya2": "C"}
    assert thread_keys(["a.", "b~"]) == {"a.": "a", "b~": "b"}
    assert thread_keys(["线程", "x\x07"]) == {"线程": "A", "x\x07": "B"}


def test_keys_past_the_62nd_thread_share_the_overflow_key() -> None:
    """62 distinct keys, then '+' for every further thread."""
    names = [f"t{i:03d}" for i in range(70)]
    keys = thread_keys(names)
    assert [keys[name] for name in names[:62]] == list(KEYS)
    assert {keys[name] for name in names[62:]} == {OVERFLOW_KEY}


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
    assert lines[-3:] == [THREAD_LEGEND, CPU_LEGEND, "keys: A=A B=B"]
    assert row_a.startswith("A    |##########bbbbbbbbbbbbbbbbbbbb")
    assert set(row_b[6:-1]) == {".", "~", "#", "z"}


def chart_of(text: str) -> list[str]:
    """The text chart of a scenario given as YAML text."""
    metrics, events = trace_of(text)
    recorder = IntervalRecorder([thread.name for thread in metrics.threads], metrics.cpus)
    for event in events:
        recorder(event)
    recorder.finish(metrics.end_time)
    return render_gantt(recorder, metrics.end_time, metrics.time_unit, 80)


def test_thread_rows_use_only_state_symbols_with_any_number_of_cpus() -> None:
    """With 12 CPUs a thread row shows '#' wherever it ran (no CPU digits), and CPU10 and CPU11 show keys."""
    threads = "\n".join(f"  - {{name: T{i}, program: [compute: 2, sleep: 1, compute: 2]}}" for i in range(12))
    lines = chart_of(f"machine: {{cpus: 12}}\nthreads:\n{threads}\n")
    rows = {line.split(" |")[0].strip(): line.split("|")[1] for line in lines if " |" in line}
    assert all(set(rows[f"T{i}"]) <= set("#~.wbz ") for i in range(12))
    assert "#" in rows["T11"]
    keys = thread_keys([f"T{i}" for i in range(12)])
    assert set(rows["CPU10"]) <= {keys["T10"], keys["T11"], ".", "~"} and keys["T10"] in rows["CPU10"] + rows["CPU11"]


def test_threads_named_like_state_symbols_are_not_drawn_as_states() -> None:
    """'low' and 'waiter' get keys in CPU rows only; their rows show '#' when running, 'w' only when waiting."""
    lines = chart_of("""\
        machine: {cpus: 2}
        processes:
          - name: p
            sync: {m: mutex}
            threads:
              - {name: low, program: [lock: m, compute: 3, unlock: m]}
              - {name: waiter, program: [lock: m, compute: 1, unlock: m]}
        """)
    rows = {line.split(" |")[0].strip(): line.split("|")[1] for line in lines if " |" in line}
    assert rows["low"].startswith("###") and rows["waiter"].startswith("www")
    assert rows["CPU0"].startswith("www") and rows["CPU0"].endswith("rrr")  # CPU rows: keys, listed below
    assert lines[-1] == "keys: w=low r=waiter"


def test_more_than_62_threads_have_a_documented_overflow_key() -> None:
    """Thread 63 and on show '+' on CPUs, and the keys line says how many share it."""
    threads = "\n".join(f"  - {{name: t{i}, burst: 1}}" for i in range(70))
    lines = chart_of(f"threads:\n{threads}\n")
    cpu = next(line for line in lines if line.startswith("CPU0"))
    assert "?" not in cpu and OVERFLOW_KEY in cpu
    keys = " ".join(line for line in lines[lines.index(CPU_LEGEND) + 1 :])
    assert keys.startswith("keys: A=t0 B=t1") and "9=t61" in keys
    assert keys.endswith("+=any of the other 8 threads (see their rows)")
    assert all(len(line) <= 80 + 10 for line in lines[lines.index(CPU_LEGEND) + 1 :])
    assert re.fullmatch(r"t69 +\|\.+# *\|", next(line for line in lines if line.startswith("t69")))


def test_rows_are_those_of_the_plain_per_column_count() -> None:
    """The sparse columns (untouched: absent; covered whole by one span: its symbol) give the row the plain
    count of every column gives, over random lanes with zero-length spans and every step."""
    import random

    from simulator.output import gantt

    def plain(spans: list[tuple[int, int, str]], columns: int, step: int) -> str:
        cells: list[dict[str, int]] = [{} for _ in range(columns)]
        for start, stop, symbol in spans:
            index = start // step
            while index < columns and index * step < stop:
                overlap = min(stop, (index + 1) * step) - max(start, index * step)
                cells[index][symbol] = cells[index].get(symbol, 0) + overlap
                index += 1
        chars = []
        for spent in cells:
            spent[gantt.ABSENT] = spent.get(gantt.ABSENT, 0) + step - sum(spent.values())
            chars.append(max(spent, key=lambda s: (spent[s], -gantt._thread_rank(s))))
        return "".join(chars)

    draw = random.Random(16)
    symbols = [gantt.RUNNING, gantt.READY, gantt.WAITING, gantt.BLOCKED, gantt.SLEEPING, gantt.SWITCHING]
    for _ in range(3000):
        step = draw.choice((1, 2, 5, 10, 20))
        time, spans = draw.randrange(3), []
        for _ in range(draw.randrange(12)):
            length = draw.choice((0, 0, 1, 2, step, 3 * step, draw.randrange(50)))
            spans.append((time, time + length, draw.choice(symbols)))
            time += length + draw.choice((0, 0, 1, step))
        columns = max(1, -(-time // step))
        expected = plain(spans, columns, step)
        assert gantt._row(gantt._accumulate(spans, columns, step), columns, step, gantt._thread_rank) == expected
