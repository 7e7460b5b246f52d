"""API keys (operators manage their grid's) and data partners."""

from __future__ import annotations

import uuid
from typing import Any

from flask import url_for
from flask.views import MethodView

from api.auth.policy import access, grid_scope, principal, see_grid
from api.context import container
from api.keys.schemas import (
    KeyCreateSchema,
    KeyQuerySchema,
    KeySchema,
    NewKeySchema,
    PartnerSchema,
    TopUpSchema,
)
from api.smorest import PAGE_HEADERS, Blueprint, page
from models.ports import KeyRecord, UnitOfWork
from models.services import keys, partners
from models.services.clock import naive_utc
from models.services.errors import Conflict, Forbidden, NotFound

blp = Blueprint("keys", __name__, url_prefix="/api/v1", description="API keys and partners.")


def _visible_key(uow: UnitOfWork, key_id: str) -> KeyRecord:
    key = keys.get_key(uow, key_id)
    scope = grid_scope(None)
    if scope is not None and key.grid_id != scope:
        raise NotFound(f"key {key_id} does not exist")
    return key


@blp.route("/keys")
class Keys(MethodView):
    @access("admin", "operator")
    @blp.arguments(KeyQuerySchema, location="query")
    @blp.response(200, KeySchema(many=True), headers=PAGE_HEADERS)
    def get(self, args: dict[str, Any]) -> Any:
        """List API keys (an operator sees its grid's)."""
        with container().uow(write=False) as uow:
            items, total = keys.list_keys(uow, grid_scope(None), args["page"], args["page_size"])
        return page(items, total, args)

    @access("admin", "operator")
    @blp.arguments(KeyCreateSchema, example={"role": "meter", "prosumer_id": str(uuid.UUID(int=1))})
    @blp.response(201, NewKeySchema)
    @blp.problems(422)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an API key; its secret is shown once."""
        who = principal()
        if who.role == "operator" and data["role"] == "admin":
            raise Forbidden("operators cannot create admin keys")
        data = {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in data.items()}
        if data.get("expires_at"):
            data["expires_at"] = naive_utc(data["expires_at"])
            keys.expiry_in_future(data["expires_at"])
        with container().uow() as uow:
            key, secret = keys.create_key(uow, data, scope=grid_scope(None))
        body = NewKeySchema().dump(key) | {"secret": secret}
        return body, 201, {"Location": url_for("keys.KeyById", key_id=key.id)}


@blp.route("/keys/<uuid:key_id>")
class KeyById(MethodView):
    @access("admin", "operator")
    @blp.response(200, KeySchema)
    @blp.problems(404)
    def get(self, key_id: Any) -> Any:
        """Read an API key's metadata."""
        with container().uow(write=False) as uow:
            return _visible_key(uow, str(key_id))

    @access("admin", "operator")
    @blp.response(200, KeySchema)
    @blp.problems(404, 409)
    def delete(self, key_id: Any) -> Any:
        """Revoke an API key (idempotent); not the key making the request."""
        if str(key_id) == principal().key_id:
            raise Conflict("a key cannot revoke itself; revoke it with another key")
        with container().uow() as uow:
            return keys.revoke_key(uow, _visible_key(uow, str(key_id)))


@blp.route("/grids/<uuid:grid_id>/partners")
class GridPartners(MethodView):
    @access("admin", "operator")
    @blp.arguments(KeyQuerySchema, location="query")
    @blp.response(200, PartnerSchema(many=True), headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], grid_id: Any) -> Any:
        """List a grid's data partners."""
        see_grid(str(grid_id))
        with container().uow(write=False) as uow:
            items, total = partners.list_partners(
                uow, str(grid_id), args["page"], args["page_size"]
            )
        return page(items, total, args)

    @access("admin", "operator")
    @blp.arguments(PartnerSchema, example={"name": "Heat Map AB", "trust_level": 2})
    @blp.response(201, PartnerSchema)
    @blp.problems(404)
    def post(self, data: dict[str, Any], grid_id: Any) -> Any:
        """Register a data partner of a grid."""
        see_grid(str(grid_id))
        with container().uow() as uow:
            partner = partners.create_partner(uow, str(grid_id), data)
        return partner, 201


@blp.route("/partners/<uuid:partner_id>/datapoints")
class PartnerTopUp(MethodView):
    @access("admin", "operator")
    @blp.arguments(TopUpSchema, example={"datapoints": 500})
    @blp.response(200, PartnerSchema)
    @blp.problems(404, 409)
    def post(self, data: dict[str, Any], partner_id: Any) -> Any:
        """Top up a partner's datapoints, up to the maximum balance."""
        with container().uow() as uow:
            partner = partners.get_partner(uow, str(partner_id))
            see_grid(partner.grid_id)
            return partners.top_up(uow, partner, data["datapoints"])
