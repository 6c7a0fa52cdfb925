"""Tests of the layout of simulator.scenario: its modules use only each other's public names, import each
other in one direction, and stay small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

import simulator.scenario

PACKAGE = Path(simulator.scenario.__file__).parent
MODULES = sorted(path for path in PACKAGE.glob("*.py") if path.name != "__init__.py")


def imports_of(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every `from simulator... import name` in the file, under TYPE_CHECKING too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("simulator"):
            found.extend((node.module, alias.name) for alias in node.names)
    return found


def test_no_module_imports_a_private_name() -> None:
    """No scenario module reaches into another module's private names."""
    private = [(path.name, module, name) for path in MODULES for module, name in imports_of(path)
               if name.startswith("_")]  # fmt: skip
    assert private == []


def test_the_scenario_modules_import_each_other_without_a_cycle() -> None:
    """The sections import one way: loader -> machine, processes -> objects, programs -> checking."""
    graph = {path.stem: {module.rsplit(".", 1)[1] for module, _ in imports_of(path)
                         if module.startswith("simulator.scenario.")} for path in MODULES}  # fmt: skip
    done: set[str] = set()

    def visit(module: str, trail: tuple[str, ...]) -> None:
        assert module not in trail, f"import cycle: {' -> '.join((*trail, module))}"
        if module not in done:
            for imported in sorted(graph.get(module, ())):
                visit(imported, (*trail, module))
            done.add(module)

    for module in sorted(graph):
        visit(module, ())
    assert graph["checking"] <= {"model", "source"}, "the checker depends on no section"


def test_no_scenario_module_is_over_500_lines() -> None:
    """Each concern of the loader has a module of readable size."""
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in MODULES}
    assert {name: size for name, size in sizes.items() if size > 500} == {}
