"""A trace listener base for tests: which threads are ready and which CPU runs whom, between instants."""

from __future__ import annotations

from simulator import TraceEvent

#: Events after which a thread is ready, and events by which it leaves its CPU.
BECOME_READY = ("arrive", "wake", "preempt", "yield")
LEAVE_CPU = ("preempt", "yield", "sleep", "block", "exit")


class CpuStates:
    """Tracks the ready threads and each CPU's thread. Subclasses check the state in `between`, called
    once everything at an instant has happened (just before the next instant), and may look at each
    dispatch in `on_run`. Problems go in `problems`."""

    def __init__(self) -> None:
        self.ready: set[str] = set()
        self.running: dict[int, str] = {}
        self.now = 0
        self.problems: list[object] = []

    def between(self, start: int, end: int) -> None:
        """The state held from `start` to `end`."""

    def on_run(self, name: str, cpu: int) -> None:
        """`name` was dispatched to `cpu`."""

    def __call__(self, event: TraceEvent) -> None:
        if event.time > self.now:
            self.between(self.now, event.time)
            self.now = event.time
        name = event.thread or ""
        if event.event in BECOME_READY:
            self.ready.add(name)
        if event.event in ("switch", "run"):
            assert event.cpu is not None
            self.on_run(name, event.cpu)
            self.ready.discard(name)
            self.running[event.cpu] = name
        if event.event in LEAVE_CPU and event.cpu is not None:
            self.running.pop(event.cpu, None)
