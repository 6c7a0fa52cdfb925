"""`.svg`: a standalone Gantt chart (no scripts, no external fonts or files).

A lane per CPU and per thread; a colour per thread; states told apart without colour too: running is a
full solid bar, blocked on I/O a full diagonally hatched bar, waiting on a lock or other object a full
horizontally striped bar, sleeping a half-height dotted bar, ready a thin grey line,
switching a full cross-hatched bar. A lane per I/O device that served anything, after the threads: the
requests in service as a slate bar rising from the lane's foot (its height the share of the servers busy;
of the most ever in service for the unlimited `io`), the requests waiting as an orange bar hanging from its
top (its height the share of the longest queue). A time axis in the scenario's unit, a legend, and a black dashed line
with a white edge at each violation (no thread's colour is black: thread colours keep to 42-58% lightness,
and the first thread's is red). Every bar has a tooltip (`<title>`). CPU lanes name the thread in each bar
wide enough for it. The HTML page embeds the same drawing (see html_chart).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO

from simulator.analysis.metrics import RunMetrics
from simulator.output.chart_data import PLOT_WIDTH, Bar, ChartData, Lane
from simulator.output.end_state import EndState
from simulator.output.escaping import xml_text
from simulator.output.writer import TimelineInfo
from simulator.states import State
from simulator.timeunits import format_time
from simulator.trace import TraceEvent

LABEL_WIDTH = 160
LANE_HEIGHT = 16
LANE_PITCH = 20
TOP = 78
GROUP_GAP = 10
AXIS_HEIGHT = 42
RIGHT_MARGIN = 30
#: Height of a line of the end-state section under the axis.
END_STATE_LINE = 15
#: A CPU bar this wide (px) or wider shows its thread's name.
LABEL_MIN_WIDTH = 34
#: Violations: a colour no thread uses (see thread_colour), dashed, with a white edge to show on dark bars.
VIOLATION_COLOUR = "#000"

PATTERNS = """<defs>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">\
<rect width="6" height="6" fill="#e8e8e8"/><rect width="2.5" height="6" fill="#555"/></pattern>
<pattern id="wait" width="4" height="4" patternUnits="userSpaceOnUse">\
<rect width="4" height="4" fill="#f1e4c8"/><rect width="4" height="1.5" fill="#8a5a00"/></pattern>
<pattern id="dots" width="4" height="4" patternUnits="userSpaceOnUse">\
<rect width="4" height="4" fill="#f4f4f4"/><circle cx="2" cy="2" r="1" fill="#444"/></pattern>
<pattern id="cross" width="6" height="6" patternUnits="userSpaceOnUse">\
<rect width="6" height="6" fill="#fff"/><path d="M0 0L6 6M6 0L0 6" stroke="#222" stroke-width="1"/></pattern>
</defs>"""

STATE_LABELS = {
    State.RUNNING: "running",
    State.READY: "ready",
    State.BLOCKED: "blocked",
    State.SLEEPING: "sleeping",
    State.SWITCHING: "switching",
}


def thread_colour(index: int) -> str:
    """A distinct, deterministic colour per thread (golden-angle hues)."""
    hue = (index * 137.508) % 360
    lightness = 42 + (index % 3) * 8
    return f"hsl({hue:.1f},62%,{lightness}%)"


def nice_step(span: int, most: int = 10) -> int:
    """The smallest 1, 2 or 5 times a power of ten (ns) that cuts `span` into at most `most` steps."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if span // step <= most:
                return step
        magnitude *= 10


#: Device lanes: requests in service (rising from the foot) and waiting (hanging from the top).
SERVICE_COLOUR = "#3b5b7a"
QUEUE_COLOUR = "#e08a1e"
#: The share of a device lane's height for requests in service; the rest shows the queue.
SERVICE_HEIGHT = 10


def lane_y(lane: int, cpus: int, devices_from: int | None = None) -> int:
    """Top of a lane: CPU lanes first, then a gap, then thread lanes, then (from lane `devices_from`, if
    any) another gap and the device lanes."""
    gap = GROUP_GAP if lane >= cpus else 0
    if devices_from is not None and lane >= devices_from:
        gap += GROUP_GAP
    return TOP + lane * LANE_PITCH + gap


def chart_height(lanes: int, cpus: int, devices_from: int | None = None) -> int:
    """Total height of the drawing."""
    return lane_y(lanes, cpus, devices_from) + AXIS_HEIGHT


def _x(time: int, end: int) -> float:
    return time * PLOT_WIDTH / end if end else 0.0


def _device_shapes(bar: Bar, lane: Lane, y: int) -> list[tuple[float, float, str]]:
    """(y, height, fill) of the one or two rectangles of a device lane's bar: in service from the foot (as
    a share of the servers, or of the most ever in service when unlimited), queued from the top (as a share
    of the longest queue)."""
    shapes = []
    capacity = lane.servers if lane.servers is not None else lane.peak_service
    if bar.in_service and capacity:
        height = SERVICE_HEIGHT * min(1.0, bar.in_service / capacity)
        shapes.append((y + LANE_HEIGHT - height, height, SERVICE_COLOUR))
    if bar.queued and lane.peak_queue:
        height = (LANE_HEIGHT - SERVICE_HEIGHT) * bar.queued / lane.peak_queue
        shapes.append((float(y), max(height, 1.0), QUEUE_COLOUR))
    return shapes


def _bar_shape(bar: Bar, y: int) -> tuple[float, float, str]:
    """(y, height, fill) of a bar."""
    colour = thread_colour(bar.thread) if bar.thread >= 0 else "#888"
    state = bar.state
    if state is State.RUNNING:
        return y, LANE_HEIGHT, colour
    if state is State.SWITCHING:
        return y, LANE_HEIGHT, "url(#cross)"
    if state is State.BLOCKED:
        waits_on_object = bar.reason is not None and not bar.reason.startswith("I/O")
        return y, LANE_HEIGHT, "url(#wait)" if waits_on_object else "url(#hatch)"
    if state is State.SLEEPING:
        return y + LANE_HEIGHT / 4, LANE_HEIGHT / 2, "url(#dots)"
    return y + LANE_HEIGHT / 2 - 2, 4, "#9a9a9a"


def _tooltip(bar: Bar, lane: Lane, names: list[str], unit: str) -> str:
    span = f"{format_time(bar.start, unit)}–{format_time(bar.end, unit)} {unit}"
    return f"{_tooltip_subject(bar, lane, names)}, {span}{_dense(bar)}"


def _dense(bar: Bar) -> str:
    return f" [dense: {bar.count} intervals, showing the most common]" if bar.count > 1 else ""


def _tooltip_subject(bar: Bar, lane: Lane, names: list[str]) -> str:
    """What a bar's tooltip says before its times: the lane and what it did."""
    if lane.kind == "device":
        servers = "unlimited servers" if lane.servers is None else f"{lane.servers} server" + "s" * (lane.servers > 1)
        what = f"{lane.label} ({servers}): {bar.in_service} in service, {bar.queued} queued"
    elif lane.kind == "cpu":
        who = names[bar.thread] if bar.thread >= 0 else "?"
        what = f"{lane.label}: {who}" + (" (context switch)" if bar.state is State.SWITCHING else "")
    else:
        what = f"{lane.label}: {STATE_LABELS[bar.state]}" + (f" ({bar.reason})" if bar.reason else "")
    return what


def render_svg(info: TimelineInfo, metrics: RunMetrics, data: ChartData, *, interactive: bool,
               end_state: Sequence[str] = ()) -> Iterator[str]:  # fmt: skip
    """The SVG drawing, in pieces. `interactive` (HTML) puts the bars in a zoomable inner plot.

    `end_state`: the lines of the end-state section (see simulator.output.end_state), written under the axis.
    """
    end = metrics.end_time
    data.finish(end)  # the lanes are final from here on (device lanes come last)
    lanes, cpus, unit, devices_from = data.lanes, info.cpus, info.time_unit, data.device_lanes
    names = [lane.label for lane in lanes if lane.kind == "thread"]
    width = LABEL_WIDTH + PLOT_WIDTH + RIGHT_MARGIN
    height = (chart_height(len(lanes), cpus, devices_from)
              + (END_STATE_LINE * len(end_state) + 8 if end_state else 0))  # fmt: skip
    plot_height = lane_y(len(lanes), cpus, devices_from)
    yield (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11" '
           f'id="chart" data-end="{end}" data-unit="{unit}">\n')  # fmt: skip
    yield f"<title>threadsim: {xml_text(info.scenario)}</title>\n{PATTERNS}\n"
    yield f'<rect width="{width}" height="{height}" fill="#fff"/>\n'
    state = "complete" if metrics.complete else "incomplete"
    yield (f'<text x="10" y="20" font-size="15" font-weight="bold">threadsim: {xml_text(info.scenario)}</text>\n'
           f'<text x="10" y="38">{xml_text(info.header)} | end {format_time(end, unit)} {unit} ({state})'
           f" | times in {unit}</text>\n")  # fmt: skip
    yield from _legend(metrics, devices_from is not None)
    for index, lane in enumerate(lanes):
        y = lane_y(index, cpus, devices_from)
        stripe = "#f3f5f8" if index % 2 == 0 else "#fff"
        yield f'<rect x="{LABEL_WIDTH}" y="{y - 2}" width="{PLOT_WIDTH}" height="{LANE_PITCH}" fill="{stripe}"/>\n'
        colour = thread_colour(lane.thread_index) if lane.kind == "thread" else "#333"
        marker = (f'<rect x="{LABEL_WIDTH - 12}" y="{y + 3}" width="8" height="10" fill="{colour}"/>'
                  if lane.kind == "thread" else "")  # fmt: skip
        yield (f'<text class="lane-label" x="{LABEL_WIDTH - 16}" y="{y + 12}" text-anchor="end">'
               f"{xml_text(lane.label)}</text>{marker}\n")  # fmt: skip
    if interactive:
        yield (f'<svg id="plot" x="{LABEL_WIDTH}" y="0" width="{PLOT_WIDTH}" height="{plot_height}" '
               f'viewBox="0 0 {PLOT_WIDTH} {plot_height}" preserveAspectRatio="none">\n')  # fmt: skip
    else:
        yield f'<g id="plot" transform="translate({LABEL_WIDTH},0)">\n'
    labels: list[str] = []
    # A bar's text around its x, its width and its times, by what decides it: its lane, state, thread and
    # reason. A long run has a million bars; this is their text, made once per kind of bar.
    pieces: dict[tuple[int, State, int, str | None], tuple[str, str, str]] = {}
    #: Bars' text, yielded a few hundred at a time (the same text, fewer writes).
    chunk: list[str] = []
    for bar in data.bars(end):
        if len(chunk) >= 256:
            yield "".join(chunk)
            chunk.clear()
        lane = lanes[bar.lane]
        start, stop = bar.start, bar.end
        x0, x1 = (start * PLOT_WIDTH / end, stop * PLOT_WIDTH / end) if end else (0.0, 0.0)  # _x, inline
        if lane.kind == "device":
            tip = xml_text(_tooltip(bar, lane, names, unit))
            for top, bar_height, fill in _device_shapes(bar, lane, lane_y(bar.lane, cpus, devices_from)):
                kind = "in-service" if fill == SERVICE_COLOUR else "queued"
                chunk.append(f'<rect class="bar device {kind}" x="{x0:.2f}" y="{top:g}" '
                             f'width="{max(x1 - x0, 0.5):.2f}" height="{bar_height:g}" fill="{fill}"><title>{tip}'
                             "</title></rect>\n")  # fmt: skip
            continue
        key = (bar.lane, bar.state, bar.thread, bar.reason)
        piece = pieces.get(key)
        if piece is None:
            top, bar_height, fill = _bar_shape(bar, lane_y(bar.lane, cpus))
            piece = pieces[key] = (f'<rect class="bar {STATE_LABELS[bar.state]}" x="', f'" y="{top:g}" width="',
                                   f'" height="{bar_height:g}" fill="{fill}"><title>'
                                   f"{xml_text(_tooltip_subject(bar, lane, names))}, ")  # fmt: skip
        # The rest of the tooltip (digits, '.', '–', the unit, the dense note) is the same escaped or not.
        dense = f" [dense: {bar.count} intervals, showing the most common]" if bar.count > 1 else ""
        chunk.append(f"{piece[0]}{x0:.2f}{piece[1]}{max(x1 - x0, 0.5):.2f}{piece[2]}{format_time(start, unit)}–"
                     f"{format_time(stop, unit)} {unit}{dense}</title></rect>\n")  # fmt: skip
        if lane.kind == "cpu" and bar.state is State.RUNNING and (interactive or x1 - x0 >= LABEL_MIN_WIDTH):
            name = xml_text(names[bar.thread]) if bar.thread >= 0 else "?"
            # The page moves and shows these as it zooms (they live outside the stretched plot).
            zoomable = (f' class="bar-label" data-x0="{x0:.2f}" data-x1="{x1:.2f}"'
                        + ("" if x1 - x0 >= LABEL_MIN_WIDTH else ' display="none"')) if interactive else ""  # fmt: skip
            labels.append(f'<text{zoomable} x="{LABEL_WIDTH + (x0 + x1) / 2:.2f}" y="{lane_y(bar.lane, cpus) + 12}" '
                          f'text-anchor="middle" fill="#fff" font-size="10">{name}</text>\n')  # fmt: skip
    yield "".join(chunk)
    yield from _violations(metrics, end, plot_height)
    yield "</svg>\n" if interactive else "</g>\n"
    yield from labels
    yield from _axis(end, unit, plot_height, interactive)
    if end_state:
        yield '<g id="end-state">\n'
        for index, line in enumerate(end_state):
            y = plot_height + AXIS_HEIGHT + 8 + index * END_STATE_LINE
            weight = ' font-weight="bold"' if index == 0 else ""
            yield f'<text class="end-state" x="10" y="{y}"{weight} xml:space="preserve">{xml_text(line)}</text>\n'
        yield "</g>\n"
    yield "</svg>\n"


def _legend(metrics: RunMetrics, devices: bool = False) -> Iterator[str]:
    """The legend; with `devices`, also the device lanes' in-service and queued bars."""
    items = [
        ("running (colour per thread)", "#4a7fc1", 0, LANE_HEIGHT),
        ("ready", "#9a9a9a", LANE_HEIGHT / 2 - 2, 4),
        ("blocked (I/O)", "url(#hatch)", 0, LANE_HEIGHT),
        ("waiting (lock, queue...)", "url(#wait)", 0, LANE_HEIGHT),
        ("sleeping", "url(#dots)", LANE_HEIGHT / 4, LANE_HEIGHT / 2),
        ("context switch", "url(#cross)", 0, LANE_HEIGHT),
    ]
    if devices:
        items += [("I/O in service", SERVICE_COLOUR, LANE_HEIGHT - SERVICE_HEIGHT, SERVICE_HEIGHT),
                  ("I/O queued", QUEUE_COLOUR, 0, LANE_HEIGHT - SERVICE_HEIGHT)]  # fmt: skip
    x = 10
    yield '<g class="legend">\n'
    for label, fill, dy, height in items:
        yield (f'<rect x="{x}" y="{48 + dy:g}" width="22" height="{height:g}" fill="{fill}" stroke="#ccc" '
               f'stroke-width="0.5"/><text x="{x + 27}" y="{60}">{label}</text>\n')  # fmt: skip
        x += 40 + 7 * len(label)
    yield (f'<line x1="{x + 6}" y1="46" x2="{x + 6}" y2="66" stroke="#fff" stroke-width="4"/>'
           f'<line x1="{x + 6}" y1="46" x2="{x + 6}" y2="66" stroke="{VIOLATION_COLOUR}" stroke-width="2" '
           f'stroke-dasharray="4 2"/><text x="{x + 12}" y="60">violation</text>\n')  # fmt: skip
    yield "</g>\n"


def _violations(metrics: RunMetrics, end: int, plot_height: int) -> Iterator[str]:
    for violation in metrics.violations:
        x = _x(violation.time, end)
        tip = xml_text(f"{violation.kind} at {format_time(violation.time, metrics.time_unit)}: {violation.message}")
        yield (f'<line x1="{x:.2f}" y1="{TOP - 6}" x2="{x:.2f}" y2="{plot_height}" stroke="#fff" '
               f'stroke-width="4" vector-effect="non-scaling-stroke"/>'
               f'<line class="violation" x1="{x:.2f}" y1="{TOP - 6}" x2="{x:.2f}" y2="{plot_height}" '
               f'stroke="{VIOLATION_COLOUR}" stroke-width="2" stroke-dasharray="5 3" '
               f'vector-effect="non-scaling-stroke"><title>{tip}</title></line>\n')  # fmt: skip


def _axis(end: int, unit: str, plot_height: int, interactive: bool) -> Iterator[str]:
    """Ticks and labels under the lanes. The HTML page redraws them when zoomed."""
    y = plot_height + 4
    yield (f'<g id="axis" data-y="{y}"><line x1="{LABEL_WIDTH}" y1="{y}" x2="{LABEL_WIDTH + PLOT_WIDTH}" '
           f'y2="{y}" stroke="#333"/>\n')  # fmt: skip
    if end:
        step = nice_step(end)
        for tick in range(0, end + 1, step):
            x = LABEL_WIDTH + _x(tick, end)
            yield (f'<line class="tick" x1="{x:.2f}" y1="{y}" x2="{x:.2f}" y2="{y + 5}" stroke="#333"/>'
                   f'<text class="tick-label" x="{x:.2f}" y="{y + 17}" text-anchor="middle">'
                   f"{format_time(tick, unit)}</text>\n")  # fmt: skip
    yield (f'<text x="{LABEL_WIDTH + PLOT_WIDTH / 2}" y="{y + 33}" text-anchor="middle" fill="#555">'
           f"time ({unit})</text></g>\n")  # fmt: skip


class SvgChartWriter:
    """Collects bars during the run (spilled to disk) and writes the SVG at the end."""

    def __init__(self, stream: IO[str], info: TimelineInfo) -> None:
        self.stream = stream
        self.info = info
        self.data = ChartData(info)
        self.end_state = EndState()

    def __call__(self, event: TraceEvent) -> None:
        self.data(event)
        self.end_state(event)

    def end_lines(self, metrics: RunMetrics) -> list[str]:
        """The end-state section for under the chart (empty when every thread ended holding nothing)."""
        return [line for line in self.end_state.lines(metrics) if line]

    def close(self, metrics: RunMetrics) -> None:
        for piece in render_svg(self.info, metrics, self.data, interactive=False, end_state=self.end_lines(metrics)):
            self.stream.write(piece)
