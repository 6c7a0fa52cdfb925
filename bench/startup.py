"""The start-up figure of `make bench`: whole `threadsim` commands on a tiny scenario, against
`python -c "import yaml, click, attrs"` (the libraries every command imports) measured in the same rounds.

Each figure is a process's CPU time (user + system, the operating system's accounting of the finished child),
the fastest of REPEATS runs made in rounds (every command once per round). Bytecode is cached, as it is after
installing or after a first run: the children write and read it in a temporary directory
(PYTHONPYCACHEPREFIX), so that an environment with PYTHONDONTWRITEBYTECODE set does not make every start
compile every module, and the tree gets no `__pycache__`. One warm-up round fills that cache.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "scenarios/rr-textbook.yaml"
REPEATS = 11
#: The yardstick: what any command of threadsim imports before it does anything (the YAML parser, the CLI
#: library, attrs), and the interpreter alone, for scale.
BASELINE = "import yaml, click, attrs"
BASELINES: dict[str, list[str]] = {
    f'python -c "{BASELINE}"': [sys.executable, "-c", BASELINE],
    'python -c "pass"': [sys.executable, "-c", "pass"],
}
#: The commands measured, as a user types them (`python -m simulator` is the `threadsim` command).
COMMANDS: dict[str, list[str]] = {
    "threadsim --help": ["--help"],
    f"threadsim run {SCENARIO} --report json": ["run", SCENARIO, "--report", "json"],
    f"threadsim run {SCENARIO}": ["run", SCENARIO],
}


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    """The CPU time of one run of `argv` in a fresh process (its output thrown away); it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            check=False)  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stderr}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def all_commands() -> dict[str, list[str]]:
    """Every process measured, by label: the baselines, then threadsim's commands."""
    commands = dict(BASELINES)
    commands.update({label: [sys.executable, "-m", "simulator", *args] for label, args in COMMANDS.items()})
    return commands


def measure(repeats: int = REPEATS) -> dict[str, float]:
    """Each command's fastest CPU time of `repeats` rounds, after a warm-up round, with bytecode cached."""
    commands = all_commands()
    with tempfile.TemporaryDirectory(prefix="threadsim-bench-bytecode-") as cache:
        env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        for argv in commands.values():
            cpu_seconds(argv, env)
        best = {label: float("inf") for label in commands}
        for _ in range(repeats):
            for label, argv in commands.items():
                best[label] = min(best[label], cpu_seconds(argv, env))
    return best


def print_startup() -> None:
    """The start-up lines: each command's CPU time and its ratio to the yardstick of the same rounds."""
    best = measure()
    yardstick = best[f'python -c "{BASELINE}"']
    print(f"start-up (whole processes, CPU time, fastest of {REPEATS} in rounds, bytecode cached), against "
          f'python -c "{BASELINE}":')  # fmt: skip
    width = max(len(label) for label in best)
    for label, seconds in best.items():
        print(f"  {label:<{width}} {seconds * 1e3:>6.1f} ms {seconds / yardstick:>6.2f}x")
