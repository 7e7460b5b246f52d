"""API keys and partners."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from api.fields import Instant, WholeNumber
from api.smorest import PageArgs, StrictSchema
from models.services.keys import ROLES
from models.services.partners import MAX_DATAPOINTS


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


BINDINGS = ("grid_id", "prosumer_id", "partner_id")
BINDING_OF = {"operator": "grid_id", "prosumer": "prosumer_id", "meter": "prosumer_id"}
BINDING_OF["partner"] = "partner_id"


def _binding_rule(roles: list[str], binding: str | None) -> dict[str, Any]:
    """JSON Schema of one role group: its own binding id required, the others absent or null."""
    properties: dict[str, Any] = {"role": {"enum": roles}}
    for name in BINDINGS:
        properties[name] = {"type": "string"} if name == binding else {"type": "null"}
    rule: dict[str, Any] = {"properties": properties}
    if binding:
        rule["required"] = [binding]
    return rule


class KeyCreateSchema(KeySchema):
    """A key is bound by exactly the id its role needs: admin none, operator grid_id,
    prosumer and meter prosumer_id, partner partner_id; the other ids are absent or null."""

    JSON_SCHEMA = {
        "oneOf": [
            _binding_rule(["admin"], None),
            _binding_rule(["operator"], "grid_id"),
            _binding_rule(["prosumer", "meter"], "prosumer_id"),
            _binding_rule(["partner"], "partner_id"),
        ]
    }

    @ma.validates_schema
    def _one_binding(self, data: dict[str, Any], **_: Any) -> None:
        needed = BINDING_OF.get(data.get("role", ""))
        errors = {
            name: [f"Not allowed for a {data['role']} key; it is bound by {needed or 'nothing'}."]
            for name in BINDINGS
            if name != needed and data.get(name) is not None
        }
        if needed and data.get(needed) is None:
            errors[needed] = [f"Required for a {data['role']} key."]
        if errors and "role" in data:
            raise ma.ValidationError(errors)


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
    trust_level = WholeNumber(
        required=True, validate=ma.validate.Range(0, 10), metadata={"example": 2}
    )
    datapoints = WholeNumber(
        load_default=0,
        validate=ma.validate.Range(0, MAX_DATAPOINTS),
        metadata={"example": 100},
    )


class TopUpSchema(StrictSchema):
    datapoints = WholeNumber(
        required=True,
        validate=ma.validate.Range(1, MAX_DATAPOINTS),
        metadata={
            "description": f"Added to the balance, which may not exceed {MAX_DATAPOINTS} (409).",
            "example": 500,
        },
    )


class KeyQuerySchema(PageArgs):
    pass
