"""A one-line progress bar for long commands, drawn on standard error only when it is a terminal."""

from __future__ import annotations

import time
from typing import IO


class ProgressBar:
    """Call it with (done, total, failing); it redraws at most ten times a second. `what` names the units
    counted (schedules, runs); `failing` is shown only when the units can fail (schedules)."""

    def __init__(self, stream: IO[str], width: int = 30, what: str = "schedules") -> None:
        self.stream = stream
        self.what = what
        self.width = width
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int, failing: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        filled = self.width * done // max(total, 1)
        rate = done / max(now - self.start, 1e-9)
        failures = f"{failing} failing, " if self.what == "schedules" else ""
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {self.what}, "
                          f"{failures}{rate:,.0f}/s ")  # fmt: skip
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        """End the line, so the report starts on a fresh one."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
