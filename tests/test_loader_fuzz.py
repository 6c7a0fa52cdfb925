"""A user mistake in a scenario is never a crash: random documents built from the scenario vocabulary
either load or raise InputErrors with a location, nothing else."""

from __future__ import annotations

import contextlib

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import parse_scenario
from simulator.errors import InputErrors

WORDS = ["name", "time_unit", "seed", "machine", "cpus", "policy", "quantum", "context_switch", "devices",
         "servers", "processes", "threads", "program", "burst", "arrival", "priority", "compute", "sleep", "io",
         "yield", "exit", "repeat", "times", "do", "while", "cond", "if", "then", "else", "load", "store",
         "var", "into", "value", "let", "reg", "incr", "atomic", "op", "lock", "unlock", "acquire", "release",
         "wait", "notify", "put", "get", "queue", "spawn", "join", "fork", "start", "memory", "sync", "mutex",
         "semaphore", "condition", "event", "barrier", "expect", "gil", "affinity", "tickets", "nice", "ipc",
         "channel", "rr", "fcfs", "sjf", "x", "m", "T1", "p", "counter", "duration", "jitter", "queues",
         "per_cpu", "releases_gil", "switch_interval", "no_data_race", "tiebreak", "random"]  # fmt: skip
scalars = st.one_of(
    st.sampled_from(WORDS), st.integers(-5, 50), st.booleans(), st.none(), st.just("x + 1"), st.just("5ms"),
    st.just("1.5"), st.just("r <"), st.just("p.counter == 2"),
)  # fmt: skip
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(WORDS), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(WORDS), documents, min_size=1, max_size=6))
def test_random_documents_load_or_fail_with_located_errors(document: dict) -> None:  # type: ignore[type-arg]
    """Either a scenario, or InputErrors whose every line is FILE:LINE:COL: PATH: message."""
    text = yaml.safe_dump(document)
    try:
        parse_scenario(text, "fuzz.yaml")
    except InputErrors as errors:
        assert errors.errors
        for error in errors.errors:
            assert str(error).startswith("fuzz.yaml:") and error.location.line >= 1


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes_the_loader(text: str) -> None:
    """Even text that is not YAML at all gives InputErrors, not an exception."""
    with contextlib.suppress(InputErrors):
        parse_scenario(text, "fuzz.yaml")
