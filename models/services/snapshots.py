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


def list_totals(container: Stores, grid_id: str, args: dict[str, Any]) -> tuple[list[Any], int]:
    _known_grid(container, grid_id)
    start_from, start_to, skip, limit = _range(args)
    return container.documents.snapshots.list_totals(grid_id, start_from, start_to, skip, limit)


def netto(container: Stores, grid_id: str, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Per-prosumer sums over the range (one page) and the grid totals."""
    _known_grid(container, grid_id)
    start_from, start_to, skip, limit = _range(args)
    rows, total, grid = container.documents.snapshots.netto(
        grid_id, start_from, start_to, skip, limit
    )
    return {"prosumers": rows, "grid": grid}, total
