"""What every timeline writer receives before the run (`TimelineInfo`) and what it provides (`TimelineWriter`).

The format modules import this module and nothing of the registry (`simulator.output.timeline`), so the
registry can import any format module without an import cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import attrs

if TYPE_CHECKING:  # the registry (and so the CLI's help) imports this module: not the kernel's metrics
    from simulator.analysis.metrics import RunMetrics
    from simulator.trace import TraceEvent


@attrs.frozen
class TimelineInfo:
    """What a timeline writer knows before the run: the scenario's shape."""

    scenario: str
    time_unit: str
    cpus: int
    #: (thread, process) pairs in declaration order.
    threads: tuple[tuple[str, str], ...]
    width: int = 80
    header: str = ""
    #: (device, servers) pairs of the declared I/O devices, in declaration order (servers None: unlimited).
    devices: tuple[tuple[str, int | None], ...] = ()

    @property
    def thread_names(self) -> list[str]:
        """Thread names in declaration order."""
        return [name for name, _ in self.threads]

    @property
    def processes(self) -> list[str]:
        """Process names in order of first appearance."""
        return list(dict.fromkeys(process for _, process in self.threads))


class TimelineWriter(Protocol):
    """A timeline format: receives every trace event, then `close` with the run's metrics.

    A writer is given an open text stream and writes to it; it never closes the stream (whoever opened
    it does), so a writer can render into an `io.StringIO` and leave the text there.
    """

    def __call__(self, event: TraceEvent) -> None: ...

    def close(self, metrics: RunMetrics) -> None: ...
