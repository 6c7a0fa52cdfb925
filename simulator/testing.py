"""threadsim's pytest plugin: explore a test's scenario, fail the test with a shrunk, replayable schedule.

Installed with threadsim (entry point `pytest11`); without the installed entry point, load it with
`-p simulator.testing` or `pytest_plugins = ["simulator.testing"]`. A test returns a scenario (loaded from
a file or built with `simulator.builder`) and the decorator explores it:

    from simulator import load_scenario
    from simulator.testing import explore

    @explore(runs=200, strategy="random")
    def test_counter():
        return load_scenario("scenarios/counter-incr.yaml")

The test fails when a schedule shows a violation (an `expect` that is false, an assertion, a deadlock, a
data race under `no_data_race`, a misuse), or when `check(metrics)`, if given, raises AssertionError for
a schedule's RunMetrics. Its message shows each distinct failure, shrunk to the fewest
preemptions, with its replay token, its decisions and the interleaving of that schedule (the accesses to
shared memory and the thread switches between them). The fixture `threadsim_explore` does the same inside
a test body, for tests that want to look at the result: `result = threadsim_explore(scenario, runs=50)`.

Options: `--threadsim-runs N` (runs of every threadsim test), `--threadsim-seed N` (the first seed),
`--threadsim-replay TOKEN` (replay that schedule in the tests whose scenario it was made for; skip the
others), `--threadsim-database DIR` (the failure database; default `.threadsim` under the rootdir, or
$THREADSIM_DATABASE; `--threadsim-database ""` turns it off).

The failure database: every failure found is saved; the next run replays the saved schedules of the
scenario before exploring, so a found bug keeps failing, with the same schedule, until it is fixed (then
its entry is forgotten).
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest

from simulator.api import explore as explore_scenario
from simulator.api import replay, scenario_hash_of
from simulator.bounds import DEFAULT_MAX_INSTANT_STEPS, EXPLORE_MAX_STEPS
from simulator.exploration.database import DEFAULT_ROOT, ENVIRONMENT
from simulator.exploration.interleaving import explain
from simulator.exploration.results import Check, ExploreResult, FailureReport, check_violations
from simulator.exploration.tokens import ReplayToken, decode
from simulator.scenario.model import Scenario

F = TypeVar("F", bound=Callable[..., Any])


@attrs.frozen
class Settings:
    """How the plugin's command-line options change every threadsim test (None: as the test says)."""

    runs: int | None = None
    seed: int | None = None
    replay: str | None = None
    #: --threadsim-database as given (None: not given; "": no database).
    database: str | None = None
    #: The session's rootdir; None outside a pytest session with the plugin (then there is no database).
    rootpath: Path | None = None

    def database_path(self) -> Path | None:
        """The failure database to use now: the option's, else $THREADSIM_DATABASE's (read at each test, so
        that a test may change it), else `.threadsim`; relative paths under the rootdir."""
        if self.rootpath is None:
            return None
        given = self.database if self.database is not None else os.environ.get(ENVIRONMENT, DEFAULT_ROOT)
        if not given:
            return None
        path = Path(given)
        return path if path.is_absolute() else self.rootpath / path


#: The settings of the pytest session the plugin is loaded into (defaults without one), and those of the
#: sessions around it (a session run inside a test, as pytester runs one, gives the outer one's back).
_settings = Settings()
_outer: list[Settings] = []


class ThreadsimFailure(AssertionError):
    """A schedule of the test's scenario failed; the message says how and how to replay it."""


def explore(
    *,
    runs: int | None = None,
    strategy: str = "random",
    preemption_bound: int = 2,
    depth: int = 2,
    seed: int = 0,
    jobs: int = 1,
    time_budget: float | None = None,
    check: Check | None = None,
) -> Callable[[F], F]:
    """Decorate a test that returns a Scenario: explore it (`simulator.api.explore`'s arguments) and fail
    the test with each failure found, shrunk. `check(metrics)`, if given, is called with every schedule's
    RunMetrics and fails the schedule by raising AssertionError. `--threadsim-runs` and `--threadsim-seed`
    override `runs` and `seed`."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def test(*args: Any, **kwargs: Any) -> None:
            __tracebackhide__ = True  # pytest shows the user's test and the failure, not the plugin's frames
            scenario = function(*args, **kwargs)
            if not isinstance(scenario, Scenario):
                raise TypeError(f"{function.__name__} must return the Scenario to explore, "
                                f"got {type(scenario).__name__}")  # fmt: skip
            explore_or_fail(scenario, runs=runs, strategy=strategy, preemption_bound=preemption_bound,
                            depth=depth, seed=seed, jobs=jobs, time_budget=time_budget, check=check)  # fmt: skip

        # pytest reads the signature for fixtures: the wrapper asks for the same ones.
        test.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
        return test  # type: ignore[return-value]

    return decorate


def explore_or_fail(
    scenario: Scenario,
    *,
    runs: int | None = None,
    strategy: str = "random",
    preemption_bound: int = 2,
    depth: int = 2,
    seed: int = 0,
    jobs: int = 1,
    time_budget: float | None = None,
    check: Check | None = None,
) -> ExploreResult:
    """Explore `scenario` (`simulator.api.explore`'s arguments) with the session's options applied; raise
    ThreadsimFailure if a schedule fails (or the token of `--threadsim-replay`, made for this scenario,
    fails); the result otherwise."""
    __tracebackhide__ = True
    settings = _settings
    if settings.replay is not None:
        _check_replay(scenario, settings.replay, check)
    result = explore_scenario(
        scenario, strategy, runs=settings.runs or runs, preemption_bound=preemption_bound, depth=depth,
        seed_start=seed if settings.seed is None else settings.seed, jobs=jobs, time_budget=time_budget,
        database=settings.database_path(), check=check,
    )  # fmt: skip
    if result.failed:
        raise ThreadsimFailure(failure_message(scenario, result))
    return result


def _check_replay(scenario: Scenario, token: str, check: Check | None) -> None:
    __tracebackhide__ = True
    recorded = decode(token)
    if recorded.scenario_hash != scenario_hash_of(scenario):
        pytest.skip(f"--threadsim-replay {token}: made for another scenario")
    metrics = replay(scenario, recorded)
    violations = [*metrics.violations, *(check_violations(check, metrics) if check is not None else ())]
    if violations:
        lines = [f"replayed {token}: {len(violations)} violation{'s' if len(violations) != 1 else ''}"]
        lines += [f"  {violation.kind}: {violation.message}" for violation in violations]
        lines += _interleaving(scenario, recorded)
        raise ThreadsimFailure("\n".join(lines))
    pytest.skip(f"--threadsim-replay {token}: the schedule passes")


def failure_message(scenario: Scenario, result: ExploreResult) -> str:
    """What a failing threadsim test says: each failure, its token, decisions and interleaving."""
    distinct = f"{len(result.failures)} distinct failure{'' if len(result.failures) == 1 else 's'}"
    lines = [f"threadsim: scenario {result.scenario}: {result.runs} schedules ({result.strategy}), {distinct}"]
    for saved in result.saved:
        if saved.still_fails:
            lines.append(f"saved failure still fails: {saved.kind}: {saved.message}")
            lines.append(f"  replay token: {saved.token}")
    for failure in result.failures:
        lines += _failure_lines(scenario, failure)
    return "\n".join(lines)


def _failure_lines(scenario: Scenario, failure: FailureReport) -> Iterator[str]:
    yield f"{failure.kind}: {failure.message}"
    yield (
        f"  found in {failure.runs} of the schedules (first: schedule {failure.first_run}); shrunk to "
        f"{failure.decision_counts()}"
    )
    yield f"  replay token: {failure.token}  (pytest --threadsim-replay {failure.token})"
    yield from ("  " + line for line in _interleaving(scenario, decode(failure.token)))


def _interleaving(scenario: Scenario, token: ReplayToken) -> list[str]:
    """The schedule's interleaving as the explorer and `threadsim replay --explain` show it: each thread's
    steps in order, the explorer's decisions marked `>>`, conflicting accesses `!`, the end state."""
    return explain(scenario, token.seed, token.decisions, max_steps=EXPLORE_MAX_STEPS,
                   max_instant_steps=DEFAULT_MAX_INSTANT_STEPS, delays=token.delays)  # fmt: skip


@pytest.fixture
def threadsim_explore() -> Callable[..., ExploreResult]:
    """`threadsim_explore(scenario, **options)`: what `@explore` does, inside a test (raises
    ThreadsimFailure on a failing schedule, else returns the ExploreResult)."""
    return explore_or_fail


# -- pytest hooks ----------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("threadsim", "threadsim: explore thread schedules")
    group.addoption("--threadsim-runs", type=int, default=None, help="schedules every threadsim test runs")
    group.addoption("--threadsim-seed", type=int, default=None, help="the first seed of random and pct searches")
    group.addoption("--threadsim-replay", default=None, metavar="TOKEN",
                    help="replay this token in the threadsim tests whose scenario it was made for")  # fmt: skip
    group.addoption("--threadsim-database", default=None, metavar="DIR",
                    help=f"the failure database (default: ${ENVIRONMENT} or {DEFAULT_ROOT} in the rootdir; "
                    '"" for none)')  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    global _settings
    runs = config.getoption("--threadsim-runs")
    if runs is not None and runs < 1:
        raise pytest.UsageError(f"--threadsim-runs must be at least 1, got {runs}")
    token = config.getoption("--threadsim-replay")
    if token is not None:
        try:
            decode(token)
        except ValueError as error:
            raise pytest.UsageError(f"--threadsim-replay: {error}") from None
    _outer.append(_settings)
    _settings = Settings(runs, config.getoption("--threadsim-seed"), token, config.getoption("--threadsim-database"),
                         Path(config.rootpath))  # fmt: skip


def pytest_unconfigure(config: pytest.Config) -> None:
    global _settings
    _settings = _outer.pop() if _outer else Settings()
