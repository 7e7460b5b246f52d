"""Communities: CRUD, consumption and autarky at a moment, peaks, notifications, device commands."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from api.auth.policy import access, principal, see_grid, see_prosumer
from api.communities.schemas import (
    AtArgs,
    AutarkyArgs,
    AutarkySchema,
    CommandArgs,
    CommandsSchema,
    CommunityConsumptionSchema,
    CommunityPatchSchema,
    CommunitySchema,
    GridConsumptionSchema,
    NotificationArgs,
    NotificationsSchema,
    PeakArgs,
    PeakSchema,
)
from api.context import container
from api.events.routes import BadCursor
from api.smorest import PAGE_HEADERS, Blueprint, PageArgs, page
from models.ports import CommunityRecord, UnitOfWork
from models.services import communities, consumption, registry

blp = Blueprint(
    "communities",
    __name__,
    url_prefix="/api/v1",
    description="Communities: consumption, autarky, peaks and demand response.",
)
COMMUNITY_EXAMPLE = {"name": "Community 4", "peak_threshold_w": 2000, "peak_hysteresis": "0.1"}


def visible(uow: UnitOfWork, community_id: Any) -> CommunityRecord:
    """The community if the caller's key reaches it, else 404."""
    who = principal()
    return communities.visible_community(
        uow, str(community_id), who.role, who.grid_id, who.prosumer_id
    )


@blp.route("/grids/<uuid:grid_id>/communities")
class GridCommunities(MethodView):
    @access("admin", "operator")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, CommunitySchema(many=True), headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], grid_id: Any) -> Any:
        """List a grid's communities, oldest first."""
        see_grid(str(grid_id))
        with container().uow(write=False) as uow:
            rows, total = communities.list_communities(
                uow, str(grid_id), args["page"], args["page_size"]
            )
            return page(rows, total, args)

    @access("admin", "operator")
    @blp.arguments(CommunitySchema, example=COMMUNITY_EXAMPLE)
    @blp.response(201, CommunitySchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.problems(404)
    def post(self, data: dict[str, Any], grid_id: Any) -> Any:
        """Create a community in a grid (prosumers join it through their community_id)."""
        see_grid(str(grid_id))
        with container().uow() as uow:
            community = communities.create_community(uow, str(grid_id), data)
            location = url_for("communities.CommunityById", community_id=community.id)
            return community, 201, {"Location": location}


@blp.route("/communities/<uuid:community_id>")
class CommunityById(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.etag
    @blp.response(200, CommunitySchema)
    @blp.problems(404)
    def get(self, community_id: Any) -> Any:
        """Read a community (a prosumer: its own community)."""
        with container().uow(write=False) as uow:
            return visible(uow, community_id)

    @access("admin", "operator")
    @blp.etag
    @blp.arguments(CommunityPatchSchema, example={"peak_threshold_w": 2500})
    @blp.response(200, CommunitySchema)
    @blp.problems(404)
    def patch(self, changes: dict[str, Any], community_id: Any) -> Any:
        """Change a community's name or peak rule (If-Match required)."""
        with container().uow() as uow:
            community = visible(uow, community_id)
            blp.check_etag(community, CommunitySchema)
            return communities.update_community(uow, community, changes)

    @access("admin", "operator")
    @blp.etag
    @blp.response(204)
    @blp.problems(404, 409)
    def delete(self, community_id: Any) -> None:
        """Delete a community without members (If-Match required; 409 while it has members)."""
        with container().uow() as uow:
            community = visible(uow, community_id)
            blp.check_etag(community, CommunitySchema)
            communities.delete_community(uow, community)


@blp.route("/grids/<uuid:grid_id>/consumption")
class GridConsumption(MethodView):
    @access("admin", "operator")
    @blp.arguments(AtArgs, location="query")
    @blp.response(200, GridConsumptionSchema)
    @blp.problems(404, 409)
    def get(self, args: dict[str, Any], grid_id: Any) -> Any:
        """Consumption and production of the grid and each community at a moment (W and Wh)."""
        see_grid(str(grid_id))
        return consumption.grid_consumption(container(), str(grid_id), args["at"])


@blp.route("/communities/<uuid:community_id>/consumption")
class CommunityConsumption(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.arguments(AtArgs, location="query")
    @blp.response(200, CommunityConsumptionSchema)
    @blp.problems(404, 409)
    def get(self, args: dict[str, Any], community_id: Any) -> Any:
        """A community's consumption and production at a moment (W and Wh)."""
        with container().uow(write=False) as uow:
            community = visible(uow, community_id)
        return consumption.community_consumption(container(), community, args["at"])


@blp.route("/communities/<uuid:community_id>/autarky")
class CommunityAutarky(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.arguments(AutarkyArgs, location="query")
    @blp.response(200, AutarkySchema, headers=PAGE_HEADERS)
    @blp.problems(404, 409)
    def get(self, args: dict[str, Any], community_id: Any) -> Any:
        """Autarky (production - consumption, W) and self-sufficiency at `at`, or a series."""
        with container().uow(write=False) as uow:
            community = visible(uow, community_id)
        body, total = consumption.autarky(
            container(),
            community,
            args.get("at"),
            args.get("start_from"),
            args.get("start_to"),
            args["page"],
            args["page_size"],
        )
        return page(body, total, args)


@blp.route("/communities/<uuid:community_id>/peaks")
class CommunityPeaks(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.arguments(PeakArgs, location="query")
    @blp.response(200, PeakSchema(many=True), headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], community_id: Any) -> Any:
        """A community's consumption peaks overlapping a range, oldest first."""
        with container().uow(write=False) as uow:
            community = visible(uow, community_id)
            rows, total = communities.list_peaks(
                uow,
                community,
                args["start_from"],
                args["start_to"],
                args["page"],
                args["page_size"],
            )
        return page(rows, total, args)


@blp.route("/communities/<uuid:community_id>/notifications")
class CommunityNotifications(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.arguments(NotificationArgs, location="query")
    @blp.response(200, NotificationsSchema)
    @blp.problems(400, 404)
    def get(self, args: dict[str, Any], community_id: Any) -> Any:
        """A community's notifications after a cursor: peak started or ended, autarky changed."""
        with container().uow(write=False) as uow:
            community = visible(uow, community_id)
            try:
                return communities.notifications(uow, community, args.get("after"), args["limit"])
            except ValueError as exc:
                raise BadCursor(f"after: {exc}", errors={"after": [str(exc)]}) from exc


@blp.route("/prosumers/<uuid:prosumer_id>/commands")
class ProsumerCommands(MethodView):
    @access("admin", "operator", "prosumer", "meter")
    @blp.arguments(CommandArgs, location="query")
    @blp.response(200, CommandsSchema)
    @blp.problems(404)
    def get(self, args: dict[str, Any], prosumer_id: Any) -> Any:
        """Device commands (pause, resume) for a prosumer's loads after a seq, oldest first."""
        with container().uow(write=False) as uow:
            prosumer = registry.get_prosumer(uow, str(prosumer_id))
            see_prosumer(prosumer)
            return communities.device_commands(uow, prosumer, args["after"], args["limit"])
