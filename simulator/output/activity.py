"""The text report's lists of shared-memory accesses (with the thread switches between them) and
synchronization waits (with the notifies that end them or wake nobody), kept short.

A trace listener that keeps the first `limit` of each (and counts the rest): enough to read what happened in
a small scenario; the event log (`--timeline run.jsonl`) has every one.
"""

from __future__ import annotations

from simulator.timeunits import format_time
from simulator.trace import TraceEvent

MEMORY_EVENTS = ("load", "store", "atomic")
#: Listed among the waits: a notify is what ends a wait, or, waking nobody, what a lost wake-up is.
NOTIFY_EVENTS = ("notify", "notify_all")
#: Every event either list may take.
_LISTED = frozenset({"preempt", "delay", "run", "block", "rewait", *MEMORY_EVENTS, *NOTIFY_EVENTS})


class ActivityLog:
    """Collects memory accesses and waits on synchronization objects, up to `limit` of each."""

    def __init__(self, limit: int = 40) -> None:
        self.limit = limit
        self.accesses: list[TraceEvent] = []
        self.waits: list[TraceEvent] = []
        self.more_accesses = 0
        self.more_waits = 0

    def __call__(self, event: TraceEvent) -> None:
        if event.event not in _LISTED:  # most events: a run of a million checks this first
            return
        if event.event in ("preempt", "delay", "run") and self.accesses:
            # Thread switches between accesses: they are what makes an interleaving.
            if len(self.accesses) < self.limit:
                self.accesses.append(event)
            else:
                self.more_accesses += 1
        elif event.event in MEMORY_EVENTS:
            if len(self.accesses) < self.limit:
                self.accesses.append(event)
            else:
                self.more_accesses += 1
        elif event.event in NOTIFY_EVENTS or (
            event.event in ("block", "rewait") and any(key == "reason" for key, _ in event.details)
        ):
            if len(self.waits) < self.limit:
                self.waits.append(event)
            else:
                self.more_waits += 1

    def lines(self, unit: str) -> list[str]:
        """The two lists as report lines (nothing for a scenario without memory or synchronization)."""
        lines: list[str] = []
        if self.accesses:
            lines.append("shared-memory accesses (and thread switches between them):")
            for event in self.accesses:
                details = dict(event.details)
                if event.event in ("preempt", "delay"):
                    done = "is preempted" if event.event == "preempt" else "is delayed by the explorer"
                    lines.append(f"  {format_time(event.time, unit):>8}  -- {event.thread} {done}")
                    continue
                if event.event == "run":
                    lines.append(f"  {format_time(event.time, unit):>8}  -- {event.thread} runs on CPU{event.cpu}")
                    continue
                atomic_load = event.event == "atomic" and details["op"] == "load"
                what = "atomic " if atomic_load else f"{details['op']} " if event.event == "atomic" else ""
                old = f" (was {details['old']})" if event.event == "atomic" and not atomic_load else ""
                verb = "read" if event.event == "load" or atomic_load else "wrote"
                lines.append(f"  {format_time(event.time, unit):>8}  {event.thread}: {what}{verb} {details['var']}"
                             f" = {details['value']}{old}  (line {details['line']})")  # fmt: skip
            if self.more_accesses:
                lines.append(f"  ... and {self.more_accesses} more (--timeline run.jsonl has them all)")
            lines.append("")
        if self.waits:
            lines.append("waits on synchronization objects:")
            for event in self.waits:
                details = dict(event.details)
                if event.event in NOTIFY_EVENTS:
                    woken = details["woke"]
                    whom = ", ".join(woken) if isinstance(woken, list) and woken else "nobody"
                    verb = "notifies all of" if event.event == "notify_all" else "notifies"
                    lines.append(f"  {format_time(event.time, unit):>8}  {event.thread} {verb} {details['object']}: "
                                 f"wakes {whom}")  # fmt: skip
                    continue
                lines.append(f"  {format_time(event.time, unit):>8}  {event.thread} waits for {details['reason']}")
            if self.more_waits:
                lines.append(f"  ... and {self.more_waits} more (--timeline run.jsonl has them all)")
            lines.append("")
        return lines
