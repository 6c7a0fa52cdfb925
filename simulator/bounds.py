"""The default bounds of runs and searches: what `--max-steps`, `--max-steps-per-instant` and
`--shrink-budget` are when not given.

They live here, apart from the modules that apply them, so that the command line can show them in its help
without importing the kernel or the explorer (`threadsim --help` stays quick).
"""

from __future__ import annotations

#: The default step bound: a run that executes more operations than this stops with a violation.
DEFAULT_MAX_STEPS = 10_000_000
#: The step bound bounds a run's events too: a run stops after this many engine events per step of its bound
#: (10,000,000 steps: 100,000,000 events, about as many minutes as the steps take). Events that take no step
#: (quantum expiries, a policy's timer, GIL hand-overs, context switches) would otherwise go on for ever
#: under a 1 ns quantum and a long compute, without the step bound ever being reached.
EVENTS_PER_STEP = 10
#: The steps one thread may take at one instant (simulated time standing still) before the run stops as a
#: livelock: a zero-time spin is caught in a fraction of a second instead of at the step bound.
DEFAULT_MAX_INSTANT_STEPS = 10_000
#: How many steps one explored run may take before it counts as a step-bound failure (--max-steps of explore
#: and replay): lower than a plain run's, as a search runs thousands of schedules, and a schedule that starves
#: a lock holder while another thread spins (with time passing) would otherwise take 10,000,000 steps.
EXPLORE_MAX_STEPS = 200_000
#: Schedules shrinking may run for one failure, unless told otherwise (--shrink-budget).
SHRINK_BUDGET = 1000
#: Schedules random and pct run when --runs (explore's `runs`) is not given; dfs runs every schedule within
#: its bound.
DEFAULT_RUNS = 1000
