"""A prosumer's physical assets and battery controls, and a grid's power plant."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from api.assets.schemas import (
    AssetCreateSchema,
    AssetPatchSchema,
    AssetQuerySchema,
    AssetSchema,
    ControlsSchema,
    PlantSchema,
)
from api.auth.policy import access, principal, see_grid, see_prosumer
from api.context import container
from api.smorest import PAGE_HEADERS, Blueprint, page
from models.ports import AssetRecord, ProsumerRecord, UnitOfWork
from models.services import assets, registry
from models.services.errors import Forbidden

blp = Blueprint(
    "assets",
    __name__,
    url_prefix="/api/v1",
    description="Physical assets, battery controls and the grid's power plant.",
)
ASSET_EXAMPLE = {
    "type": "battery",
    "name": "garage battery",
    "capacity_wh": 10000,
    "max_charge_w": 3000,
    "max_discharge_w": 3000,
    "round_trip_efficiency": "0.9",
    "initial_soc": "0.5",
}
PROSUMER_MAY_CHANGE = frozenset({"enabled"})


def _prosumer(uow: UnitOfWork, prosumer_id: str) -> ProsumerRecord:
    """The prosumer if the caller may see it, else 404."""
    prosumer = registry.get_prosumer(uow, prosumer_id)
    see_prosumer(prosumer)
    return prosumer


def _asset(uow: UnitOfWork, asset_id: str) -> AssetRecord:
    """The asset if the caller may see its prosumer, else 404."""
    asset = assets.get_asset(uow, asset_id)
    _prosumer(uow, asset.prosumer_id)
    return asset


@blp.route("/prosumers/<uuid:prosumer_id>/assets")
class ProsumerAssets(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.arguments(AssetQuerySchema, location="query")
    @blp.response(200, AssetSchema(many=True), headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], prosumer_id: Any) -> Any:
        """List a prosumer's assets, oldest first."""
        with container().uow(write=False) as uow:
            prosumer = _prosumer(uow, str(prosumer_id))
            rows, total = assets.list_assets(uow, prosumer, args["page"], args["page_size"])
            return page([assets.view(row) for row in rows], total, args)

    @access("admin", "operator")
    @blp.arguments(AssetCreateSchema, example=ASSET_EXAMPLE)
    @blp.response(201, AssetSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.problems(404, 422)
    def post(self, data: dict[str, Any], prosumer_id: Any) -> Any:
        """Register an asset of a prosumer (its type's parameters only)."""
        with container().uow() as uow:
            prosumer = _prosumer(uow, str(prosumer_id))
            asset = assets.create_asset(uow, prosumer, data)
            location = url_for("assets.AssetById", asset_id=asset.id)
            return assets.view(asset), 201, {"Location": location}


@blp.route("/assets/<uuid:asset_id>")
class AssetById(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.etag
    @blp.response(200, AssetSchema)
    @blp.problems(404)
    def get(self, asset_id: Any) -> Any:
        """Read an asset."""
        with container().uow(write=False) as uow:
            return assets.view(_asset(uow, str(asset_id)))

    @access("admin", "operator", "prosumer")
    @blp.etag
    @blp.arguments(AssetPatchSchema, example={"enabled": False})
    @blp.response(200, AssetSchema)
    @blp.problems(404, 422)
    def patch(self, changes: dict[str, Any], asset_id: Any) -> Any:
        """Change an asset (If-Match required; a prosumer may only flip `enabled`)."""
        with container().uow() as uow:
            asset = _asset(uow, str(asset_id))
            barred = sorted(set(changes) - PROSUMER_MAY_CHANGE)
            if principal().role == "prosumer" and barred:
                raise Forbidden(f"a prosumer key cannot change {', '.join(barred)}")
            blp.check_etag(assets.view(asset), AssetSchema)
            return assets.view(assets.update_asset(uow, asset, changes))

    @access("admin", "operator")
    @blp.etag
    @blp.response(204)
    @blp.problems(404)
    def delete(self, asset_id: Any) -> None:
        """Delete an asset (If-Match required)."""
        with container().uow() as uow:
            asset = _asset(uow, str(asset_id))
            blp.check_etag(assets.view(asset), AssetSchema)
            assets.delete_asset(uow, asset)


@blp.route("/prosumers/<uuid:prosumer_id>/controls")
class ProsumerControls(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.etag
    @blp.response(200, ControlsSchema)
    @blp.problems(404)
    def get(self, prosumer_id: Any) -> Any:
        """Read a prosumer's battery controls (defaults 1 and 1 until set)."""
        with container().uow(write=False) as uow:
            return assets.read_controls(uow, _prosumer(uow, str(prosumer_id)))

    @access("admin", "operator", "prosumer")
    @blp.arguments(ControlsSchema, example={"input_ratio": "0.8", "output_ratio": "1"})
    @blp.response(200, ControlsSchema)
    @blp.problems(404)
    def put(self, data: dict[str, Any], prosumer_id: Any) -> Any:
        """Set a prosumer's battery controls (idempotent; the prosumer may set its own)."""
        with container().uow() as uow:
            return assets.put_controls(uow, _prosumer(uow, str(prosumer_id)), data)


@blp.route("/grids/<uuid:grid_id>/plant")
class GridPlant(MethodView):
    @access("admin", "operator")
    @blp.etag
    @blp.response(200, PlantSchema)
    @blp.problems(404)
    def get(self, grid_id: Any) -> Any:
        """Read a grid's power plant (its defaults until changed)."""
        see_grid(str(grid_id))
        with container().uow(write=False) as uow:
            registry.get_grid(uow, str(grid_id))
            return assets.read_plant(uow, str(grid_id))

    @access("admin", "operator")
    @blp.etag
    @blp.arguments(PlantSchema, example={"status": "stopped"})
    @blp.response(200, PlantSchema)
    @blp.problems(404)
    def patch(self, changes: dict[str, Any], grid_id: Any) -> Any:
        """Change a grid's power plant (If-Match required)."""
        see_grid(str(grid_id))
        with container().uow() as uow:
            registry.get_grid(uow, str(grid_id))
            blp.check_etag(assets.read_plant(uow, str(grid_id)), PlantSchema)
            return assets.update_plant(uow, str(grid_id), changes)
