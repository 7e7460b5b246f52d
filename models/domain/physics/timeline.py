"""The timeframes of a run as numpy arrays: UTC seconds, local wall-clock time, Wh rounding.

numpy only (and zoneinfo for the grid's time zone). Every later module takes a `Timeline`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from models.domain.timeframes import is_aligned

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
DAY_S = 86_400


@dataclass(frozen=True)
class Timeline:
    """`count` timeframes of `minutes` each from the aligned UTC instant `start`, in zone `tz`."""

    start: datetime
    minutes: int
    count: int
    tz: str = "UTC"

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError(f"count must be >= 0, got {self.count}")
        if not is_aligned(self.start, self.minutes):
            raise ValueError(f"start {self.start!r} is not aligned to {self.minutes} minutes")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {self.tz!r}") from exc

    @property
    def step_s(self) -> int:
        """Seconds per timeframe."""
        return self.minutes * 60

    @property
    def hours(self) -> float:
        """Hours per timeframe (energy = power * hours)."""
        return self.minutes / 60

    @cached_property
    def utc_s(self) -> IntArray:
        """Unix seconds of each timeframe's start."""
        first = int(self.start.astimezone(UTC).timestamp())
        return first + self.step_s * np.arange(self.count, dtype=np.int64)

    @cached_property
    def steps(self) -> IntArray:
        """Absolute index of each timeframe since the Unix epoch (the key of all noise)."""
        return self.utc_s // self.step_s

    @cached_property
    def local_s(self) -> IntArray:
        """Wall-clock seconds since the epoch in the grid's zone (UTC seconds plus the offset)."""
        zone = ZoneInfo(self.tz)
        offsets = [_offset_s(int(s), zone) for s in self.utc_s]
        return self.utc_s + np.asarray(offsets, dtype=np.int64)

    @cached_property
    def local_day(self) -> IntArray:
        """Local calendar day of each timeframe start, as days since 1970-01-01."""
        return self.local_s // DAY_S

    @cached_property
    def local_hour(self) -> IntArray:
        """Local hour 0..23 of each timeframe start."""
        return (self.local_s % DAY_S) // 3600

    @cached_property
    def weekend(self) -> BoolArray:
        """True where the local day is a Saturday or Sunday (1970-01-01 was a Thursday)."""
        weekday = (self.local_day + 3) % 7
        return weekday >= 5

    @cached_property
    def day_of_year(self) -> IntArray:
        """UTC day of year 1..366 of each timeframe start."""
        days = (self.utc_s // DAY_S).astype("datetime64[D]")
        years = days.astype("datetime64[Y]").astype("datetime64[D]")
        return np.asarray((days - years).astype(np.int64) + 1, dtype=np.int64)


def _offset_s(utc_s: int, zone: ZoneInfo) -> int:
    """UTC offset of `zone` at the instant, in seconds."""
    offset = datetime.fromtimestamp(utc_s, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def to_wh(power_w: npt.ArrayLike, timeline: Timeline) -> IntArray:
    """Average power (W) over each timeframe to energy in whole Wh (half-even, never negative).

    Each timeframe is rounded on its own, so its value never depends on where a run starts;
    a sum over timeframes may differ from the exact energy by up to 0.5 Wh per timeframe.
    """
    energy = np.asarray(power_w, dtype=np.float64) * timeline.hours
    return np.rint(np.maximum(energy, 0.0)).astype(np.int64)


def switched(wh: IntArray, on: npt.ArrayLike | None) -> IntArray:
    """Zero the energy of rows (assets) or cells (asset, timeframe) that are switched off."""
    if on is None:
        return wh
    mask = np.asarray(on, dtype=bool)
    if mask.ndim == 1:
        mask = mask[:, None]
    return np.where(mask, wh, 0)
