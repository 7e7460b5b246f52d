"""A grid's run as the simulation service needs it: weather blended from measured and synthetic,
households scaled by consumer-group size, batteries started from a stored level, and the flows
turned into plain integer rows per timeframe (numpy only; the service never touches arrays).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from models.domain.physics.battery import Flows, dispatch
from models.domain.physics.household import Household, energy
from models.domain.physics.loads import ScheduledLoad, lead_timeline, paused_cells, shortfalls
from models.domain.physics.timeline import BoolArray, Timeline
from models.domain.physics.weather import Weather, measured_weather, synthetic_weather

# The order of a flow row's values (FLOW_FIELDS in the document stores use the same order).
ROW = (
    "produced",
    "consumed",
    "own_use",
    "to_battery",
    "from_battery",
    "bought",
    "sold",
    "losses",
    "stored_wh",
)


@dataclass(frozen=True)
class Measured:
    """A measured series: Unix seconds (increasing) and one value per instant."""

    time_s: Sequence[int]
    wind_m_s: Sequence[float]
    ghi_w_m2: Sequence[float]
    temperature_c: Sequence[float]


def site_weather(
    timeline: Timeline,
    latitude: float,
    longitude: float,
    seed: int,
    measured: Measured | None = None,
) -> tuple[Weather, int]:
    """Synthetic weather, replaced by the measured series (linearly interpolated at each
    timeframe's middle) wherever that middle lies within the series; and how many did."""
    synthetic = synthetic_weather(timeline, latitude, longitude, seed)
    if measured is None or len(measured.time_s) == 0 or timeline.count == 0:
        return synthetic, 0
    times = np.asarray(measured.time_s, dtype=np.float64)
    middle = (timeline.utc_s + timeline.step_s // 2).astype(np.float64)
    covered = (middle >= times[0]) & (middle <= times[-1])
    if not covered.any():
        return synthetic, 0

    def blend(
        values: Sequence[float], fallback: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        return np.where(
            covered, np.interp(middle, times, np.asarray(values, dtype=float)), fallback
        )

    weather = measured_weather(
        timeline,
        latitude,
        longitude,
        blend(measured.wind_m_s, synthetic.wind_m_s),
        blend(measured.ghi_w_m2, synthetic.ghi_w_m2),
        blend(measured.temperature_c, synthetic.temperature_c),
        synthetic.wind_height_m,
    )
    return weather, int(covered.sum())


def run(
    households: Sequence[Household],
    members: Sequence[int],
    weather: Weather,
    timeline: Timeline,
    seed: int,
    stored_wh: Sequence[int | None],
    paused: npt.ArrayLike | None = None,
) -> Flows:
    """Energy of every household (consumption times its `members`), dispatched through its
    battery from `stored_wh` (None: the battery's initial state of charge)."""
    produced, consumed = energy(households, weather, timeline, seed, paused)
    consumed = consumed * np.asarray(members, dtype=np.int64)[:, None]
    batteries = [
        h.battery
        if level is None or h.battery.capacity_wh == 0
        else replace(
            h.battery, initial_soc=min(level, h.battery.capacity_wh) / h.battery.capacity_wh
        )
        for h, level in zip(households, stored_wh, strict=True)
    ]
    controls = [h.controls for h in households]
    return dispatch(produced, consumed, batteries, controls, timeline.minutes)


def columns(flows: Flows) -> Iterator[list[list[int]]]:
    """Per timeframe: the ROW values as columns (one list of Python ints per name, a value per
    household), then the households' capacities (the same list every timeframe)."""
    stacked = np.stack([getattr(flows, name) for name in ROW])  # (fields, houses, t)
    caps = capacities(flows)
    for frame in np.transpose(stacked, (2, 0, 1)).tolist():
        frame.append(caps)
        yield frame


def capacities(flows: Flows) -> list[int]:
    """Each household's usable battery capacity (Wh) in this run."""
    return [int(c) for c in flows.capacity_wh]


# --- scheduled loads paused by demand response ------------------------------------------------


def scheduled_loads(households: Sequence[Household]) -> list[ScheduledLoad]:
    """Every household's scheduled loads, in the order a paused mask lists them."""
    return [load for h in households for load in h.scheduled]


def pause_mask(
    timeline: Timeline, switches: Sequence[Sequence[tuple[int, bool]]], now: Sequence[bool]
) -> BoolArray:
    """Each scheduled load's paused cells over the timeline and the day before it (what
    `run` and `window_shortfalls` take): see `loads.paused_cells`."""
    return paused_cells(lead_timeline(timeline).utc_s, switches, now)


def window_shortfalls(
    households: Sequence[Household], timeline: Timeline, paused: npt.ArrayLike | None
) -> list[tuple[int, int, int, int, int]]:
    """(load index, window closed at Unix second, delivered Wh, short Wh, paused timeframes) of
    every window that closed in the timeline before its load got its energy."""
    found = shortfalls(timeline, scheduled_loads(households), paused)
    return [
        (s.load, s.closed_s, s.delivered_wh, s.shortfall_wh, s.paused_timeframes) for s in found
    ]
