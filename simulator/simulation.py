"""Running a scenario: the one function most callers need, and command-line style overrides."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

import attrs

from simulator.analysis.metrics import RunMetrics, collect_metrics
from simulator.bounds import DEFAULT_MAX_STEPS
from simulator.chooser import Strategy
from simulator.model.kernel import DEFAULT_MAX_INSTANT_STEPS, Kernel
from simulator.notebook import RunSource, remember_run
from simulator.scenario.model import PolicySpec, Scenario
from simulator.trace import Listener
from simulator.validation import remember_variant, validate


def simulate(
    scenario: Scenario,
    *,
    seed: int | None = None,
    until: int | None = None,
    max_steps: int | None = DEFAULT_MAX_STEPS,
    listeners: Sequence[Listener] = (),
    strategy: Strategy | None = None,
    max_instant_steps: int | None = DEFAULT_MAX_INSTANT_STEPS,
    watch: Callable[[Callable[[], tuple[int, int]]], AbstractContextManager[object]] | None = None,
) -> RunMetrics:
    """Run `scenario` once and return its metrics.

    `seed` defaults to the scenario's, or to the strategy's if it draws one (`schedules(seeds=True)` of
    simulator.strategies); `until` (ns) stops the run early; `max_steps` bounds the number of operations
    executed, and the engine's events at 10 per step (simulator.bounds.EVENTS_PER_STEP: quantum expiries and
    timers take no step) (None: no bound); `max_instant_steps` bounds the steps one thread may take while simulated time
    stands still before the run stops as a livelock (None: no bound; see
    simulator.analysis.livelock). Each listener is called with every trace event, in order. `strategy`
    makes the scheduling decisions of a controlled run (see simulator.exploration). `watch`, if given, is
    entered around the run with a probe returning (simulated time, steps so far), for progress shown from
    another thread (simulator.output.run_progress). A scenario built in Python is validated first as a file
    would be (`simulator.validation.validate`; raises ScenarioError); one validated before, or loaded from a
    file, is not checked again.
    """
    scenario = validate(scenario)
    if until is not None and until < 0:
        raise ValueError(f"until must not be negative, got {until}")
    if max_steps is not None and max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps}")
    if max_instant_steps is not None and max_instant_steps < 1:
        raise ValueError(f"max_instant_steps must be at least 1, got {max_instant_steps}")
    run_seed = scenario.seed if seed is None else seed
    drawn = getattr(strategy, "seed", None)  # a schedule that draws the seed too (simulator.strategies)
    if drawn is not None:
        if seed is not None and seed != drawn:
            raise ValueError(f"the strategy draws the run's seed ({drawn}): pass no seed (got {seed})")
        run_seed = drawn
    kernel = Kernel(
        scenario,
        seed=run_seed,
        listeners=listeners,
        max_steps=max_steps,
        strategy=strategy,
        max_instant_steps=max_instant_steps,
    )
    if watch is None:
        kernel.run(until)
    else:
        with watch(lambda: (kernel.engine.now, kernel.steps)):
            kernel.run(until)
    metrics = collect_metrics(kernel, seed=run_seed)
    # How to run it again, for the notebook views (simulator.notebook): the chart needs the trace.
    decisions = None if strategy is None else tuple(kernel.chooser.decisions)
    delays = strategy is None or strategy.offers_delays
    remember_run(metrics, RunSource(scenario, run_seed, until, max_steps, decisions, delays))
    return metrics


def with_overrides(
    scenario: Scenario,
    *,
    cpus: int | None = None,
    policy: PolicySpec | None = None,
    context_switch: int | None = None,
) -> Scenario:
    """The scenario with its machine's CPUs, policy or context-switch cost replaced where given."""
    machine = scenario.machine
    if cpus is not None:
        if cpus < 1:
            raise ValueError(f"cpus must be at least 1, got {cpus}")
        for thread in scenario.threads():
            if thread.affinity is not None and min(thread.affinity) >= cpus:
                raise ValueError(f"thread {thread.name} may only run on CPUs {list(thread.affinity)}, "
                                 f"which a machine of {cpus} CPUs does not have")  # fmt: skip
        machine = attrs.evolve(machine, cpus=cpus)
    if policy is not None:
        machine = attrs.evolve(machine, policy=policy)
    if context_switch is not None:
        if context_switch < 0:
            raise ValueError(f"context_switch must not be negative, got {context_switch}")
        machine = attrs.evolve(machine, context_switch=context_switch)
    return remember_variant(scenario, attrs.evolve(scenario, machine=machine))
