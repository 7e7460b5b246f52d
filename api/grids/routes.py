"""Grids: the registry's top level."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from api.auth.policy import access, grid_scope, see_grid
from api.context import container
from api.grids.schemas import GridPatchSchema, GridQuerySchema, GridSchema
from api.smorest import PAGE_HEADERS, Blueprint, page
from models.services import registry

blp = Blueprint("grids", __name__, url_prefix="/api/v1/grids", description="Microgrids.")
GRID_EXAMPLE = {
    "name": "Lulea East",
    "timezone": "Europe/Stockholm",
    "timeframe_minutes": 15,
    "currency": "EUR",
    "import_price": "0.30",
    "feed_in_price": "0.10",
}


@blp.route("")
class Grids(MethodView):
    @access("admin", "operator")
    @blp.arguments(GridQuerySchema, location="query")
    @blp.response(200, GridSchema(many=True), headers=PAGE_HEADERS)
    def get(self, args: dict[str, Any]) -> Any:
        """List the grids the key can see."""
        scope = grid_scope(None)
        with container().uow(write=False) as uow:
            grids, total = registry.list_grids(uow, args["page"], args["page_size"], scope)
            return page(grids, total, args)

    @access("admin")
    @blp.arguments(GridSchema, example=GRID_EXAMPLE)
    @blp.response(201, GridSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.problems(422)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a grid."""
        with container().uow() as uow:
            grid = registry.create_grid(uow, data)
            location = url_for("grids.GridById", grid_id=grid.id)
            return grid, 201, {"Location": location}


@blp.route("/<uuid:grid_id>")
class GridById(MethodView):
    @access("admin", "operator")
    @blp.etag
    @blp.response(200, GridSchema)
    @blp.problems(404)
    def get(self, grid_id: Any) -> Any:
        """Read a grid."""
        see_grid(str(grid_id))
        with container().uow(write=False) as uow:
            return registry.get_grid(uow, str(grid_id))

    @access("admin", "operator")
    @blp.etag
    @blp.arguments(GridPatchSchema, example={"import_price": "0.32"})
    @blp.response(200, GridSchema)
    @blp.problems(404, 409, 422)
    def patch(self, changes: dict[str, Any], grid_id: Any) -> Any:
        """Change a grid's settings (If-Match required)."""
        see_grid(str(grid_id))
        with container().uow() as uow:
            grid = registry.get_grid(uow, str(grid_id))
            blp.check_etag(grid, GridSchema)
            return registry.update_grid(uow, grid, changes)

    @access("admin")
    @blp.etag
    @blp.response(204)
    @blp.problems(404, 409)
    def delete(self, grid_id: Any) -> None:
        """Delete a grid without prosumers (If-Match required)."""
        with container().uow() as uow:
            grid = registry.get_grid(uow, str(grid_id))
            blp.check_etag(grid, GridSchema)
            registry.delete_grid(uow, grid)
