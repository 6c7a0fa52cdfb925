"""Read a YAML file safely into plain values, remembering where each value came from.

PyYAML composes the node tree (with libyaml's C parser when it is installed, else the pure-Python one);
this module turns it into dicts, lists and scalars and keeps a map from each value's path to its line and
column so that every later error can point at the file. Decimals are read exactly from their text (as
`Decimal`), never through a float. Duplicate keys are errors.

Hostile files are refused at once, with a located message, before they cost minutes or gigabytes: every
limit below is documented in docs/scenarios.md ("Limits").
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs
import yaml
from yaml.constructor import SafeConstructor

from simulator.errors import InputError, Location
from simulator.scenario import limits
from simulator.scenario.limits import INT_MAX, INT_MIN, MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES

PathKey = tuple[str | int, ...]

#: A decimal number's magnitude is below 10**19 (any 64-bit integer), and it has at most this many digits.
_MAX_DECIMAL_EXPONENT = 18
_MAX_NUMBER_TEXT = 100

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_VALUE_TAG = "tag:yaml.org,2002:value"  # a plain `=`: YAML 1.1's "default value" key, read as the text "="
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
#: Scalar tags a key may carry; its key is then its text (`1: x` has the key "1").
_KEY_TAGS = frozenset({_STR_TAG, _INT_TAG, _FLOAT_TAG, _BOOL_TAG, _NULL_TAG, _VALUE_TAG,
                       "tag:yaml.org,2002:timestamp"})  # fmt: skip

#: The C parser when PyYAML was built with libyaml; its results and errors are those of the pure one.
FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None
_PACK = 1 << 32  # a position is stored as one int: line * _PACK + column


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
    """A parsed YAML document and the position of every value in it.

    Positions are stored compactly (one int, `line * 2**32 + column`, per path); `location` builds a
    `Location` only when an error needs one. Values reached through an alias share the anchored value and
    point at it."""

    file: str
    data: object
    positions: dict[PathKey, int] = attrs.field(eq=False, repr=False)
    key_positions: dict[PathKey, int] = attrs.field(factory=dict, eq=False, repr=False)
    #: Paths of quoted scalars (their text starts one column after the quote).
    quoted: set[PathKey] = attrs.field(factory=set, eq=False, repr=False)

    def text_location(self, path: PathKey, offset: int) -> Location:
        """The location of character `offset` inside the scalar text at `path` (for expression errors)."""
        location = self.location(path)
        shift = offset + (1 if tuple(path) in self.quoted else 0)
        return attrs.evolve(location, column=location.column + shift)

    def location(self, path: PathKey, *, at_key: bool = False) -> Location:
        """The location of the value at `path` (of its key, with `at_key`), or of its nearest ancestor."""
        probe = tuple(path)
        if at_key and probe in self.key_positions:
            packed = self.key_positions[probe]
        else:
            while probe not in self.positions and probe:
                probe = probe[:-1]
            packed = self.positions.get(probe, _PACK + 1)
        line, column = divmod(packed, _PACK)
        return Location(self.file, line, column, format_path(path))

    def error(self, path: PathKey, message: str, *, at_key: bool = False) -> InputError:
        """An input error at `path` (pointing at its key, with `at_key`)."""
        return InputError(self.location(path, at_key=at_key), message)


def load_source(path: str | Path, *, display_name: str | None = None, fast: bool = True) -> Source:
    """Read and parse the YAML file at `path`. Raises InputError for any problem with the file.

    Only regular files are read (not a directory, a device such as /dev/zero, or a pipe), and at most
    MAX_FILE_BYTES of them."""
    name = display_name or str(path)
    top = Location(name, 1, 1, "(top)")
    try:
        # Opened without blocking: opening a named pipe for reading would otherwise wait for a writer.
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as stream:
            mode = os.fstat(stream.fileno()).st_mode
            if stat.S_ISDIR(mode):
                raise InputError(top, "is a directory, not a scenario file")
            if not stat.S_ISREG(mode):
                raise InputError(top, "is not a regular file (a device, pipe or socket); a scenario is a file")
            raw = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(top, "no such file") from None
    except IsADirectoryError:
        raise InputError(top, "is a directory, not a scenario file") from None
    except OSError as exc:
        raise InputError(top, f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(top, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, the limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(top, f"not UTF-8 text ({exc.reason})") from None
    return parse_source(text, name, fast=fast)


def parse_source(text: str, file: str, *, fast: bool = True) -> Source:
    """Parse YAML `text` (named `file` in messages). Raises InputError for empty, malformed or hostile YAML.

    With `fast` (the default) libyaml's C parser composes the document when it is installed; any error is
    then reported by the pure parser, so that both give the same messages at the same places."""
    if len(text) > MAX_FILE_BYTES:
        raise InputError(Location(file, 1, 1, "(top)"),
                         f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, the limit")  # fmt: skip
    _check_characters(text, file)
    loader_class = FAST_LOADER if fast and FAST_LOADER is not None else yaml.SafeLoader
    # Each YAML value needs a character or more of text, so only a longer text can have too many.
    if len(text) > limits.MAX_NODES and (too_many := _too_many_nodes(text, file, loader_class)) is not None:
        raise too_many
    node = _compose(text, file, loader_class)
    if node is None:
        raise InputError(Location(file, 1, 1, "(top)"), "the file is empty; a scenario is a YAML mapping")
    converter = _Converter(file)
    data = converter.convert(node, ())
    return Source(file, data, converter.positions, converter.key_positions, converter.quoted)


def _check_characters(text: str, file: str) -> None:
    """The pure reader's check for characters YAML does not allow, done once for both parsers."""
    match = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if match is None:
        return
    position = match.start()
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    character = ord(match.group())
    raise InputError(Location(file, line, column, "(top)"),
                     f"invalid YAML: special characters are not allowed (#x{character:04x})")  # fmt: skip


def _compose(text: str, file: str, loader_class: type[yaml.SafeLoader]) -> yaml.Node | None:
    loader = loader_class(text)
    try:
        return loader.get_single_node()
    except RecursionError:
        raise _too_deep(text, file) from None
    except yaml.YAMLError as exc:
        if loader_class is not yaml.SafeLoader:
            return _compose(text, file, yaml.SafeLoader)  # the pure parser's message, or its document
        raise _yaml_error(exc, file) from None
    finally:
        loader.dispose()


def _too_many_nodes(text: str, file: str, loader_class: type[yaml.SafeLoader]) -> InputError | None:
    """The error for a document of more than MAX_NODES values (scalars, lists and mappings, keys included),
    else None. Counted from the parser's events before anything is built: the nodes of 2,000,000 values
    took a gigabyte and 17 s (in a 4 MB file; the file limit allows 64 MiB). A document the parser refuses
    is left to the composer, which reports it."""
    loader = loader_class(text)
    count = 0
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.NodeEvent):
                count += 1
                if count > limits.MAX_NODES:
                    return _first_event_past(text, file, loader_class, depth=None, nodes=limits.MAX_NODES)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return None


def _too_deep(text: str, file: str) -> InputError:
    """The error for a document too deep for the composer: found with the parser's events, which nest
    nothing, at the collection that opens level MAX_DEPTH + 1 (where the converter would stop), with the
    path the converter would give it."""
    return _first_event_past(text, file, yaml.SafeLoader, depth=MAX_DEPTH, nodes=None)


def _first_event_past(text: str, file: str, loader_class: type[yaml.SafeLoader], depth: int | None,
                      nodes: int | None) -> InputError:  # fmt: skip
    """Walk the parser's events to the collection that opens level `depth` + 1, or to value `nodes` + 1, and
    return the error located there, with the path the converter would give it."""
    loader = loader_class(text)
    seen = 0  # values so far
    # One entry per open collection: [is a mapping, items so far (a mapping counts keys and values), key]
    stack: list[list[object]] = []
    path: list[str | int] = []
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
                if stack:
                    path.pop()
                continue
            if not isinstance(event, yaml.NodeEvent) or not stack:
                component: str | int | None = None
            else:
                parent = stack[-1]
                count = parent[1]
                assert isinstance(count, int)
                parent[1] = count + 1
                if not parent[0]:
                    component = count
                elif count % 2 == 0:  # a key
                    parent[2] = getattr(event, "value", "?")
                    component = None
                else:
                    component = str(parent[2])
            if isinstance(event, yaml.NodeEvent):
                seen += 1
                if nodes is not None and seen > nodes and event.start_mark is not None:
                    # a key is shown at its own path, as the converter shows errors in keys
                    named = component if component is not None else getattr(event, "value", None)
                    here = [*path, named] if isinstance(named, str | int) and stack else path
                    mark = event.start_mark
                    return InputError(Location(file, mark.line + 1, mark.column + 1, format_path(here)),
                                      f"the file has more than {nodes:,} values (scalars, lists and mappings, "
                                      "keys included), the limit")  # fmt: skip
            if isinstance(event, yaml.CollectionStartEvent):
                if stack:
                    path.append("?" if component is None else component)
                if len(stack) == depth and event.start_mark is not None:
                    mark = event.start_mark
                    return InputError(Location(file, mark.line + 1, mark.column + 1, format_path(path)),
                                      f"nesting deeper than {depth} levels of mappings and lists")  # fmt: skip
                stack.append([isinstance(event, yaml.MappingStartEvent), 0, None])
    except yaml.YAMLError as exc:
        return _yaml_error(exc, file)
    finally:
        loader.dispose()
    return InputError(Location(file, 1, 1, "(top)"), f"nesting deeper than {depth} levels" if depth is not None
                      else f"the file has more than {nodes:,} values, the limit")  # fmt: skip


def _yaml_error(exc: yaml.YAMLError, file: str) -> InputError:
    if not isinstance(exc, yaml.MarkedYAMLError):
        return InputError(Location(file, 1, 1, "(top)"), f"invalid YAML: {exc}")
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or exc.context or "malformed YAML"
    return InputError(Location(file, line, column, "(top)"), f"invalid YAML: {_explain(problem, exc)}")


def _explain(problem: str, exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's words for the usual indentation mistakes, said in a user's terms."""
    context = exc.context_mark.line + 1 if exc.context_mark is not None else None
    block = f" (the block that starts on line {context})" if context is not None else ""
    if problem.startswith("expected <block end>, but found '?'") or problem == "expected <block end>, but found '-'":
        return (
            f"bad indentation: this line does not line up with the items of the block above it{block}; "
            "a block is either a list ('- item' lines) or a mapping ('key: value' lines), not both"
        )
    if problem.startswith("expected <block end>"):
        return (
            f"bad indentation: this line is indented less than the lines before it but more than the "
            f"block they belong to{block}; indent it like the lines it belongs with"
        )
    if problem == "mapping values are not allowed here":
        return (
            "a ':' here cannot start a mapping: this line may be indented more than the key above it, "
            "or a value containing ': ' needs quotes"
        )
    if problem.startswith("found character '\\t'"):
        return "a tab character cannot indent YAML; indent with spaces"
    return problem


@attrs.define
class _Memo:
    value: object
    size: int  # how many values the node stands for, expanded


class _Converter:
    """Nodes to values, positions recorded as it goes. An aliased node is converted once and shared; what
    the aliases add, expanded, is counted against MAX_ALIAS_NODES; an alias inside its own anchor (a
    recursive alias) and nesting past MAX_DEPTH are errors."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[PathKey, int] = {}
        self.key_positions: dict[PathKey, int] = {}
        self.quoted: set[PathKey] = set()
        self.count = 0  # values converted, aliases counted expanded
        self.aliased = 0  # of which added by aliases
        self.memo: dict[int, _Memo] = {}  # by id(node): only looked up, never iterated
        self.active: set[int] = set()
        self.constructor = SafeConstructor()  # for the rare scalars (timestamps, binary) built by PyYAML

    def here(self, node: yaml.Node, path: PathKey) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1, format_path(path))

    def convert(self, node: yaml.Node, path: PathKey) -> object:
        mark = node.start_mark
        self.positions[path] = (mark.line + 1) * _PACK + mark.column + 1
        if isinstance(node, yaml.ScalarNode):
            self.count += 1
            return self.scalar(node, path)
        key = id(node)
        memo = self.memo.get(key)
        if memo is not None:
            self.count += memo.size
            self.aliased += memo.size
            if self.aliased > MAX_ALIAS_NODES:
                raise InputError(self.here(node, path), f"aliases expand to more than {MAX_ALIAS_NODES:,} "
                                                        "values (the limit)")  # fmt: skip
            return memo.value
        if key in self.active:
            raise InputError(self.here(node, path), "a recursive alias: this anchor contains an alias to itself")
        if len(path) >= MAX_DEPTH:
            raise InputError(self.here(node, path), f"nesting deeper than {MAX_DEPTH} levels of mappings and lists")
        if node.tag not in (_MAP_TAG, _SEQ_TAG):
            raise InputError(self.here(node, path), f"unsupported YAML tag {node.tag!r}")
        self.active.add(key)
        before = self.count
        self.count += 1
        value = self.mapping(node, path) if isinstance(node, yaml.MappingNode) else self.sequence(node, path)
        self.active.discard(key)
        self.memo[key] = _Memo(value, self.count - before)
        return value

    def sequence(self, node: yaml.Node, path: PathKey) -> list[object]:
        convert = self.convert
        return [convert(item, (*path, index)) for index, item in enumerate(node.value)]

    def mapping(self, node: yaml.Node, path: PathKey) -> dict[str, object]:
        mapping: dict[str, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError(self.here(key_node, path), "a key must be a plain name, not a list or mapping")
            if key_node.tag == _MERGE_TAG:
                raise InputError(self.here(node, path), "YAML merge keys ('<<') are not supported in scenarios")
            if key_node.tag not in _KEY_TAGS:
                raise InputError(self.here(key_node, path),
                                 f"unsupported YAML tag {key_node.tag!r} on a key; a key is a plain name")  # fmt: skip
            key = key_node.value
            if key in mapping:
                raise InputError(self.here(key_node, path), f"duplicate key {key!r}")
            here = (*path, key)
            mark = key_node.start_mark
            self.key_positions[here] = (mark.line + 1) * _PACK + mark.column + 1
            mapping[key] = self.convert(value_node, here)
        return mapping

    def scalar(self, node: yaml.ScalarNode, path: PathKey) -> object:
        tag = node.tag
        text: str = node.value
        if node.style in ("'", '"'):
            self.quoted.add(path)
        if tag in (_STR_TAG, _VALUE_TAG):
            return text
        if tag == _INT_TAG:
            return self.integer(node, path)
        if tag == _FLOAT_TAG:
            return self.decimal(node, path)
        if tag == _NULL_TAG:
            return None
        if tag == _BOOL_TAG:
            value = SafeConstructor.bool_values.get(text.lower())
            if value is None:  # `!!bool maybe`
                raise InputError(self.here(node, path), f"{text!r} is not true or false")
            return value
        try:
            return self.constructor.construct_object(node, deep=True)
        except Exception as exc:  # noqa: BLE001 - an explicit tag PyYAML cannot build (`!!timestamp nope`)
            problem = getattr(exc, "problem", None) or f"{text!r} is not a valid {tag.rsplit(':', 1)[-1]}"
            raise InputError(self.here(node, path), f"unsupported YAML value: {problem}") from None

    def integer(self, node: yaml.ScalarNode, path: PathKey) -> int:
        text: str = node.value
        value: int | None = None
        if len(text) <= _MAX_NUMBER_TEXT:
            try:
                value = int(text) if text.isdigit() else self.constructor.construct_yaml_int(node)
            except ValueError:  # `!!int abc`
                raise InputError(self.here(node, path), f"{text!r} is not an integer") from None
        if value is None or not INT_MIN <= value <= INT_MAX:
            shown = text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text):,} characters)"
            raise InputError(self.here(node, path), f"integer {shown} is out of range (integers in a scenario "
                                                    "are signed 64-bit: -2**63 to 2**63-1)")  # fmt: skip
        return value

    def decimal(self, node: yaml.ScalarNode, path: PathKey) -> Decimal:
        text: str = node.value
        here = self.here  # a Location only when an error is raised
        if len(text) > _MAX_NUMBER_TEXT:
            raise InputError(here(node, path), f"number {text[:12]}... has more than {_MAX_NUMBER_TEXT} characters")
        try:
            value = Decimal(text.replace("_", ""))
        except InvalidOperation:
            # .inf, .nan and friends: YAML floats that are not numbers a scenario can use
            raise InputError(here(node, path), f"{text!r} is not a finite number") from None
        if not value.is_finite():
            raise InputError(here(node, path), f"{text!r} is not a finite number")
        if value and value.adjusted() > _MAX_DECIMAL_EXPONENT:
            raise InputError(here(node, path), f"number {text} is out of range (at most 10**19 in magnitude)")
        if value and value.adjusted() < -_MAX_NUMBER_TEXT:
            raise InputError(here(node, path), f"number {text} is too small (smaller than 1e-{_MAX_NUMBER_TEXT})")
        if not value and value.adjusted() < -_MAX_NUMBER_TEXT:  # 0e-999999999: a zero all the same
            return Decimal(0)
        return value
