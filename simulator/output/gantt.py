"""The text Gantt chart: a row per CPU and a row per thread, scaled to a width.

Two symbol schemes, one per kind of row, so that no character means two things:

- thread rows show the thread's state: `#` running, `~` being switched in, `.` ready, `w` waiting on a
  synchronization object (lock, condition, queue...), `b` blocked on I/O, `z` sleeping, blank when it
  does not exist (before its arrival, after its end);
- CPU rows show who ran: each thread's key (one character, listed under the chart), `~` a context
  switch, `.` idle.

A thread's key is the last character of its name if those are distinct ASCII letters or digits for all
threads (`P1`, `P2` give `1`, `2`), else the first characters under the same rule, else `A`-`Z`, `a`-`z`,
`0`-`9` in declaration order. Threads past the 62nd share the key `+` (their own rows show when they ran).

Each column covers an equal slice of the run; it shows whatever its row spent the most time on in that
slice (ties go to the more interesting state: running, switching, waiting, blocked, sleeping, ready,
absent). A column is 1, 2 or 5 times a power of ten nanoseconds, the smallest such that the run fits the
width, so axis labels fall on round numbers and textbook schedules line up with their numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO

from simulator.analysis.metrics import RunMetrics
from simulator.output.escaping import printable
from simulator.output.recorder import IntervalRecorder
from simulator.output.writer import TimelineInfo
from simulator.states import State
from simulator.timeunits import format_time
from simulator.trace import TraceEvent

# Thread rows: states only.
RUNNING = "#"
SWITCHING = "~"
READY = "."
#: Blocked on a synchronization object (a lock, a condition, a queue...) rather than on I/O.
WAITING = "w"
BLOCKED = "b"
SLEEPING = "z"
ABSENT = " "
THREAD_SYMBOLS = {
    State.RUNNING: RUNNING,
    State.SWITCHING: SWITCHING,
    State.BLOCKED: BLOCKED,
    State.SLEEPING: SLEEPING,
    State.READY: READY,
}
# Tie-break order of thread rows: earlier wins.
_PRECEDENCE = (RUNNING, SWITCHING, WAITING, BLOCKED, SLEEPING, READY, ABSENT)

# CPU rows: thread keys, and these two.
CPU_IDLE = "."
CPU_SWITCHING = "~"
#: Keys in declaration order when names give no distinct ones.
KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#: The key of every thread past the 62nd.
OVERFLOW_KEY = "+"

THREAD_LEGEND = (f"thread rows: {RUNNING} running  {SWITCHING} switched in  {READY} ready  {WAITING} waiting "
                 f"(lock, condition, queue...)  {BLOCKED} blocked (I/O)  {SLEEPING} sleeping")  # fmt: skip
CPU_LEGEND = f"CPU rows: the key of the thread that ran  {CPU_SWITCHING} context switch  {CPU_IDLE} idle"


def _is_key(char: str) -> bool:
    return char.isascii() and char.isalnum()


def thread_keys(names: Sequence[str]) -> dict[str, str]:
    """One character per thread for CPU rows (see the module docstring): the names' last or first
    characters if those are distinct ASCII letters or digits, else KEYS in order, then OVERFLOW_KEY."""
    for pick in (lambda name: name[-1:], lambda name: name[:1]):
        keys = [pick(name) for name in names]
        if all(_is_key(key) for key in keys) and len(set(keys)) == len(keys):
            return dict(zip(names, keys, strict=True))
    return {name: KEYS[i] if i < len(KEYS) else OVERFLOW_KEY for i, name in enumerate(names)}


def column_width(end: int, width: int) -> int:
    """The ns per column: the smallest 1, 2 or 5 times a power of ten that fits `end` in `width` columns."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if -(-end // step) <= width:
                return step
        magnitude *= 10


def _row(cells: dict[int, dict[str, int] | str], columns: int, step: int, rank: Callable[[str], int]) -> str:
    """Each column's symbol: the one its row spent most time on (ties: the lower rank, then the earlier); a
    column no span touched is ABSENT, one a single span covered whole is its symbol (with thousands of
    threads, most columns of most rows are one or the other)."""
    chars = [ABSENT] * columns
    for index, spent in cells.items():
        if isinstance(spent, str):
            chars[index] = spent
            continue
        covered = sum(spent.values())
        spent[ABSENT] = spent.get(ABSENT, 0) + step - covered
        chars[index] = max(spent, key=lambda s: (spent[s], -rank(s)))
    return "".join(chars)


def _thread_symbol(state: State, reason: str | None) -> str:
    if state is State.BLOCKED and reason and not reason.startswith("I/O"):
        return WAITING
    return THREAD_SYMBOLS[state]


def _thread_rank(symbol: str) -> int:
    return _PRECEDENCE.index(symbol)


def _cpu_rank(symbol: str) -> int:
    # A thread ran > a context switch > idle; between two threads the earlier in the column wins.
    return 2 if symbol == ABSENT else 1 if symbol == CPU_SWITCHING else 0


def _accumulate(spans: Sequence[tuple[int, int, str]], columns: int, step: int) -> dict[int, dict[str, int] | str]:
    """Time spent on each symbol in each column a span overlaps, by column index (the others are absent);
    a column one span covers whole is just its symbol (a lane's spans do not overlap: nothing else can
    outweigh it). Each span visits only the columns it overlaps."""
    cells: dict[int, dict[str, int] | str] = {}
    for start, stop, symbol in spans:
        index = start // step
        if start < stop <= (index + 1) * step and index < columns:  # within one column: most spans of a long run
            cell = cells.get(index)
            if cell is None:
                cell = cells[index] = {}
            elif isinstance(cell, str):
                cell = cells[index] = {cell: step}
            cell[symbol] = cell.get(symbol, 0) + stop - start
            continue
        while index < columns and index * step < stop:
            overlap = min(stop, (index + 1) * step) - max(start, index * step)
            cell = cells.get(index)
            if cell is None:
                if overlap == step:
                    cells[index] = symbol
                    index += 1
                    continue
                cell = cells[index] = {}
            elif isinstance(cell, str):
                cell = cells[index] = {cell: step}
            cell[symbol] = cell.get(symbol, 0) + overlap
            index += 1
    return cells


def render_gantt(recorder: IntervalRecorder, end: int, unit: str, width: int) -> list[str]:
    """The chart's lines: a scale line, CPU rows, thread rows, an axis, the legend and the keys."""
    names = recorder.thread_names
    keys = thread_keys(names)
    labels = [f"CPU{cpu}" for cpu in range(recorder.cpus)] + [printable(name) for name in names]
    label_width = max(len(label) for label in labels)
    if end == 0:
        return ["Timeline: (the run took no time)"]
    step = column_width(end, width)
    columns = -(-end // step)
    lines = [f"Timeline (1 column = {format_time(step, unit)} {unit})"]
    # The recorder's flat lanes (start, end, kind number; see IntervalRecorder), each kind's symbol made once.
    kinds = recorder.kinds
    cpu_symbols = [CPU_SWITCHING if state is State.SWITCHING else keys.get(thread or "", "?")
                   for state, _, thread, _ in kinds]  # fmt: skip
    for cpu, lane in enumerate(recorder.cpu_lanes):
        spans = [(lane[i], lane[i + 1], cpu_symbols[lane[i + 2]]) for i in range(0, len(lane), 3)]
        row = _row(_accumulate(spans, columns, step), columns, step, _cpu_rank).replace(ABSENT, CPU_IDLE)
        lines.append(f"{f'CPU{cpu}':<{label_width}} |{row}|")
    thread_symbols = [_thread_symbol(state, reason) if thread is None else "" for state, _, thread, reason in kinds]
    for name, label in zip(names, labels[recorder.cpus :], strict=True):
        lane = recorder.thread_lanes[name]
        spans = [(lane[i], lane[i + 1], thread_symbols[lane[i + 2]]) for i in range(0, len(lane), 3)]
        row = _row(_accumulate(spans, columns, step), columns, step, _thread_rank)
        lines.append(f"{label:<{label_width}} |{row}|")
    lines.append(" " * (label_width + 1) + _axis(end, columns, step, unit))
    lines += [THREAD_LEGEND, CPU_LEGEND, *_key_lines(names, keys, max(label_width + columns + 3, 40))]
    return lines


def _key_lines(names: Sequence[str], keys: dict[str, str], width: int) -> list[str]:
    """`keys: 1=P1 2=P2 ...`, wrapped at `width`; the threads sharing OVERFLOW_KEY are counted, not listed."""
    entries = [f"{keys[name]}={printable(name)}" for name in names if keys[name] != OVERFLOW_KEY]
    shared = sum(1 for name in names if keys[name] == OVERFLOW_KEY)
    if shared:
        entries.append(f"{OVERFLOW_KEY}=any of the other {shared} threads (see their rows)")
    lines: list[str] = []
    line = "keys:"
    for entry in entries:
        if len(line) + 1 + len(entry) > width and line != "keys:":
            lines.append(line)
            line = "     "
        line += " " + entry
    return [*lines, line]


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
