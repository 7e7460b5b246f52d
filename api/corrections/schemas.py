"""Corrections of closed timeframes, their adjustment trades, and snapshot versions."""

from __future__ import annotations

import marshmallow as ma

from api.fields import Instant
from api.metering.schemas import MAX_LINES, ReadingLineSchema, SnapshotSchema
from api.smorest import StrictSchema


class CorrectionBodySchema(StrictSchema):
    reason = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 1000),
        metadata={"description": "Why the readings change (shown with the correction)."},
    )
    readings = ma.fields.List(
        ma.fields.Nested(ReadingLineSchema),
        required=True,
        validate=ma.validate.Length(1, MAX_LINES),
        metadata={
            "description": f"1 to {MAX_LINES} corrected readings, one per prosumer; the "
            "others keep their values."
        },
    )


class AdjustmentTradeSchema(ma.Schema):
    id = ma.fields.String(attribute="_id", metadata={"example": "<grid>:<start>:v0002:000000"})
    timeframe_start = ma.fields.String(metadata={"format": "date-time"})
    line = ma.fields.Integer()
    seller = ma.fields.String(metadata={"description": "A prosumer id, grid, plant or rounding."})
    buyer = ma.fields.String(metadata={"description": "A prosumer id, grid, plant or rounding."})
    energy_wh = ma.fields.Integer(
        metadata={"description": "Wh more (negative: fewer) from seller to buyer than booked."}
    )
    amount_minor = ma.fields.Integer(
        metadata={"description": "Money more (negative: less) from buyer to seller than booked."}
    )
    currency = ma.fields.String()
    kind = ma.fields.String(metadata={"example": "adjustment"})
    correction_id = ma.fields.String()
    from_version = ma.fields.Integer()
    to_version = ma.fields.Integer()


class CorrectionLineSchema(ma.Schema):
    prosumer_id = ma.fields.String()
    produced_wh = ma.fields.Integer()
    consumed_wh = ma.fields.Integer()


class CorrectionSchema(ma.Schema):
    id = ma.fields.String(metadata={"format": "uuid"})
    grid_id = ma.fields.String(metadata={"format": "uuid"})
    timeframe_start = Instant()
    version = ma.fields.Integer(metadata={"description": "The snapshot version it created."})
    status = ma.fields.String(
        metadata={"description": "applied, or applying while it is written (a retry finishes it)."}
    )
    reason = ma.fields.String()
    readings = ma.fields.List(ma.fields.Nested(CorrectionLineSchema))
    created_by = ma.fields.String(metadata={"description": "The id of the API key that sent it."})
    created_role = ma.fields.String(metadata={"example": "operator"})
    created_at = Instant()
    applied_at = Instant(allow_none=True)
    snapshot_hash = ma.fields.String(allow_none=True)
    previous_hash = ma.fields.String(allow_none=True)
    month = ma.fields.String(
        allow_none=True, metadata={"description": "The month (grid's zone) it belongs to."}
    )
    settled_in = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "The settlement run (<grid>:<period>) that settled its adjustments; "
            "null while they wait."
        },
    )
    adjustments = ma.fields.List(ma.fields.Nested(AdjustmentTradeSchema))


class VersionArgs(StrictSchema):
    version = ma.fields.Integer(
        validate=ma.validate.Range(1, 10**6),
        metadata={"description": "Read this version (1: as closed); default the latest."},
    )


class VersionEntrySchema(ma.Schema):
    version = ma.fields.Integer()
    content_hash = ma.fields.String(allow_none=True)
    previous_hash = ma.fields.String(allow_none=True)
    correction_id = ma.fields.String(allow_none=True)
    recorded_at = Instant(allow_none=True)
    reason = ma.fields.String(allow_none=True)


class VersionedSnapshotSchema(SnapshotSchema):
    version = ma.fields.Integer(metadata={"description": "1 as closed; 2, 3, … corrected."})
    previous_hash = ma.fields.String(
        metadata={"description": "The content hash of the version before (versions >= 2)."}
    )
    correction_id = ma.fields.String(metadata={"description": "The correction that made it."})
    versions = ma.fields.List(
        ma.fields.Nested(VersionEntrySchema),
        metadata={"description": "Every version of the timeframe, oldest first."},
    )
