"""Random durations (SPEC section 3, "Distributions"): the values a scenario may give wherever a duration goes.

A `Distribution` is a frozen value made once by the loader, its parameters in integer nanoseconds. It holds
no generator: the run's `Chooser` draws from it (`Chooser.draw`), so the same seed gives the same draws in
the same order (the order in which the kernel reaches them). A draw is a float number of nanoseconds made
into a duration by `to_duration`: rounded half to even to a whole nanosecond, then at least 0.

Operations keep a constant duration as a plain int (the hot path reads it as before) and carry a
distribution, when there is one, beside it; their `duration` then holds the distribution's mean rounded to
the nanosecond (the nominal value that SJF, SRTF and the CPU demand of a program see).
"""

from __future__ import annotations

import math

import attrs

#: The kinds of distribution, as written in a scenario (`{exponential: 5}`).
KINDS = ("exponential", "uniform", "normal", "lognormal", "choice")


@attrs.frozen
class Distribution:
    """A distribution of durations, its parameters in ns.

    `exponential`: (mean,). `uniform`: (low, high). `normal`: (mean, sd), negative draws become 0.
    `lognormal`: (mean, sd) of the lognormal itself; drawn as exp(N(mu, sigma)) with
    sigma^2 = ln(1 + sd^2 / mean^2) and mu = ln(mean) - sigma^2 / 2. `choice`: the durations, one drawn
    with equal probability.
    """

    kind: str
    parameters: tuple[int, ...]

    @property
    def mean(self) -> int:
        """The distribution's mean in ns, rounded half to even (the nominal duration; a normal's mean is
        the untruncated one)."""
        if self.kind == "uniform":
            return round((self.parameters[0] + self.parameters[1]) / 2)
        if self.kind == "choice":
            return round(sum(self.parameters) / len(self.parameters))
        return self.parameters[0]  # exponential, normal, lognormal: the mean is the first parameter

    def lognormal_parameters(self) -> tuple[float, float]:
        """(mu, sigma) of the normal whose exponential is this lognormal (its mean and sd given)."""
        mean, sd = self.parameters
        sigma_squared = math.log1p((sd / mean) ** 2)
        return math.log(mean) - sigma_squared / 2, math.sqrt(sigma_squared)


def to_duration(ns: float) -> int:
    """A drawn float number of nanoseconds as a duration: rounded half to even, never negative."""
    return max(0, round(ns))
