"""Determinism: the same scenario and seed give byte-identical output, also across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SCENARIOS

JITTERY = """\
time_unit: us
machine: {cpus: 3, policy: {name: rr, quantum: 7}, context_switch: 1, devices: {disk: {servers: 1}}}
processes:
  - name: app
    threads:
      - name: a
        program: [repeat: {times: 30, do: [compute: {duration: 20, jitter: 15}, io: {device: disk, duration: 9}]}]
      - {name: b, program: [repeat: {times: 30, do: [compute: {duration: 11, jitter: 10}, sleep: 4]}]}
      - {name: c, program: [repeat: {times: 30, do: [compute: {duration: 5, jitter: 5}, yield]}]}
      - {name: d, arrival: 13, program: [repeat: {times: 30, do: [compute: {duration: 17, jitter: 2}, io: 3]}]}
"""


def run_in_process(args: list[str], hash_seed: str, cwd: Path) -> bytes:
    """stdout of `python -m simulator ARGS` in a fresh interpreter with the given PYTHONHASHSEED."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run([sys.executable, "-m", "simulator", *args], capture_output=True, env=env,
                            cwd=cwd, check=False)  # fmt: skip
    assert result.returncode in (0, 1), result.stderr.decode()  # 1: the run found violations
    return result.stdout


def test_reports_and_timelines_are_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    """Two interpreters with different PYTHONHASHSEED print the same bytes and write the same timelines."""
    scenario = tmp_path / "jittery.yaml"
    scenario.write_text(JITTERY)
    outputs = []
    formats = (".jsonl", ".csv", ".trace.json", ".svg", ".html", ".txt")
    for hash_seed in ("1", "2"):
        files = [tmp_path / f"timeline-{hash_seed}{extension}" for extension in formats]
        timeline_args = [arg for path in files for arg in ("--timeline", str(path))]
        text = run_in_process(["run", str(scenario), "--seed", "42", *timeline_args], hash_seed, ROOT)
        json_report = run_in_process(["run", str(scenario), "--seed", "42", "--report", "json"], hash_seed, ROOT)
        outputs.append((text, json_report, *(path.read_bytes() for path in files)))
    assert outputs[0] == outputs[1]
    other_seed = run_in_process(["run", str(scenario), "--seed", "43", "--report", "json"], "1", ROOT)
    assert other_seed != outputs[0][1]  # the seed really is used


def test_every_scenario_is_identical_across_hash_seeds() -> None:
    """The shipped scenarios print the same JSON report whatever PYTHONHASHSEED is."""
    for path in sorted(SCENARIOS.glob("*.yaml")):
        args = ["run", str(path.relative_to(ROOT)), "--report", "json"]
        assert run_in_process(args, "0", ROOT) == run_in_process(args, "12345", ROOT), path.name
