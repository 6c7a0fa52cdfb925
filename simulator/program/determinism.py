"""Telling a nondeterministic Python body (one that yields other operations given the same results: it reads
a clock, `random`, state kept between runs) from a deterministic one, by running a schedule twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.program.python import PythonProgram

if TYPE_CHECKING:
    from simulator.analysis.footprints import Footprints
    from simulator.model.kernel import Kernel
    from simulator.scenario.model import Scenario


def body_digests(kernel: Kernel) -> tuple[tuple[str, str], ...]:
    """For each thread of the run with a Python body, its name and a digest of the operations the body
    yielded and how it ended. Two runs of the same scenario, seed and decisions give equal digests unless a
    body is nondeterministic (it reads a clock, global state, `random`...)."""
    return tuple((thread.name, program.digest.hexdigest()) for thread in kernel.threads
                 if isinstance(program := thread.program, PythonProgram))  # fmt: skip


class NondeterministicBodyError(RuntimeError):
    """A thread body written in Python yielded other operations in two runs of the same scenario, seed and
    scheduling decisions: it depends on something outside the simulation (a clock, `random`, state kept
    between runs), so no schedule of it can be explored, shrunk or replayed faithfully."""

    def __init__(self, threads: tuple[str, ...], seed: int, decisions: tuple[tuple[int, int], ...]) -> None:
        names = ", ".join(threads)
        plural = "ies" if len(threads) > 1 else "y"
        super().__init__(
            f"nondeterministic thread bod{plural}: {names} yielded different operations in two runs of seed {seed} "
            f"with the same {len(decisions)} scheduling decision(s); a Python body must depend only on the results "
            f"its operations send back (no clock, no random, no state kept between runs)"
        )
        self.threads = threads
        self.seed = seed
        self.decisions = decisions


def check_deterministic(scenario: Scenario, seed: int, decisions: tuple[tuple[int, int], ...],
                        footprints: Footprints | None = None, max_steps: int | None = None) -> None:  # fmt: skip
    """Run the schedule (`seed`, `decisions`) twice and raise NondeterministicBodyError naming the threads whose
    Python bodies yielded different operations. Costs two runs: the explorer does it once per failure found."""
    from simulator.exploration.strategies import ReplayStrategy
    from simulator.model.kernel import Kernel

    digests = []
    for _ in range(2):
        kernel = Kernel(scenario, seed=seed, strategy=ReplayStrategy(dict(decisions)), max_steps=max_steps,
                        footprints=footprints)  # fmt: skip
        kernel.run()
        digests.append(dict(body_digests(kernel)))
    first, second = digests
    differing = tuple(name for name in dict.fromkeys([*first, *second]) if first.get(name) != second.get(name))
    if differing:
        raise NondeterministicBodyError(differing, seed, tuple(decisions))
