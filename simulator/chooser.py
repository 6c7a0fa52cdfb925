"""The one owner of every random choice in a run (SPEC section 7).

It is seeded by the run's seed and records each choice it makes, so that a run is a pure function of
(scenario, seed) and of (scenario, recorded choices). Nothing else in threadsim draws random numbers.
"""

from __future__ import annotations

import random


class Chooser:
    """Seeded choices, recorded in the order they were made."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        # A private generator: never the global `random`, whose state other code can touch.
        self._random = random.Random(seed)
        self.choices: list[int] = []

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in [low, high], recorded."""
        value = low if low == high else self._random.randint(low, high)
        self.choices.append(value)
        return value
