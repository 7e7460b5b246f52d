"""The event feed."""

from __future__ import annotations

import marshmallow as ma

from api.smorest import StrictSchema
from models.domain.events import TYPES


class EventQuerySchema(StrictSchema):
    after = ma.fields.String(
        validate=ma.validate.Length(1, 64),
        metadata={"description": "Opaque cursor: events after it (from `cursor` or a header)."},
    )
    type = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(TYPES)),
        validate=ma.validate.Length(max=len(TYPES)),
        metadata={"description": "Only these types (repeat the parameter for several)."},
    )
    grid_id = ma.fields.UUID(metadata={"description": "Only this grid's events."})
    limit = ma.fields.Integer(
        load_default=100,
        validate=ma.validate.Range(1, 1000),
        metadata={"description": "Events per page, at most 1000.", "example": 100},
    )


class EventSchema(StrictSchema):
    cursor = ma.fields.String(metadata={"description": "This event's position (opaque)."})
    id = ma.fields.String(metadata={"example": "timeframe.closed:…:2026-10-05T10:00:00Z"})
    type = ma.fields.String(metadata={"example": "timeframe.closed"})
    grid_id = ma.fields.String(metadata={"format": "uuid"})
    prosumer_id = ma.fields.String(
        allow_none=True, metadata={"description": "The prosumer it is about (null: aggregate)."}
    )
    community_id = ma.fields.String(allow_none=True)
    occurred_at = ma.fields.String(metadata={"example": "2026-10-05T10:15:02Z"})
    data = ma.fields.Dict(metadata={"description": "Type-specific; Wh and minor units exact."})


FEED_HEADERS = {
    "X-Next-Cursor": {
        "description": "Cursor after the last event of this page (ask again with it).",
        "schema": {"type": "string"},
    },
    "X-Newest-Cursor": {
        "description": "Cursor of the newest event this key may see.",
        "schema": {"type": "string"},
    },
}
