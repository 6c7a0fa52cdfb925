"""Tests of distributions of durations: load-time checks, the chooser's draws, rounding and replay."""

import math
import statistics
import textwrap

import pytest

from simulator import parse_scenario, simulate
from simulator.chooser import Chooser
from simulator.errors import InputErrors
from simulator.program.distributions import Distribution, to_duration
from simulator.program.operations import Compute, Io, Sleep, Wait

MS = 1_000_000


def errors_of(text: str) -> list[str]:
    """The error lines a scenario text produces."""
    with pytest.raises(InputErrors) as caught:
        parse_scenario(textwrap.dedent(text), "s.yaml")
    return [str(error) for error in caught.value.errors]


def test_every_kind_loads_with_its_mean_as_the_nominal_duration() -> None:
    """Each distribution loads in ns; the operation's duration is its mean (what SJF and demand see)."""
    scenario = parse_scenario(
        textwrap.dedent("""\
        machine: {devices: {disk: {servers: 1}}}
        processes:
          - name: p
            sync: {m: mutex, cv: {condition: m}}
            threads:
              - name: t
                program:
                  - compute: {exponential: 2}
                  - sleep: {uniform: [1, 3]}
                  - io: {device: disk, duration: {normal: {mean: 2, sd: 0.5}}}
                  - io: {lognormal: {mean: 4, sd: "1ms"}}
                  - compute: {duration: {choice: [1, 2, "6ms"]}, preemptible: false}
                  - lock: m
                  - wait: {cond: cv, timeout: {exponential: 1}}
        """),
        "s.yaml",
    )
    program = scenario.processes[0].threads[0].program
    assert program[0] == Compute(2 * MS, distribution=Distribution("exponential", (2 * MS,)))
    assert program[1] == Sleep(2 * MS, Distribution("uniform", (1 * MS, 3 * MS)))
    assert program[2] == Io("disk", 2 * MS, Distribution("normal", (2 * MS, MS // 2)))
    assert program[3] == Io("io", 4 * MS, Distribution("lognormal", (4 * MS, MS)))
    assert program[4] == Compute(3 * MS, 0, False, distribution=Distribution("choice", (MS, 2 * MS, 6 * MS)))
    assert program[6] == Wait("cv", MS, Distribution("exponential", (MS,)))


def test_a_constant_duration_draws_nothing() -> None:
    """A plain compute is not marked as varying: the hot path reads its duration as before."""
    assert not Compute(5).varies and Compute(5, 1).varies
    assert Compute(5, distribution=Distribution("exponential", (5,))).varies


def test_draws_are_rounded_half_to_even_and_never_negative() -> None:
    """to_duration rounds the float ns half to even, then clamps at 0."""
    assert [to_duration(x) for x in (0.5, 1.5, 2.5, 2.51, -3.2, 7.0)] == [0, 2, 2, 3, 0, 7]


@pytest.mark.parametrize(("distribution", "mean", "sd"), [
    (Distribution("exponential", (1000,)), 1000, 1000),
    (Distribution("uniform", (1000, 3000)), 2000, 2000 / math.sqrt(12)),
    (Distribution("normal", (5000, 1000)), 5000, 1000),
    (Distribution("lognormal", (4000, 3000)), 4000, 3000),
])  # fmt: skip
def test_draws_have_the_stated_mean_and_sd(distribution: Distribution, mean: float, sd: float) -> None:
    """Over 20,000 draws the sample mean and sd are within 3% of the distribution's."""
    chooser = Chooser(7)
    draws = [chooser.draw(distribution) for _ in range(20_000)]
    assert statistics.fmean(draws) == pytest.approx(mean, rel=0.03)
    assert statistics.stdev(draws) == pytest.approx(sd, rel=0.03)


def test_lognormal_parameters_convert_the_mean_and_sd() -> None:
    """sigma^2 = ln(1 + sd^2/mean^2), mu = ln(mean) - sigma^2/2: exp(mu + sigma^2/2) is the mean again."""
    mu, sigma = Distribution("lognormal", (4000, 3000)).lognormal_parameters()
    assert sigma**2 == pytest.approx(math.log(1 + (3000 / 4000) ** 2))
    assert math.exp(mu + sigma**2 / 2) == pytest.approx(4000)


def test_a_normal_draw_below_zero_becomes_zero_and_choice_picks_an_item() -> None:
    """Truncation at 0 is a clamp; choice draws only the listed durations, each about equally often."""
    chooser = Chooser(3)
    normal = [chooser.draw(Distribution("normal", (10, 1000))) for _ in range(2000)]
    assert min(normal) == 0 and normal.count(0) > 800
    picks = [chooser.draw(Distribution("choice", (1, 5, 9))) for _ in range(3000)]
    assert set(picks) == {1, 5, 9} and all(900 < picks.count(item) < 1100 for item in (1, 5, 9))


def test_the_same_seed_replays_the_same_run() -> None:
    """A run drawing its durations gives the same times for one seed, other times for another."""
    scenario = parse_scenario(
        textwrap.dedent("""\
        machine: {cpus: 2}
        threads:
          - {name: a, program: [compute: {exponential: 2}, sleep: {uniform: [1, 3]}, io: {exponential: 1}]}
          - {name: b, burst: {lognormal: {mean: 3, sd: 1}}, arrival: {exponential: 1}}
        """),
        "s.yaml",
    )

    def times(seed: int) -> list[tuple[int, int | None]]:
        return [(t.arrival, t.completion) for t in simulate(scenario, seed=seed).threads]

    assert times(4) == times(4)
    assert times(4) != times(5)


def test_distribution_errors_are_located() -> None:
    """Bad parameters are reported at their place, with what was expected."""
    assert errors_of("""\
        threads:
          - {name: A, burst: {exponential: 0}}
          - {name: B, burst: {uniform: [3, 1]}}
          - {name: C, program: [sleep: {normal: {mean: 1}}]}
          - {name: D, program: [io: {choice: []}]}
          - {name: F, program: [compute: {lognormal: {mean: 0, sd: 1}}]}
          - {name: G, program: [compute: {duration: {exponential: 1}, jitter: 1}]}
          - {name: L, program: [sleep: {normal: {mean: 1, sd: -1}}]}
          - {name: M, program: [sleep: {uniform: 3}]}
          - {name: N, program: [sleep: {exponential: [1]}]}
          - {name: O, program: [sleep: {normal: {mean: 1, sd: 1, skew: 2}}]}
        """) == [
        "s.yaml:2:36: threads[0].burst.exponential: an exponential's mean must be positive",
        "s.yaml:3:32: threads[1].burst.uniform: uniform needs LOW <= HIGH, got [3, 1]",
        "s.yaml:4:41: threads[2].program[0].sleep.normal: normal needs 'sd', as in {normal: {mean: 5, sd: 1}}",
        "s.yaml:5:38: threads[3].program[0].io.choice: choice needs at least one duration, as in {choice: [1, 5, 20]}",
        "s.yaml:6:53: threads[4].program[0].compute.lognormal.mean: a lognormal's mean must be positive",
        "s.yaml:7:71: threads[5].program[0].compute.jitter: a duration drawn from a distribution takes no jitter",
        "s.yaml:8:55: threads[6].program[0].sleep.normal.sd: duration must not be negative, got -1",
        "s.yaml:9:42: threads[7].program[0].sleep.uniform: uniform takes [LOW, HIGH], as in {uniform: [2, 8]}, "
        "got an integer",
        "s.yaml:10:46: threads[8].program[0].sleep.exponential: exponential takes its mean, as in "
        "{exponential: 5}, got a list",
        "s.yaml:11:58: threads[9].program[0].sleep.normal.skew: unknown key 'skew' in normal",
    ]


def test_a_drawn_timeout_is_drawn_when_the_wait_starts() -> None:
    """Nobody notifies: the wait ends at its drawn timeout, the same for one seed, never the mean exactly."""
    scenario = parse_scenario(
        textwrap.dedent("""\
        processes:
          - name: p
            sync: {m: mutex, cv: {condition: m}}
            threads:
              - {name: t, program: [lock: m, wait: {cond: cv, timeout: {uniform: [1, 9]}}, unlock: m]}
        """),
        "s.yaml",
    )
    ends = [simulate(scenario, seed=seed).threads[0].completion for seed in (0, 0, 1)]
    assert ends[0] == ends[1] != ends[2]
    assert all(MS <= end <= 9 * MS and end != 5 * MS for end in ends)  # type: ignore[operator]
