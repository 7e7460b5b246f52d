"""Prosumer resources."""

from __future__ import annotations

import marshmallow as ma

from api.fields import Instant, StrictBoolean, Wallet
from api.smorest import PageArgs, StrictSchema

KINDS = ("household", "business", "public", "producer")


class ProsumerSchema(StrictSchema):
    id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    grid_id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    name = ma.fields.String(
        required=True, validate=ma.validate.Length(1, 200), metadata={"example": "Storgatan 1"}
    )
    address = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 500),
        metadata={"example": "Storgatan 1, 972 31 Lulea"},
    )
    kind = ma.fields.String(
        required=True, validate=ma.validate.OneOf(KINDS), metadata={"example": "household"}
    )
    wallet = Wallet(required=True)
    active = StrictBoolean(load_default=True, metadata={"example": True})
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)


class ProsumerPatchSchema(ProsumerSchema):
    """Every field optional; only the fields sent change."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(partial=True, **kwargs)  # type: ignore[arg-type]


class ProsumerQuerySchema(PageArgs):
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS))
    active = StrictBoolean(words=True)
    name = ma.fields.String(
        validate=ma.validate.Length(1, 200), metadata={"description": "Name prefix."}
    )
