"""A whole grid's households in one vectorised pass: assets to produced/consumed Wh, then
battery dispatch into flows (numpy; pvlib and windpowerlib through `solar` and `wind`).

Each asset type is computed once for all households (rows), summed per household, then
`battery.dispatch` splits each household's energy by its controls. A consumer group is a
household holding its members' loads: only their total counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy.typing as npt

from models.domain.physics.battery import NO_BATTERY, Battery, Controls, Flows, dispatch
from models.domain.physics.loads import (
    Appliance,
    Load,
    ScheduledLoad,
    appliance_wh,
    load_wh,
    scheduled_wh,
    sum_by_owner,
)
from models.domain.physics.solar import PV, pv_wh
from models.domain.physics.timeline import IntArray, Timeline
from models.domain.physics.weather import Weather
from models.domain.physics.wind import Turbine, turbine_wh

T = TypeVar("T")


@dataclass(frozen=True)
class Household:
    """One prosumer's assets, battery and controls."""

    turbines: tuple[Turbine, ...] = ()
    pvs: tuple[PV, ...] = ()
    loads: tuple[Load, ...] = ()
    scheduled: tuple[ScheduledLoad, ...] = ()
    appliances: tuple[Appliance, ...] = ()
    battery: Battery = NO_BATTERY
    controls: Controls = field(default_factory=Controls)

    @classmethod
    def group(cls, members: Sequence[Household]) -> Household:
        """A consumer group: its members' consuming assets, no battery of its own."""
        return cls(
            loads=tuple(ld for m in members for ld in m.loads),
            scheduled=tuple(s for m in members for s in m.scheduled),
            appliances=tuple(a for m in members for a in m.appliances),
        )


def _gather(rows: Sequence[Sequence[T]]) -> tuple[list[T], list[int]]:
    """All assets of the rows (one per household) and the household index owning each."""
    assets = [asset for row in rows for asset in row]
    owners = [i for i, row in enumerate(rows) for _ in row]
    return assets, owners


def energy(
    households: Sequence[Household],
    weather: Weather,
    timeline: Timeline,
    seed: int,
    paused: npt.ArrayLike | None = None,
) -> tuple[IntArray, IntArray]:
    """Produced and consumed Wh per household (rows) and timeframe from its enabled assets.

    `paused` masks the scheduled loads (all households' in order; rows or cells), as
    `loads.scheduled_wh` takes it.
    """
    n = len(households)
    turbines, t_own = _gather([h.turbines for h in households])
    pvs, p_own = _gather([h.pvs for h in households])
    loads, l_own = _gather([h.loads for h in households])
    sched, s_own = _gather([h.scheduled for h in households])
    apps, a_own = _gather([h.appliances for h in households])
    used, made = appliance_wh(timeline, apps, seed)
    produced = [
        sum_by_owner(t_own, turbine_wh(weather, timeline, turbines), n),
        sum_by_owner(p_own, pv_wh(weather, timeline, pvs), n),
        sum_by_owner(a_own, made, n),
    ]
    consumed = [
        sum_by_owner(l_own, load_wh(timeline, loads), n),
        sum_by_owner(s_own, scheduled_wh(timeline, sched, paused), n),
        sum_by_owner(a_own, used, n),
    ]
    return _total(produced), _total(consumed)


def _total(parts: list[IntArray]) -> IntArray:
    """Element-wise sum of equally shaped integer arrays."""
    total = parts[0].copy()
    for part in parts[1:]:
        total += part
    return total


def simulate(
    households: Sequence[Household], weather: Weather, timeline: Timeline, seed: int
) -> Flows:
    """Energy of every household, dispatched through its battery by its controls."""
    produced, consumed = energy(households, weather, timeline, seed)
    batteries = [h.battery for h in households]
    controls = [h.controls for h in households]
    return dispatch(produced, consumed, batteries, controls, timeline.minutes)
