"""The interleaving of one schedule, as a short step list a reader can follow: what each thread did, in order,
where the explorer's decisions made it differ from a plain run, and which accesses conflict.

`explain` replays a schedule (a seed and its recorded decisions) with a listener and a strategy that notes
each decision it applies. A row is a step (time, thread, what it did, its source line, the value read or
written), a synchronization step (with whom it woke), a thread switch, or one of the explorer's decisions
(marked `>>`). An access is *conflicting* (marked `!`) when the previous access to its variable was another
thread's and one of the two writes: these are the pairs whose order decides the outcome, as in a lost update
(T1 reads, T2 reads, T1 writes, T2 writes: both writes are marked). Long stretches of one thread with nothing
marked are elided to one line, so the list stays short; the thread states at the end (who holds what, who
waits for what) follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from simulator.analysis.footprints import Footprints
from simulator.analysis.metrics import collect_metrics
from simulator.exploration.strategies import ReplayStrategy
from simulator.model.kernel import DEFAULT_MAX_INSTANT_STEPS, Kernel
from simulator.model.threads import Thread
from simulator.output.end_state import EndState
from simulator.scenario.model import Scenario
from simulator.timeunits import format_time
from simulator.trace import TraceEvent

#: The most rows shown; the rest is counted.
ROW_LIMIT = 40
#: Events kept from the replay: a schedule that ran to the step bound (200,000 steps) would otherwise be held
#: in memory whole, to show 40 rows of it.
EVENT_LIMIT = 20_000
#: Rows kept before each marked row, for context.
CONTEXT = 1
#: Conflicting accesses shown; later ones are counted in the elided stretches (a plain lost update on two CPUs
#: conflicts at every access: the first few show the pattern).
CONFLICT_LIMIT = 8

MEMORY = ("load", "store", "atomic")
#: Events that are rows even when nothing marks them: synchronization and how threads come and go.
SYNC = frozenset({"lock", "unlock", "handoff", "block", "rewait", "timeout", "notify", "notify_all", "acquire",
                  "release", "set_event", "clear_event", "wait_event", "barrier", "put", "get", "violation",
                  "livelock", "step_bound"})  # fmt: skip
SWITCHES = frozenset({"run", "preempt", "delay", "yield", "wake", "exit", "sleep"})


class _Noted(ReplayStrategy):
    """Replays decisions and notes, as a row, each one it applies (before the kernel acts on it)."""

    def __init__(self, decisions: dict[int, int], rows: list[object], now: Callable[[], int],
                 delays: bool = True) -> None:  # fmt: skip
        super().__init__(decisions, delays)
        self.rows = rows
        self.now = now

    def preempt(self, point: int, running: Thread, ready: Sequence[Thread]) -> bool:
        taken = super().preempt(point, running, ready)
        if taken:
            self.rows.append((self.now(), f">> explorer preempts {running.name} before its next step"))
        return taken

    def delay(self, point: int, running: Thread, others: Sequence[Thread]) -> bool:
        taken = super().delay(point, running, others)
        if taken:
            names = ", ".join(thread.name for thread in others)
            self.rows.append((self.now(), f">> explorer delays {running.name} before its next step (as an "
                                          f"interrupt would), so that {names} can go first"))  # fmt: skip
        return taken

    def pick(self, point: int, ready: Sequence[Thread]) -> int:
        index = super().pick(point, ready)
        if index:
            self.rows.append((self.now(), f">> explorer runs {ready[index].name} (the policy would run "
                                          f"{ready[0].name})"))  # fmt: skip
        return index


def explain(scenario: Scenario, seed: int, decisions: Sequence[tuple[int, int]], *, max_steps: int | None,
            max_instant_steps: int | None = DEFAULT_MAX_INSTANT_STEPS,
            footprints: Footprints | None = None, delays: bool = True) -> list[str]:  # fmt: skip
    """The interleaving of the schedule (`seed`, `decisions`) as report lines (see the module docstring);
    `delays=False` for decisions recorded without delay points (a ts1 token)."""
    rows: list[object] = []
    end_state = EndState()
    holder: list[Kernel] = []
    strategy = _Noted(dict(decisions), rows, lambda: holder[0].engine.now, delays)
    dropped = 0

    def keep(event: TraceEvent) -> None:
        nonlocal dropped
        if len(rows) < EVENT_LIMIT or event.event in ("violation", "step_bound"):
            rows.append(event)
        else:
            dropped += 1

    kernel = Kernel(scenario, seed=seed, strategy=strategy, listeners=[keep, end_state], max_steps=max_steps,
                    max_instant_steps=max_instant_steps, footprints=footprints)  # fmt: skip
    holder.append(kernel)
    kernel.run()
    metrics = collect_metrics(kernel, seed=seed)
    unit = scenario.time_unit
    lines = [f"interleaving ({unit}; >> the explorer's decisions, ! conflicting accesses):"]
    lines += ["  " + line for line in _rows(rows, unit)]
    if dropped:
        lines.append(f"  ({dropped} events after the first {EVENT_LIMIT} not shown: replay --timeline has them)")
    lines += ["  " + line if line else line for line in end_state.lines(metrics)]
    return lines


def _rows(recorded: list[object], unit: str) -> list[str]:
    """Each row as text, with marks, and the unmarked stretches elided."""
    texts: list[tuple[str, str | None, bool]] = []  # (text, thread, marked)
    last: dict[str, tuple[str, bool, object]] = {}  # variable: (thread, wrote, line) of its last access
    conflicts = 0
    for item in recorded:
        if isinstance(item, tuple):
            time, text = item
            texts.append((f"{format_time(time, unit):>8}  {text}", None, True))
            continue
        assert isinstance(item, TraceEvent)
        event = item
        if event.event not in MEMORY and event.event not in SYNC and event.event not in SWITCHES:
            continue
        details = dict(event.details)
        thread = event.thread or ""
        mark = " "
        what = _describe(event, details)
        if event.event in MEMORY:
            variable = str(details["var"])
            wrote = event.event != "load"
            previous = last.get(variable)
            if previous is not None and previous[0] != thread and (wrote or previous[1]):
                mark = "!"
                what += f"   (after {previous[0]}'s {'write' if previous[1] else 'read'} at line {previous[2]})"
            last[variable] = (thread, wrote, details.get("line"))
        conflicts += mark == "!"
        marked = (mark == "!" and conflicts <= CONFLICT_LIMIT) or event.event in ("violation", "livelock", "step_bound")
        who = thread if thread else "--"
        texts.append((f"{format_time(event.time, unit):>8} {mark}{who}: {what}", thread, marked))
    keep = [marked for _, _, marked in texts]
    for index, (_, _, marked) in enumerate(texts):
        if marked:
            for before in range(max(0, index - CONTEXT), index):
                keep[before] = True
    for index, (text, owner, _) in enumerate(texts):  # synchronization and switches are short: keep them too
        if not keep[index] and owner is not None and not _is_memory(text):
            keep[index] = True
    lines: list[str] = []
    skipped: list[tuple[str, str | None, bool]] = []
    for kept, row in zip(keep, texts, strict=True):
        if kept:
            if skipped:
                lines.append(_elided(skipped))
                skipped = []
            lines.append(row[0])
        else:
            skipped.append(row)
    if skipped:
        lines.append(_elided(skipped))
    if len(lines) > ROW_LIMIT:
        lines = [*lines[:ROW_LIMIT], f"... and {len(lines) - ROW_LIMIT} more rows"]
    return lines


def _is_memory(text: str) -> bool:
    return any(f": {verb} " in text for verb in ("read", "wrote", "atomic"))


def _elided(rows: list[tuple[str, str | None, bool]]) -> str:
    threads = sorted({thread for _, thread, _ in rows if thread})
    conflicting = sum(1 for text, _, _ in rows if text[9:10] == "!")
    more = f", {conflicting} of them conflicting" if conflicting else ""
    return f"   ...      ({len(rows)} more accesses by {', '.join(threads)}{more})"


def _describe(event: TraceEvent, details: dict[str, object]) -> str:
    """What a step did, in a few words."""
    kind = event.event
    line = f"  (line {details['line']})" if details.get("line") else ""
    if kind == "load":
        return f"read {details['var']} = {details['value']}{line}"
    if kind == "store":
        return f"wrote {details['var']} = {details['value']}{line}"
    if kind == "atomic":
        return f"atomic {details['op']} {details['var']}: {details['old']} -> {details['value']}{line}"
    woke = details.get("woke")
    whom = f", wakes {', '.join(str(name) for name in woke) or 'nobody'}" if isinstance(woke, list) else ""
    if kind in ("put", "get"):
        return f"{kind} {details['object']} {details['value']}{whom}"
    if kind in ("block", "rewait"):
        reason = details.get("reason")
        return f"waits for {reason}" if reason else f"blocks ({details.get('device', '')} I/O)"
    if kind == "handoff":
        return f"is handed {details['object']} by {details['from']}"
    if kind == "violation":
        return f"[{details['kind']}] {details['message']}"
    if kind == "step_bound":
        return f"step_bound: the run stopped after {details['steps']} steps"
    if kind == "run":
        return f"runs on CPU{event.cpu}"
    if kind == "preempt":
        return "is preempted"
    if kind == "delay":
        return "is delayed (off its CPU until another thread steps)"
    if kind == "exit":
        return "ends"
    if kind == "wake":
        return "wakes up (ready)"
    subject = details.get("object")
    return f"{kind} {subject}{whom}" if subject is not None else kind
