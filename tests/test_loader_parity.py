"""The C parser (libyaml) and the pure-Python one give identical scenarios, positions and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.errors import InputError
from simulator.scenario.loader import scenario_from_source
from simulator.scenario.source import FAST_LOADER, Source, parse_source

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
BAD = [
    "a:\n  b: 1\n c: 2\n",  # indentation
    "a:\n  - 1\n - 2\n",
    "a: 1\n  b: 2\n",
    "a:\n\tb: 1\n",
    "- a\nb: 1\n",
    "a: [1, 2\n",
    "a: {b: 1\n",
    "a: 'open\n",
    "a: *nowhere\n",
    "a: &x 1\nb: &x 2\nc: *x\n",
    "--- 1\n--- 2\n",
    "a: b: c\n",
    "? [a]\n: 1\n",
    "a: !!python/name:os.system x\n",
    "a: 1\na: 2\n",
    "x: \x07\n",
    "%YAML 9.9\n--- a\n",
    "a: " + "[" * 120 + "]" * 120 + "\n",
    "a: " + "[" * 600 + "]" * 600 + "\n",
    "a: " + "[" * 1500 + "]" * 1500 + "\n",
    "a: 1.0e+999999999\n",
    "a: " + "9" * 5000 + "\n",
    "a: !!timestamp nope\n",
    "a: !!bool maybe\n",
    "a: &x [1, *x]\n",
]

pytestmark = pytest.mark.skipif(FAST_LOADER is None, reason="PyYAML without libyaml")


def both(text: str, name: str) -> tuple[Source | str, Source | str]:
    """The result of each parser: the Source, or the error it raised as text."""
    results: list[Source | str] = []
    for fast in (True, False):
        try:
            results.append(parse_source(text, name, fast=fast))
        except InputError as error:
            results.append(str(error))
    return results[0], results[1]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.name)
def test_shipped_scenarios_load_identically_with_either_parser(path: Path) -> None:
    """Same data, same positions of every value and key, same quoted scalars, same Scenario."""
    fast, pure = both(path.read_text(encoding="utf-8"), path.name)
    assert isinstance(fast, Source) and isinstance(pure, Source)
    assert fast.data == pure.data
    assert fast.positions == pure.positions
    assert fast.key_positions == pure.key_positions
    assert fast.quoted == pure.quoted
    assert scenario_from_source(fast, path.stem) == scenario_from_source(pure, path.stem)


@pytest.mark.parametrize("text", BAD, ids=range(len(BAD)))
def test_bad_files_give_the_same_error_with_either_parser(text: str) -> None:
    """Same message at the same line and column."""
    fast, pure = both(text, "bad.yaml")
    assert isinstance(fast, str) and fast == pure


def test_aliases_load_identically_with_either_parser() -> None:
    """An aliased list is shared, and positions inside it point at the anchor, with either parser."""
    fast, pure = both("a: &a [x, {y: 1}]\nb: [*a, *a]\n", "f.yaml")
    assert isinstance(fast, Source) and isinstance(pure, Source)
    assert fast.data == pure.data == {"a": ["x", {"y": 1}], "b": [["x", {"y": 1}], ["x", {"y": 1}]]}
    assert fast.positions == pure.positions
    assert str(fast.location(("b", 1, 1, "y"))) == "f.yaml:1:4: b[1][1].y"
