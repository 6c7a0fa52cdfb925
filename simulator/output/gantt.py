"""The text Gantt chart: a row per CPU and a row per thread, scaled to a width.

Each column covers an equal slice of the run; it shows whatever its row spent the most time on in that
slice (ties go to the more interesting state: running, switching, blocked, sleeping, ready, absent).
A column is 1, 2 or 5 times a power of ten nanoseconds, the smallest such that the run fits the width, so
axis labels fall on round numbers and textbook schedules line up with their numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from simulator.analysis.metrics import RunMetrics
from simulator.output.escaping import printable
from simulator.output.recorder import Interval, IntervalRecorder
from simulator.output.writer import TimelineInfo
from simulator.states import State
from simulator.timeunits import format_time
from simulator.trace import TraceEvent

THREAD_SYMBOLS = {
    State.RUNNING: "#",
    State.SWITCHING: "~",
    State.BLOCKED: "b",
    State.SLEEPING: "z",
    State.READY: ".",
}
CPU_IDLE = "."
CPU_SWITCHING = "~"
ABSENT = " "
#: Blocked on a synchronization object (a lock, a condition, a queue...) rather than on I/O.
SYNC_WAIT = "w"
# Tie-break order: earlier wins.
_PRECEDENCE = ("#", "~", "w", "b", "z", ".", " ")
_SPARE_GLYPHS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def thread_glyphs(names: Sequence[str]) -> dict[str, str]:
    """One character per thread for CPU rows: the names' last or first characters if those are all
    distinct, else letters in declaration order ('?' past 62 threads)."""
    for pick in (lambda name: name[-1], lambda name: name[0]):
        glyphs = [pick(name) for name in names]
        if len(set(glyphs)) == len(glyphs) and not set(glyphs) & {CPU_IDLE, CPU_SWITCHING, " "}:
            return dict(zip(names, glyphs, strict=True))
    return {name: _SPARE_GLYPHS[i] if i < len(_SPARE_GLYPHS) else "?" for i, name in enumerate(names)}


def column_width(end: int, width: int) -> int:
    """The ns per column: the smallest 1, 2 or 5 times a power of ten that fits `end` in `width` columns."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if -(-end // step) <= width:
                return step
        magnitude *= 10


def _row(cells: list[dict[str, int]], step: int) -> str:
    chars = []
    for spent in cells:
        covered = sum(spent.values())
        spent[ABSENT] = spent.get(ABSENT, 0) + step - covered
        chars.append(max(spent, key=lambda s: (spent[s], -_rank(s))))
    return "".join(chars)


def _symbol(interval: Interval, cpus: int) -> str:
    if interval.state is State.BLOCKED and interval.reason and not interval.reason.startswith("I/O"):
        return SYNC_WAIT
    if interval.state is State.RUNNING and cpus > 1 and interval.cpu is not None:
        return str(interval.cpu % 10)  # with several CPUs, where it ran
    return THREAD_SYMBOLS[interval.state]


def _rank(symbol: str) -> int:
    return _PRECEDENCE.index(symbol) if symbol in _PRECEDENCE else 0  # a CPU digit ranks as running


def _accumulate(spans: Sequence[tuple[int, int, str]], columns: int, step: int) -> list[dict[str, int]]:
    """Time spent on each symbol in each column; each span visits only the columns it overlaps."""
    cells: list[dict[str, int]] = [{} for _ in range(columns)]
    for start, stop, symbol in spans:
        index = start // step
        while index < columns and index * step < stop:
            overlap = min(stop, (index + 1) * step) - max(start, index * step)
            cells[index][symbol] = cells[index].get(symbol, 0) + overlap
            index += 1
    return cells


def render_gantt(recorder: IntervalRecorder, end: int, unit: str, width: int) -> list[str]:
    """The chart's lines: a scale line, CPU rows, thread rows, an axis and a legend."""
    names = recorder.thread_names
    glyphs = thread_glyphs(names)
    labels = [f"CPU{cpu}" for cpu in range(recorder.cpus)] + [printable(name) for name in names]
    label_width = max(len(label) for label in labels)
    if end == 0:
        return ["Timeline: (the run took no time)"]
    step = column_width(end, width)
    columns = -(-end // step)
    lines = [f"Timeline (1 column = {format_time(step, unit)} {unit})"]
    for cpu, intervals in enumerate(recorder.cpu_rows):
        spans = [
            (i.start, i.end, CPU_SWITCHING if i.state is State.SWITCHING else glyphs[i.thread or ""])
            for i in intervals
        ]
        row = _row(_accumulate(spans, columns, step), step).replace(ABSENT, CPU_IDLE)
        lines.append(f"{f'CPU{cpu}':<{label_width}} |{row}|")
    for name in names:
        spans = [(i.start, i.end, _symbol(i, recorder.cpus)) for i in recorder.threads[name]]
        lines.append(f"{printable(name):<{label_width}} |{_row(_accumulate(spans, columns, step), step)}|")
    lines.append(" " * (label_width + 1) + _axis(end, columns, step, unit))
    lines.append(
        ("legend: # running" if recorder.cpus == 1 else "legend: 0-9 running on that CPU")
        + "  . ready  w waiting (lock, condition, queue...)  b blocked (I/O)  z sleeping  ~ context switch"
        "   CPU rows: . idle, "
        + " ".join(f"{glyphs[name]}={printable(name)}" for name in names[:12])
        + (" ..." if len(names) > 12 else "")
    )
    return lines


def _axis(end: int, columns: int, step: int, unit: str) -> str:
    """Labels under the chart: the time at the left edge of every tenth column, and the end."""
    axis = [" "] * (columns + 2)
    spacing = 10
    last_end = -1
    for column in range(0, columns + 1, spacing):
        label = format_time(column * step, unit)
        position = column  # the label starts under the column's left edge ('|' is at position 0)
        if position <= last_end or position + len(label) > columns + 2:
            continue
        axis[position : position + len(label)] = label
        last_end = position + len(label)
    end_label = format_time(end, unit)
    start = columns + 2 - len(end_label)
    if start > last_end:
        axis[start:] = end_label
    return "".join(axis).rstrip()


class GanttTextWriter:
    """`.txt`: the text Gantt chart alone. It needs every interval, so it keeps them (one per state change)."""

    def __init__(self, stream: IO[str], info: TimelineInfo) -> None:
        self.stream = stream
        self.width = info.width
        self.recorder = IntervalRecorder(info.thread_names, info.cpus)

    def __call__(self, event: TraceEvent) -> None:
        self.recorder(event)

    def close(self, metrics: RunMetrics) -> None:
        self.recorder.finish(metrics.end_time)
        lines = render_gantt(self.recorder, metrics.end_time, metrics.time_unit, self.width)
        self.stream.write("\n".join(lines) + "\n")
