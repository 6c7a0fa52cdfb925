"""The documentation stays true: its Python examples run, and its sample output is what threadsim prints."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from simulator.cli import main
from tests.conftest import ROOT


def python_blocks(text: str) -> list[str]:
    """The ```python blocks of a Markdown text."""
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_the_readme_python_example_runs(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """The README's Python example runs and prints what its comment says."""
    monkeypatch.chdir(ROOT)
    blocks = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - our own documentation
    assert capsys.readouterr().out.splitlines()[0] == "5.666666666666667"


#: The documents with `$ threadsim ...` samples, each checked by a test below. A document not listed here
#: must have none (test_every_document_with_samples_is_checked), so that none goes unchecked.
#: docs/capacity.md's samples are checked in tests/test_sweep.py, docs/ostep.md's in tests/test_ostep.py.
#: docs/policies.md's and docs/synchronization.md's `run` samples by test_run_samples_are_current_excerpts.
SAMPLE_DOCUMENTS = (
    "README.md",
    "docs/outputs.md",
    "docs/exploration.md",
    "docs/policies.md",
    "docs/races.md",
    "docs/synchronization.md",
    "docs/capacity.md",
    "docs/ostep.md",
)
SAMPLE = re.compile(r"```\n\$ threadsim ")


@pytest.mark.parametrize("document", ["README.md", "docs/outputs.md"])
def test_sample_reports_in_the_docs_are_current(document: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every `$ threadsim run scenarios/...` sample with output shown matches a real run; there is one at
    least (samples that vanish, or stop matching the pattern, fail here rather than pass unchecked)."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / document).read_text(encoding="utf-8")
    samples = re.findall(r"```\n\$ threadsim (run scenarios/\S+)\n(.*?)```", text, flags=re.DOTALL)
    compared = 0
    for command, shown in samples:
        if shown.startswith("...\n"):
            continue  # an excerpt: the tests below check those
        result = CliRunner().invoke(main, command.split())
        assert result.output == shown, f"{document}: output of 'threadsim {command}' changed"
        compared += 1
    assert compared, f"{document}: no complete `$ threadsim run scenarios/...` sample found"


def test_every_document_with_samples_is_checked() -> None:
    """The documents listed as having samples have some, and no other document has any."""
    for document in SAMPLE_DOCUMENTS:
        assert SAMPLE.search((ROOT / document).read_text(encoding="utf-8")), f"{document}: no sample found"
    documents = sorted((ROOT / "docs").glob("*.md"))
    others = [path for path in documents if path.relative_to(ROOT).as_posix() not in SAMPLE_DOCUMENTS]
    assert others  # the glob found the other documents
    for path in others:
        assert not SAMPLE.search(path.read_text(encoding="utf-8")), f"{path.name} has samples no test checks"


def test_scenario_excerpts_in_docs_are_current(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each scenario section of docs/scenarios.md shows an excerpt of that scenario's real report."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    sections = re.findall(r"### `(scenarios/\S+\.yaml)`\n.*?```\n(.*?)```", text, flags=re.DOTALL)
    assert sections
    assert len(sections) == len(list((ROOT / "scenarios").glob("*.yaml")))
    for path, excerpt in sections:
        output = CliRunner().invoke(main, ["run", path]).output
        assert excerpt in output, f"docs/scenarios.md: the excerpt for {path} is out of date"


def test_the_csv_sample_in_outputs_md_is_current(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """docs/outputs.md shows the real CSV timeline of the RR textbook scenario."""
    monkeypatch.chdir(ROOT)
    path = tmp_path / "rr.csv"
    CliRunner().invoke(main, ["run", "scenarios/rr-textbook.yaml", "--timeline", str(path)])
    assert path.read_text() in (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")


def test_the_race_report_in_races_md_is_current(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """docs/races.md shows the real end of the lost-update-2cpu report, and its JSON race entry."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "races.md").read_text(encoding="utf-8")
    shown = re.search(r"\$ threadsim run scenarios/lost-update-2cpu.yaml\n\.\.\.\n(.*?)```", text, re.DOTALL)
    assert shown is not None
    output = CliRunner().invoke(main, ["run", "scenarios/lost-update-2cpu.yaml"]).output
    assert output.endswith(shown.group(1))
    report = CliRunner().invoke(main, ["run", "scenarios/lost-update-2cpu.yaml", "--report", "json"]).output
    first_race = json.dumps(json.loads(report)["data_races"][0], indent=2).replace("\n", "\n    ")
    assert first_race in text


def test_the_race_excerpt_in_the_readme_is_current(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The README's lost-update-2cpu excerpt lines appear in the real report."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    pattern = r"\$ threadsim run scenarios/lost-update-2cpu.yaml\n\.\.\.\n(.*?)\n  \.\.\.\n```"
    shown = re.search(pattern, text, re.DOTALL)
    assert shown is not None
    output = CliRunner().invoke(main, ["run", "scenarios/lost-update-2cpu.yaml"]).output
    assert shown.group(1) in output


def test_exploration_samples_are_current(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each `$ threadsim explore ...` sample in docs/exploration.md is what the command prints, and each
    replay excerpt is part of the replay."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "exploration.md").read_text(encoding="utf-8")
    samples = re.findall(r"```\n\$ threadsim (explore \S+.*?)\n(.*?)```", text, flags=re.DOTALL)
    assert len(samples) >= 8
    for command, shown in samples:
        assert CliRunner().invoke(main, command.split()).stdout == shown, command
    replays = re.findall(r"```\n\$ threadsim (replay \S+ \S+)\n(.*?)```", text, flags=re.DOTALL)
    assert replays
    for command, shown in replays:
        output = CliRunner().invoke(main, command.split()).stdout
        for part in shown.split("...\n"):
            assert part.strip("\n") in output


def test_the_readme_exploration_sample_is_current(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The README's explore sample is what the command prints."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"```\n\$ threadsim explore scenarios/counter-incr.yaml\n(.*?)```", text, re.DOTALL)
    assert shown is not None
    assert CliRunner().invoke(main, ["explore", "scenarios/counter-incr.yaml"]).stdout == shown.group(1)


def test_policies_md_samples_are_current(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """docs/policies.md shows the real `threadsim policies` listing and compare table."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    listing = re.search(r"```\n\$ threadsim policies\n(.*?)```", text, re.DOTALL)
    assert listing is not None
    assert CliRunner().invoke(main, ["policies"]).stdout == listing.group(1)
    table = re.search(r"```\n\$ threadsim (compare .*?)\n(.*?)\.\.\.\n```", text, re.DOTALL)
    assert table is not None
    assert CliRunner().invoke(main, table.group(1).split()).stdout.startswith(table.group(2))


def test_the_readme_compare_sample_is_current(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The README's compare table is what the command prints."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"```\n\$ threadsim (compare .*?)\n(.*?)\.\.\.\n```", text, re.DOTALL)
    assert shown is not None
    output = CliRunner().invoke(main, shown.group(1).split()).stdout
    assert shown.group(2) in output


def assert_excerpt(shown: str, output: str, where: str) -> None:
    """`shown` is `output` with elisions: each part between `...` lines appears in `output`, whole lines, in
    order. A document must mark every dropped line with `...`; lines kept are compared exactly."""
    position = 0
    text = output
    parts = re.split(r"(?m)^\.\.\.\n", shown)
    for number, part in enumerate(parts):
        if not part:
            continue
        found = text.find(part, position)
        # Whole lines only: a part must start at a line start (it ends with its newline).
        while found > 0 and text[found - 1] != "\n":
            found = text.find(part, found + 1)
        assert found >= 0, f"{where}: this part is not in the real output (after the parts before it):\n{part}"
        # A `...` must stand for at least one line: an elision that drops nothing misleads too.
        assert number == 0 or found > position, f"{where}: a '...' before this part drops nothing:\n{part}"
        position = found + len(part)
    if shown.endswith("...\n"):
        assert position < len(text), f"{where}: the final '...' drops nothing"
    else:
        assert position == len(text), f"{where}: the real output goes on after the excerpt; end it with '...'"
    if not shown.startswith("...\n"):
        assert text.startswith(shown.split("...\n")[0]), f"{where}: the real output starts otherwise; start with '...'"


def test_the_excerpt_check_catches_drift() -> None:
    """assert_excerpt refuses a dropped line left unmarked, a changed line, and parts out of order."""
    output = "a\nb\nc\nd\n"
    assert_excerpt("a\n...\nc\n...\n", output, "ok")
    assert_excerpt("...\nb\nc\nd\n", output, "ok")
    for wrong in (
        "a\nc\n...\n",
        "a\n...\nb\n...\n",
        "a\n...\nb2\n...\n",
        "...\nc\n...\nb\n...\n",
        "a\nb\n",
        "...\nd\n...\n",
    ):
        with pytest.raises(AssertionError):
            assert_excerpt(wrong, output, "wrong")


#: Documents whose `$ threadsim run ...` blocks are excerpts (or whole outputs) checked by assert_excerpt,
#: with the least number of blocks each has (so a block that stops matching the pattern fails).
RUN_EXCERPTS = {"docs/policies.md": 12, "docs/synchronization.md": 2}


@pytest.mark.parametrize("document", sorted(RUN_EXCERPTS))
def test_run_samples_are_current_excerpts(document: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every `$ threadsim run ...` block of these documents is the real output, with elisions marked `...`;
    each names a scenario file in scenarios/, so every example ships as a file."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / document).read_text(encoding="utf-8")
    samples = re.findall(r"```\n\$ threadsim (run .*?)\n(.*?)```", text, flags=re.DOTALL)
    assert len(samples) >= RUN_EXCERPTS[document], f"{document}: fewer samples than expected"
    for command, shown in samples:
        arguments = command.split()
        assert arguments[1].startswith("scenarios/") and (ROOT / arguments[1]).is_file(), command
        output = CliRunner().invoke(main, arguments).output
        assert_excerpt(shown, output, f"{document}: threadsim {command}")


def test_the_event_log_sample_in_outputs_md_is_current(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """docs/outputs.md shows the real first lines of mixed-io's event log."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    shown = re.search(r"The first lines of `scenarios/mixed-io.yaml`'s log:\n\n```\n(.*?)```", text, re.DOTALL)
    assert shown is not None
    path = tmp_path / "run.jsonl"
    CliRunner().invoke(main, ["run", "scenarios/mixed-io.yaml", "--timeline", str(path)])
    assert_excerpt(shown.group(1), path.read_text(encoding="utf-8"), "docs/outputs.md: the event log")


def test_the_chrome_trace_excerpt_in_outputs_md_is_current(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """docs/outputs.md's Chrome trace excerpt is rr-textbook's real trace, every dropped line marked `...`."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    shown = re.search(r"Its start:\n\n```\n(.*?)```", text, re.DOTALL)
    assert shown is not None
    path = tmp_path / "run.trace.json"
    CliRunner().invoke(main, ["run", "scenarios/rr-textbook.yaml", "--timeline", str(path)])
    assert_excerpt(shown.group(1), path.read_text(encoding="utf-8"), "docs/outputs.md: the Chrome trace")


def test_violation_kinds_named_in_the_docs_exist() -> None:
    """Every violation kind the docs name (`` `misuse` violation ``, `[deadlock] at ...`) is a ViolationKind,
    and synchronization.md's list of kinds is exactly ViolationKind's."""
    from typing import get_args

    from simulator.analysis.violations import ViolationKind

    kinds = set(get_args(ViolationKind))
    named = 0
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for kind in re.findall(r"`([a-z_]+)` violation|\[([a-z_]+)\] at ", text):
            name = kind[0] or kind[1]
            assert name in kinds, f"{path.name}: '{name}' is not a violation kind ({sorted(kinds)})"
            named += 1
    assert named >= 10
    listed = re.search(
        r"the violation kinds are\n?\s*((?:`[a-z_]+`,?\s*(?:and\s*)?)+)",
        (ROOT / "docs" / "synchronization.md").read_text(encoding="utf-8"),
    )
    assert listed is not None
    assert set(re.findall(r"`([a-z_]+)`", listed.group(1))) == kinds


@pytest.mark.parametrize("heading", ["## A complete example", "## Anchors and aliases"])
def test_the_scenario_examples_in_scenarios_md_are_valid(heading: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The complete example and the anchors example of docs/scenarios.md are scenarios `validate` accepts."""
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    path = tmp_path / "example.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output


def test_merge_keys_are_refused_as_scenarios_md_says(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """docs/scenarios.md says merge keys are not supported: validate refuses one, located, with exit 2."""
    path = tmp_path / "merge.yaml"
    path.write_text("base: &b {burst: 3}\nthreads:\n  - {<<: *b, name: A}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "merge keys" in result.output and f"{path}:3:" in result.output


def test_the_json_report_sample_in_outputs_md_is_current(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """docs/outputs.md's JSON report is ostep-rr's real report with `--until 2`, trimmed to its first thread,
    and the field table under it names every top-level field."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    shown = re.search(r"trimmed to one thread:\n\n```json\n(.*?)```", text, re.DOTALL)
    assert shown is not None
    output = CliRunner().invoke(main, ["run", "scenarios/ostep-rr.yaml", "--until", "2", "--report", "json"]).output
    report = json.loads(output)
    assert json.dumps(report, indent=2) + "\n" == output  # so trimming and dumping again changes nothing else
    report["threads"] = report["threads"][:1]
    assert shown.group(1) == json.dumps(report, indent=2) + "\n"
    table = text[shown.end() : text.index("## The event log")]
    named = set(re.findall(r"`([a-z_]+)`", "".join(re.findall(r"(?m)^\| ([^|]*) \|", table))))
    assert set(report) <= named, f"fields missing from the table: {sorted(set(report) - named)}"


def test_the_adding_an_operation_samples_are_the_code() -> None:
    """docs/design.md shows `barrier` "as it is in the code": each of its three snippets is in its file."""
    import textwrap

    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    section = text[text.index("## Adding an operation") :]
    snippets = re.findall(r"\*\*`(simulator/[a-z_/]+\.py)`.*?```python\n(.*?)```", section, re.DOTALL)
    assert [path for path, _ in snippets] == ["simulator/program/operations.py", "simulator/scenario/programs.py",
                                              "simulator/model/steps.py"]  # fmt: skip
    for path, snippet in snippets:
        code = (ROOT / path).read_text(encoding="utf-8")
        lines = [line.strip() for line in textwrap.dedent(snippet).splitlines() if line.strip()]
        stripped = "\n".join(line.strip() for line in code.splitlines() if line.strip())
        assert "\n".join(lines) in stripped, f"docs/design.md: the {path} sample is not the code"


def test_the_cluster_commands_in_exploration_md_are_accepted() -> None:
    """The `threadsim explore` commands of docs/exploration.md's cluster section parse, and their --executor,
    --address and --jobs go together (they need a cluster to run: tests/test_executors.py runs such searches)."""
    from simulator.explore_commands import check_executor

    text = (ROOT / "docs" / "exploration.md").read_text(encoding="utf-8")
    section = text.split("## On a cluster", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"(?m)^threadsim (explore .*?)(?:\s+#.*)?$", section)
    assert len(commands) >= 4
    explore = main.commands["explore"]  # type: ignore[attr-defined]
    for command in commands:
        context = explore.make_context("explore", command.split()[1:])
        params = context.params
        assert params["executor"] in ("ray", "dask"), command
        check_executor(params["executor"], params["address"], params["jobs"], params["strategy"])
