"""API keys and partners."""

from __future__ import annotations

import marshmallow as ma

from api.fields import Instant
from api.smorest import PageArgs, StrictSchema
from models.services.keys import ROLES


class KeySchema(StrictSchema):
    id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    name = ma.fields.String(validate=ma.validate.Length(1, 200), metadata={"example": "meter 17"})
    role = ma.fields.String(
        required=True, validate=ma.validate.OneOf(ROLES), metadata={"example": "prosumer"}
    )
    grid_id = ma.fields.UUID(allow_none=True, metadata={"description": "For operator keys."})
    prosumer_id = ma.fields.UUID(allow_none=True, metadata={"description": "For prosumer/meter."})
    partner_id = ma.fields.UUID(allow_none=True, metadata={"description": "For partner keys."})
    expires_at = Instant(allow_none=True)
    prefix = ma.fields.String(dump_only=True, metadata={"example": "1a2b3c4d"})
    created_at = Instant(dump_only=True)
    revoked_at = Instant(dump_only=True, allow_none=True)
    last_used_at = Instant(dump_only=True, allow_none=True)


class NewKeySchema(KeySchema):
    secret = ma.fields.String(
        dump_only=True,
        metadata={"description": "The bearer token; shown only in this response."},
    )


class PartnerSchema(StrictSchema):
    id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    grid_id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    name = ma.fields.String(
        required=True, validate=ma.validate.Length(1, 200), metadata={"example": "Heat Map AB"}
    )
    trust_level = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(0, 10), metadata={"example": 2}
    )
    datapoints = ma.fields.Integer(
        load_default=0,
        strict=True,
        validate=ma.validate.Range(0, 10**12),
        metadata={"example": 100},
    )


class TopUpSchema(StrictSchema):
    datapoints = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(1, 10**12), metadata={"example": 500}
    )


class KeyQuerySchema(PageArgs):
    pass
