"""Tests of simulator.timeunits: exact durations in, exact times out."""

from decimal import Decimal

import pytest

from simulator.timeunits import TimeValueError, format_time, from_ns, to_ns


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (24, "ms", 24_000_000),
        (Decimal("0.4"), "ms", 400_000),
        ("250us", "ms", 250_000),
        ("5ms", "s", 5_000_000),
        ("1.5s", "ms", 1_500_000_000),
        ("7", "us", 7_000),
        ("3 ns", "ms", 3),
        ("2µs", "ms", 2_000),
        (0, "s", 0),
    ],
)
def test_to_ns_reads_every_form_exactly(value: object, unit: str, expected: int) -> None:
    """Integers, exact decimals and strings with units all become whole nanoseconds."""
    assert to_ns(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "duration must not be negative, got -1"),
        (Decimal("0.0000001"), "0.0000001 ms is not a whole number of nanoseconds"),
        ("0.5ns", "0.5ns is not a whole number of nanoseconds"),
        ("5 parsecs", "unknown time unit 'parsecs' in '5 parsecs' (known units: ns, us, ms, s)"),
        ("soon", "expected a duration such as 5, 0.4 or \"250us\", got 'soon'"),
        (True, "expected a duration, got true"),
        (None, "expected a duration, got null"),
        ([1], "expected a duration, got a list"),
    ],
)
def test_to_ns_rejects_bad_durations_with_a_clear_message(value: object, message: str) -> None:
    """Negative, fractional-nanosecond and unreadable durations are errors that say why."""
    with pytest.raises(TimeValueError) as caught:
        to_ns(value, "ms")
    assert str(caught.value) == message


def test_from_ns_gives_ints_when_whole_and_exact_decimals_otherwise() -> None:
    """Reported times are integers when whole, otherwise exact to the nanosecond."""
    assert from_ns(30_000_000, "ms") == 30
    assert isinstance(from_ns(30_000_000, "ms"), int)
    assert from_ns(500_000, "ms") == 0.5
    assert from_ns(1, "ms") == 0.000001
    assert from_ns(123_456_789_123, "s") == 123.456789123
    assert format_time(2_500, "us") == "2.5"
