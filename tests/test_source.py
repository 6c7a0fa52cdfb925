"""Tests of simulator.scenario.source: safe YAML with positions and exact decimals."""

from decimal import Decimal

import pytest

from simulator.errors import InputError
from simulator.scenario.source import format_path, load_source, parse_source


def test_positions_are_recorded_for_nested_values() -> None:
    """Every value's line and column is known by its path."""
    source = parse_source("a:\n  b:\n    - x\n    - {c: 1}\n", "f.yaml")
    location = source.location(("a", "b", 1, "c"))
    assert (location.line, location.column) == (4, 11)
    assert str(source.location(("a", "b", 0))) == "f.yaml:3:7: a.b[0]"


def test_location_of_a_missing_path_falls_back_to_the_nearest_ancestor() -> None:
    """An error about a key that is absent points at the mapping that lacks it."""
    source = parse_source("a:\n  b: 1\n", "f.yaml")
    location = source.location(("a", "missing"))
    assert (location.line, location.column, location.path) == (2, 3, "a.missing")


def test_decimals_are_read_exactly_from_their_text() -> None:
    """0.1 is Decimal('0.1'), never the float 0.1000000000000000055..."""
    assert parse_source("x: 0.1\n", "f").data == {"x": Decimal("0.1")}


def test_duplicate_keys_are_errors() -> None:
    """YAML would silently keep the last duplicate; a scenario must not."""
    with pytest.raises(InputError) as caught:
        parse_source("a: 1\na: 2\n", "f.yaml")
    assert str(caught.value) == "f.yaml:2:1: (top): duplicate key 'a'"


def test_unsafe_tags_are_refused() -> None:
    """Safe loading: Python object tags are errors, never executed."""
    with pytest.raises(InputError) as caught:
        parse_source("a: !!python/object/apply:os.system ['true']\n", "f.yaml")
    assert str(caught.value) == "f.yaml:1:4: a: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'"
    with pytest.raises(InputError, match="unsupported YAML value"):
        parse_source("a: !!python/name:os.system\n", "f.yaml")


@pytest.mark.parametrize("text", ["x: .inf\n", "x: .nan\n"])
def test_non_finite_numbers_are_errors(text: str) -> None:
    """Infinities and NaN are not numbers a scenario can use."""
    with pytest.raises(InputError, match="is not a finite number"):
        parse_source(text, "f.yaml")


def test_malformed_yaml_points_at_the_problem() -> None:
    """A syntax error reports YAML's own line and column."""
    with pytest.raises(InputError) as caught:
        parse_source("a: [1,\n", "f.yaml")
    assert str(caught.value).startswith("f.yaml:2:1: (top): invalid YAML: ")


def test_missing_and_empty_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A missing file and an empty file are input errors, not crashes."""
    with pytest.raises(InputError, match="no such file"):
        load_source(tmp_path / "nope.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(InputError, match="the file is empty"):
        load_source(empty)


def test_format_path() -> None:
    """Paths read like the scenario's structure."""
    assert format_path(("processes", 0, "threads", 1, "program", 2)) == "processes[0].threads[1].program[2]"
    assert format_path(()) == "(top)"
