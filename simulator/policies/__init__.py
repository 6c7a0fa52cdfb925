"""Scheduling policies: the interface and the registry of known policies."""

from simulator.policies.base import Parameter, Policy, ReadyReason
from simulator.policies.registry import (
    POLICIES,
    PolicyError,
    build_policy_spec,
    describe_value,
    make_policy,
    parse_policy_text,
)

__all__ = [
    "POLICIES",
    "Parameter",
    "Policy",
    "PolicyError",
    "ReadyReason",
    "build_policy_spec",
    "describe_value",
    "make_policy",
    "parse_policy_text",
]
