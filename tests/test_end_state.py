"""Tests of simulator.output.end_state: who holds and waits for what when a run ends unfinished, in the
text report and the charts."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from click.testing import CliRunner

from simulator.cli import main
from simulator.output.end_state import EndState
from tests.conftest import SCENARIOS, trace_of

SVG = "{http://www.w3.org/2000/svg}"


def end_lines(text: str, **options: object) -> list[str]:
    """The end-state section of a scenario given as YAML text."""
    metrics, events = trace_of(text, **options)
    state = EndState()
    for event in events:
        state(event)
    return state.lines(metrics)


def test_a_deadlock_shows_who_holds_and_waits_for_what(tmp_path: Path) -> None:
    """The philosophers' report and charts list each thread's wait and the fork it holds."""
    svg, html = tmp_path / "run.svg", tmp_path / "run.html"
    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "dining-philosophers.yaml"), "--timeline", str(svg),
                                       "--timeline", str(html)])  # fmt: skip
    assert result.exit_code == 1
    section = result.stdout.split("state at the end (2, incomplete):\n")[1].split("\n\n")[0].splitlines()
    assert section[0] == "  P0: waits for mutex fork1 held by P1; holds fork0"
    assert len(section) == 5
    root = ElementTree.parse(svg).getroot()
    texts = [node.text for node in root.iter(f"{SVG}text") if node.get("class") == "end-state"]
    assert texts[0] == "state at the end (2, incomplete):" and texts[1] == section[0]
    assert section[0] in html.read_text()


def test_a_thread_that_ends_holding_a_mutex_is_reported() -> None:
    """Ending while holding a lock is listed with the time, even in a complete run."""
    lines = end_lines("""\
        processes:
          - name: p
            sync: {m: mutex}
            threads:
              - {name: T1, program: [lock: m, compute: 1]}
        """)
    assert lines == ["state at the end (1, complete):", "  T1: ended at 1 holding m", ""]


def test_a_stopped_run_lists_unfinished_threads_and_a_finished_one_nothing() -> None:
    """--until leaves threads ready or running; a run whose threads all ended cleanly has no section."""
    text = """\
        threads:
          - {name: A, burst: 5}
          - {name: B, burst: 5}
        """
    assert end_lines(text, until=2_000_000) == ["state at the end (2, incomplete):", "  A: running on CPU0",
                                                 "  B: ready", ""]  # fmt: skip
    assert end_lines(text) == []


def test_a_handoff_moves_the_mutex_to_the_waiter() -> None:
    """After unlock-with-handoff the waiter holds the mutex, not the unlocker."""
    lines = end_lines("""\
        machine: {cpus: 2}
        processes:
          - name: p
            sync: {m: mutex}
            threads:
              - {name: T1, program: [lock: m, compute: 2, unlock: m]}
              - {name: T2, program: [compute: 1, lock: m, compute: 5]}
        """, until=3_000_000)  # fmt: skip
    assert lines == ["state at the end (3, incomplete):", "  T2: running on CPU0; holds m", ""]
