"""Tests of start-up laziness: what `threadsim --help` and a small `threadsim run` import (counted in a fresh
process, never timed), and the lazy re-exports of simulator/__init__.py (simulator.lazy) that make it so."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import simulator
import simulator.scenario
from tests.conftest import ROOT

RR = "scenarios/rr-textbook.yaml"

#: Runs the CLI with the given arguments in this fresh process, then prints its exit status and every module
#: imported by then.
PROBE = """
import contextlib, io, json, sys
sys.argv = ["threadsim", *sys.argv[1:]]
import simulator.cli
status = None
try:
    with contextlib.redirect_stdout(io.StringIO()):
        simulator.cli.main()
except SystemExit as exit:
    status = exit.code
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""

#: What no run without --timeline needs: the explorer, the other commands' reports, the timeline writers, the
#: notebook-free parts of the API, the pytest and Hypothesis helpers, plotting, and worker processes.
NOT_FOR_A_RUN = (
    "simulator.api",
    "simulator.builder",
    "simulator.explore_commands",
    "simulator.output.chart_data",
    "simulator.output.chrome_trace",
    "simulator.output.compare_report",
    "simulator.output.csv_timeline",
    "simulator.output.event_log",
    "simulator.output.html_chart",
    "simulator.output.progress",
    "simulator.output.svg_chart",
    "simulator.output.sweep_plot",
    "simulator.output.sweep_report",
    "simulator.strategies",
    "simulator.sweep",
    "simulator.testing",
    "concurrent.futures",
    "hypothesis",
    "matplotlib",
    "multiprocessing",
    "pandas",
    "pickle",
    "ray",
    "dask",
    "distributed",
)
#: What the help needs none of: the scenario model, the loader and YAML, the kernel, the commands.
NOT_FOR_THE_HELP = (
    *NOT_FOR_A_RUN,
    "simulator.commands",
    "simulator.model.kernel",
    "simulator.output.gantt",
    "simulator.output.json_report",
    "simulator.output.text_report",
    "simulator.program.operations",
    "simulator.scenario.loader",
    "simulator.scenario.model",
    "yaml",
)


def imported_by(*args: str) -> list[str]:
    """Every module `threadsim ARGS` imports, run in a fresh interpreter from the repository's root."""
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["status"] == 0, result.stderr
    return list(outcome["modules"])


def found(modules: list[str], unwanted: tuple[str, ...]) -> list[str]:
    """The modules of `unwanted` (or inside one of those packages) that were imported."""
    return [module for module in modules if any(module == name or module.startswith(f"{name}.") for name in unwanted)]


def test_the_help_imports_no_command() -> None:
    """`threadsim --help` lists commands and options without importing the model, YAML or any command's code:
    a dozen of threadsim's modules (the CLI, its option bounds, the timeline formats' names)."""
    modules = imported_by("--help")
    assert found(modules, (*NOT_FOR_THE_HELP, "simulator.exploration")) == []
    assert len([module for module in modules if module.partition(".")[0] == "simulator"]) <= 15


def test_a_small_json_run_imports_neither_the_explorer_nor_the_writers() -> None:
    """`threadsim run --report json` of a tiny file imports what loading and running it needs, and no part of
    the explorer, the text report, the timeline writers, Hypothesis or plotting."""
    modules = imported_by("run", RR, "--report", "json")
    assert "simulator.model.kernel" in modules and "simulator.output.json_report" in modules
    unwanted = (*NOT_FOR_A_RUN, "simulator.exploration", "simulator.output.text_report", "simulator.output.gantt")
    assert found(modules, unwanted) == []


def test_a_small_text_run_imports_the_text_report_only() -> None:
    """The default text report imports the Gantt chart, but no explorer and no timeline writer."""
    modules = imported_by("run", RR)
    assert "simulator.output.text_report" in modules and "simulator.output.gantt" in modules
    assert found(modules, (*NOT_FOR_A_RUN, "simulator.exploration")) == []


def test_a_local_explore_imports_no_cluster() -> None:
    """`threadsim explore` without --executor imports neither Ray nor Dask, nor threadsim's code for them."""
    modules = imported_by("explore", RR, "--runs", "5", "--no-database")
    assert "simulator.exploration.explorer" in modules
    assert found(modules, ("ray", "dask", "distributed", "simulator.exploration.executors")) == []


def test_a_timeline_imports_its_own_writer_only(tmp_path: Path) -> None:
    """--timeline run.svg imports the SVG writer (the probe sees what is imported) and not the HTML one."""
    modules = imported_by("run", RR, "--report", "json", "--timeline", str(tmp_path / "run.svg"))
    assert "simulator.output.svg_chart" in modules
    assert found(modules, ("simulator.output.html_chart", "simulator.output.chrome_trace")) == []


def test_importing_the_package_imports_nothing_behind_it() -> None:
    """`import simulator` runs only its own module (and the helper of its lazy names)."""
    code = "import json, sys, simulator; print(json.dumps(sorted(m for m in sys.modules if m.startswith('simulator'))))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == ["simulator", "simulator.lazy"]


def type_checking_imports(package: ModuleType) -> dict[str, str]:
    """Name -> module of the `from M import N` statements under the package's `if TYPE_CHECKING:`."""
    assert package.__file__ is not None
    tree = ast.parse(Path(package.__file__).read_text(encoding="utf-8"))
    imports: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module is not None
                imports.update({alias.name: statement.module for alias in statement.names})
    return imports


@pytest.mark.parametrize("package", [simulator, simulator.scenario], ids=lambda package: package.__name__)
def test_the_lazy_names_are_the_type_checkers_names(package: ModuleType) -> None:
    """Each package's _EXPORTS, its `if TYPE_CHECKING:` imports and its __all__ name the same things, and each
    name read from the package is the object of the module it is declared in."""
    exports = {name: module for module, names in package._EXPORTS.items() for name in names}
    assert exports == type_checking_imports(package)
    assert set(package.__all__) - {"__version__"} == set(exports)
    for name, module in exports.items():
        assert getattr(package, name) is getattr(importlib.import_module(module), name), name
    assert set(package.__all__) <= set(dir(package))


def test_an_unknown_name_is_refused_as_a_module_would_refuse_it() -> None:
    """A name that is not exported is an AttributeError (so hasattr works) and an ImportError in `from`."""
    with pytest.raises(AttributeError, match="^module 'simulator' has no attribute 'simulatee'$"):
        simulator.simulatee  # noqa: B018
    assert not hasattr(simulator.scenario, "Scenarioo")
    with pytest.raises(ImportError, match="cannot import name 'simulatee'"):
        from simulator import simulatee  # noqa: F401


def test_the_star_import_gives_every_public_name() -> None:
    """`from simulator import *` still gives the whole public API."""
    namespace: dict[str, object] = {}
    exec("from simulator import *", namespace)
    assert set(simulator.__all__) <= set(namespace)


def test_the_bounds_the_help_shows_are_the_ones_that_apply() -> None:
    """simulator.bounds (read by the CLI, which imports neither the kernel nor the explorer) agrees with them."""
    from simulator import bounds
    from simulator.exploration import explorer
    from simulator.model import kernel

    assert kernel.DEFAULT_MAX_INSTANT_STEPS is bounds.DEFAULT_MAX_INSTANT_STEPS  # imported, not declared
    assert explorer.DEFAULT_BOUNDS == (bounds.EXPLORE_MAX_STEPS, bounds.DEFAULT_MAX_INSTANT_STEPS)
    assert simulator.DEFAULT_MAX_STEPS == bounds.DEFAULT_MAX_STEPS


def test_every_timeline_format_names_a_writer_that_exists() -> None:
    """The registry names each writer as `module:name`; each resolves to that class."""
    from simulator.output.timeline import TIMELINE_FORMATS

    for entry in TIMELINE_FORMATS:
        module, _, name = entry.writer_path.partition(":")
        assert entry.writer is getattr(importlib.import_module(module), name)
