"""Webhook subscriptions (admin, operator) and their deliveries."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from api.auth.policy import access, grid_scope, principal
from api.context import container
from api.smorest import PAGE_HEADERS, Blueprint, page
from api.webhooks.schemas import (
    DeliverySchema,
    NewWebhookSchema,
    WebhookPatchSchema,
    WebhookQuerySchema,
    WebhookSchema,
)
from models.services import webhooks
from models.services.errors import Forbidden

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1", description="Signed webhooks.")
EXAMPLE = {"url": "https://example.com/hooks/minigrid", "event_types": ["timeframe.closed"]}


@blp.route("/webhooks")
class Webhooks(MethodView):
    @access("admin", "operator")
    @blp.arguments(WebhookQuerySchema, location="query")
    @blp.response(200, WebhookSchema(many=True), headers=PAGE_HEADERS)
    def get(self, args: dict[str, Any]) -> Any:
        """List webhooks (an operator sees its grid's)."""
        with container().uow(write=False) as uow:
            rows, total = webhooks.list_webhooks(
                uow, grid_scope(None), args["page"], args["page_size"]
            )
        return page(rows, total, args)

    @access("admin", "operator")
    @blp.arguments(WebhookSchema, example=EXAMPLE)
    @blp.response(201, NewWebhookSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.problems(404, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Subscribe a URL to events from now on; the signing secret is shown once."""
        who = principal()
        grid = str(data["grid_id"]) if data.get("grid_id") else None
        if who.role == "operator":
            if grid not in (None, who.grid_id):
                raise Forbidden("an operator subscribes to its own grid's events only")
            grid = who.grid_id
        with container().uow() as uow:
            hook, secret = webhooks.create_webhook(container(), uow, grid, data)
            location = url_for("webhooks.WebhookById", webhook_id=hook.id)
            return {**webhooks.view(hook), "secret": secret}, 201, {"Location": location}


@blp.route("/webhooks/<uuid:webhook_id>")
class WebhookById(MethodView):
    @access("admin", "operator")
    @blp.etag
    @blp.response(200, WebhookSchema)
    @blp.problems(404)
    def get(self, webhook_id: Any) -> Any:
        """Read a webhook (without its secret)."""
        with container().uow(write=False) as uow:
            return webhooks.view(webhooks.get_webhook(uow, str(webhook_id), grid_scope(None)))

    @access("admin", "operator")
    @blp.etag
    @blp.arguments(WebhookPatchSchema, example={"active": False})
    @blp.response(200, WebhookSchema)
    @blp.problems(404, 422)
    def patch(self, changes: dict[str, Any], webhook_id: Any) -> Any:
        """Change a webhook's url, event types or active flag (If-Match required)."""
        with container().uow() as uow:
            hook = webhooks.get_webhook(uow, str(webhook_id), grid_scope(None))
            blp.check_etag(webhooks.view(hook), WebhookSchema)
            return webhooks.view(webhooks.update_webhook(container(), uow, hook, changes))

    @access("admin", "operator")
    @blp.etag
    @blp.response(204)
    @blp.problems(404)
    def delete(self, webhook_id: Any) -> None:
        """Delete a webhook and its deliveries (If-Match required)."""
        with container().uow() as uow:
            hook = webhooks.get_webhook(uow, str(webhook_id), grid_scope(None))
            blp.check_etag(webhooks.view(hook), WebhookSchema)
            webhooks.delete_webhook(uow, hook)


@blp.route("/webhooks/<uuid:webhook_id>/deliveries")
class Deliveries(MethodView):
    @access("admin", "operator")
    @blp.arguments(WebhookQuerySchema, location="query")
    @blp.response(200, DeliverySchema(many=True), headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], webhook_id: Any) -> Any:
        """List a webhook's deliveries, newest event first."""
        with container().uow(write=False) as uow:
            hook = webhooks.get_webhook(uow, str(webhook_id), grid_scope(None))
            rows, total = webhooks.list_deliveries(uow, hook, args["page"], args["page_size"])
        return page(rows, total, args)


@blp.route("/webhooks/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver")
class Redeliver(MethodView):
    @access("admin", "operator")
    @blp.response(202, DeliverySchema)
    @blp.problems(404)
    def post(self, webhook_id: Any, delivery_id: Any) -> Any:
        """Send a delivery again at the worker's next pass."""
        with container().uow() as uow:
            hook = webhooks.get_webhook(uow, str(webhook_id), grid_scope(None))
            return webhooks.redeliver(uow, hook, str(delivery_id))
