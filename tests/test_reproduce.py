"""Tests that every printed command reproduces its run exactly: the reproduce line of run and replay."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main
from tests.conftest import SCENARIOS


def invoke(args: list[str]) -> tuple[int, str]:
    """Run threadsim with `args`; exit code and stdout."""
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def reproduce_line(output: str) -> list[str]:
    """The words of the `reproduce:` line of a text report."""
    line = next(line for line in output.splitlines() if line.startswith("reproduce: "))
    words = shlex.split(line.removeprefix("reproduce: "))
    assert words[0] == "threadsim"
    return words[1:]


@pytest.fixture
def spaced(tmp_path: Path) -> Path:
    """A copy of mixed-io.yaml in a folder whose name has a space and a quote."""
    folder = tmp_path / "my 'scenarios'"
    folder.mkdir()
    return Path(shutil.copy(SCENARIOS / "mixed-io.yaml", folder / "mixed io.yaml"))


@pytest.mark.parametrize("options", [
    [],
    ["--seed", "3", "--cpus", "1"],
    ["--until", "5"],
    ["--until", "12.5", "--max-steps", "40"],
    ["--policy", "fcfs", "--context-switch", "250us", "--width", "40"],
    ["--max-steps", "7"],
])  # fmt: skip
def test_the_reproduce_line_of_run_gives_the_same_report(options: list[str], spaced: Path) -> None:
    """Running the printed command prints the very same report (so it carries every option that mattered)."""
    code, first = invoke(["run", str(spaced), *options])
    words = reproduce_line(first)
    assert words[1] == str(spaced)
    assert invoke(words) == (code, first)


def test_an_early_end_is_part_of_the_command() -> None:
    """A run stopped by --until reproduces as one that stops there, not as the whole run."""
    _, out = invoke(["run", str(SCENARIOS / "rr-textbook.yaml"), "--until", "5"])
    assert "--until 5" in out.splitlines()[2]
    assert "end time 5 (incomplete)" in out


def test_the_reproduce_line_of_replay_gives_the_same_report(tmp_path: Path) -> None:
    """The replay report's command, run again, prints the same report."""
    path = Path(shutil.copy(SCENARIOS / "counter-incr.yaml", tmp_path / "counter incr.yaml"))
    _, explored = invoke(["explore", str(path), "--runs", "20", "--report", "json"])
    token = json.loads(explored)["failures"][0]["token"]
    code, first = invoke(["replay", str(path), token, "--width", "50"])
    assert code == 1
    words = reproduce_line(first)
    assert words == ["replay", str(path), token, "--width", "50"]
    assert invoke(words) == (code, first)


def test_explore_prints_commands_that_paste_into_a_shell(tmp_path: Path) -> None:
    """explore's replay and explore lines quote the path (a space and a quote in it), and run as printed."""
    folder = tmp_path / "sp ace"
    folder.mkdir()
    path = folder / "c'x.yaml"
    shutil.copy(SCENARIOS / "counter-incr.yaml", path)
    result = CliRunner().invoke(main, ["explore", str(path), "--runs", "20", "--no-database"])
    commands = [line.split("$ ", 1)[1] for line in result.stdout.splitlines() if "$ threadsim " in line]
    assert commands and all(shlex.split(command)[2] == str(path) for command in commands)
    replayed = CliRunner().invoke(main, shlex.split(commands[0])[1:])
    assert replayed.exit_code == 1 and "app.counter == 20 is false" in replayed.stdout
