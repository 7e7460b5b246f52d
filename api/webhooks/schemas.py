"""Webhook subscriptions and their deliveries."""

from __future__ import annotations

import marshmallow as ma

from api.fields import Instant, StrictBoolean
from api.smorest import PageArgs, StrictSchema
from models.domain.events import TYPES

LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
URL_PATTERN = rf"^https?://{LABEL}(?:\.{LABEL})*(?::[0-9]{{1,5}})?(?:/[A-Za-z0-9._~%/+=&?-]*)?$"
URL = [
    ma.validate.Length(1, 2000),
    ma.validate.Regexp(URL_PATTERN, error="url must be http(s)://host[:port][/path]"),
]


class WebhookSchema(StrictSchema):
    id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    grid_id = ma.fields.UUID(
        allow_none=True,
        metadata={"description": "The grid whose events it receives (admins: null for all)."},
    )
    url = ma.fields.String(
        required=True, validate=URL, metadata={"example": "https://example.com/hooks/minigrid"}
    )
    event_types = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(TYPES)),
        validate=ma.validate.Length(max=len(TYPES)),
        metadata={"description": "Types to receive (empty or absent: all).", "example": []},
    )
    active = StrictBoolean(load_default=True, metadata={"example": True})
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)


class NewWebhookSchema(WebhookSchema):
    secret = ma.fields.String(
        dump_only=True,
        metadata={"description": "The signing secret (Standard Webhooks), shown only here."},
    )


class WebhookPatchSchema(StrictSchema):
    url = ma.fields.String(validate=URL)
    event_types = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(TYPES)),
        validate=ma.validate.Length(max=len(TYPES)),
    )
    active = StrictBoolean()


class WebhookQuerySchema(PageArgs):
    pass


class DeliverySchema(StrictSchema):
    id = ma.fields.String(metadata={"format": "uuid"})
    webhook_id = ma.fields.String(metadata={"format": "uuid"})
    event_id = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["pending", "succeeded", "failed"]})
    attempts = ma.fields.Integer()
    last_status_code = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    next_attempt_at = Instant(allow_none=True)
    delivered_at = Instant(allow_none=True)
    created_at = Instant()
    updated_at = Instant()
