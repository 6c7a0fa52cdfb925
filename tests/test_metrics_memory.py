"""Tests of RunMetrics.memory (simulator.analysis.metrics.Memory): a read-only, ordered, hashable mapping."""

from __future__ import annotations

import pickle
from collections.abc import Mapping

import pytest

from simulator import Memory, ProcessMemory, load_scenario, simulate
from tests.conftest import run_yaml

FORKS = """\
machine: {cpus: 1, policy: fcfs}
processes:
  - name: p
    memory: {z: 1, a: 2}
    threads: [{name: T, program: [{store: {var: a, value: 5}}, {fork: c}]}]
  - name: c
    start: forked
    threads: [{name: U, program: [{store: {var: z, value: 9}}]}]
  - name: quiet
    threads: [{name: Q, burst: 1}]
"""


def test_memory_maps_each_instance_to_its_variables_in_order() -> None:
    """Instances in the order they started, variables in declaration order; a process without memory is
    left out; lookups, len, iteration and equality with dicts work as for a read-only dict."""
    memory = run_yaml(FORKS).memory
    assert isinstance(memory, Mapping) and isinstance(memory, Memory)
    assert list(memory) == ["p", "c"] and len(memory) == 2
    assert isinstance(memory["c"], ProcessMemory) and list(memory["c"].items()) == [("z", 9), ("a", 5)]
    assert memory == {"p": {"z": 1, "a": 5}, "c": {"z": 9, "a": 5}}
    assert memory["p"]["a"] == 5 and memory.get("quiet") is None
    with pytest.raises(TypeError):
        memory["p"]["a"] = 1  # type: ignore[index]


def test_memory_is_hashable_and_pickles() -> None:
    """Equal memories hash alike (a set of the outcomes of many schedules), and survive pickling (runs
    come back from --jobs workers)."""
    first, second = run_yaml(FORKS).memory, run_yaml(FORKS).memory
    assert hash(first) == hash(second) and len({first, second}) == 1
    assert pickle.loads(pickle.dumps(first)) == first
    assert repr(first["p"]) == "ProcessMemory({'z': 1, 'a': 5})"


def test_a_run_without_memory_has_an_empty_memory() -> None:
    """No process declares memory: an empty Memory, false."""
    memory = simulate(load_scenario("scenarios/rr-textbook.yaml")).memory
    assert memory == {} and not memory
