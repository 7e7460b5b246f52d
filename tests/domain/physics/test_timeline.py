"""Timelines: local time across daylight saving, weekends, day of year, Wh rounding, switches."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from models.domain.physics.timeline import Timeline, switched, to_wh


def test_local_hours_follow_daylight_saving() -> None:
    """Berlin, 2026-03-29: 01:00 UTC is 03:00 CEST (the clock skips 02:00)."""
    tl = Timeline(datetime(2026, 3, 28, 23, tzinfo=UTC), 60, 4, "Europe/Berlin")
    assert tl.local_hour.tolist() == [0, 1, 3, 4]
    assert tl.utc_s[1] - tl.utc_s[0] == 3600


def test_weekend_and_day_of_year() -> None:
    """2026-01-02 is a Friday (day 2); local Saturday starts at 23:00 UTC in Berlin."""
    tl = Timeline(datetime(2026, 1, 2, 22, tzinfo=UTC), 60, 3, "Europe/Berlin")
    assert tl.weekend.tolist() == [False, True, True]
    assert tl.day_of_year.tolist() == [2, 2, 3]


def test_energy_is_rounded_per_timeframe_half_even_and_never_negative() -> None:
    """250 W for 15 min is 62.5 Wh -> 62; 254 W -> 63.5 -> 64; negative power -> 0."""
    tl = Timeline(datetime(2026, 1, 1, tzinfo=UTC), 15, 3)
    out = to_wh(np.array([250.0, 254.0, -40.0]), tl)
    assert out.dtype == np.int64 and out.tolist() == [62, 64, 0]


def test_switches_zero_rows_or_cells() -> None:
    """A (rows,) mask switches whole assets off, a (rows, timeframes) mask single cells."""
    wh = np.array([[1, 2], [3, 4]], dtype=np.int64)
    assert switched(wh, [True, False]).tolist() == [[1, 2], [0, 0]]
    assert switched(wh, [[True, False], [False, True]]).tolist() == [[1, 0], [0, 4]]
    assert switched(wh, None) is wh


@pytest.mark.parametrize(
    ("start", "minutes", "tz", "match"),
    [
        (datetime(2026, 1, 1, 0, 5, tzinfo=UTC), 15, "UTC", "aligned"),
        (datetime(2026, 1, 1, tzinfo=UTC), 15, "Mars/Olympus", "time zone"),
        (datetime(2026, 1, 1, tzinfo=UTC), 7, "UTC", "1440"),
    ],
)
def test_bad_timelines_are_refused(start: datetime, minutes: int, tz: str, match: str) -> None:
    """Unaligned starts, unknown zones and lengths not dividing a day raise ValueError."""
    with pytest.raises(ValueError, match=match):
        Timeline(start, minutes, 4, tz)
