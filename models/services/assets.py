"""A prosumer's physical assets, its battery controls, and its grid's power plant.

Parameters are stored complete (defaults filled in) as JSON: powers and energies integer W and Wh,
speeds, angles, ratios and efficiencies exact decimal strings. Rules across fields are checked on
the merged parameters, so a PATCH cannot break them either; nothing is stored on a refusal.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from models.ports import AssetRecord, ControlsRecord, PlantRecord, ProsumerRecord, UnitOfWork
from models.services.clock import utcnow
from models.services.errors import Unprocessable, found
from models.services.registry import apply_changes

# Per type: the required fields, then the optional ones with their defaults (None: absent).
ASSET_TYPES: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "wind_turbine": (
        ("rated_power_w", "hub_height_m"),
        {"cut_in_m_s": "3", "rated_m_s": "12", "cut_out_m_s": "25", "power_curve": None},
    ),
    "pv": (("peak_power_w",), {"tilt_deg": "30", "azimuth_deg": "180"}),
    "battery": (
        ("capacity_wh", "max_charge_w", "max_discharge_w"),
        {"round_trip_efficiency": "0.9", "initial_soc": "0.5"},
    ),
    "load": (("peak_w", "profile"), {"weekend_profile": None}),
    "scheduled_load": (("power_w", "energy_wh", "window_start", "window_end"), {"paused": False}),
    "appliance": ((), {"max_consumption_w": 0, "max_production_w": 0}),
}


def fields_of(kind: str) -> tuple[str, ...]:
    """Every parameter an asset of this type takes."""
    required, optional = ASSET_TYPES[kind]
    return required + tuple(optional)


def view(asset: AssetRecord) -> dict[str, Any]:
    """The asset as one flat object: its common fields and its type's parameters."""
    common = ("id", "prosumer_id", "type", "name", "enabled", "created_at", "updated_at")
    return {**asset.parameters, **{name: getattr(asset, name) for name in common}}


def get_asset(uow: UnitOfWork, asset_id: str) -> AssetRecord:
    return found(uow.registry.asset(asset_id), "asset", asset_id)


def list_assets(
    uow: UnitOfWork, prosumer: ProsumerRecord, page: int, size: int
) -> tuple[Sequence[AssetRecord], int]:
    """One page of the prosumer's assets, oldest first, and how many there are."""
    return uow.registry.assets(prosumer.id, page, size)


def create_asset(uow: UnitOfWork, prosumer: ProsumerRecord, data: dict[str, Any]) -> AssetRecord:
    """Register an asset of `data["type"]` with its parameters (defaults filled in)."""
    kind = data["type"]
    _, optional = ASSET_TYPES[kind]
    given = {f: data[f] for f in fields_of(kind) if f in data}
    parameters = _checked(kind, {**optional, **given})
    now = utcnow()
    asset = uow.registry.add_asset(
        id=str(uuid.uuid4()),
        prosumer_id=prosumer.id,
        type=kind,
        name=data["name"],
        enabled=data.get("enabled", True),
        parameters=parameters,
        created_at=now,
        updated_at=now,
    )
    uow.commit()
    return asset


def update_asset(uow: UnitOfWork, asset: AssetRecord, changes: dict[str, Any]) -> AssetRecord:
    """Change the name, the switch or parameters of the asset's own type."""
    common: dict[str, Any] = {f: changes.pop(f) for f in ("name", "enabled") if f in changes}
    foreign = sorted(set(changes) - set(fields_of(asset.type)))
    if foreign:
        raise Unprocessable(
            f"{', '.join(foreign)}: not a field of a {asset.type} asset",
            errors={f: [f"Not a field of a {asset.type} asset."] for f in foreign},
        )
    parameters = _checked(asset.type, {**asset.parameters, **changes})
    apply_changes(asset, {**common, "parameters": parameters})
    uow.commit()
    return asset


def delete_asset(uow: UnitOfWork, asset: AssetRecord) -> None:
    uow.registry.delete(asset)
    uow.commit()


def _checked(kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters as JSON values (decimals as text, absent ones dropped), or 422."""
    stored = {k: _jsonable(v) for k, v in parameters.items() if v is not None}
    if kind == "wind_turbine":
        _check_speeds(stored)
    return stored


def _jsonable(value: Any) -> Any:
    """Decimals as their exact text, lists and objects element-wise."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _check_speeds(p: dict[str, Any]) -> None:
    """cut_in_m_s < rated_m_s <= cut_out_m_s; a power curve's speeds strictly increase."""
    cut_in, rated, cut_out = (Decimal(p[f]) for f in ("cut_in_m_s", "rated_m_s", "cut_out_m_s"))
    if not cut_in < rated:
        raise Unprocessable(
            f"cut_in_m_s {cut_in} must be below rated_m_s {rated}",
            errors={"cut_in_m_s": ["Must be below rated_m_s."]},
        )
    if not rated <= cut_out:
        raise Unprocessable(
            f"cut_out_m_s {cut_out} must be at least rated_m_s {rated}",
            errors={"cut_out_m_s": ["Must be at least rated_m_s."]},
        )
    speeds = [Decimal(point["speed_m_s"]) for point in p.get("power_curve") or []]
    if any(b <= a for a, b in zip(speeds, speeds[1:], strict=False)):
        raise Unprocessable(
            "power_curve speeds must strictly increase",
            errors={"power_curve": ["Speeds must strictly increase."]},
        )


# Controls: shares of surplus into the battery and of deficit from it (the domain's defaults).
CONTROL_DEFAULTS = {"input_ratio": Decimal(1), "output_ratio": Decimal(1)}


def read_controls(uow: UnitOfWork, prosumer: ProsumerRecord) -> dict[str, Any]:
    """The prosumer's controls, or the defaults when never set."""
    controls = uow.registry.controls(prosumer.id)
    if controls is None:
        return {"prosumer_id": prosumer.id, **CONTROL_DEFAULTS, "updated_at": None}
    return _controls_view(controls)


def put_controls(
    uow: UnitOfWork, prosumer: ProsumerRecord, data: dict[str, Decimal]
) -> dict[str, Any]:
    """Set both ratios (idempotent)."""
    controls = uow.registry.controls(prosumer.id)
    if controls is None:
        controls = uow.registry.add_controls(prosumer_id=prosumer.id, updated_at=utcnow(), **data)
    elif any(getattr(controls, k) != v for k, v in data.items()):
        apply_changes(controls, data)
    uow.commit()
    return _controls_view(controls)


def _controls_view(controls: ControlsRecord) -> dict[str, Any]:
    names = ("prosumer_id", "input_ratio", "output_ratio", "updated_at")
    return {name: getattr(controls, name) for name in names}


# The plant. 820 gCO2eq/kWh: coal's life-cycle median (IPCC AR5 WG III, Annex III, Table A.III.2).
PLANT_DEFAULTS: dict[str, Any] = {
    "max_output_w": 1_000_000,
    "status": "running",
    "ratio": Decimal(0),
    "buffer_capacity_wh": 0,
    "carbon_g_per_kwh": 820,
}


def read_plant(uow: UnitOfWork, grid_id: str) -> dict[str, Any]:
    """The grid's plant, or the defaults when never changed."""
    plant = uow.registry.plant(grid_id)
    if plant is None:
        return {"grid_id": grid_id, **PLANT_DEFAULTS, "updated_at": None}
    return _plant_view(plant)


def update_plant(uow: UnitOfWork, grid_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the plant's settings (its row is made from the defaults on the first change)."""
    uow.registry.lock_grid(grid_id)
    plant = uow.registry.plant(grid_id)
    if plant is None:
        plant = uow.registry.add_plant(
            grid_id=grid_id, **{**PLANT_DEFAULTS, **changes}, updated_at=utcnow()
        )
    else:
        apply_changes(plant, changes)
    uow.commit()
    return _plant_view(plant)


def _plant_view(plant: PlantRecord) -> dict[str, Any]:
    return {name: getattr(plant, name) for name in ("grid_id", *PLANT_DEFAULTS, "updated_at")}
