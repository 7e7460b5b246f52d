"""Consumption per timeframe in integer Wh: load profiles, scheduled loads, appliances, sums.

numpy only. Profiles and windows are in the grid's local time (`Timeline.local_s`).
- load: peak_w x one of 24 hourly factors (a weekend profile on Saturdays and Sundays).
- scheduled_load: power_w from the window's start until energy_wh is in, each local day;
  a paused timeframe takes nothing and the rest moves later inside the same window. Window
  bounds apply to timeframe starts. Exact integer arithmetic in W*min.
- appliance: a seeded on/off usage pattern (busier 07:00-22:00) scales max consumption and
  max production.
- sum_by_owner / group_total: per-prosumer sums (a consumer group counts its members' total).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from models.domain.physics import noise
from models.domain.physics.timeline import (
    DAY_S,
    BoolArray,
    IntArray,
    Timeline,
    switched,
    to_wh,
)

_USE, _LEVEL = 10, 11  # noise streams of appliances


def _check_factors(name: str, values: tuple[float, ...] | None) -> None:
    """Require 24 factors in 0..1 (None allowed)."""
    if values is None:
        return
    if len(values) != 24 or any(not 0 <= v <= 1 for v in values):
        raise ValueError(f"{name} needs 24 hourly factors in 0..1")


@dataclass(frozen=True)
class Load:
    """A load following 24 hourly factors (local time) of its peak power."""

    peak_w: int
    profile: tuple[float, ...] = field(default_factory=lambda: (1.0,) * 24)
    weekend_profile: tuple[float, ...] | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.peak_w < 0:
            raise ValueError(f"peak_w must be >= 0, got {self.peak_w}")
        _check_factors("profile", self.profile)
        _check_factors("weekend_profile", self.weekend_profile)


def load_wh(timeline: Timeline, loads: Sequence[Load], on: npt.ArrayLike | None = None) -> IntArray:
    """Energy (Wh) of each load (rows) per timeframe; `on` switches rows or cells off."""
    if not loads:
        return np.zeros((0, timeline.count), dtype=np.int64)
    weekday = np.array([ld.profile for ld in loads], dtype=np.float64)
    weekend = np.array([ld.weekend_profile or ld.profile for ld in loads], dtype=np.float64)
    hour = timeline.local_hour
    factor = np.where(timeline.weekend[None, :], weekend[:, hour], weekday[:, hour])
    peaks = np.array([ld.peak_w for ld in loads], dtype=np.float64)[:, None]
    out = to_wh(peaks * factor, timeline)
    return switched(switched(out, np.array([ld.enabled for ld in loads])), on)


def _clock_s(text: str) -> int:
    """Seconds since midnight of local time `HH:MM`."""
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"time of day must look like HH:MM, got {text!r}")
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"time of day out of range: {text!r}")
    return int(hours) * 3600 + int(minutes) * 60


@dataclass(frozen=True)
class ScheduledLoad:
    """A load (an EV, a dishwasher) that needs energy_wh per day inside a local-time window."""

    power_w: int
    energy_wh: int
    window_start: str = "00:00"
    window_end: str = "00:00"
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.power_w < 0 or self.energy_wh < 0:
            raise ValueError("power_w and energy_wh must be >= 0")
        _clock_s(self.window_start)
        _clock_s(self.window_end)

    def window_s(self) -> tuple[int, int]:
        """Window start (seconds since local midnight) and length (a full day if start == end)."""
        start = _clock_s(self.window_start)
        length = (_clock_s(self.window_end) - start) % DAY_S
        return start, length or DAY_S


def _windows(timeline: Timeline, loads: Sequence[ScheduledLoad]) -> tuple[IntArray, BoolArray]:
    """Per load and timeframe: the window instance (monotonic) and whether the start is inside."""
    starts, lengths = (
        np.array(col)[:, None] for col in zip(*(s.window_s() for s in loads), strict=True)
    )
    shift = timeline.local_s[None, :] - starts
    instance = np.maximum.accumulate(shift // DAY_S, axis=1)
    inside = (shift - instance * DAY_S) < lengths
    inside &= shift >= instance * DAY_S
    return instance, inside


def _within_instance_cumsum(values: IntArray, instance: IntArray) -> IntArray:
    """Cumulative sums along each row that restart where the row's instance changes."""
    total = np.cumsum(values, axis=1)
    cols = np.arange(values.shape[1])[None, :]
    first = np.maximum.accumulate(np.where(_starts(instance), cols, 0), axis=1)
    before = np.take_along_axis(total, first, axis=1) - np.take_along_axis(values, first, axis=1)
    return np.asarray(total - before, dtype=np.int64)


def scheduled_wh(
    timeline: Timeline,
    loads: Sequence[ScheduledLoad],
    paused: npt.ArrayLike | None = None,
    on: npt.ArrayLike | None = None,
) -> IntArray:
    """Energy (Wh) of each scheduled load (rows) per timeframe.

    Each load runs at power_w from its window's start, skipping `paused` cells (rows, cells, or
    cells of the day before as well: see `paused_cells`), until energy_wh is delivered or the
    window ends. Computed from one day before the timeline so a run starting inside a window
    knows what that window already delivered.
    """
    if not loads:
        return np.zeros((0, timeline.count), dtype=np.int64)
    lead, instance, _, done_wh = _delivered(timeline, loads, paused)
    step_wh = np.diff(done_wh, axis=1, prepend=0)
    step_wh = np.where(_starts(instance), done_wh, step_wh)[:, lead:]
    return switched(switched(step_wh, np.array([s.enabled for s in loads])), on)


def _delivered(
    timeline: Timeline, loads: Sequence[ScheduledLoad], paused: npt.ArrayLike | None
) -> tuple[int, IntArray, BoolArray, IntArray]:
    """Over the timeline and the day before it: the lead's length in timeframes, each cell's
    window instance, whether its start is inside the window, and the Wh delivered so far."""
    lead = DAY_S // timeline.step_s
    instance, inside = _windows(lead_timeline(timeline), loads)
    running = inside & ~_pad(paused, len(loads), timeline.count, lead)
    power = np.array([s.power_w for s in loads], dtype=np.int64)[:, None]
    budget = np.array([s.energy_wh for s in loads], dtype=np.int64)[:, None] * 60
    cap = np.where(running, power * timeline.minutes, 0)
    done_wh = np.minimum(_within_instance_cumsum(cap, instance), budget) // 60
    return lead, instance, inside, np.asarray(done_wh, dtype=np.int64)


def lead_timeline(timeline: Timeline) -> Timeline:
    """The timeline with the day before it in front (what scheduled loads are computed over)."""
    lead = DAY_S // timeline.step_s
    return Timeline(
        timeline.start - timedelta(days=1), timeline.minutes, timeline.count + lead, timeline.tz
    )


def paused_cells(
    utc_s: IntArray, switches: Sequence[Sequence[tuple[int, bool]]], now: Sequence[bool]
) -> BoolArray:
    """Per load (rows) and timeframe start (`utc_s`): paused or not, from its switches
    (effective Unix second, paused), in time order. Before the first switch a load is in the
    opposite state; from its last switch on it is as it is `now` (a later manual change); a load
    without switches is as it is now throughout."""
    mask = np.zeros((len(now), len(utc_s)), dtype=bool)
    for row, (changes, current) in enumerate(zip(switches, now, strict=True)):
        if not changes:
            mask[row] = current
            continue
        times = np.array([t for t, _ in changes], dtype=np.int64)
        values = np.array([v for _, v in changes], dtype=bool)
        index = np.searchsorted(times, utc_s, side="right") - 1
        state = np.where(index >= 0, values[np.maximum(index, 0)], not changes[0][1])
        last = index == len(changes) - 1
        mask[row] = np.where(last, current, state)
    return mask


@dataclass(frozen=True)
class Shortfall:
    """A window that closed before a scheduled load got its energy."""

    load: int  # row
    closed_s: int  # Unix second the window closed (the start of its first timeframe after)
    delivered_wh: int
    shortfall_wh: int
    paused_timeframes: int  # timeframes of that window the load was paused


def shortfalls(
    timeline: Timeline, loads: Sequence[ScheduledLoad], paused: npt.ArrayLike | None = None
) -> list[Shortfall]:
    """Enabled loads whose window closed within the timeline (at or after its start, before its
    end) short of energy_wh, with what was delivered and how long they were paused."""
    if not loads or timeline.count == 0:
        return []
    lead, instance, inside, done_wh = _delivered(timeline, loads, paused)
    stopped = _pad(paused, len(loads), timeline.count, lead) & inside
    held = _within_instance_cumsum(stopped.astype(np.int64), instance)
    same = inside[:, 1:] & (instance[:, 1:] == instance[:, :-1])
    closes = inside[:, :-1] & ~same  # cell j is its window's last: it closes at cell j + 1
    closes[:, : max(lead - 1, 0)] = False
    wanted = np.array([s.energy_wh for s in loads], dtype=np.int64)[:, None]
    short = closes & (done_wh[:, :-1] < wanted) & np.array([s.enabled for s in loads])[:, None]
    utc_s = lead_timeline(timeline).utc_s
    return [
        Shortfall(
            int(row),
            int(utc_s[j + 1]),
            int(done_wh[row, j]),
            int(wanted[row, 0] - done_wh[row, j]),
            int(held[row, j]),
        )
        for row, j in zip(*np.nonzero(short), strict=True)
    ]


def _starts(instance: IntArray) -> BoolArray:
    """True where a new window instance begins along each row."""
    new = np.ones_like(instance, dtype=bool)
    new[:, 1:] = instance[:, 1:] != instance[:, :-1]
    return new


def _pad(paused: npt.ArrayLike | None, rows: int, count: int, lead: int) -> BoolArray:
    """The paused mask as (rows, lead + count): a mask of that width as given, else not paused
    during the lead."""
    mask = np.zeros((rows, count), dtype=bool)
    if paused is not None:
        given = np.asarray(paused, dtype=bool)
        if given.ndim == 2 and given.shape[1] == lead + count:
            return given
        mask |= given[:, None] if given.ndim == 1 else given
    return np.concatenate([np.zeros((rows, lead), dtype=bool), mask], axis=1)


@dataclass(frozen=True)
class Appliance:
    """A plain consumer or producer (a blender, an exercise bike); `key` seeds its usage."""

    key: int
    max_consumption_w: int = 0
    max_production_w: int = 0
    busy_share: float = 0.15
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.max_consumption_w < 0 or self.max_production_w < 0:
            raise ValueError("max_consumption_w and max_production_w must be >= 0")
        if not 0 <= self.busy_share <= 1:
            raise ValueError(f"busy_share must be in 0..1, got {self.busy_share}")


def usage(timeline: Timeline, appliance: Appliance, seed: int) -> npt.NDArray[np.float64]:
    """Share of full power per timeframe: on with the busy share by day (a tenth of it at night),
    then at a uniform level in 0.3..1."""
    chance = np.where((timeline.local_hour >= 7) & (timeline.local_hour < 22), 1.0, 0.1)
    active = noise.uniform(seed, _USE, appliance.key, timeline) < chance * appliance.busy_share
    level = 0.3 + 0.7 * noise.uniform(seed, _LEVEL, appliance.key, timeline)
    return np.where(active, level, 0.0)


def appliance_wh(
    timeline: Timeline,
    appliances: Sequence[Appliance],
    seed: int,
    on: npt.ArrayLike | None = None,
) -> tuple[IntArray, IntArray]:
    """Consumed and produced energy (Wh) of each appliance (rows) per timeframe."""
    shape = (len(appliances), timeline.count)
    use = np.zeros(shape)
    for row, appliance in enumerate(appliances):
        use[row] = usage(timeline, appliance, seed)
    enabled = np.array([a.enabled for a in appliances], dtype=bool)
    maxima = [
        np.array([getattr(a, f) for a in appliances], dtype=np.float64)[:, None]
        for f in ("max_consumption_w", "max_production_w")
    ]
    consumed, produced = (switched(switched(to_wh(use * m, timeline), enabled), on) for m in maxima)
    return consumed, produced


def sum_by_owner(owners: npt.ArrayLike, wh: IntArray, count: int) -> IntArray:
    """Rows of `wh` summed per owner index 0..count-1 (assets to prosumers)."""
    index = np.asarray(owners, dtype=np.int64)
    out = np.zeros((count, wh.shape[1]), dtype=np.int64)
    if index.size == 0:
        return out
    order = np.argsort(index, kind="stable")
    ranked = index[order]
    starts = np.flatnonzero(np.diff(ranked, prepend=-1))
    out[ranked[starts]] = np.add.reduceat(wh[order], starts, axis=0)
    return out


def group_total(members_wh: IntArray) -> IntArray:
    """A consumer group's consumption: only its members' total counts."""
    return np.asarray(members_wh.sum(axis=0, dtype=np.int64))
