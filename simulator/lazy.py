"""Lazy re-exports for a package's `__init__` (PEP 562): a public name's module is imported when the name is
first read, so importing the package (and `threadsim --help`) does not import every module behind it.

    __getattr__, __dir__ = lazy_exports(__name__, {"simulator.ops": ("incr", ...)}, globals())

The package also imports the same names under `if TYPE_CHECKING:`, for type checkers and editors;
tests/test_lazy_imports.py checks that the two agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's `__getattr__` and `__dir__`: `exports` maps each module to the names it provides.

    A name read once is kept in `namespace` (the package's globals), so later reads are plain lookups.
    """
    module_of = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(module_of))

    return __getattr__, __dir__
