"""Mutants of the shipped scenarios (keys and items deleted, duplicated, retyped) never crash threadsim:
`validate` and `run` exit 0, 1 or 2 on every one, without a traceback (issue 16, item 7)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from simulator.cli import main

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
MUTANTS_PER_SCENARIO = 5
#: What a value may be retyped to: each type a scenario uses, and the edges of each.
REPLACEMENTS: tuple[object, ...] = (None, True, 0, -1, 1, 2**63 - 1, "", "x", "5us", "-3", "x + 1", "(", [],
                                    [1], {}, {"name": "x"}, 0.5, "nope")  # fmt: skip


def places(value: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """The path of every key and item in `value`, in document order."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from places(item, (*path, index))


def mutate(document: object, rng: random.Random) -> object:
    """`document` with one to three random mutations: delete, duplicate or retype a key or an item, or
    rename a key (to a key of another type or another known key)."""
    for _ in range(rng.randint(1, 3)):
        targets = list(places(document))
        if not targets:
            break
        *parent_path, last = rng.choice(targets)
        parent = document
        for part in parent_path:
            parent = parent[part]  # type: ignore[index]
        action = rng.choice(("delete", "duplicate", "retype", "retype", "rekey"))
        if action == "delete":
            del parent[last]  # type: ignore[attr-defined]
        elif action == "duplicate" and isinstance(parent, list):
            parent.insert(int(str(last)), parent[int(str(last))])
        elif action == "duplicate" and isinstance(parent, dict):
            parent[f"{last}_copy"] = parent[last]  # a key repeated under a new name (YAML refuses a duplicate)
        elif action == "rekey" and isinstance(parent, dict):
            new_key = rng.choice((1, True, None, "", "name", "x", "do"))  # a key of another type, or another key
            if new_key not in parent:
                parent[new_key] = parent.pop(last)
        else:
            parent[last] = rng.choice(REPLACEMENTS)  # type: ignore[index]
    return document


def mutants() -> Iterator[tuple[str, str]]:
    """(id, YAML text) of every mutant: fixed seeds, so the same mutants every run."""
    for path in SCENARIOS:
        text = path.read_text(encoding="utf-8")
        for number in range(MUTANTS_PER_SCENARIO):
            rng = random.Random(f"{path.name}:{number}")  # a seeded instance: deterministic, no global state
            document = mutate(yaml.safe_load(text), rng)
            yield f"{path.stem}-{number}", yaml.safe_dump(document, sort_keys=False)


MUTANTS = list(mutants())


@pytest.mark.parametrize(("name", "text"), MUTANTS, ids=[name for name, _ in MUTANTS])
def test_a_mutant_validates_and_runs_without_a_traceback(tmp_path: Path, name: str, text: str) -> None:
    """Exit status 0, 1 or 2, and no exception but SystemExit, for validate and for a short run."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    runner = CliRunner()
    for args in (["validate", str(path)], ["run", str(path), "--max-steps", "2000", "--report", "json"]):
        result = runner.invoke(main, args)
        assert result.exit_code in (0, 1, 2), f"{args[0]} {name}: exit {result.exit_code}\n{result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{args[0]} {name} crashed: {result.exception!r}\n{text}"
        )
