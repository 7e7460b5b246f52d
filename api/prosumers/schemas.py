"""Prosumer resources."""

from __future__ import annotations

import marshmallow as ma

from api.fields import Instant, StrictBoolean, Wallet, WholeNumber
from api.smorest import PageArgs, StrictSchema

KINDS = ("household", "business", "public", "producer", "consumer_group")
GROUP = "consumer_group"


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
    members = WholeNumber(
        allow_none=True,
        validate=ma.validate.Range(1, 10**6),
        metadata={
            "description": "Consumers clustered in a consumer_group (required for it, null "
            "for every other kind): only their total consumption counts.",
            "example": 40,
        },
    )
    community_id = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(36, 36),
        metadata={
            "format": "uuid",
            "description": "The community it belongs to (same grid), or null.",
            "example": None,
        },
    )
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)


class ProsumerCreateSchema(ProsumerSchema):
    """`members` is given exactly for a consumer_group."""

    JSON_SCHEMA = {
        "oneOf": [
            {
                "properties": {"kind": {"enum": [GROUP]}, "members": {"type": "integer"}},
                "required": ["members"],
            },
            {
                "properties": {
                    "kind": {"enum": [k for k in KINDS if k != GROUP]},
                    "members": {"type": "null"},
                }
            },
        ]
    }

    @ma.validates_schema
    def _members_of_groups(self, data: dict[str, object], **_: object) -> None:
        group, members = data.get("kind") == GROUP, data.get("members")
        if group and members is None:
            raise ma.ValidationError({"members": ["Required for a consumer_group."]})
        if not group and members is not None and "kind" in data:
            raise ma.ValidationError({"members": ["Only a consumer_group has members."]})


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
