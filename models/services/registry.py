"""Registering grids and prosumers."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from models.ports import Totals
from models.services.clock import utcnow
from models.services.errors import Conflict, NotFound, Unprocessable
from models.sql import reads
from models.sql.tables import Grid, Prosumer

GRID_DEFAULTS = {"mechanism": "mid_market", "wei_per_minor_unit": Decimal(10**13)}


def get_grid(uow: Any, grid_id: str) -> Grid:
    grid = uow.registry.grid(grid_id)
    if grid is None:
        raise NotFound(f"grid {grid_id} does not exist")
    return grid


def check_grid(conn: Any, grid_id: str) -> None:
    """404 unless the grid exists (a Core read on `conn`)."""
    if not reads.grid_exists(conn, grid_id):
        raise NotFound(f"grid {grid_id} does not exist")


def list_prosumers(
    conn: Any, grid_id: str, page: int, size: int, total: Totals = None, **filters: Any
) -> tuple[list[Any], int]:
    """One page of a grid's prosumer rows and how many match (Core reads on `conn`), or 404.

    `total(key, count)` may answer the count from a recent one under the same key.
    """
    rows = reads.prosumer_page(conn, grid_id, page, size, **filters)
    if not rows:  # rows name their grid, which exists (foreign key): check only an empty page
        check_grid(conn, grid_id)
    key = ("prosumers", grid_id, *sorted(filters.items()))
    count = functools.partial(reads.count_prosumers, conn, grid_id, **filters)
    return rows, total(key, count) if total else count()


def dumpable(row: Any) -> Any:
    """A `list_prosumers` row as an object to serialize (instants as datetimes)."""
    return reads.typed(row)


def read_prosumer(conn: Any, prosumer_id: str) -> Any:
    """The prosumer's row (a Core read on `conn`), or 404."""
    row = reads.prosumer(conn, prosumer_id)
    if row is None:
        raise NotFound(f"prosumer {prosumer_id} does not exist")
    return row


def create_grid(uow: Any, data: dict[str, Any]) -> Grid:
    now = utcnow()
    grid = Grid(id=str(uuid.uuid4()), created_at=now, updated_at=now, **{**GRID_DEFAULTS, **data})
    _check_prices(grid)
    uow.registry.add(grid)
    uow.commit()
    return grid


# Closed trades are in the grid's currency and months are cut in its zone: changing either
# would re-book history (mixed currencies in one statement, timeframes settled twice or never).
FROZEN_ONCE_CLOSED = ("timeframe_minutes", "currency", "timezone")


# A close that crashed after writing trades re-clears with the grid's current prices: they
# must be the ones it started with, or the re-run rewrites (and leaves stale) trade lines.
FROZEN_WHILE_CLOSING = ("import_price", "feed_in_price", "mechanism")


def update_grid(uow: Any, grid: Grid, changes: dict[str, Any]) -> Grid:
    uow.registry.lock_grid(grid.id)  # serializes with closing's first phase
    changed = [f for f in changes if changes[f] != getattr(grid, f)]
    frozen = [f for f in FROZEN_ONCE_CLOSED if f in changed]
    if frozen and uow.registry.last_closed(grid.id) is not None:
        raise Conflict(f"{', '.join(frozen)} cannot change once a timeframe has been closed")
    if "timeframe_minutes" in changed and uow.registry.first_reading(grid.id) is not None:
        raise Conflict("timeframe_minutes cannot change once readings exist (they align to it)")
    pricing = [f for f in FROZEN_WHILE_CLOSING if f in changed]
    if pricing and uow.registry.timeframes_with_status(
        grid.id, "closing", datetime.min, datetime.max
    ):
        raise Conflict(
            f"{', '.join(pricing)} cannot change while a timeframe is closing; "
            "finish closing it first (close it again)"
        )
    for field, value in changes.items():
        setattr(grid, field, value)
    _check_prices(grid)
    grid.updated_at = utcnow()
    uow.commit()
    return grid


def delete_grid(uow: Any, grid: Grid) -> None:
    if uow.registry.grid_has_dependents(grid.id):
        raise Conflict(
            f"grid {grid.id} has prosumers or closed timeframes; only an unused grid is deleted"
        )
    uow.registry.delete_partners_and_keys(grid.id)
    uow.registry.delete(grid)
    uow.commit()


def _check_prices(grid: Grid) -> None:
    if Decimal(grid.feed_in_price) > Decimal(grid.import_price):
        raise Unprocessable(
            f"feed_in_price {grid.feed_in_price} exceeds import_price {grid.import_price}",
            errors={"feed_in_price": ["may not exceed import_price"]},
        )


def get_prosumer(uow: Any, prosumer_id: str) -> Prosumer:
    prosumer = uow.registry.prosumer(prosumer_id)
    if prosumer is None:
        raise NotFound(f"prosumer {prosumer_id} does not exist")
    return prosumer


def create_prosumer(uow: Any, grid: Grid, data: dict[str, Any]) -> Prosumer:
    _check_wallet_free(uow, grid.id, data["wallet"], None)
    now = utcnow()
    prosumer = Prosumer(
        id=str(uuid.uuid4()), grid_id=grid.id, created_at=now, updated_at=now, **data
    )
    prosumer.active = data.get("active", True)
    uow.registry.add(prosumer)
    uow.commit()
    return prosumer


def update_prosumer(uow: Any, prosumer: Prosumer, changes: dict[str, Any]) -> Prosumer:
    if "wallet" in changes:
        _check_wallet_free(uow, prosumer.grid_id, changes["wallet"], prosumer.id)
    for field, value in changes.items():
        setattr(prosumer, field, value)
    prosumer.updated_at = utcnow()
    uow.commit()
    return prosumer


def delete_prosumer(uow: Any, prosumer: Prosumer) -> None:
    if uow.registry.count_prosumer_history(prosumer.id):
        raise Conflict(
            f"prosumer {prosumer.id} has readings or orders; deactivate it (active=false) instead"
        )
    uow.registry.delete_keys_of(prosumer_id=prosumer.id)
    uow.registry.delete(prosumer)
    uow.commit()


def _check_wallet_free(uow: Any, grid_id: str, wallet: str, own_id: str | None) -> None:
    owner = uow.registry.wallet_owner(grid_id, wallet)
    if owner is not None and owner != own_id:
        raise Conflict(
            f"wallet {wallet} is already registered to prosumer {owner} in this grid",
            errors={"wallet": ["already registered in this grid"]},
        )
