"""Tests of simulator.policies: the registry, parameter parsing, and the fcfs/rr queues."""

import pytest

from simulator.policies import POLICIES, PolicyError, build_policy_spec, make_policy, parse_policy_text
from simulator.scenario.model import PolicySpec


def test_every_policy_is_listed_with_a_summary() -> None:
    """The registry holds every policy, each with a summary and documented parameters."""
    assert list(POLICIES) == ["fcfs", "rr", "sjf", "srtf", "priority", "mlfq", "lottery", "stride", "cfs"]
    assert all(parameter.help for policy in POLICIES.values() for parameter in policy.parameters)
    assert all(policy.summary for policy in POLICIES.values())
    assert [p.name for p in POLICIES["rr"].parameters] == ["quantum", "timer"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fcfs", PolicySpec("fcfs")),
        ("rr", PolicySpec("rr", (("quantum", 10_000_000),))),
        ("rr:quantum=4", PolicySpec("rr", (("quantum", 4_000_000),))),
        ("rr: quantum = 250us", PolicySpec("rr", (("quantum", 250_000),))),
        ("rr:quantum=0.5", PolicySpec("rr", (("quantum", 500_000),))),
    ],
)
def test_policy_text_is_parsed_with_defaults_filled_in(text: str, expected: PolicySpec) -> None:
    """--policy NAME[:KEY=VALUE,...] with durations in the time unit."""
    assert parse_policy_text(text, "ms") == expected


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (
            "round-robin",
            None,
            "unknown policy 'round-robin' (known: fcfs, rr, sjf, srtf, priority, mlfq, lottery, stride, cfs)",
        ),
        ("sjf:estimate=guess", "estimate", "estimate must be one of remaining, next_burst, got 'guess'"),
        ("mlfq:queues=0", "queues", "queues must be at least 1"),
        ("rr:quantum", None, "expected KEY=VALUE in 'rr:quantum', got 'quantum'"),
        ("rr:quantum=0", "quantum", "quantum must be positive"),
        ("fcfs:quantum=3", "quantum", "policy 'fcfs' has no parameter 'quantum' (parameters: order, wakeup, io_wait)"),
        ("rr:quantum=fast", "quantum", "expected a duration such as 5, 0.4 or \"250us\", got 'fast'"),
    ],
)
def test_bad_policy_text_says_what_is_wrong(text: str, key: str | None, message: str) -> None:
    """Unknown names and parameters, and bad values, are reported with the parameter at fault."""
    with pytest.raises(PolicyError) as caught:
        parse_policy_text(text, "ms")
    assert (caught.value.key, caught.value.message) == (key, message)


def test_policy_name_must_be_a_string() -> None:
    """A YAML policy name that is not a string is an error, not a crash."""
    with pytest.raises(PolicyError, match="policy name must be a string, got an integer"):
        build_policy_spec(3, {}, "ms")


def test_fcfs_and_rr_queues_are_fifo() -> None:
    """Both pick in the order threads became ready; rr's slice is its quantum, fcfs has none."""
    fcfs = make_policy(PolicySpec("fcfs"))
    rr = make_policy(PolicySpec("rr", (("quantum", 7),)))
    for policy in (fcfs, rr):
        for thread in ("a", "b", "c"):
            policy.add(thread, "arrival")  # type: ignore[arg-type]
        assert len(policy) == 3
        assert [policy.pick(0) for _ in range(4)] == ["a", "b", "c", None]
    assert (fcfs.time_slice("a"), rr.time_slice("a")) == (None, 7)  # type: ignore[arg-type]
    assert not fcfs.preemptive and not rr.preemptive


def test_a_parameter_given_twice_on_the_command_line_is_refused() -> None:
    """A file refuses a duplicate key; `--policy rr:quantum=1,quantum=2` used to keep the last one silently."""
    with pytest.raises(PolicyError, match="quantum is given twice"):
        parse_policy_text("rr:quantum=1,quantum=2", "ms")
