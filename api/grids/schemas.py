"""Grid resources."""

from __future__ import annotations

import marshmallow as ma

from api.fields import (
    LATITUDE_PATTERN,
    LONGITUDE_PATTERN,
    DecimalString,
    Instant,
    PatternDecimal,
    WholeNumber,
    validate_currency,
    validate_timezone,
)
from api.smorest import PageArgs, StrictSchema
from models.domain.clearing import MECHANISMS

DAY_DIVISORS = [n for n in range(1, 1441) if 1440 % n == 0]


class GridSchema(StrictSchema):
    id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    name = ma.fields.String(
        required=True, validate=ma.validate.Length(1, 200), metadata={"example": "Lulea East"}
    )
    timezone = ma.fields.String(
        required=True,
        validate=validate_timezone,
        metadata={
            "description": "An IANA time zone name (the tz database's list, which changes with "
            "its releases, so not an enum here).",
            "example": "Europe/Stockholm",
        },
    )
    timeframe_minutes = WholeNumber(
        required=True,
        validate=ma.validate.OneOf(
            DAY_DIVISORS, error="Must divide 1440 (minutes in a day), e.g. 5, 15, 60."
        ),
        metadata={"description": "A divisor of 1440 (minutes in a day).", "example": 15},
    )
    currency = ma.fields.String(
        required=True, validate=validate_currency, metadata={"example": "EUR"}
    )
    import_price = DecimalString(
        required=True,
        metadata={"description": "Plant's price per kWh.", "example": "0.30"},
    )
    feed_in_price = DecimalString(
        required=True, metadata={"description": "Plant's pay per kWh exported.", "example": "0.10"}
    )
    mechanism = ma.fields.String(
        load_default="mid_market",
        validate=ma.validate.OneOf(MECHANISMS),
        metadata={
            "description": "Clearing mechanism (README, Clearing).",
            "example": "mid_market",
        },
    )
    wei_per_minor_unit = WholeNumber(
        load_default=10**13,
        validate=ma.validate.Range(min=1, max=10**24),
        metadata={
            "description": "Settlement rate: wei per minor currency unit.",
            "example": 10**13,
        },
    )
    latitude = PatternDecimal(
        LATITUDE_PATTERN,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Degrees north, -90..90 (for the sun's position).",
            "example": "65.58",
        },
    )
    longitude = PatternDecimal(
        LONGITUDE_PATTERN,
        load_default=None,
        allow_none=True,
        metadata={"description": "Degrees east, -180..180.", "example": "22.15"},
    )
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)


class GridPatchSchema(GridSchema):
    """Every field optional; only the fields sent change."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(partial=True, **kwargs)  # type: ignore[arg-type]


class GridQuerySchema(PageArgs):
    pass
