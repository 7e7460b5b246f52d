"""Readings in; timeframes closed; snapshots and netto out."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from api.auth.policy import access, see_grid, see_prosumer
from api.context import container
from api.corrections.schemas import VersionArgs, VersionedSnapshotSchema
from api.fields import checked_instant
from api.metering.schemas import (
    BulkReadingsSchema,
    CloseArgs,
    CommunityRangeArgs,
    NettoSchema,
    OneReadingSchema,
    RangeArgs,
    ReadingSchema,
    SnapshotSchema,
    SnapshotTotalsSchema,
    UpsertResultSchema,
)
from api.smorest import PAGE_HEADERS, Blueprint, page
from models.domain.timeframes import format_instant
from models.services import metering, peaks, registry, snapshots
from models.services.closing import close_timeframe
from models.services.snapshot_versions import get_version

blp = Blueprint(
    "metering", __name__, url_prefix="/api/v1", description="Readings, timeframes and netto."
)
BULK_EXAMPLE = {
    "readings": [
        {
            "prosumer_id": "8d5e0b1c-6a7f-4c1e-9a3b-2f1d0c9b8a71",
            "produced_wh": 1200,
            "consumed_wh": 300,
        }
    ]
}


def parse_start(text: str) -> Any:
    """The {start} path segment as an aware UTC instant, or a 400 naming it."""
    try:
        return checked_instant(text)
    except ValueError as exc:
        abort(400, errors={"path": {"start": [str(exc)]}})


@blp.route("/grids/<uuid:grid_id>/timeframes/<start>/readings")
class GridReadings(MethodView):
    @access("admin", "operator")
    @blp.arguments(BulkReadingsSchema, example=BULK_EXAMPLE)
    @blp.response(200, UpsertResultSchema)
    @blp.problems(404, 409, 413, 422)
    def put(self, body: dict[str, Any], grid_id: Any, start: str) -> Any:
        """Upsert a whole timeframe's readings, all or nothing."""
        at = parse_start(start)
        see_grid(str(grid_id))
        metering.check_energy(body["readings"])
        with container().uow() as uow:
            grid = registry.get_grid(uow, str(grid_id))
            result = metering.upsert_readings(uow, grid, at, body["readings"])
        peaks.queue_evaluation(container(), str(grid_id), result)  # a worker evaluates peaks
        return result


@blp.route("/prosumers/<uuid:prosumer_id>/readings/<start>")
class ProsumerReading(MethodView):
    @access("admin", "operator", "prosumer", "meter")
    @blp.arguments(OneReadingSchema, example={"produced_wh": 1200, "consumed_wh": 300})
    @blp.response(200, UpsertResultSchema)
    @blp.problems(404, 409, 422)
    def put(self, body: dict[str, Any], prosumer_id: Any, start: str) -> Any:
        """Push one meter reading of a prosumer."""
        at = parse_start(start)
        line = {"prosumer_id": str(prosumer_id), **body}
        metering.check_energy([line])
        with container().uow() as uow:
            prosumer = registry.get_prosumer(uow, str(prosumer_id))
            see_prosumer(prosumer)
            grid = registry.get_grid(uow, prosumer.grid_id)
            result = metering.upsert_readings(uow, grid, at, [line])
        peaks.queue_evaluation(container(), grid.id, result)  # a worker evaluates peaks
        return result


@blp.route("/prosumers/<uuid:prosumer_id>/readings")
class ProsumerReadings(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.arguments(RangeArgs, location="query")
    @blp.response(200, ReadingSchema(many=True), headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], prosumer_id: Any) -> Any:
        """List a prosumer's readings in a range, oldest first."""
        with container().uow(write=False) as uow:
            prosumer = registry.get_prosumer(uow, str(prosumer_id))
            see_prosumer(prosumer)
            items, total = metering.list_readings(
                uow,
                prosumer,
                args["start_from"],
                args["start_to"],
                args["page"],
                args["page_size"],
            )
        return page(items, total, args)


@blp.route("/grids/<uuid:grid_id>/timeframes/<start>/close")
class CloseTimeframe(MethodView):
    @access("admin", "operator")
    @blp.arguments(CloseArgs, location="query")
    @blp.response(201, SnapshotSchema, description="Closed now: the new snapshot.")
    @blp.alt_response(200, schema=SnapshotSchema, description="Already closed: the same snapshot.")
    @blp.problems(404, 409, 422)
    def post(self, args: dict[str, Any], grid_id: Any, start: str) -> Any:
        """Close a timeframe: net it, clear it, store the immutable snapshot."""
        at = parse_start(start)
        see_grid(str(grid_id))
        snapshot, closed_now = close_timeframe(container(), str(grid_id), at, force=args["force"])
        return snapshot, 201 if closed_now else 200


@blp.route("/grids/<uuid:grid_id>/timeframes/<start>")
class TimeframeSnapshot(MethodView):
    @access("admin", "operator", "partner", partner_cost=5, trust=1)
    @blp.arguments(VersionArgs, location="query")
    @blp.response(200, VersionedSnapshotSchema)
    @blp.problems(400, 404)
    def get(self, args: dict[str, Any], grid_id: Any, start: str) -> Any:
        """Read a closed timeframe's snapshot (latest version, or `version`): nets and totals."""
        at = parse_start(start)
        see_grid(str(grid_id))
        return get_version(container(), str(grid_id), at, args.get("version"))


@blp.route("/grids/<uuid:grid_id>/snapshots")
class Snapshots(MethodView):
    @access("admin", "operator", "partner", partner_cost=1, trust=0)
    @blp.arguments(CommunityRangeArgs, location="query")
    @blp.response(200, SnapshotTotalsSchema(many=True), headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], grid_id: Any) -> Any:
        """List closed timeframes' totals in a range, oldest first."""
        see_grid(str(grid_id))
        items, total = snapshots.list_totals(container(), str(grid_id), args)
        return page(items, total, args)


@blp.route("/grids/<uuid:grid_id>/netto")
class Netto(MethodView):
    @access("admin", "operator", "partner", partner_cost=10, trust=2)
    @blp.arguments(CommunityRangeArgs, location="query")
    @blp.response(200, NettoSchema, headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], grid_id: Any) -> Any:
        """Per-prosumer produced, consumed and net over a range, with grid totals."""
        see_grid(str(grid_id))
        body, total = snapshots.netto(container(), str(grid_id), args)
        body.update(
            {
                "start_from": format_instant(args["start_from"]),
                "start_to": format_instant(args["start_to"]),
            }
        )
        return page(body, total, args)
