"""Communities, their consumption, autarky, peaks and notifications; device commands."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from api.fields import Instant, Ratio, WholeNumber
from api.metering.schemas import MAX_RANGE, RangeArgs
from api.price.schemas import TimeframeSpanSchema
from api.smorest import PageArgs, StrictSchema

POWER = "Average power over the timeframe in W: Wh * 60 / timeframe_minutes (half-even to the W)."
MAX_W = 10**12


class CommunitySchema(StrictSchema):
    id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    grid_id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    name = ma.fields.String(
        required=True, validate=ma.validate.Length(1, 200), metadata={"example": "Community 4"}
    )
    peak_threshold_w = WholeNumber(
        required=True,
        validate=ma.validate.Range(0, MAX_W),
        metadata={
            "description": "A peak starts when the community's consumption (average W over a "
            "timeframe: Wh * 60 / timeframe_minutes) exceeds this.",
            "example": 2000,
        },
    )
    peak_hysteresis = Ratio(
        metadata={
            "description": "A peak ends below peak_threshold_w * (1 - peak_hysteresis), counting "
            "the loads it paused as running; 0..1, default 0.1.",
            "example": "0.1",
        },
    )
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)


class CommunityPatchSchema(CommunitySchema):
    """Every field optional; only the fields sent change."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(partial=True, **kwargs)  # type: ignore[arg-type]


class AtArgs(StrictSchema):
    at = Instant(
        required=True,
        metadata={"description": "Any instant; the timeframe holding it is read."},
    )


def _energy_fields() -> dict[str, ma.fields.Field]:
    return {
        "production_wh": ma.fields.Integer(),
        "consumption_wh": ma.fields.Integer(),
        "net_wh": ma.fields.Integer(metadata={"description": "production_wh - consumption_wh"}),
        "production_w": ma.fields.Integer(metadata={"description": POWER}),
        "consumption_w": ma.fields.Integer(metadata={"description": POWER}),
        "net_w": ma.fields.Integer(
            metadata={"description": "Autarky: production - consumption in W (>= 0: autarkic)."}
        ),
        "autarkic": ma.fields.Boolean(),
        "self_sufficiency": ma.fields.String(
            allow_none=True,
            metadata={
                "description": "Share of consumption met by own production, min(P, C) / C, "
                "4 decimals (null when nothing was consumed).",
                "example": "0.8500",
            },
        ),
        "readings": ma.fields.Integer(metadata={"description": "Readings received."}),
        "missing_readings": ma.fields.Integer(
            metadata={"description": "Active members registered before the end without one."}
        ),
    }


def _frame_fields() -> dict[str, ma.fields.Field]:
    return {
        "timeframe": ma.fields.Nested(TimeframeSpanSchema),
        "timeframe_minutes": ma.fields.Integer(),
        "status": ma.fields.String(validate=ma.validate.OneOf(("open", "closing", "closed"))),
        "closed": ma.fields.Boolean(metadata={"description": "Read from the closed snapshot."}),
        "complete": ma.fields.Boolean(
            metadata={"description": "False while open: readings may still arrive or change."}
        ),
    }


EnergySchema = ma.Schema.from_dict(_energy_fields(), name="EnergySchema")
GroupSchema = ma.Schema.from_dict(
    {
        "community_id": ma.fields.String(metadata={"format": "uuid"}),
        "name": ma.fields.String(allow_none=True),
        **_energy_fields(),
    },
    name="CommunityEnergySchema",
)
GridConsumptionSchema = ma.Schema.from_dict(
    {
        "grid_id": ma.fields.String(metadata={"format": "uuid"}),
        **_frame_fields(),
        **_energy_fields(),
        "communities": ma.fields.List(ma.fields.Nested(GroupSchema)),
        "outside_communities": ma.fields.Nested(
            EnergySchema, metadata={"description": "Prosumers in no community."}
        ),
    },
    name="GridConsumptionSchema",
)
CommunityConsumptionSchema = ma.Schema.from_dict(
    {
        "community_id": ma.fields.String(metadata={"format": "uuid"}),
        "grid_id": ma.fields.String(metadata={"format": "uuid"}),
        "name": ma.fields.String(),
        **_frame_fields(),
        **_energy_fields(),
        "peak_threshold_w": ma.fields.Integer(),
        "above_threshold": ma.fields.Boolean(
            metadata={"description": "consumption_w (exact) exceeds peak_threshold_w."}
        ),
    },
    name="CommunityConsumptionSchema",
)
AutarkyPointSchema = ma.Schema.from_dict(
    {**_frame_fields(), **_energy_fields()}, name="AutarkyPointSchema"
)


class AutarkySchema(ma.Schema):
    community_id = ma.fields.String(metadata={"format": "uuid"})
    grid_id = ma.fields.String(metadata={"format": "uuid"})
    timeframe_minutes = ma.fields.Integer()
    points = ma.fields.List(
        ma.fields.Nested(AutarkyPointSchema),
        metadata={"description": "One per timeframe, oldest first (one for `at`)."},
    )


class AutarkyArgs(PageArgs):
    """Either `at`, or `from` and `to` (a series of at most 400 days, paged)."""

    at = Instant(metadata={"description": "The timeframe holding this instant."})
    start_from = Instant(data_key="from", metadata={"example": "2026-10-01T00:00:00Z"})
    start_to = Instant(data_key="to", metadata={"example": "2026-10-02T00:00:00Z"})

    @ma.validates_schema
    def _one_way(self, data: dict[str, Any], **_: Any) -> None:
        ranged = "start_from" in data or "start_to" in data
        if ("at" in data) == ranged or (ranged and not {"start_from", "start_to"} <= set(data)):
            raise ma.ValidationError("give either at, or from and to", "at")
        if ranged:
            if data["start_to"] <= data["start_from"]:
                raise ma.ValidationError("must be after from", "to")
            if data["start_to"] - data["start_from"] > MAX_RANGE:
                raise ma.ValidationError("range is limited to 400 days", "to")


class PeakSchema(ma.Schema):
    id = ma.fields.String(metadata={"format": "uuid"})
    community_id = ma.fields.String(metadata={"format": "uuid"})
    started_at = ma.fields.String(metadata={"description": "Start of the first timeframe above."})
    ended_at = ma.fields.String(
        allow_none=True,
        metadata={"description": "Start of the timeframe that ended it (null: ongoing)."},
    )
    ongoing = ma.fields.Boolean()
    peak_w = ma.fields.Integer(metadata={"description": "The highest consumption seen, W."})
    peak_at = ma.fields.String(metadata={"description": "The timeframe of peak_w."})
    threshold_w = ma.fields.Integer(metadata={"description": "The threshold when it started."})


class PeakArgs(RangeArgs):
    """Peaks overlapping [from, to)."""


class NotificationArgs(StrictSchema):
    after = ma.fields.String(
        validate=ma.validate.Length(1, 64),
        metadata={"description": "Opaque cursor: notifications after it (from `cursor`)."},
    )
    limit = ma.fields.Integer(
        load_default=100,
        validate=ma.validate.Range(1, 1000),
        metadata={"description": "At most 1000.", "example": 100},
    )


class NotificationSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(metadata={"example": "Community"})
    id = ma.fields.String(metadata={"description": "The community's id."})
    event = ma.fields.String(
        validate=ma.validate.OneOf(("peak_started", "peak_ended", "autarky_gained", "autarky_lost"))
    )
    autarky = ma.fields.Boolean(metadata={"description": "On autarky notifications."})
    peak = ma.fields.Boolean(metadata={"description": "On peak notifications."})
    peak_id = ma.fields.String()
    peak_w = ma.fields.Integer()
    threshold_w = ma.fields.Integer()
    started_at = ma.fields.String()
    production_w = ma.fields.Integer()
    consumption_w = ma.fields.Integer()
    net_w = ma.fields.Integer()
    timeframe = ma.fields.String(metadata={"description": "The timeframe judged."})
    time = ma.fields.String(metadata={"description": "When it was noticed (ISO instant)."})
    cursor = ma.fields.String(metadata={"description": "Ask again with after=this."})


class NotificationsSchema(ma.Schema):
    community_id = ma.fields.String(metadata={"format": "uuid"})
    notifications = ma.fields.List(ma.fields.Nested(NotificationSchema))
    next_cursor = ma.fields.String(allow_none=True)


class CommandArgs(StrictSchema):
    after = ma.fields.Integer(
        load_default=0,
        validate=ma.validate.Range(0, 2**62),
        metadata={"description": "Commands with a larger seq (the last seq seen).", "example": 0},
    )
    limit = ma.fields.Integer(
        load_default=100,
        validate=ma.validate.Range(1, 1000),
        metadata={"description": "At most 1000.", "example": 100},
    )


class CommandSchema(ma.Schema):
    seq = ma.fields.Integer(metadata={"description": "Grows with every command (the cursor)."})
    id = ma.fields.String(metadata={"format": "uuid"})
    grid_id = ma.fields.String(metadata={"format": "uuid"})
    community_id = ma.fields.String(metadata={"format": "uuid"})
    prosumer_id = ma.fields.String(metadata={"format": "uuid"})
    asset_id = ma.fields.String(metadata={"format": "uuid"})
    peak_id = ma.fields.String(metadata={"format": "uuid"})
    action = ma.fields.String(validate=ma.validate.OneOf(("pause", "resume")))
    power_w = ma.fields.Integer()
    timeframe = ma.fields.String(
        metadata={"description": "The timeframe whose readings led to it."}
    )
    issued_at = ma.fields.String()


class CommandsSchema(ma.Schema):
    prosumer_id = ma.fields.String(metadata={"format": "uuid"})
    commands = ma.fields.List(ma.fields.Nested(CommandSchema))
    next_after = ma.fields.Integer(metadata={"description": "Ask again with after=this."})
