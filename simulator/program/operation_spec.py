"""How an operation is declared (simulator.program.operations holds the operations themselves): `Step`, the
base of every operation, holding the line it came from; `OperationSpec`, what threadsim knows of a kind of
operation besides how it runs (its YAML keywords, the kinds of object it works on, its sub-programs, what
it touches); and `Touches`, that footprint, as the names of the operation's fields."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

import attrs


@attrs.frozen(cache_hash=True)
class Touches:
    """What an operation touches, as the names of its fields: the footprint exploration's partial-order
    reduction works from (`simulator.analysis.footprints`).

    `reads` and `writes` name fields that hold a shared variable's name, `expressions` fields that hold an
    expression (whose variables are read), `objects` fields that hold a synchronization object's name.
    `everything`: the step may conflict with anything (it starts or waits for other threads or processes).
    A field that holds None (an optional expression not given) touches nothing.
    """

    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    expressions: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()
    everything: bool = False


#: Touches nothing another thread can see: time, the CPU, devices, the thread's own registers.
NOTHING = Touches()


def _read_only_keywords(keywords: Mapping[str, str | None]) -> Mapping[str, str | None]:
    return MappingProxyType(dict(keywords))


def _read_only_bodies(bodies: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(bodies))


@attrs.frozen(cache_hash=True)
class OperationSpec:
    """What threadsim knows about one kind of operation, besides how the kernel runs it.

    `keywords`: the YAML keywords that write it, each with an example value for error messages (None for a
    bare word such as `yield`); the parser has one `op_<keyword>` method per keyword. `kinds`: the kinds of
    synchronization object it works on. `touches`: its footprint, required so that no operation is taken
    for independent by omission. `bodies`: its sub-programs, YAML key to field name (`{"do": "body"}`).
    `structured`: unrolled by the interpreter into primitive steps, never seen by the kernel.
    """

    touches: Touches
    keywords: Mapping[str, str | None] = attrs.field(factory=dict, converter=_read_only_keywords)
    kinds: tuple[str, ...] = ()
    bodies: Mapping[str, str] = attrs.field(factory=dict, converter=_read_only_bodies)
    structured: bool = False


@attrs.frozen(cache_hash=True)
class Step:
    """The base of every operation: the line of the scenario file it came from (0 when built in Python)."""

    # Declared here once; a slot of this base class reads as fast as one of the operation's own.
    line: int = attrs.field(default=0, eq=False, kw_only=True)
    spec: ClassVar[OperationSpec]
