"""A one-line progress bar for long commands, drawn on standard error only when it is a terminal."""

from __future__ import annotations

import time
from typing import IO


class ProgressBar:
    """Call it with (done, total, failing); it redraws at most ten times a second. `what` names the units
    counted (schedules, runs); `failing` is shown only when the units can fail (schedules). A total of 0
    means not known in advance (a depth-first search without --runs): it then shows the count without a bar."""

    def __init__(self, stream: IO[str], width: int = 30, what: str = "schedules") -> None:
        self.stream = stream
        self.what = what
        self.width = width
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int, failing: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and (done < total or total <= 0):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        if total > 0:
            filled = self.width * min(done, total) // total
            shown = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}"
        else:
            shown = f"{done}"
        failures = f"{failing} failing, " if self.what == "schedules" else ""
        self.stream.write(f"\r{shown} {self.what}, {failures}{rate:,.0f}/s ")
        self.stream.flush()
        self.drawn = True

    def status(self, text: str) -> None:
        """Replace the line with `text` (for a later phase, such as shrinking), at most ten times a second."""
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        """End the line, so the report starts on a fresh one."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
