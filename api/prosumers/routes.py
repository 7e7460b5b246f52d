"""Prosumers: the households and producers of a grid."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from api.auth.policy import access, principal, see_grid, see_prosumer
from api.context import container
from api.prosumers.schemas import (
    ProsumerCreateSchema,
    ProsumerPatchSchema,
    ProsumerQuerySchema,
    ProsumerSchema,
)
from api.representations import Representations, json_response, recent_total, tagged
from api.smorest import PAGE_HEADERS, Blueprint, page
from models.services import registry
from models.services.errors import Forbidden

blp = Blueprint("prosumers", __name__, url_prefix="/api/v1", description="Prosumers of a grid.")
PROSUMER_EXAMPLE = {
    "name": "Storgatan 1",
    "address": "Storgatan 1, 972 31 Lulea",
    "kind": "household",
    "wallet": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
}
OPERATOR_ONLY_FIELDS = ("wallet", "active", "community_id")
PROSUMER_JSON = Representations(ProsumerSchema(), prepare=registry.dumpable)


@blp.route("/grids/<uuid:grid_id>/prosumers")
class GridProsumers(MethodView):
    @access("admin", "operator")
    @blp.arguments(ProsumerQuerySchema(), location="query")  # one instance, not one per request
    @blp.response(200, ProsumerSchema(many=True), headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], grid_id: Any) -> Any:
        """List a grid's prosumers (filters: kind, active, name prefix)."""
        see_grid(str(grid_id))
        with container().reading() as reads:
            rows, total = registry.list_prosumers(
                reads,
                str(grid_id),
                args["page"],
                args["page_size"],
                recent_total,
                kind=args.get("kind"),
                active=args.get("active"),
                name_prefix=args.get("name"),
            )
        return page(json_response(PROSUMER_JSON.array(rows) + b"\n"), total, args)

    @access("admin", "operator")
    @blp.arguments(ProsumerCreateSchema, example=PROSUMER_EXAMPLE)
    @blp.response(201, ProsumerSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.problems(404, 409, 422)
    def post(self, data: dict[str, Any], grid_id: Any) -> Any:
        """Register a prosumer in a grid."""
        see_grid(str(grid_id))
        with container().uow() as uow:
            grid = registry.get_grid(uow, str(grid_id))
            prosumer = registry.create_prosumer(uow, grid, data)
        location = url_for("prosumers.ProsumerById", prosumer_id=prosumer.id)
        return prosumer, 201, {"Location": location}


@blp.route("/prosumers/<uuid:prosumer_id>")
class ProsumerById(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.etag
    @blp.response(200, ProsumerSchema)
    @blp.problems(404)
    def get(self, prosumer_id: Any) -> Any:
        """Read a prosumer."""
        with container().reading() as reads:
            row = registry.read_prosumer(reads, str(prosumer_id))
        see_prosumer(row)
        return tagged(blp, *PROSUMER_JSON.one(row))

    @access("admin", "operator", "prosumer")
    @blp.etag
    @blp.arguments(ProsumerPatchSchema, example={"name": "Storgatan 1A"})
    @blp.response(200, ProsumerSchema)
    @blp.problems(404, 409, 422)
    def patch(self, changes: dict[str, Any], prosumer_id: Any) -> Any:
        """Change a prosumer (If-Match; a prosumer cannot change wallet, active, community)."""
        with container().uow() as uow:
            prosumer = registry.get_prosumer(uow, str(prosumer_id))
            see_prosumer(prosumer)  # another prosumer's record is 404 before any 403
            if principal().role == "prosumer":
                barred = [f for f in OPERATOR_ONLY_FIELDS if f in changes]
                if barred:
                    raise Forbidden(f"a prosumer key cannot change {', '.join(barred)}")
            blp.check_etag(prosumer, ProsumerSchema)
            return registry.update_prosumer(uow, prosumer, changes)

    @access("admin", "operator")
    @blp.etag
    @blp.response(204)
    @blp.problems(404, 409)
    def delete(self, prosumer_id: Any) -> None:
        """Delete a prosumer without history (If-Match required)."""
        with container().uow() as uow:
            prosumer = registry.get_prosumer(uow, str(prosumer_id))
            see_prosumer(prosumer)
            blp.check_etag(prosumer, ProsumerSchema)
            registry.delete_prosumer(uow, prosumer)
