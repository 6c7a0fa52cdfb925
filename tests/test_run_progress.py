"""Tests of run's progress line (simulator.output.run_progress)."""

from __future__ import annotations

import io
import time

from simulator.output.run_progress import RunProgress
from tests.conftest import run_yaml


def test_a_long_run_shows_time_and_steps_then_clears_its_line() -> None:
    """After the delay the line shows the probe's time and steps; at the end it is blanked out."""
    stream = io.StringIO()
    progress = RunProgress(stream, "ms", delay=0.01, every=0.01)
    with progress(lambda: (2_500_000, 12_345)):
        time.sleep(0.1)
    text = stream.getvalue()
    assert "run: simulated time 2.5 ms, 12,345 steps" in text
    assert text.endswith("\r" + " " * progress.drawn + "\r")


def test_a_short_run_prints_nothing() -> None:
    """A run shorter than the delay leaves the stream empty."""
    stream = io.StringIO()
    with RunProgress(stream, "ms", delay=5)(lambda: (0, 0)):
        pass
    assert stream.getvalue() == ""


def test_watching_does_not_change_the_run() -> None:
    """The same metrics with and without a watcher reading the kernel."""
    text = "threads: [{name: A, program: [repeat: {times: 3000, do: [yield, compute: 0.01]}]}, {name: B, burst: 5}]\n"
    watched = run_yaml(text, watch=RunProgress(io.StringIO(), "ms", delay=0, every=0.001))
    assert watched == run_yaml(text)
