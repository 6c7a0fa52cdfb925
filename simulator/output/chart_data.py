"""What the SVG and HTML charts draw: bars per lane, collected while the run goes, laid out at its end.

Lanes: one per CPU, one per thread, and one per I/O device that served any request (the declared devices
in declaration order, then the implicit `io`), after the threads. A device lane's bars are the spells in
which its number of requests in service and queued stayed the same (from the `block` events of I/O
requests, `io_start` and `io_done`); it is blank while the device is idle.

During the run, each closed interval is packed into a temporary file (32 bytes each), so memory does not
grow with the run. At the end, with the run's length known, a lane with at most `EXACT_LIMIT` intervals is
drawn interval by interval; a denser lane is aggregated: each pixel column shows what the lane spent most
of that column on, and neighbouring columns that show the same thing merge into one bar.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterator

import attrs

from simulator.output.recorder import IntervalTracker
from simulator.output.writer import TimelineInfo
from simulator.states import State
from simulator.trace import TraceEvent

#: Intervals per lane drawn one by one; a lane with more is aggregated per pixel column.
EXACT_LIMIT = 2000
#: Width of the time axis in pixels (the SVG scales; this sets the aggregation grain).
PLOT_WIDTH = 1200

_RECORD = struct.Struct("<iiiiQQ")  # lane, state, thread index (-1: none), reason index (-1: none), start, end
#: Times are unbounded ints; a record holds their low 64 bits. Times of 2**64 ns and more are preceded by
#: records with lane HIGH_BITS carrying the higher 64-bit words (highest first), so the common record
#: stays 32 bytes and no time is ever cut.
HIGH_BITS = -1
_WORD = (1 << 64) - 1
_pack = _RECORD.pack
#: State(number), by number (the states are numbered 0, 1, 2...).
_STATES = tuple(State)


@attrs.frozen
class Lane:
    """A row of the chart: a CPU or a thread."""

    label: str
    kind: str  # "cpu", "thread" or "device"; a Python process's GIL lane is drawn like a CPU lane (who holds it)
    thread_index: int = -1  # for thread lanes: the thread's index (its colour)
    #: For device lanes: its servers (None: unlimited), and the most requests in service and queued at once.
    servers: int | None = None
    peak_service: int = 0
    peak_queue: int = 0


# Not frozen, for the reason TraceEvent is not (simulator.trace): a long run's chart has a bar per interval.
@attrs.define(slots=True, frozen=False, unsafe_hash=True)
class Bar:
    """Something to draw: `lane` spent [start, end) ns in `state` (on CPU lanes, running `thread`).

    `count` is how many intervals it stands for (more than 1 when a dense lane was aggregated).
    """

    lane: int
    start: int
    end: int
    state: State
    thread: int = -1
    reason: str | None = None
    count: int = 1
    #: On device lanes: requests in service and waiting during the bar (state is then RUNNING while any is
    #: in service, else READY).
    in_service: int = 0
    queued: int = 0


class _DeviceSpells:
    """A device's counts in its current spell, since when, and its peaks and spell count so far."""

    __slots__ = ("number", "servers", "in_service", "queued", "since", "peak_service", "peak_queue", "spells")

    def __init__(self, number: int, servers: int | None) -> None:
        self.number = number
        self.servers = servers
        self.in_service = self.queued = self.since = self.peak_service = self.peak_queue = self.spells = 0


class ChartData:
    """A trace listener that spills intervals to disk and yields bars once the run's end is known."""

    def __init__(self, info: TimelineInfo) -> None:
        self.info = info
        self.lanes = [Lane(f"CPU{cpu}", "cpu") for cpu in range(info.cpus)]
        self.lanes += [Lane(name, "thread", index) for index, (name, _) in enumerate(info.threads)]
        self.thread_index = {name: index for index, (name, _) in enumerate(info.threads)}
        #: Each thread's lane (threads of a forked instance, and GIL lanes, are added as they appear).
        self.thread_lane = {name: info.cpus + index for name, index in self.thread_index.items()}
        #: Each Python process's GIL lane, and the hold in progress: (holder's thread index, since).
        self.gil_lane: dict[str, int] = {}
        self.gil_hold: dict[str, tuple[int, int]] = {}
        self.counts = [0] * len(self.lanes)
        self.reasons: dict[str, int] = {}
        self.spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed by bars()
        self._spill = self.spill.write
        #: Each thread's (lane, index), once it has had an interval.
        self._thread_ids: dict[str, tuple[int, int]] = {}
        self.tracker = IntervalTracker(info.cpus, self._thread_interval, self._cpu_interval, self._learn)
        #: Each device's current spell, by name (the implicit `io` added when first used).
        self.devices = {name: _DeviceSpells(number, servers) for number, (name, servers) in enumerate(info.devices)}
        #: Where the device lanes start, once the lanes are final (see finish); None: no device lane.
        self.device_lanes: int | None = None
        #: Per device number, its lane (-1: it served nothing, so it has none).
        self.device_lane_of: list[int] = []
        self._finished = False

    def _learn(self, name: str, process: str) -> None:
        """A thread of a second forked instance gets a lane when it starts."""
        if name not in self.thread_index:
            self.thread_index[name] = len(self.thread_index)
            self.thread_lane[name] = len(self.lanes)
            self.lanes.append(Lane(name, "thread", self.thread_index[name]))
            self.counts.append(0)

    def __call__(self, event: TraceEvent) -> None:
        if event.event == "gil":
            self._gil(event)
        self.tracker(event)
        kind = event.event
        if kind == "io_start" or kind == "io_done" or (kind == "block" and event.details[0][0] == "device"):
            self._device_event(event)

    def _device_event(self, event: TraceEvent) -> None:
        """An I/O request queued (its `block`), started or ended: close the device's spell and count it."""
        name = str(event.details[0][1])
        device = self.devices.get(name)
        if device is None:  # the implicit `io`: unlimited servers
            device = self.devices[name] = _DeviceSpells(len(self.devices), None)
        self._close_device(device, event.time)
        if event.event == "block":
            device.queued += 1
        elif event.event == "io_start":
            device.queued -= 1
            device.in_service += 1
        else:
            device.in_service -= 1
        device.peak_service = max(device.peak_service, device.in_service)
        device.peak_queue = max(device.peak_queue, device.queued)

    def _close_device(self, device: _DeviceSpells, now: int) -> None:
        if now > device.since:
            if device.in_service or device.queued:
                device.spells += 1
                self._write(-2 - device.number, device.in_service, device.queued, -1, device.since, now)
            device.since = now

    def finish(self, end: int) -> None:
        """Close every open interval at `end` and make the lanes final (the device lanes after the threads)."""
        if self._finished:
            return
        self._finished = True
        self.tracker.finish(end)
        for process in list(self.gil_hold):
            self._gil_interval(process, end)  # still held at the end
        first = len(self.lanes)
        for name, device in self.devices.items():
            self._close_device(device, end)
            if device.peak_service or device.peak_queue:  # it served something
                self.device_lane_of.append(len(self.lanes))
                self.lanes.append(Lane(name, "device", servers=device.servers, peak_service=device.peak_service,
                                       peak_queue=device.peak_queue))  # fmt: skip
                self.counts.append(device.spells)
            else:
                self.device_lane_of.append(-1)
        self.device_lanes = first if len(self.lanes) > first else None

    def _gil(self, event: TraceEvent) -> None:
        """A GIL taken or dropped: its lane shows who held it when (a lane per Python process, added when its
        GIL is first taken)."""
        details = dict(event.details)
        process, action = str(details.get("process", "")), details.get("action")
        if action == "take":
            if process not in self.gil_lane:
                self.gil_lane[process] = len(self.lanes)
                self.lanes.append(Lane(f"GIL {process}", "cpu"))
                self.counts.append(0)
            self.gil_hold[process] = (self.thread_index.get(event.thread or "", -1), event.time)
        elif action == "release" and process in self.gil_hold:
            self._gil_interval(process, event.time)

    def _gil_interval(self, process: str, end: int) -> None:
        thread, start = self.gil_hold.pop(process)
        if end > start:
            self._store(self.gil_lane[process], start, end, State.RUNNING, None, thread)

    def _reason_index(self, reason: str | None) -> int:
        if reason is None:
            return -1
        return self.reasons.setdefault(reason, len(self.reasons))

    def _thread_interval(self, name: str, start: int, end: int, state: State, cpu: int | None,
                         reason: str | None) -> None:  # fmt: skip
        # _store and _write, inline: one call per interval of the run (a thread's lane and index never change).
        ids = self._thread_ids.get(name)
        if ids is None:
            ids = self._thread_ids[name] = (self.thread_lane[name], self.thread_index[name])
        lane = ids[0]
        self.counts[lane] += 1
        number = -1 if reason is None else self.reasons.setdefault(reason, len(self.reasons))
        if end > _WORD:
            self._store_high_words(start >> 64, end >> 64)
        # The state packs as its number (an IntEnum), as int(state) would.
        self._spill(_pack(lane, state, ids[1], number, start & _WORD, end & _WORD))

    def _cpu_interval(self, cpu: int, start: int, end: int, state: State, thread: str) -> None:
        self._store(cpu, start, end, state, None, self.thread_index.get(thread or "", -1))

    def _store(self, lane: int, start: int, end: int, state: State, reason: str | None, thread: int) -> None:
        self.counts[lane] += 1
        number = -1 if reason is None else self._reason_index(reason)
        if end > _WORD:
            self._store_high_words(start >> 64, end >> 64)
        self._spill(_pack(lane, state, thread, number, start & _WORD, end & _WORD))

    def _write(self, lane: int, state: int, thread: int, reason: int, start: int, end: int) -> None:
        """One record (a device lane's: lane -2 - its device's number, state and thread its in-service and
        queued counts)."""
        if end > _WORD:
            self._store_high_words(start >> 64, end >> 64)
        self.spill.write(_RECORD.pack(lane, state, thread, reason, start & _WORD, end & _WORD))

    def _store_high_words(self, start: int, end: int) -> None:
        """The bits of a time above its low 64, as HIGH_BITS records (highest word first)."""
        words = []
        while start or end:
            words.append((start & _WORD, end & _WORD))
            start, end = start >> 64, end >> 64
        for start_word, end_word in reversed(words):
            self.spill.write(_RECORD.pack(HIGH_BITS, 0, -1, -1, start_word, end_word))

    def bars(self, end: int) -> Iterator[Bar]:
        """Every bar to draw for a run of `end` ns: exact lanes first, in file order, then aggregated lanes."""
        self.finish(end)
        reasons = list(self.reasons)
        dense = [count > EXACT_LIMIT for count in self.counts]
        device_lane_of = self.device_lane_of
        columns: dict[int, list[dict[tuple[int, int], list[int]]]] = {
            lane: [{} for _ in range(PLOT_WIDTH)] for lane, is_dense in enumerate(dense) if is_dense
        }
        self.spill.seek(0)
        high_start = high_stop = 0  # the higher words of the next record's times (see HIGH_BITS)
        try:
            while chunk := self.spill.read(_RECORD.size * 4096):
                for lane, state, thread, reason, start, stop in _RECORD.iter_unpack(chunk):
                    if lane == HIGH_BITS:
                        high_start, high_stop = high_start << 64 | start, high_stop << 64 | stop
                        continue
                    if high_stop:
                        start, stop = high_start << 64 | start, high_stop << 64 | stop
                        high_start = high_stop = 0
                    if lane < HIGH_BITS:  # a device's spell
                        lane = device_lane_of[-2 - lane]
                        if not dense[lane]:
                            yield _device_bar(lane, start, stop, state, thread, 1)
                            continue
                    if not dense[lane]:
                        yield Bar(lane, start, stop, _STATES[state], thread, reasons[reason] if reason >= 0 else None)
                    elif end:
                        _accumulate(columns[lane], state, thread, start, stop, end)
        finally:
            self.spill.close()
        for lane, cells in columns.items():
            yield from _merge(lane, cells, end, self.lanes[lane].kind == "device")


def _device_bar(lane: int, start: int, stop: int, in_service: int, queued: int, count: int) -> Bar:
    state = State.RUNNING if in_service else State.READY
    return Bar(lane, start, stop, state, count=count, in_service=in_service, queued=queued)


def _accumulate(cells: list[dict[tuple[int, int], list[int]]], state: int, thread: int, start: int, stop: int,
                end: int) -> None:  # fmt: skip
    """Add [start, stop) to the pixel columns it overlaps: time spent and intervals seen, per (state, thread)."""
    first = start * PLOT_WIDTH // end
    last = min(PLOT_WIDTH - 1, max(first, (stop - 1) * PLOT_WIDTH // end))
    for column in range(first, last + 1):
        column_start, column_end = column * end // PLOT_WIDTH, (column + 1) * end // PLOT_WIDTH
        overlap = min(stop, column_end) - max(start, column_start)
        if overlap > 0:
            entry = cells[column].setdefault((state, thread), [0, 0])
            entry[0] += overlap
            entry[1] += 1


def _merge(lane: int, cells: list[dict[tuple[int, int], list[int]]], end: int, device: bool = False) -> Iterator[Bar]:
    """The dominant (state, thread) of each column, neighbours with the same one merged into a bar (on a
    device lane: the dominant (in service, queued))."""
    current: tuple[int, int] | None = None
    run_start = count = 0
    for column, spent in enumerate(cells + [{}]):
        # Most time wins; ties go to the lower state number, then thread, so the choice is deterministic.
        key = max(spent, key=lambda k: (spent[k][0], -k[0], -k[1])) if spent else None
        if key != current:
            if current is not None and device:
                yield _device_bar(lane, run_start * end // PLOT_WIDTH, column * end // PLOT_WIDTH, current[0],
                                  current[1], count)  # fmt: skip
            elif current is not None:
                yield Bar(lane, run_start * end // PLOT_WIDTH, column * end // PLOT_WIDTH, State(current[0]),
                          current[1], None, count)  # fmt: skip
            current, run_start, count = key, column, 0
        if spent:
            count += sum(entry[1] for entry in spent.values())
