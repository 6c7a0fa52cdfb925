"""Sweeps: one scenario run for every combination of values given for some of its settings.

A setting is a dotted path into the scenario file as written (`machine.cpus`, `machine.devices.disk.servers`,
`processes.web.threads.worker.priority`): mapping keys by name, list items by their `name` or their index.
Each value is YAML text, read as the file's own values are, and every combination is validated as a whole
file would be, so a value the loader refuses is refused here with the same message.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import attrs

from simulator.analysis.metrics import RunMetrics
from simulator.errors import InputError, InputErrors, UsageError
from simulator.scenario.loader import scenario_from_source
from simulator.scenario.model import PolicySpec, Scenario
from simulator.scenario.source import PathKey, Source, format_path, parse_source
from simulator.simulation import simulate, with_overrides

#: The most runs one sweep may make (combinations times seeds): a typo such as `--seeds 1000000` is refused
#: at once instead of running for days.
MAX_RUNS = 100_000


@attrs.frozen
class Setting:
    """One `--set PATH=V1,V2,...`: the path as given, its parts, and each value's text and YAML value."""

    path: str
    parts: tuple[str, ...]
    texts: tuple[str, ...]
    values: tuple[object, ...]


def parse_setting(text: str) -> Setting:
    """Parse `PATH=V1,V2,...`. Commas inside brackets or braces belong to the value (`{servers: 2, x: 1}`)."""
    path, equals, rest = text.partition("=")
    path = path.strip()
    if not equals or not path:
        raise UsageError(f"--set {text!r}: expected PATH=VALUE[,VALUE...], e.g. machine.cpus=1,2,4")
    parts = tuple(path.split("."))
    if any(not part for part in parts):
        raise UsageError(f"--set {text!r}: {path!r} has an empty part; parts are separated by single dots")
    if parts == ("seed",):
        raise UsageError(f"--set {text!r}: sweep seeds with --seeds N (every combination runs with seeds 0 to "
                         "N-1, and the report gives their mean and spread)")  # fmt: skip
    texts = tuple(_split_values(rest))
    if not texts or any(not value for value in texts):
        raise UsageError(f"--set {text!r}: give one or more values separated by commas, none of them empty")
    values = []
    for value_text in texts:
        try:
            source = parse_source(value_text, f"--set {path}")
        except InputError as error:
            raise UsageError(f"--set {path}={value_text}: {error.message}") from None
        values.append(source.data)
    return Setting(path, parts, texts, tuple(values))


def _split_values(text: str) -> list[str]:
    values, depth, current = [], 0, ""
    for char in text:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    values.append(current.strip())
    return values


def set_value(data: object, setting: Setting, value: object) -> PathKey:
    """Put `value` at the setting's path in the parsed file `data` (changed in place); the path as resolved
    (list items by index). Missing mapping keys are created, so a setting the file leaves at its default can
    be swept too."""
    node = data
    resolved: list[str | int] = []
    for depth, part in enumerate(setting.parts):
        last = depth == len(setting.parts) - 1
        where = format_path(resolved)
        if isinstance(node, dict):
            if last:
                node[part] = value
                return (*resolved, part)
            if part not in node or node[part] is None:
                node[part] = {}
            # A YAML alias makes one object appear at several paths: copy what lies on this path, so that
            # the setting changes only the place it names.
            node[part] = _unshared(node[part])
            node = node[part]
            resolved.append(part)
        elif isinstance(node, list):
            index = _item_index(node, part)
            if index is None:
                names = [item["name"] for item in node if isinstance(item, dict) and isinstance(item.get("name"), str)]
                shown = f" (items: {', '.join(names)})" if names else ""
                raise UsageError(f"--set {setting.path}: {where} has no item named {part!r}{shown}; "
                                 f"give an item's name or its index")  # fmt: skip
            resolved.append(index)
            if last:
                node[index] = value
                return tuple(resolved)
            node[index] = _unshared(node[index])
            node = node[index]
        else:
            raise UsageError(f"--set {setting.path}: {where} is a single value, not a mapping or a list")
    raise AssertionError("unreachable: a setting has at least one part")


def _unshared(value: object) -> object:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _item_index(items: list[object], part: str) -> int | None:
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return index
    if part.isdigit() and int(part) < len(items):
        return int(part)
    return None


@attrs.frozen
class Figure:
    """A key figure of a run: its name in reports, how to read it, whether it is a time, and whether it is a
    share of a capacity (shown as a percentage)."""

    name: str
    read: Callable[[RunMetrics], Fraction | int | None]
    time: bool
    share: bool = False


def _utilization(metrics: RunMetrics) -> Fraction | None:
    if metrics.end_time == 0:
        return None
    busy = sum(cpu.busy for cpu in metrics.cpu_stats)
    return Fraction(busy, metrics.end_time * len(metrics.cpu_stats))


def _throughput(metrics: RunMetrics) -> Fraction | None:
    return metrics.throughput()


FIGURES: tuple[Figure, ...] = (
    Figure("end_time", lambda m: m.end_time, True),
    Figure("waiting", lambda m: m.average("waiting"), True),
    Figure("response", lambda m: m.average("response"), True),
    Figure("turnaround", lambda m: m.average("turnaround"), True),
    Figure("throughput", _throughput, False),
    Figure("utilization", _utilization, False, share=True),
    Figure("context_switches", lambda m: m.context_switches, False),
    Figure("violations", lambda m: len(m.violations), False),
)


def _span_figure(name: str, statistic: str) -> Figure:
    def read(metrics: RunMetrics) -> Fraction | int | None:
        span = next((span for span in metrics.spans if span.name == name), None)
        return None if span is None else getattr(span, statistic)

    return Figure(f"{name}.{statistic}", read, True)


def _device_figure(name: str) -> Figure:
    def read(metrics: RunMetrics) -> Fraction | None:
        device = next((device for device in metrics.devices if device.name == name), None)
        return None if device is None else device.utilization(metrics.end_time)

    return Figure(f"{name}.utilization", read, False, share=True)


def scenario_figures(runs: Sequence[RunMetrics]) -> tuple[Figure, ...]:
    """FIGURES, then each span's mean and p99 and each device's utilization (devices with a number of
    servers), for every span and device that any of `runs` has, in the order they first appear: the
    figures that size a system (a request's latency, the disk's load) beside the CPU's."""
    spans = dict.fromkeys(span.name for metrics in runs for span in metrics.spans)
    devices = dict.fromkeys(device.name for metrics in runs for device in metrics.devices
                            if device.servers is not None)  # fmt: skip
    return (*FIGURES, *(_span_figure(name, statistic) for name in spans for statistic in ("mean", "p99")),
            *(_device_figure(name) for name in devices))  # fmt: skip


@attrs.frozen
class Summary:
    """One figure over a combination's seeds: exact mean, sample standard deviation (0 for one seed),
    least and greatest; None where no run had a value (such as response when no thread ran)."""

    mean: Fraction | None
    sd: float | None
    low: Fraction | int | None
    high: Fraction | int | None


def summarize(values: Sequence[Fraction | int | None]) -> Summary:
    """The summary of one figure's values, skipping runs without one."""
    present = [Fraction(value) for value in values if value is not None]
    if not present:
        return Summary(None, None, None, None)
    mean = sum(present, Fraction(0)) / len(present)
    if len(present) == 1:
        sd = 0.0
    else:
        sd = math.sqrt(float(sum((value - mean) ** 2 for value in present) / (len(present) - 1)))
    return Summary(mean, sd, min(present), max(present))


@attrs.frozen
class SweepRow:
    """One combination: each setting's value text, the policy, and one run per seed."""

    settings: tuple[tuple[str, str], ...]
    policy: PolicySpec
    runs: tuple[RunMetrics, ...]

    def summary(self, figure: Figure) -> Summary:
        """`figure` over this combination's seeds."""
        return summarize([figure.read(metrics) for metrics in self.runs])


@attrs.frozen
class SweepResult:
    """Every combination's runs, in the order the settings and their values were given."""

    scenario: str
    file: str
    time_unit: str
    settings: tuple[Setting, ...]
    seeds: tuple[int, ...]
    rows: tuple[SweepRow, ...]
    #: The figures reported for each row (`scenario_figures`).
    figures: tuple[Figure, ...] = FIGURES


Progress = Callable[[int, int], None]


def sweep(
    source: Source,
    settings: Sequence[Setting],
    *,
    policies: Sequence[PolicySpec | str] = (),
    seeds: Sequence[int] | None = None,
    max_steps: int | None = None,
    progress: Progress | None = None,
    parse_policy: Callable[[str, str], PolicySpec] | None = None,
) -> SweepResult:
    """Run every combination of the settings' values (then of `policies`, when given) for each seed.

    `seeds` defaults to the scenario's own. Policies given as text are parsed with `parse_policy` in the
    scenario's time unit. Raises UsageError for a path that leads nowhere or a value the scenario refuses.
    """
    default_name = Path(source.file).stem
    # Counted before any combination is built: each costs a copy and a check of the scenario, so a million
    # of them took minutes and gigabytes before the count below refused them.
    _check_total(math.prod(len(setting.values) for setting in settings) * max(len(policies), 1)
                 * (len(seeds) if seeds is not None else 1))  # fmt: skip
    combinations = list(itertools.product(*(range(len(setting.values)) for setting in settings)))
    variants: list[tuple[tuple[tuple[str, str], ...], Scenario]] = []
    for choice in combinations:
        data = copy.deepcopy(source.data)
        changed: list[tuple[Setting, str, PathKey]] = []
        for setting, index in zip(settings, choice, strict=True):
            resolved = set_value(data, setting, copy.deepcopy(setting.values[index]))
            changed.append((setting, setting.texts[index], resolved))
        try:
            scenario = scenario_from_source(attrs.evolve(source, data=data), default_name)
        except InputErrors as errors:
            raise UsageError(_explain(errors, changed)) from None
        variants.append((tuple((s.path, text) for s, text, _ in changed), scenario))
    if not variants:
        raise UsageError("nothing to sweep")
    unit = variants[0][1].time_unit
    specs = [p if isinstance(p, PolicySpec) else _parse(parse_policy, p, unit) for p in policies]
    run_seeds = tuple(seeds) if seeds is not None else (variants[0][1].seed,)
    total = len(variants) * max(len(specs), 1) * len(run_seeds)
    _check_total(total)
    rows, done = [], 0
    for values, scenario in variants:
        for spec in specs or [scenario.machine.policy]:
            variant = with_overrides(scenario, policy=spec)
            runs = []
            for seed in run_seeds:
                if max_steps is None:
                    runs.append(simulate(variant, seed=seed))
                else:
                    runs.append(simulate(variant, seed=seed, max_steps=max_steps))
                done += 1
                if progress is not None:
                    progress(done, total)
            rows.append(SweepRow(values, spec, tuple(runs)))
    first = variants[0][1]
    figures = scenario_figures([metrics for row in rows for metrics in row.runs])
    return SweepResult(first.name, source.file, unit, tuple(settings), run_seeds, tuple(rows), figures)


def _parse(parse_policy: Callable[[str, str], PolicySpec] | None, text: str, unit: str) -> PolicySpec:
    if parse_policy is None:
        raise UsageError(f"policy {text!r} given as text but no parser")
    return parse_policy(text, unit)


def _explain(errors: InputErrors, changed: Sequence[tuple[Setting, str, PathKey]]) -> str:
    """The loader's first error, said in terms of the --set that caused it when it lies under one."""
    error = errors.errors[0]
    for setting, text, resolved in changed:
        prefix = format_path(resolved)
        if error.location.path == prefix or error.location.path.startswith((prefix + ".", prefix + "[")):
            return f"--set {setting.path}={text}: {error.message}"
    shown = ", ".join(f"{setting.path}={text}" for setting, text, _ in changed)
    return f"with {shown}: {error}"


def _check_total(total: int) -> None:
    """Refuse a sweep of more than MAX_RUNS runs."""
    if total > MAX_RUNS:
        raise UsageError(f"this sweep would make {total:,} runs; at most {MAX_RUNS:,} are allowed "
                         f"(fewer values, policies or --seeds)")  # fmt: skip
