"""Readings, snapshots and netto."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import marshmallow as ma

from api.fields import Instant, StrictBoolean, exact_integer
from api.smorest import PageArgs, StrictSchema

MAX_LINES = 50_000
MAX_RANGE = timedelta(days=400)


class EnergyWh(ma.fields.Field):
    """Integer watt-hours >= 0; checked by the use case so a bad line is a 422 naming it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=True,
            metadata={"type": "integer", "minimum": 0, "maximum": 10**12, "example": 1250},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if type(value) is int:
            return value
        number = exact_integer(value)  # 1250.0 is 1250, as in JSON Schema
        return value if number is None else number  # the use case refuses a non-integer


class ReadingLineSchema(StrictSchema):
    prosumer_id = ma.fields.String(
        required=True, validate=ma.validate.Length(1, 64), metadata={"format": "uuid"}
    )
    produced_wh = EnergyWh()
    consumed_wh = EnergyWh()


class BulkReadingsSchema(StrictSchema):
    readings = ma.fields.List(
        ma.fields.Nested(ReadingLineSchema),
        required=True,
        validate=ma.validate.Length(max=MAX_LINES),
        metadata={"description": f"Up to {MAX_LINES} lines, one per prosumer."},
    )


class OneReadingSchema(StrictSchema):
    produced_wh = EnergyWh()
    consumed_wh = EnergyWh()


class UpsertResultSchema(ma.Schema):
    inserted = ma.fields.Integer(metadata={"example": 9998})
    updated = ma.fields.Integer(metadata={"example": 1})
    unchanged = ma.fields.Integer(metadata={"example": 1})


class ReadingSchema(ma.Schema):
    prosumer_id = ma.fields.String()
    start = Instant()
    produced_wh = ma.fields.Integer()
    consumed_wh = ma.fields.Integer()
    updated_at = Instant()


class TimeRange(StrictSchema):
    """A half-open range [from, to) of at most 400 days."""

    start_from = Instant(
        required=True, data_key="from", metadata={"example": "2026-10-01T00:00:00Z"}
    )
    start_to = Instant(required=True, data_key="to", metadata={"example": "2026-11-01T00:00:00Z"})

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if "start_from" in data and "start_to" in data:
            if data["start_to"] <= data["start_from"]:
                raise ma.ValidationError("must be after from", "to")
            if data["start_to"] - data["start_from"] > MAX_RANGE:
                raise ma.ValidationError("range is limited to 400 days", "to")


class RangeArgs(TimeRange, PageArgs):
    pass


class CommunityRangeArgs(RangeArgs):
    community_id = ma.fields.UUID(
        metadata={"description": "Only this community: its members' lines and its totals."}
    )


class CloseArgs(StrictSchema):
    force = StrictBoolean(
        words=True,
        load_default=False,
        metadata={"description": "Close before the timeframe has ended."},
    )


class LineSchema(ma.Schema):
    prosumer_id = ma.fields.String()
    produced_wh = ma.fields.Integer()
    consumed_wh = ma.fields.Integer()
    net_wh = ma.fields.Integer()
    missing = ma.fields.Boolean()
    community_id = ma.fields.String(
        metadata={"description": "The prosumer's community at the close (absent: none)."}
    )


class CommunityTotalsSchema(ma.Schema):
    """A community's totals in a closed timeframe (hashed with the snapshot)."""

    community_id = ma.fields.String()
    prosumers = ma.fields.Integer(metadata={"description": "Members listed at the close."})
    missing = ma.fields.Integer(metadata={"description": "Members without a reading."})
    production_wh = ma.fields.Integer()
    consumption_wh = ma.fields.Integer()
    net_wh = ma.fields.Integer()
    production_w = ma.fields.Integer(metadata={"description": "Wh * 60 / timeframe_minutes."})
    consumption_w = ma.fields.Integer(metadata={"description": "Wh * 60 / timeframe_minutes."})
    net_w = ma.fields.Integer(metadata={"description": "Autarky: production - consumption, W."})
    autarkic = ma.fields.Boolean()
    self_sufficiency = ma.fields.String(allow_none=True)
    peak = ma.fields.Boolean(metadata={"description": "consumption_w exceeded the threshold."})
    peak_threshold_w = ma.fields.Integer()


class TotalsSchema(ma.Schema):
    prosumers = ma.fields.Integer()
    production_wh = ma.fields.Integer()
    consumption_wh = ma.fields.Integer()
    surplus_wh = ma.fields.Integer()
    deficit_wh = ma.fields.Integer()
    net_wh = ma.fields.Integer()
    export_wh = ma.fields.Integer()
    import_wh = ma.fields.Integer()


def _plant_wh(description: str, example: int) -> ma.fields.Integer:
    return ma.fields.Integer(
        metadata={"description": description, "minimum": 0, "example": example}
    )


class PlantPartSchema(ma.Schema):
    """The power plant's part in a closed timeframe (README "Assets and the plant")."""

    status = ma.fields.String(
        metadata={
            "description": "The plant's status at the close; a stopped one generates nothing "
            "(its buffer still serves).",
            "enum": ["running", "stopped"],
            "example": "running",
        }
    )
    max_output_wh = _plant_wh(
        "Most it could generate in the timeframe: floor(max_output_w * minutes / 60); 0 stopped.",
        10000,
    )
    ratio = ma.fields.String(
        metadata={
            "description": "Share of its output kept in its buffer, at the close.",
            "example": "0.2",
        }
    )
    buffer_capacity_wh = _plant_wh("The buffer's capacity at the close.", 5000)
    carbon_g_per_kwh = _plant_wh("Carbon intensity at the close, gCO2eq/kWh.", 820)
    need_wh = _plant_wh("The grid's import need: totals.import_wh.", 12000)
    generated_wh = _plant_wh("What it generated: to the grid directly plus to its buffer.", 10000)
    delivered_wh = _plant_wh(
        "What the grid received from it, fresh output and buffer; need = delivered + unserved.",
        12000,
    )
    from_buffer_wh = _plant_wh("Part of delivered_wh that came out of its buffer.", 2000)
    to_buffer_wh = _plant_wh("Part of generated_wh put into its buffer.", 0)
    unserved_wh = _plant_wh(
        "Import need it could not deliver: stopped, or above max output plus buffer.", 0
    )
    buffer_before_wh = _plant_wh(
        "Buffer level at the start: what the timeframe before left (0 if that one is not "
        "closed), at most the capacity.",
        2500,
    )
    buffer_after_wh = _plant_wh("Buffer level at the end, carried to the next timeframe.", 500)
    buffer_spilled_wh = _plant_wh(
        "Carried buffer energy above a lowered capacity, let go at the start.", 0
    )
    carbon_g = _plant_wh(
        "Carbon of the imports: delivered_wh * carbon_g_per_kwh / 1000 grams, rounded "
        "half-even once.",
        9840,
    )


class SnapshotSchema(ma.Schema):
    grid_id = ma.fields.String()
    start = ma.fields.String(metadata={"format": "date-time"})
    end = ma.fields.String(metadata={"format": "date-time"})
    timeframe_minutes = ma.fields.Integer()
    lines = ma.fields.List(ma.fields.Nested(LineSchema))
    missing = ma.fields.List(ma.fields.String())
    totals = ma.fields.Nested(TotalsSchema)
    communities = ma.fields.List(
        ma.fields.Nested(CommunityTotalsSchema),
        metadata={"description": "Per-community totals (absent when the grid had none)."},
    )
    plant = ma.fields.Nested(
        PlantPartSchema,
        allow_none=True,
        dump_default=None,
        metadata={
            "description": "What the grid's power plant delivered, could not deliver, kept in "
            "its buffer and emitted in this timeframe; null for timeframes closed before the "
            "plant was accounted."
        },
    )
    content_hash = ma.fields.String(metadata={"description": "sha256 of the canonical JSON."})


class SnapshotTotalsSchema(SnapshotSchema):
    class Meta:
        exclude = ("lines", "missing")


class NettoRowSchema(LineSchema):
    """A prosumer's sums over a range; `missing` counts its timeframes without a reading."""

    timeframes = ma.fields.Integer()
    missing = ma.fields.Integer()  # type: ignore[assignment]


class GridTotalsSchema(TotalsSchema):
    """Sums of the snapshots' totals over a range."""

    timeframes = ma.fields.Integer()

    class Meta:
        exclude = ("prosumers",)


class CommunityNettoSchema(ma.Schema):
    """Sums of a community's lines over a range (its members at each close)."""

    community_id = ma.fields.String()
    production_wh = ma.fields.Integer()
    consumption_wh = ma.fields.Integer()
    net_wh = ma.fields.Integer()
    timeframes = ma.fields.Integer()


class NettoSchema(ma.Schema):
    start_from = ma.fields.String(data_key="from")
    start_to = ma.fields.String(data_key="to")
    prosumers = ma.fields.List(ma.fields.Nested(NettoRowSchema))
    grid = ma.fields.Nested(GridTotalsSchema, metadata={"description": "Absent with community_id."})
    community = ma.fields.Nested(
        CommunityNettoSchema, metadata={"description": "With community_id only."}
    )
