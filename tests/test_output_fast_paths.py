"""The outputs' fast paths write what their general paths write: the text assembled directly (event log lines,
Chrome trace slices, times) against json.dumps of the records and the exact decimal of every time."""

from __future__ import annotations

import io
import json
import random
from decimal import Decimal

from simulator.output.chrome_trace import micros, micros_text
from simulator.output.event_log import EventLogWriter, event_record
from simulator.output.numbers import dumps
from simulator.output.writer import TimelineInfo
from simulator.timeunits import NS_PER_UNIT, decimal_text, format_time
from simulator.trace import TraceEvent


def test_format_time_is_the_exact_decimal_at_any_size_and_sign() -> None:
    draw = random.Random(15)
    values = [0, 1, -1, 999, 1_000, 10**30 + 7, -5 * 10**9, 2**64, 2**64 + 1]
    values += [draw.randrange(-(10**20), 10**20) for _ in range(2_000)]
    values += [draw.randrange(10**7) * draw.choice((1, 10, 1_000, 10**6)) for _ in range(2_000)]
    for unit, per_unit in NS_PER_UNIT.items():
        for ns in values:
            assert format_time(ns, unit) == decimal_text(ns, len(str(per_unit)) - 1), (ns, unit)


def test_a_time_in_a_trace_is_written_as_dumps_writes_its_number() -> None:
    """micros_text is the JSON text of micros (an int, an exact float or a Decimal) for every size."""
    for ns in (0, 1, 999, 1_000, 1_001, 123_456_789, 10**16 + 1, 2**64 + 3, 10**25):
        assert micros_text(ns) == dumps(micros(ns)), ns


def test_event_log_details_of_every_kind_are_what_dumps_writes() -> None:
    """Strings (escaped, not ASCII), ints, None and times take the fast path; lists, floats, booleans, a
    repeated key and a key not a string are written by json.dumps of the record: the same bytes either way."""
    details: list[tuple[tuple[str, object], ...]] = [
        (),
        (("process", "p"),),
        (("object", 'm"\\\n\u00e9\u202e\ud800'),),
        (("remaining", 1_500_000), ("duration", 7)),
        (("remaining", 10**20 + 1),),
        (("duration", True),),
        (("count", 3), ("value", -12), ("old", None)),
        (("value", 2**70),),
        (("woke", ["a", "b"]),),
        (("value", 1.5),),
        (("flag", True),),
        (("var", "x"), ("var", "y")),
        ((1, "x"),),  # type: ignore[arg-type]
        (("value", {"k": [1, None]}),),
    ]
    for unit in NS_PER_UNIT:
        stream = io.StringIO()
        writer = EventLogWriter(stream, TimelineInfo("s", unit, 2, (("A", "p"),)))
        events = [TraceEvent(time, cpu, thread, kind, detail)
                  for time, cpu, thread, kind in ((0, None, "A", "arrive"), (1_234_567, 1, None, "violation"),
                                                  (2**65, 0, "A\u00e9", "custom"))
                  for detail in details]  # fmt: skip
        for event in events:
            writer(event)
        expected = [dumps(event_record(event, unit), separators=(",", ":")) for event in events]
        assert stream.getvalue().splitlines() == expected, unit
        for line in expected:
            json.loads(line, parse_float=Decimal)


def test_the_streamed_json_report_is_the_json_report(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """write_json writes render_json's text a thread at a time, for every shipped scenario, batch sizes that
    divide the threads and do not, times past 2**53 ns (written exactly) and names JSON must escape."""
    from pathlib import Path

    from simulator import load_scenario, parse_scenario, simulate
    from simulator.output import json_report

    runs = [simulate(load_scenario(path)) for path in sorted(Path("scenarios").glob("*.yaml"))]
    runs.append(simulate(parse_scenario(
        'time_unit: ns\nthreads: [{name: "a\\"b\\n  \\"threads\\": []", burst: \"36893488147419103239ns\"},'
        ' {name: "é", burst: 1}, {name: w, count: 5, burst: 2}]\n'
    )))  # fmt: skip
    for batch in (1000, 1, 2, 3):
        monkeypatch.setattr(json_report, "_BATCH", batch)
        for metrics in runs:
            out = io.StringIO()
            json_report.write_json(metrics, out)
            assert out.getvalue() == json_report.render_json(metrics)
