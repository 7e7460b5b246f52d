"""Bodies of simulations, energy flows and measured weather."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma

from api.fields import Instant, PatternDecimal, StrictBoolean
from api.metering.schemas import RangeArgs, TimeRange
from api.smorest import StrictSchema
from models.services.weather import MAX_ROWS


class FlowArgs(RangeArgs):
    """A range [from, to) of at most 400 days and a page."""


class SimulateSchema(TimeRange):
    seed = ma.fields.Integer(
        load_default=0,
        validate=ma.validate.Range(0, 2**63 - 1),
        metadata={
            "description": "Seeds the weather and appliance noise (default 0).",
            "example": 7,
        },
    )
    close = StrictBoolean(
        load_default=False,
        metadata={"description": "Close the simulated timeframes that have ended."},
    )


class ErrorSchema(ma.Schema):
    status = ma.fields.Integer(metadata={"example": 409})
    detail = ma.fields.String()


class SimulationSchema(ma.Schema):
    id = ma.fields.String()
    grid_id = ma.fields.String()
    from_ = ma.fields.String(data_key="from", attribute="from")
    to = ma.fields.String()
    seed = ma.fields.Integer()
    close = ma.fields.Boolean()
    status = ma.fields.String(
        metadata={"enum": ["queued", "running", "succeeded", "failed"], "example": "running"}
    )
    done = ma.fields.Integer(metadata={"description": "Timeframes written so far."})
    total = ma.fields.Integer()
    summary = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "The run's summary (readings counts, energy totals, weather)."},
    )
    error = ma.fields.Nested(ErrorSchema, allow_none=True)
    created_at = ma.fields.String()
    updated_at = ma.fields.String()
    status_url = ma.fields.String(metadata={"example": "/api/v1/grids/…/simulations/…"})


class SuppliedSchema(ma.Schema):
    own_production_wh = ma.fields.Integer()
    battery_wh = ma.fields.Integer()
    market_wh = ma.fields.Integer()


class FlowSchema(ma.Schema):
    prosumer_id = ma.fields.String()
    start = ma.fields.String(metadata={"example": "2026-06-01T12:00:00Z"})
    produced_wh = ma.fields.Integer()
    consumed_wh = ma.fields.Integer()
    own_use_wh = ma.fields.Integer(metadata={"description": "Production used in the house."})
    to_battery_wh = ma.fields.Integer(metadata={"description": "Energy added to the store."})
    from_battery_wh = ma.fields.Integer(metadata={"description": "Energy taken from the store."})
    bought_wh = ma.fields.Integer()
    sold_wh = ma.fields.Integer()
    losses_wh = ma.fields.Integer(metadata={"description": "Charge and discharge losses."})
    stored_wh = ma.fields.Integer(metadata={"description": "Stored energy after the timeframe."})
    capacity_wh = ma.fields.Integer()
    soc = ma.fields.Decimal(
        as_string=True, allow_none=True, metadata={"description": "stored / capacity, 4 places."}
    )
    supplied_wh = ma.fields.Nested(SuppliedSchema)
    ran_on = ma.fields.String(
        metadata={
            "enum": ["own_production", "battery", "market", "nothing"],
            "description": "The source that served most of the consumption.",
        }
    )


MEASURE_PATTERN = r"^-?\d{1,4}(\.\d{1,6})?$"


def _measure(low: int, high: int, what: str, example: str) -> PatternDecimal:
    return PatternDecimal(
        MEASURE_PATTERN,
        required=True,
        validate=ma.validate.Range(
            Decimal(low), Decimal(high), error=f"Must be between {low} and {high}."
        ),
        metadata={"description": f"{what}, {low}..{high}, a decimal string.", "example": example},
    )


class WeatherRowSchema(StrictSchema):
    time = Instant(required=True, metadata={"example": "2026-06-01T12:00:00Z"})
    wind_speed_m_s = _measure(0, 100, "Wind speed at 10 m, m/s", "6.5")
    ghi_w_m2 = _measure(0, 2000, "Global horizontal irradiance, W/m2", "640")
    temperature_c = _measure(-90, 70, "Air temperature, deg C", "18.5")


class WeatherSchema(StrictSchema):
    rows = ma.fields.List(
        ma.fields.Nested(WeatherRowSchema),
        required=True,
        validate=ma.validate.Length(max=MAX_ROWS),
        metadata={"description": f"Times strictly increasing; at most {MAX_ROWS} rows."},
    )


class WeatherRowOut(ma.Schema):
    time = ma.fields.String()
    wind_speed_m_s = ma.fields.String()
    ghi_w_m2 = ma.fields.String()
    temperature_c = ma.fields.String()


class WeatherSeriesSchema(ma.Schema):
    grid_id = ma.fields.String()
    count = ma.fields.Integer()
    first = ma.fields.String(allow_none=True)
    last = ma.fields.String(allow_none=True)
    rows = ma.fields.List(ma.fields.Nested(WeatherRowOut))
