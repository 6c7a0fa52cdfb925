"""Determinism: the same scenario and seed give byte-identical output, also across processes.

One interpreter per PYTHONHASHSEED, not per scenario: each child process (this module run as a script) runs
every shipped scenario, and a jittery one of its own, through the command line and prints a digest of every
output (text report, JSON report, each timeline format, exit status); the test compares the digests.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from simulator.cli import main as threadsim

ROOT = Path(__file__).resolve().parent.parent

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

#: Every timeline format (SPEC section 6), by extension.
TIMELINE_FORMATS = (".jsonl", ".csv", ".trace.json", ".svg", ".html", ".txt")

#: Hash seeds the children run under: the extremes and a few arbitrary ones (all within 0..2**32-1).
HASH_SEEDS = ("0", "1", "12345", "3141592653")


def digest(data: bytes) -> str:
    """A SHA-256 hex digest."""
    return hashlib.sha256(data).hexdigest()


def digests_of(scenario: Path, seed: str | None, directory: Path) -> dict[str, str]:
    """The digest of each output of `threadsim run SCENARIO`: text report with every timeline, JSON report,
    and both exit statuses (0, or 1 when the run found violations)."""
    seed_args = [] if seed is None else ["--seed", seed]
    files = [directory / f"timeline{extension}" for extension in TIMELINE_FORMATS]
    timeline_args = [arg for path in files for arg in ("--timeline", str(path))]
    text = CliRunner().invoke(threadsim, ["run", str(scenario), *seed_args, *timeline_args])
    report = CliRunner().invoke(threadsim, ["run", str(scenario), *seed_args, "--report", "json"])
    for result in (text, report):
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        if crashed or result.exit_code not in (0, 1):
            raise RuntimeError(f"threadsim run {scenario} failed ({result.exit_code}): {result.output}")
    outputs = {
        "exit": f"{text.exit_code} {report.exit_code}".encode(),
        "text": text.stdout_bytes,
        "json": report.stdout_bytes,
    }
    for extension, path in zip(TIMELINE_FORMATS, files, strict=True):
        outputs[extension] = path.read_bytes()
    return {name: digest(data) for name, data in outputs.items()}


def every_digest() -> dict[str, str]:
    """Digests of all outputs of every shipped scenario and of the jittery one (seeds 42 and 43), keyed
    `SCENARIO OUTPUT`. Scenario paths are relative, so that reports naming their file agree."""
    found: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        (directory / "jittery.yaml").write_text(JITTERY, encoding="utf-8")
        cases: list[tuple[str, Path, Path, str | None]] = [
            (path.name, ROOT, path.relative_to(ROOT), None) for path in sorted((ROOT / "scenarios").glob("*.yaml"))
        ]
        cases += [(f"jittery@{seed}", directory, Path("jittery.yaml"), seed) for seed in ("42", "43")]
        for name, cwd, path, seed in cases:
            os.chdir(cwd)  # a relative path: the same in every child, whatever its temporary directory
            for output, value in digests_of(path, seed, directory).items():
                found[f"{name} {output}"] = value
        os.chdir(ROOT)
    return found


def test_every_output_of_every_scenario_is_identical_across_hash_seeds() -> None:
    """Interpreters with different PYTHONHASHSEED print the same reports and write the same timelines, for
    every shipped scenario; and the run's seed (not the hash seed) is what changes a jittery run."""
    children = []
    for hash_seed in HASH_SEEDS:  # started together: they share nothing
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        command = [sys.executable, "-m", "tests.test_determinism"]
        children.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    results = []
    for hash_seed, child in zip(HASH_SEEDS, children, strict=True):
        stdout, stderr = child.communicate(timeout=600)
        assert child.returncode == 0, f"PYTHONHASHSEED={hash_seed}: {stderr.decode()}"
        results.append(json.loads(stdout))
    first = results[0]
    scenarios = sorted((ROOT / "scenarios").glob("*.yaml"))
    assert len(first) == (len(scenarios) + 2) * (3 + len(TIMELINE_FORMATS))  # nothing was left out
    for hash_seed, other in zip(HASH_SEEDS[1:], results[1:], strict=True):
        differing = sorted(key for key in first if other.get(key) != first[key])
        assert not differing, f"PYTHONHASHSEED=0 and {hash_seed} differ in: {', '.join(differing)}"
    assert first["jittery@42 json"] != first["jittery@43 json"]  # the seed really is used
    assert first["jittery@42 .jsonl"] != first["jittery@43 .jsonl"]


if __name__ == "__main__":
    # A child of the test above: print every digest as one JSON object.
    sys.stdout.write(json.dumps(every_digest(), sort_keys=True))
