"""The end state of a run that did not finish (deadlocked, stuck, or stopped by `--until` or the step
bound): who holds which mutex, who waits for what, and who ended while holding a mutex.

Read from the trace alone (lock, unlock, handoff, block and exit events), so every report and chart can
show it without asking the model.
"""

from __future__ import annotations

from simulator.analysis.metrics import RunMetrics
from simulator.states import State
from simulator.timeunits import format_time
from simulator.trace import EVENT_STATE, TraceEvent

#: Events that change what a thread holds or waits for.
_HOLDING_EVENTS = frozenset({"lock", "unlock", "handoff", "block", "rewait"})
#: The most thread lines shown (a stopped run of thousands of threads stays readable).
LIMIT = 40


class EndState:
    """A trace listener that keeps, per thread, its state, what it waits for and the mutexes it holds."""

    def __init__(self) -> None:
        self.state: dict[str, State] = {}  # in order of arrival
        self.cpu: dict[str, int | None] = {}
        self.waits: dict[str, str] = {}
        self.holds: dict[str, dict[str, None]] = {}  # an ordered set of mutexes per thread
        #: (thread, mutexes it held, when it ended)
        self.ended_holding: list[tuple[str, tuple[str, ...], int]] = []

    def __call__(self, event: TraceEvent) -> None:
        name = event.thread
        if name is None:
            return
        kind = event.event
        state = EVENT_STATE.get(kind)
        if state is not None:
            self.state[name] = state
            self.cpu[name] = event.cpu
            if self.waits:
                self.waits.pop(name, None)
            if kind != "block" and kind != "exit":  # the common case: nothing more to note
                return
        if kind in _HOLDING_EVENTS:
            details = dict(event.details)
            if kind == "lock":
                self.holds.setdefault(name, {})[str(details["object"])] = None
            elif kind == "unlock":
                self.holds.get(name, {}).pop(str(details["object"]), None)
            elif kind == "handoff":
                self.holds.get(str(details["from"]), {}).pop(str(details["object"]), None)
                self.holds.setdefault(name, {})[str(details["object"])] = None
            elif "reason" in details:
                self.waits[name] = str(details["reason"])
        elif kind == "exit":
            held = self.holds.pop(name, {})
            if held:
                self.ended_holding.append((name, tuple(held), event.time))

    def unfinished(self) -> list[str]:
        """Threads that had not ended at the end of the run, in order of arrival."""
        return [name for name, state in self.state.items() if state is not State.DONE]

    def lines(self, metrics: RunMetrics) -> list[str]:
        """The report section: nothing for a run where every thread ended holding nothing."""
        unfinished = self.unfinished()
        if not unfinished and not self.ended_holding:
            return []
        unit = metrics.time_unit
        state = "complete" if metrics.complete else "incomplete"
        lines = [f"state at the end ({format_time(metrics.end_time, unit)}, {state}):"]
        for name in unfinished[:LIMIT]:
            lines.append(f"  {name}: {self._describe(name)}")
        if len(unfinished) > LIMIT:
            lines.append(f"  ... and {len(unfinished) - LIMIT} more threads not ended")
        for name, held, time in self.ended_holding[:LIMIT]:
            lines.append(f"  {name}: ended at {format_time(time, unit)} holding {', '.join(held)}")
        if len(self.ended_holding) > LIMIT:
            lines.append(f"  ... and {len(self.ended_holding) - LIMIT} more threads that ended holding a mutex")
        return [*lines, ""]

    def _describe(self, name: str) -> str:
        state = self.state[name]
        if name in self.waits:
            what = f"waits for {self.waits[name]}"
        elif state in (State.RUNNING, State.SWITCHING) and self.cpu.get(name) is not None:
            what = f"{state} on CPU{self.cpu[name]}"
        else:
            what = str(state)
        held = self.holds.get(name)
        return what + (f"; holds {', '.join(held)}" if held else "")
