"""The ordered feed of domain events, scoped by the caller's key."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from api.auth.policy import access, principal
from api.context import container
from api.events.schemas import FEED_HEADERS, EventQuerySchema, EventSchema
from api.smorest import Blueprint
from models.services import events
from models.services.errors import DomainError

blp = Blueprint("events", __name__, url_prefix="/api/v1", description="Domain events.")


class BadCursor(DomainError):
    status, slug, title = 400, "bad-request", "Bad request"


@blp.route("/events")
class Events(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.arguments(EventQuerySchema, location="query")
    @blp.response(200, EventSchema(many=True), headers=FEED_HEADERS)
    @blp.problems(400)
    def get(self, args: dict[str, Any]) -> Any:
        """Read events after a cursor, oldest first (a prosumer: its own and aggregates)."""
        who = principal()
        stores = container()
        scope = events.scope_of(stores, who.role, who.grid_id, who.prosumer_id)
        grid = str(args["grid_id"]) if "grid_id" in args else None
        try:
            feed = events.read_feed(
                stores, scope, args.get("after"), args.get("type") or [], grid, args["limit"]
            )
        except ValueError as exc:
            raise BadCursor(f"after: {exc}", errors={"after": [str(exc)]}) from exc
        headers = {
            "X-Next-Cursor": feed.next_cursor or "",
            "X-Newest-Cursor": feed.newest_cursor or "",
        }
        # stored events are already the response's JSON shape: written out without marshmallow
        response: Response = current_app.json.response(feed.events)
        response.headers.update({k: v for k, v in headers.items() if v})
        return response
