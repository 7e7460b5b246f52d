"""Instants, aligned timeframes and month bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain.timeframes import (
    floor_timeframe,
    format_instant,
    is_aligned,
    month_bounds,
    parse_instant,
    timeframe_end,
    timeframe_starts,
)

DIVISORS = [m for m in range(1, 1441) if 1440 % m == 0]
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def test_parse_instant_accepts_z_and_offsets() -> None:
    """Z and offsets give the same aware UTC instant."""
    expected = datetime(2026, 10, 1, 0, 15, tzinfo=UTC)
    assert parse_instant("2026-10-01T00:15:00Z") == expected
    assert parse_instant("2026-10-01T02:15:00+02:00") == expected
    assert parse_instant("2026-09-30T19:15:00-05:00") == expected
    assert parse_instant("2026-10-01T02:15:00+0200") == expected
    assert parse_instant("2026-10-01T00:15:00z") == expected
    assert parse_instant("2026-10-01T00:15:00Z").tzinfo == UTC


@pytest.mark.parametrize(
    "text",
    ["2026-10-01T00:15:00", "2026-10-01", "yesterday", "", "2026-13-01T00:00:00Z", "2026-10-01Z"],
)
def test_parse_instant_rejects_naive_or_garbage(text: str) -> None:
    """Naive, date-only and invalid text raise ValueError with the text in the message."""
    with pytest.raises(ValueError, match="instant"):
        parse_instant(text)


def test_format_instant() -> None:
    """Formatting converts to UTC and uses Z."""
    cet = timezone(timedelta(hours=2))
    assert format_instant(datetime(2026, 10, 1, 2, 15, tzinfo=cet)) == "2026-10-01T00:15:00Z"
    with pytest.raises(ValueError):
        format_instant(datetime(2026, 10, 1))


@given(instants)
def test_format_parse_round_trip(dt: datetime) -> None:
    """parse(format(dt)) == dt."""
    assert parse_instant(format_instant(dt)) == dt


def test_alignment_examples() -> None:
    """15-minute alignment is relative to midnight UTC."""
    assert is_aligned(datetime(2026, 10, 1, 0, 15, tzinfo=UTC), 15)
    assert not is_aligned(datetime(2026, 10, 1, 0, 10, tzinfo=UTC), 15)
    assert not is_aligned(datetime(2026, 10, 1, 0, 15, 1, tzinfo=UTC), 15)
    assert is_aligned(datetime(2026, 10, 1, 2, 30, tzinfo=timezone(timedelta(hours=2))), 15)
    assert not is_aligned(datetime(2026, 10, 1, 0, 0, tzinfo=timezone(timedelta(minutes=5))), 15)
    with pytest.raises(ValueError):
        is_aligned(datetime(2026, 10, 1, tzinfo=UTC), 7)


@given(instants, st.sampled_from(DIVISORS))
def test_floor_is_aligned_and_contains(dt: datetime, minutes: int) -> None:
    """The floor is aligned, <= dt, and its timeframe contains dt."""
    start = floor_timeframe(dt, minutes)
    assert is_aligned(start, minutes)
    assert start <= dt < timeframe_end(start, minutes)
    assert timeframe_end(start, minutes) - start == timedelta(minutes=minutes)


@given(instants, st.integers(0, 3000), st.sampled_from([1, 5, 15, 30, 60, 1440]))
def test_timeframe_starts(dt: datetime, span: int, minutes: int) -> None:
    """Starts are aligned, consecutive, inside [from, to), and none is missed."""
    end = dt + timedelta(minutes=span)
    starts = list(timeframe_starts(dt, end, minutes))
    assert all(is_aligned(s, minutes) and dt <= s < end for s in starts)
    assert all(
        b - a == timedelta(minutes=minutes) for a, b in zip(starts, starts[1:], strict=False)
    )
    first = floor_timeframe(dt, minutes)
    first = first if first >= dt else first + timedelta(minutes=minutes)
    expected = 0 if first >= end else -(-(end - first) // timedelta(minutes=minutes))
    assert len(starts) == expected


def test_month_bounds_stockholm() -> None:
    """October 2026 in Stockholm: CEST start, CET end (DST ends on 25 October)."""
    start, end = month_bounds("2026-10", "Europe/Stockholm")
    assert format_instant(start) == "2026-09-30T22:00:00Z"
    assert format_instant(end) == "2026-10-31T23:00:00Z"
    assert start.tzinfo == UTC and end.tzinfo == UTC


def test_month_bounds_december_and_utc() -> None:
    """December rolls into the next year."""
    start, end = month_bounds("2026-12", "UTC")
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-10", "2026/10", "", "x"])
def test_month_bounds_rejects_bad_months(month: str) -> None:
    """Bad month text raises ValueError."""
    with pytest.raises(ValueError, match="month"):
        month_bounds(month, "Europe/Stockholm")


def test_month_bounds_rejects_unknown_zone() -> None:
    """An unknown zone is a ValueError, not a ZoneInfo error."""
    with pytest.raises(ValueError, match="time zone"):
        month_bounds("2026-10", "Mars/Olympus")
