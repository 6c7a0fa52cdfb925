"""Tests of simulator.output.files and the CLI's output errors: timelines written whole or not at all,
writers that leave their stream open, and clear exit-2 messages for full disks, closed pipes and Ctrl-C."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator import load_scenario, simulate
from simulator.cli import main
from simulator.output.gantt import GanttTextWriter
from simulator.output.timeline import TIMELINE_FORMATS, TimelineInfo
from tests.conftest import ROOT, SCENARIOS

MIXED = str(SCENARIOS / "mixed-io.yaml")
LONG = """\
machine: {policy: {name: rr, quantum: 1}}
threads:
  - {name: A, program: [repeat: {times: 100000000, do: [compute: 1, sleep: 1]}]}
  - {name: B, program: [repeat: {times: 100000000, do: [compute: 1, sleep: 1]}]}
"""


def threadsim(*args: str, **options: object) -> subprocess.Popen[bytes]:
    """Start `python -m simulator ARGS` from this checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "simulator", *args], env=env, **options)  # type: ignore[call-overload]


@pytest.mark.parametrize("entry", TIMELINE_FORMATS, ids=lambda entry: entry.extension)
def test_writers_leave_a_stream_they_did_not_open_open(entry) -> None:  # type: ignore[no-untyped-def]
    """Rendering into io.StringIO keeps the text: no writer closes the stream it is given."""
    scenario = load_scenario(MIXED)
    info = TimelineInfo(scenario.name, scenario.time_unit, scenario.machine.cpus,
                        tuple((thread.name, thread.process) for thread in scenario.threads()))  # fmt: skip
    stream = io.StringIO()
    writer = entry.writer(stream, info)
    writer.close(simulate(scenario, listeners=[writer]))
    assert not stream.closed
    assert "cruncher1" in stream.getvalue()


def test_a_failing_second_timeline_leaves_the_first_untouched(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """When one timeline can't be written, no file is created or emptied, and no temporary file stays."""
    first = tmp_path / "run.svg"
    first.write_text("older chart\n")

    def full_disk(self: GanttTextWriter, metrics: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(GanttTextWriter, "close", full_disk)
    result = CliRunner().invoke(main, ["run", MIXED, "--timeline", str(first), "--timeline", str(tmp_path / "g.txt"),
                                       "--timeline", str(tmp_path / "log.jsonl")])  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == f"threadsim: cannot write timeline {str(tmp_path / 'g.txt')!r}: No space left on device\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run.svg"]
    assert first.read_text() == "older chart\n"


def test_an_unwritable_second_timeline_creates_no_first(tmp_path: Path) -> None:
    """A second --timeline in a missing folder is a usage error, and the first file is not left empty."""
    result = CliRunner().invoke(main, ["run", MIXED, "--timeline", str(tmp_path / "a.svg"),
                                       "--timeline", str(tmp_path / "missing" / "b.txt")])  # fmt: skip
    assert result.exit_code == 2
    assert f"cannot write {str(tmp_path / 'missing' / 'b.txt')!r}: No such file or directory" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_replaced_timeline_keeps_its_permissions_and_a_new_one_follows_the_umask(tmp_path: Path) -> None:
    """The rename does not change who may read the file."""
    kept, new = tmp_path / "kept.txt", tmp_path / "new.txt"
    kept.write_text("")
    kept.chmod(0o640)
    assert CliRunner().invoke(main, ["run", MIXED, "--timeline", str(kept), "--timeline", str(new)]).exit_code == 0
    mask = os.umask(0)
    os.umask(mask)
    assert (kept.stat().st_mode & 0o777, new.stat().st_mode & 0o777) == (0o640, 0o666 & ~mask)
    assert kept.read_text().startswith("Timeline")


def test_a_timeline_to_a_non_regular_file_is_written_directly(tmp_path: Path) -> None:
    """A FIFO destination is written in place (no temporary file, no rename over it)."""
    fifo = tmp_path / "chart.txt"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    result = CliRunner().invoke(main, ["run", MIXED, "--timeline", str(fifo)])
    out, _ = reader.communicate(timeout=30)
    assert result.exit_code == 0 and out.decode().startswith("Timeline")
    assert [path.name for path in tmp_path.iterdir()] == ["chart.txt"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_standard_output_exits_2_with_a_message() -> None:
    """`threadsim run ... > /dev/full`: one line on stderr, status 2, no traceback."""
    with open("/dev/full", "w") as full:
        process = threadsim("run", MIXED, stdout=full, stderr=subprocess.PIPE)
        _, err = process.communicate(timeout=60)
    assert (process.returncode, err.decode()) == (2, "threadsim: cannot write to standard output: "
                                                     "No space left on device\n")  # fmt: skip


def test_a_closed_pipe_exits_2_with_a_message() -> None:
    """A reader that went away (`threadsim run ... | true`): a clear message, status 2, no traceback."""
    process = threadsim("run", MIXED, "--width", "3000", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    assert (process.wait(timeout=60), err) == (2, "threadsim: cannot write to standard output: Broken pipe\n")


def test_a_closed_standard_output_exits_2_with_a_message() -> None:
    """Started with standard output closed (`>&-`): a clear message, status 2."""
    process = threadsim("run", MIXED, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                        preexec_fn=lambda: os.close(1))  # fmt: skip
    _, err = process.communicate(timeout=60)
    assert (process.returncode, err.decode()) == (2, "threadsim: cannot write to standard output: it is closed\n")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_leaves_no_partial_timeline_file(tmp_path: Path, signum: int) -> None:
    """Ctrl-C (or SIGTERM) during a run: exit 130, `interrupted`, and no timeline file, whole or partial."""
    (tmp_path / "long.yaml").write_text(LONG)
    names = [f"run{entry.extension}" for entry in TIMELINE_FORMATS]
    args = [arg for name in names for arg in ("--timeline", name)]
    process = threadsim("run", "long.yaml", *args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(path.name.endswith(".part") and path.stat().st_size for path in tmp_path.iterdir()):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err.decode()) == (130, b"", "threadsim: interrupted\n")
    assert [path.name for path in tmp_path.iterdir()] == ["long.yaml"]


def test_open_timeline_alone_writes_the_file_at_close(tmp_path: Path) -> None:
    """open_timeline(...).close(metrics) renames the finished file into place (nothing before)."""
    from simulator.output.timeline import open_timeline

    scenario = load_scenario(MIXED)
    info = TimelineInfo(scenario.name, scenario.time_unit, scenario.machine.cpus,
                        tuple((thread.name, thread.process) for thread in scenario.threads()))  # fmt: skip
    path = tmp_path / "run.jsonl"
    sink = open_timeline(str(path), info)
    metrics = simulate(scenario, listeners=[sink])
    assert not path.exists()
    sink.close(metrics)
    assert [p.name for p in tmp_path.iterdir()] == ["run.jsonl"] and path.read_text().startswith('{"time":0')
