"""Assets, controls and the plant: integers for W and Wh, decimal strings for the rest."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from api.fields import Instant, PatternDecimal, Ratio, StrictBoolean, WholeNumber
from api.smorest import PageArgs, StrictSchema
from models.services.assets import ASSET_TYPES, fields_of

MAX_W = 10**12  # a bound far above any grid, keeping every value a 64-bit integer
SPEED = r"^\d{1,2}(\.\d{1,2})?$"  # m/s, 0..99.99
TILT = r"^(90(\.0{1,6})?|[1-8]?\d(\.\d{1,6})?)$"  # degrees from horizontal, 0..90
AZIMUTH = r"^(360(\.0{1,6})?|(3[0-5]\d|[12]?\d?\d)(\.\d{1,6})?)$"  # degrees from north, 0..360
EFFICIENCY = r"^(0\.\d{0,5}[1-9]|1(\.0{1,6})?)$"  # (0, 1]
CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"  # HH:MM local time


def _watts(example: int, what: str, **kwargs: Any) -> WholeNumber:
    return WholeNumber(
        validate=ma.validate.Range(0, MAX_W),
        metadata={"description": f"{what}, integer.", "example": example},
        **kwargs,
    )


def _decimal(pattern: str, example: str, what: str, **kwargs: Any) -> PatternDecimal:
    return PatternDecimal(pattern, metadata={"description": what, "example": example}, **kwargs)


def _profile(**kwargs: Any) -> ma.fields.List:
    return ma.fields.List(
        Ratio(),
        validate=ma.validate.Length(equal=24),
        metadata={"description": "24 hourly factors (local time) of the peak, each 0..1."},
        **kwargs,
    )


class CurvePointSchema(StrictSchema):
    speed_m_s = _decimal(SPEED, "3.5", "Wind speed at hub height, m/s.", required=True)
    power_w = _watts(120, "Power at that speed, W", required=True)


class AssetFields(StrictSchema):
    """Every type's parameters; which of them an asset takes depends on its type."""

    # wind_turbine
    rated_power_w = _watts(3000, "Rated power, W")
    hub_height_m = WholeNumber(
        validate=ma.validate.Range(1, 300),
        metadata={"description": "Hub height, m.", "example": 12},
    )
    cut_in_m_s = _decimal(SPEED, "3", "Cut-in speed, m/s (default 3); below rated_m_s.")
    rated_m_s = _decimal(SPEED, "12", "Rated speed, m/s (default 12); at most cut_out_m_s.")
    cut_out_m_s = _decimal(SPEED, "25", "Cut-out speed, m/s (default 25).")
    power_curve = ma.fields.List(
        ma.fields.Nested(CurvePointSchema),
        validate=ma.validate.Length(2, 100),
        metadata={
            "description": "Explicit power curve, speeds strictly increasing; used "
            "instead of the speeds when given."
        },
    )
    # pv
    peak_power_w = _watts(5000, "Peak power at 1000 W/m2 and 25 C, W")
    tilt_deg = _decimal(TILT, "30", "Tilt from horizontal, degrees 0..90 (default 30).")
    azimuth_deg = _decimal(AZIMUTH, "180", "Azimuth from north, degrees 0..360 (default 180).")
    # battery
    capacity_wh = _watts(10000, "Capacity, Wh")
    max_charge_w = _watts(3000, "Charging power limit, W")
    max_discharge_w = _watts(3000, "Discharging power limit, W")
    round_trip_efficiency = _decimal(EFFICIENCY, "0.9", "Round-trip efficiency in (0, 1] (0.9).")
    initial_soc = Ratio(metadata={"description": "State of charge at the start, 0..1 (0.5)."})
    # load
    peak_w = _watts(2000, "Peak power, W")
    profile = _profile()
    weekend_profile = _profile(allow_none=True)
    # scheduled_load
    power_w = _watts(7400, "Charging or running power, W")
    energy_wh = _watts(15000, "Energy needed per day, Wh")
    window_start = ma.fields.String(
        validate=ma.validate.Regexp(CLOCK),
        metadata={"pattern": CLOCK, "description": "Local time HH:MM.", "example": "22:00"},
    )
    window_end = ma.fields.String(
        validate=ma.validate.Regexp(CLOCK),
        metadata={"pattern": CLOCK, "description": "Local time HH:MM.", "example": "06:00"},
    )
    paused = StrictBoolean(metadata={"description": "Set by demand response.", "example": False})
    # appliance
    max_consumption_w = _watts(800, "Most it consumes, W (default 0)")
    max_production_w = _watts(0, "Most it produces, W (default 0)")


TYPE_FIELD = {"validate": ma.validate.OneOf(tuple(ASSET_TYPES)), "metadata": {"example": "pv"}}


class AssetSchema(AssetFields):
    id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    prosumer_id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    type = ma.fields.String(required=True, **TYPE_FIELD)
    name = ma.fields.String(
        required=True, validate=ma.validate.Length(1, 200), metadata={"example": "roof south"}
    )
    enabled = StrictBoolean(load_default=True, metadata={"example": True})
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)


def _foreign(kind: str) -> list[str]:
    own = set(fields_of(kind))
    return [f for t in ASSET_TYPES for f in fields_of(t) if f not in own]


def _type_rule(kind: str, with_type: bool) -> dict[str, Any]:
    """JSON Schema of one type: its required parameters, no other type's parameter."""
    foreign = sorted(set(_foreign(kind)))
    rule: dict[str, Any] = {"not": {"anyOf": [{"required": [f]} for f in foreign]}}
    if with_type:
        rule["properties"] = {"type": {"enum": [kind]}}
        rule["required"] = ["type", *ASSET_TYPES[kind][0]]
    return rule


def _type_errors(kind: str, data: dict[str, Any], required: bool) -> dict[str, list[str]]:
    errors = {f: [f"Not a field of a {kind} asset."] for f in _foreign(kind) if f in data}
    if required:
        missing = [f for f in ASSET_TYPES[kind][0] if f not in data]
        errors.update({f: [f"Required for a {kind} asset."] for f in missing})
    return errors


class AssetCreateSchema(AssetSchema):
    """Exactly the parameters of the asset's `type` (its required ones present)."""

    JSON_SCHEMA = {"oneOf": [_type_rule(kind, True) for kind in ASSET_TYPES]}

    @ma.validates_schema
    def _fits_type(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("type") in ASSET_TYPES:
            errors = _type_errors(data["type"], data, required=True)
            if errors:
                raise ma.ValidationError(errors)


class AssetPatchSchema(AssetFields):
    """Name, switch, or parameters of one type (the asset's own, else 422); type never changes."""

    JSON_SCHEMA = {"anyOf": [_type_rule(kind, False) for kind in ASSET_TYPES]}
    name = ma.fields.String(validate=ma.validate.Length(1, 200), metadata={"example": "roof"})
    enabled = StrictBoolean(metadata={"example": False})

    @ma.validates_schema
    def _one_type(self, data: dict[str, Any], **_: Any) -> None:
        if all(_type_errors(kind, data, required=False) for kind in ASSET_TYPES):
            raise ma.ValidationError("Parameters of more than one asset type.")


class AssetQuerySchema(PageArgs):
    pass


class ControlsSchema(StrictSchema):
    prosumer_id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    input_ratio = Ratio(
        required=True,
        metadata={
            "description": "Share of surplus that charges the battery (the rest is sold); "
            "default 1.",
            "example": "0.8",
        },
    )
    output_ratio = Ratio(
        required=True,
        metadata={
            "description": "Share of deficit served from the battery (the rest is "
            "bought); default 1.",
            "example": "1",
        },
    )
    updated_at = Instant(dump_only=True, allow_none=True)


PLANT_STATUSES = ("running", "stopped")


class PlantSchema(StrictSchema):
    grid_id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    max_output_w = WholeNumber(
        validate=ma.validate.Range(0, MAX_W),
        metadata={
            "description": "Most the plant delivers, W (default 1000000).",
            "example": 1_000_000,
        },
    )
    status = ma.fields.String(
        validate=ma.validate.OneOf(PLANT_STATUSES),
        metadata={"description": "A stopped plant delivers nothing.", "example": "running"},
    )
    ratio = Ratio(
        metadata={
            "description": "Share of the plant's output kept in its buffer; the rest goes "
            "to the grid (default 0).",
            "example": "0.1",
        },
    )
    buffer_capacity_wh = WholeNumber(
        validate=ma.validate.Range(0, MAX_W),
        metadata={"description": "The buffer's capacity, Wh (default 0).", "example": 50000},
    )
    carbon_g_per_kwh = WholeNumber(
        validate=ma.validate.Range(0, 10_000),
        metadata={
            "description": "Carbon intensity of its energy, gCO2eq/kWh. Default 820, coal's "
            "life-cycle median (IPCC AR5 WG III, Annex III, Table A.III.2).",
            "example": 820,
        },
    )
    updated_at = Instant(dump_only=True, allow_none=True)
