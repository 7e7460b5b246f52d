"""From the registry to the physics: a grid's active prosumers as `Household`s.

Assets become the physics' dataclasses with their stored parameters (decimal strings to
floats only here, at the edge of the numeric model). A prosumer's several batteries act as one
(capacities and power limits summed, the lowest efficiency, the capacity-weighted initial
state of charge). A `consumer_group`'s assets describe one member: only its consumption counts,
multiplied by `members`; it has no production and no battery.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from models.domain.physics.battery import NO_BATTERY, Battery, Controls
from models.domain.physics.household import Household
from models.domain.physics.loads import Appliance, Load, ScheduledLoad
from models.domain.physics.solar import PV
from models.domain.physics.wind import Turbine
from models.ports import AssetRecord, ControlsRecord, ProsumerRecord, UnitOfWork
from models.services.errors import Unprocessable

GROUP = "consumer_group"


@dataclass(frozen=True)
class Fleet:
    """The grid's active prosumers in registry order and what the physics runs for them."""

    prosumer_ids: list[str]
    households: list[Household]
    members: list[int]
    paused: list[bool]  # per scheduled load, in the households' order
    scheduled_ids: list[str] = field(default_factory=list)  # asset ids in the same order
    scheduled_owners: list[str] = field(default_factory=list)  # their prosumers


def asset_key(asset_id: str) -> int:
    """A stable 63-bit noise key of an asset (its id hashed)."""
    return int.from_bytes(hashlib.sha256(asset_id.encode()).digest()[:8], "big") >> 1


def load_fleet(uow: UnitOfWork, grid_id: str) -> Fleet:
    """Every active prosumer of the grid with its assets and controls."""
    prosumers = list(uow.registry.active_prosumers(grid_id))
    owned: dict[str, list[AssetRecord]] = defaultdict(list)
    for asset in uow.registry.grid_assets(grid_id):
        owned[asset.prosumer_id].append(asset)
    controls = uow.registry.grid_controls(grid_id)
    houses = [_checked(p, owned[p.id], controls.get(p.id)) for p in prosumers]
    paused = [
        bool(a.parameters.get("paused", False))
        for p in prosumers
        for a in owned[p.id]
        if a.type == "scheduled_load"
    ]
    members = [p.members or 1 if p.kind == GROUP else 1 for p in prosumers]
    scheduled = [a for p in prosumers for a in owned[p.id] if a.type == "scheduled_load"]
    return Fleet(
        [p.id for p in prosumers],
        houses,
        members,
        paused,
        [a.id for a in scheduled],
        [a.prosumer_id for a in scheduled],
    )


def _checked(
    prosumer: ProsumerRecord, assets: Sequence[AssetRecord], controls: ControlsRecord | None
) -> Household:
    """The prosumer's household, or 422 when the physics refuses one of its assets."""
    try:
        return _household(prosumer, assets, controls)
    except ValueError as exc:
        raise Unprocessable(
            f"prosumer {prosumer.id} cannot be simulated: {exc}",
            errors={"prosumer_id": [str(exc)]},
        ) from None


def _household(
    prosumer: ProsumerRecord, assets: Sequence[AssetRecord], controls: ControlsRecord | None
) -> Household:
    by_type: dict[str, list[AssetRecord]] = defaultdict(list)
    for asset in assets:
        by_type[asset.type].append(asset)
    loads = tuple(_load(a) for a in by_type["load"])
    scheduled = tuple(_scheduled(a) for a in by_type["scheduled_load"])
    if prosumer.kind == GROUP:
        apps = tuple(_appliance(a, producing=False) for a in by_type["appliance"])
        return Household(loads=loads, scheduled=scheduled, appliances=apps)
    return Household(
        turbines=tuple(_turbine(a) for a in by_type["wind_turbine"]),
        pvs=tuple(_pv(a) for a in by_type["pv"]),
        loads=loads,
        scheduled=scheduled,
        appliances=tuple(_appliance(a) for a in by_type["appliance"]),
        battery=_battery([a for a in by_type["battery"] if a.enabled]),
        controls=_controls(controls),
    )


def _f(value: Any) -> float:
    return float(Decimal(str(value)))


def _turbine(a: AssetRecord) -> Turbine:
    p = a.parameters
    curve = p.get("power_curve")
    return Turbine(
        p["rated_power_w"],
        _f(p["hub_height_m"]),
        _f(p["cut_in_m_s"]),
        _f(p["rated_m_s"]),
        _f(p["cut_out_m_s"]),
        tuple((_f(c["speed_m_s"]), _f(c["power_w"])) for c in curve) if curve else None,
        enabled=a.enabled,
    )


def _pv(a: AssetRecord) -> PV:
    p = a.parameters
    return PV(p["peak_power_w"], _f(p["tilt_deg"]), _f(p["azimuth_deg"]), enabled=a.enabled)


def _load(a: AssetRecord) -> Load:
    p = a.parameters
    weekend = p.get("weekend_profile")
    return Load(
        p["peak_w"],
        tuple(_f(x) for x in p["profile"]),
        tuple(_f(x) for x in weekend) if weekend else None,
        enabled=a.enabled,
    )


def _scheduled(a: AssetRecord) -> ScheduledLoad:
    p = a.parameters
    return ScheduledLoad(
        p["power_w"], p["energy_wh"], p["window_start"], p["window_end"], enabled=a.enabled
    )


def _appliance(a: AssetRecord, producing: bool = True) -> Appliance:
    p = a.parameters
    made = p.get("max_production_w", 0) if producing else 0
    return Appliance(asset_key(a.id), p.get("max_consumption_w", 0), made, enabled=a.enabled)


def _battery(enabled: Sequence[AssetRecord]) -> Battery:
    if not enabled:
        return NO_BATTERY
    ps = [a.parameters for a in enabled]
    capacity = sum(p["capacity_wh"] for p in ps)
    stored = sum(p["capacity_wh"] * Decimal(p["initial_soc"]) for p in ps)
    return Battery(
        capacity,
        sum(p["max_charge_w"] for p in ps),
        sum(p["max_discharge_w"] for p in ps),
        min(_f(p["round_trip_efficiency"]) for p in ps),
        float(stored / capacity) if capacity else 0.0,
    )


def _controls(record: ControlsRecord | None) -> Controls:
    if record is None:
        return Controls()
    return Controls(_f(record.input_ratio), _f(record.output_ratio))
