"""Replay tokens: a run's seed and its non-default scheduling decisions, short enough to paste.

    ts2.<scenario hash>.<seed>.<decisions>

`ts2` is the format version (`ts1`, written before the explorer could delay a thread, numbers its decision
points without delay points: it is still read, and replayed without them); the scenario hash is the first
8 hex digits of the SHA-256 of the scenario file's bytes (of a canonical form of its content for a scenario
built in Python: `content_hash`); decisions are (point, value) pairs, points as gaps from the previous one,
as unsigned varints in lowercase base32 without padding (`-` when there are none).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import attrs

VERSION = "ts2"
#: The format versions read (as numbers), and the one written.
VERSIONS = (1, 2)
CURRENT = 2
#: ASCII digits only (\d takes any script's), and a seed of at most 20 of them (explore's seeds are at most
#: 2**63-1 plus the runs); the decisions part is bounded by what decode reads.
_TOKEN = re.compile(r"^ts([0-9]{1,9})\.([0-9a-f]{8})\.([0-9]{1,20})\.([a-z2-7]+|-)$")


class TokenError(ValueError):
    """A token that cannot be read."""


@attrs.frozen
class ReplayToken:
    """What a token holds."""

    scenario_hash: str
    seed: int
    decisions: tuple[tuple[int, int], ...]
    #: The format it was read from: 1 numbers decision points without delay points (see module docstring).
    version: int = CURRENT

    @property
    def delays(self) -> bool:
        """Whether replaying it meets delay points (every token but a ts1 one)."""
        return self.version >= 2

    def __str__(self) -> str:
        return encode(self)


def scenario_hash(path: str | Path) -> str:
    """The hash a token records for the scenario file at `path`."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]


def content_hash(value: object) -> str:
    """A hash of a scenario built in Python (or of any value made of attrs classes, tuples, lists, dicts and
    scalars), 8 hex digits: the SHA-256 of a canonical text of its content. It covers every field that takes
    part in equality (so not file names or line numbers), orders dict items by key, names functions by
    module and qualified name with a digest of their source, defaults and plain closure values (see _body),
    and other objects by type: it is the same in every process and run (no id(), no PYTHONHASHSEED), and
    equal scenarios have equal hashes."""
    return hashlib.sha256(_canonical(value).encode()).hexdigest()[:8]


def _canonical(value: object) -> str:
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if attrs.has(type(value)):
        fields = ",".join(f"{field.name}={_canonical(getattr(value, field.name))}"
                          for field in attrs.fields(type(value)) if field.eq)  # type: ignore[arg-type]  # fmt: skip
        return f"{type(value).__qualname__}({fields})"
    if isinstance(value, (tuple, list)):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted((_canonical(key), _canonical(item)) for key, item in value.items())
        return "{" + ",".join(f"{key}:{item}" for key, item in items) + "}"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"<{getattr(value, '__module__', '?')}.{value.__qualname__}{_body(value)}>"
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def _body(function: object) -> str:
    """What a Python function's behaviour depends on, beyond its name: its source text (its bytecode when
    the source cannot be found), its default arguments and the plain values it closes over (a thread body
    made by `bank(same_order=False)` differs from one made by `bank(same_order=True)`)."""
    import inspect

    code = getattr(function, "__code__", None)
    if code is None:
        return ""
    try:
        text = inspect.getsource(function)  # type: ignore[arg-type]
    except (OSError, TypeError):
        text = code.co_code.hex()
    cells = []
    for cell in getattr(function, "__closure__", None) or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # a cell not yet filled
            continue
        cells.append(_canonical(contents) if _plain(contents) else f"<{type(contents).__qualname__}>")
    defaults = getattr(function, "__defaults__", None) or ()
    shown = [_canonical(item) if _plain(item) else f"<{type(item).__qualname__}>" for item in defaults]
    digest = hashlib.sha256("\0".join([text, *cells, "|", *shown]).encode()).hexdigest()[:16]
    return f":{digest}"


def _plain(value: object) -> bool:
    """Scalars and tuples of them: closure values safe to put in the text (no function, no cycle)."""
    if value is None or isinstance(value, (bool, int, str, float)):
        return True
    return isinstance(value, tuple) and all(_plain(item) for item in value)


def encode(token: ReplayToken) -> str:
    """The token as text."""
    numbers: list[int] = [len(token.decisions)]
    previous = -1
    for point, value in token.decisions:
        numbers += [point - previous - 1, value]
        previous = point
    payload = bytearray()
    for number in numbers if token.decisions else []:
        while True:
            byte = number & 0x7F
            number >>= 7
            payload.append(byte | (0x80 if number else 0))
            if not number:
                break
    text = base64.b32encode(bytes(payload)).decode().rstrip("=").lower() if payload else "-"
    return f"ts{token.version}.{token.scenario_hash}.{token.seed}.{text}"


def decode(text: str) -> ReplayToken:
    """Read a token. Raises TokenError saying what is wrong."""
    match = _TOKEN.match(text.strip())
    if match is None:
        shown = text if len(text) <= 80 else f"{text[:60]}... ({len(text):,} characters)"
        raise TokenError(
            f"not a replay token: {shown!r} (expected {VERSION}.HASH.SEED.DECISIONS, as printed by explore)"
        )
    version, digest, seed, payload = match.groups()
    if int(version) not in VERSIONS:
        known = " and ".join(f"ts{number}" for number in VERSIONS)
        raise TokenError(f"token format ts{version} is not supported (this threadsim reads {known})")
    decisions: list[tuple[int, int]] = []
    if payload != "-":
        padded = payload.upper() + "=" * (-len(payload) % 8)
        try:
            data = base64.b32decode(padded)
        except ValueError:
            raise TokenError(f"the decisions part of {text!r} is damaged") from None
        numbers, number, shift = [], 0, 0
        for byte in data:
            number |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                numbers.append(number)
                number, shift = 0, 0
        if not numbers or len(numbers) != 1 + 2 * numbers[0]:
            raise TokenError(f"the decisions part of {text!r} is damaged")
        previous = -1
        for index in range(numbers[0]):
            point = previous + 1 + numbers[1 + 2 * index]
            decisions.append((point, numbers[2 + 2 * index]))
            previous = point
    return ReplayToken(digest, int(seed), tuple(decisions), int(version))
