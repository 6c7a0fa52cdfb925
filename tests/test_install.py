"""Tests that the README's way of running threadsim after `make run` works as printed."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def readme_block_after(sentence: str) -> str:
    """The first code block of the README after the paragraph holding `sentence`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(sentence)
    match = re.search(r"```\n(.*?)```", text[start:], re.DOTALL)
    assert match is not None, f"no code block after {sentence!r}"
    return match.group(1)


def run_in_shell(script: str) -> str:
    """Run `script` with bash in the project folder, with a PATH that does not hold the venv."""
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if not p.startswith(str(VENV)))
    env = {**os.environ, "PATH": path}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        ["bash", "-c", "set -e\n" + script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def expected() -> str:
    """What `threadsim run scenarios/rr-textbook.yaml` prints, run in this process."""
    result = CliRunner().invoke(main, ["run", "scenarios/rr-textbook.yaml"])
    assert result.exit_code == 0
    return result.stdout


needs_venv = pytest.mark.skipif(
    not (VENV / "bin" / "threadsim").exists(),
    reason="no .venv with threadsim installed in the project folder (make run makes one)",
)


@needs_venv
def test_the_venv_command_of_the_readme_runs_threadsim(expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`.venv/bin/threadsim run ...`, as the README prints it, gives the report."""
    monkeypatch.chdir(ROOT)
    script = readme_block_after("Run it from there:")
    assert script.startswith(".venv/bin/threadsim ")
    assert run_in_shell(script) == expected


@needs_venv
def test_activating_the_venv_as_the_readme_says_puts_threadsim_on_the_path(
    expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`. .venv/bin/activate` and then `threadsim run ...` gives the report."""
    monkeypatch.chdir(ROOT)
    script = readme_block_after("or activate the environment once per shell")
    assert script.startswith(". .venv/bin/activate\n")
    assert run_in_shell(script) == expected
