"""Reading the netto: snapshots, their totals, and sums over ranges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.domain.timeframes import format_instant
from models.ports import Stores
from models.services.clock import naive_utc
from models.services.errors import NotFound


def get_snapshot(container: Stores, grid_id: str, start: datetime) -> dict[str, Any]:
    """The stored snapshot, or a 404 telling how open the timeframe still is."""
    with container.uow(write=False) as uow:
        if uow.registry.grid(grid_id) is None:
            raise NotFound(f"grid {grid_id} does not exist")
        row = uow.registry.timeframe(grid_id, naive_utc(start))
        if row is None or row.status != "closed":
            count = uow.registry.count_readings(grid_id, naive_utc(start))
            state = "open" if row is None else row.status
            raise NotFound(
                f"timeframe {format_instant(start)} is {state} with {count} reading(s); "
                "its snapshot exists once it is closed",
                status_of_timeframe=state,
                readings=count,
            )
    snapshot = container.documents.snapshots.get(grid_id, format_instant(start))
    if snapshot is None:
        raise NotFound(f"the snapshot of {format_instant(start)} is missing from the store")
    return snapshot


def _range(args: dict[str, Any]) -> tuple[str, str, int, int]:
    size = args["page_size"]
    return (
        format_instant(args["start_from"]),
        format_instant(args["start_to"]),
        (args["page"] - 1) * size,
        size,
    )


def _known_grid(container: Stores, grid_id: str) -> None:
    with container.uow(write=False) as uow:
        if uow.registry.grid(grid_id) is None:
            raise NotFound(f"grid {grid_id} does not exist")


def _community(container: Stores, grid_id: str, args: dict[str, Any]) -> str | None:
    """The `community_id` filter, or 404 when it is not a community of this grid."""
    if args.get("community_id") is None:
        return None
    community_id = str(args["community_id"])
    with container.uow(write=False) as uow:
        community = uow.communities.get(community_id)
    if community is None or community.grid_id != grid_id:
        raise NotFound(f"community {community_id} does not exist in grid {grid_id}")
    return community_id


def list_totals(container: Stores, grid_id: str, args: dict[str, Any]) -> tuple[list[Any], int]:
    """Snapshots' totals in a range; with `community_id` their `communities` hold only it."""
    _known_grid(container, grid_id)
    community_id = _community(container, grid_id, args)
    start_from, start_to, skip, limit = _range(args)
    docs, total = container.documents.snapshots.list_totals(
        grid_id, start_from, start_to, skip, limit
    )
    if community_id is not None:
        for doc in docs:
            kept = doc.get("communities", [])
            doc["communities"] = [c for c in kept if c["community_id"] == community_id]
    return docs, total


def netto(container: Stores, grid_id: str, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Per-prosumer sums over the range (one page) and the grid totals; with `community_id`
    only the lines of its members (at each close) and the community's sums."""
    _known_grid(container, grid_id)
    community_id = _community(container, grid_id, args)
    start_from, start_to, skip, limit = _range(args)
    rows, total, sums = container.documents.snapshots.netto(
        grid_id, start_from, start_to, skip, limit, community_id=community_id
    )
    if community_id is None:
        return {"prosumers": rows, "grid": sums}, total
    community = {
        "community_id": community_id,
        "production_wh": sums["produced_wh"],
        "consumption_wh": sums["consumed_wh"],
        "net_wh": sums["net_wh"],
        "timeframes": sums["timeframes"],
    }
    return {"prosumers": rows, "community": community}, total
