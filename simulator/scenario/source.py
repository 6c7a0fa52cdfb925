"""Read a YAML file safely into plain values, remembering where each value came from.

PyYAML's safe composer builds the node tree; this module turns it into dicts, lists and scalars and keeps
a map from each value's path to its (line, column) so that every later error can point at the file.
Decimals are read exactly from their text (as `Decimal`), never through a float. Duplicate keys are errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs
import yaml

from simulator.errors import InputError, Location

PathKey = tuple[str | int, ...]

_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


def format_path(path: Sequence[str | int]) -> str:
    """`('processes', 0, 'threads', 1)` -> `processes[0].threads[1]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(top)"


@attrs.frozen
class Source:
    """A parsed YAML document and the position of every value in it."""

    file: str
    data: object
    positions: dict[PathKey, tuple[int, int]] = attrs.field(eq=False, repr=False)
    key_positions: dict[PathKey, tuple[int, int]] = attrs.field(factory=dict, eq=False, repr=False)
    #: Paths of quoted scalars (their text starts one column after the quote).
    quoted: set[PathKey] = attrs.field(factory=set, eq=False, repr=False)

    def text_location(self, path: PathKey, offset: int) -> Location:
        """The location of character `offset` inside the scalar text at `path` (for expression errors)."""
        location = self.location(path)
        shift = offset + (1 if tuple(path) in self.quoted else 0)
        return attrs.evolve(location, column=location.column + shift)

    def location(self, path: PathKey, *, at_key: bool = False) -> Location:
        """The location of the value at `path` (of its key, with `at_key`), or of its nearest ancestor."""
        if at_key and tuple(path) in self.key_positions:
            line, column = self.key_positions[tuple(path)]
            return Location(self.file, line, column, format_path(path))
        probe = tuple(path)
        while probe not in self.positions and probe:
            probe = probe[:-1]
        line, column = self.positions.get(probe, (1, 1))
        return Location(self.file, line, column, format_path(path))

    def error(self, path: PathKey, message: str, *, at_key: bool = False) -> InputError:
        """An input error at `path` (pointing at its key, with `at_key`)."""
        return InputError(self.location(path, at_key=at_key), message)


def load_source(path: str | Path, *, display_name: str | None = None) -> Source:
    """Read and parse the YAML file at `path`. Raises InputError for any problem with the file."""
    name = display_name or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(Location(name, 1, 1, "(top)"), "no such file") from None
    except IsADirectoryError:
        raise InputError(Location(name, 1, 1, "(top)"), "is a directory, not a scenario file") from None
    except UnicodeDecodeError as exc:
        raise InputError(Location(name, 1, 1, "(top)"), f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(Location(name, 1, 1, "(top)"), f"cannot read: {exc.strerror}") from None
    return parse_source(text, name)


def parse_source(text: str, file: str) -> Source:
    """Parse YAML `text` (named `file` in messages). Raises InputError for empty or malformed YAML."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, found while reading
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise InputError(Location(file, line, column, "(top)"), f"invalid YAML: {exc.reason}") from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(Location(file, line, column, "(top)"), f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(Location(file, 1, 1, "(top)"), f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if node is None:
        raise InputError(Location(file, 1, 1, "(top)"), "the file is empty; a scenario is a YAML mapping")
    positions: dict[PathKey, tuple[int, int]] = {}
    key_positions: dict[PathKey, tuple[int, int]] = {}
    quoted: set[PathKey] = set()
    data = _convert(loader, node, (), (positions, key_positions, quoted), file)
    return Source(file, data, positions, key_positions, quoted)


def _convert(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: PathKey,
    tables: tuple[dict[PathKey, tuple[int, int]], dict[PathKey, tuple[int, int]], set[PathKey]],
    file: str,
) -> object:
    positions, key_positions, quoted = tables
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    here = Location(file, node.start_mark.line + 1, node.start_mark.column + 1, format_path(path))
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in (_MAP_TAG, _SEQ_TAG):
        raise InputError(here, f"unsupported YAML tag {node.tag!r}")
    if isinstance(node, yaml.MappingNode):
        if any(key.tag == _MERGE_TAG for key, _ in node.value):
            raise InputError(here, "YAML merge keys ('<<') are not supported in scenarios")
        mapping: dict[str, object] = {}
        for key_node, value_node in node.value:
            key_here = Location(
                file, key_node.start_mark.line + 1, key_node.start_mark.column + 1, format_path(path)
            )
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError(key_here, "a key must be a plain name, not a list or mapping")
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key_node.value)
            if key in mapping:
                raise InputError(key_here, f"duplicate key {key!r}")
            key_positions[(*path, key)] = (key_here.line, key_here.column)
            mapping[key] = _convert(loader, value_node, (*path, key), tables, file)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(loader, item, (*path, index), tables, file) for index, item in enumerate(node.value)
        ]
    if isinstance(node, yaml.ScalarNode) and node.style in ("'", '"'):
        quoted.add(path)
    if node.tag == _FLOAT_TAG:
        return _exact_decimal(node.value, here)
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:  # an unknown tag on a scalar, such as !!python/name
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(here, f"unsupported YAML value: {problem}") from None


def _exact_decimal(text: str, here: Location) -> Decimal:
    cleaned = text.replace("_", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        # .inf, .nan and friends: YAML floats that are not numbers a scenario can use
        raise InputError(here, f"{text!r} is not a finite number") from None
    if not value.is_finite():
        raise InputError(here, f"{text!r} is not a finite number")
    return value
