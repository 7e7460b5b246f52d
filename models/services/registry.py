"""Registering grids and prosumers."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Protocol

from models.ports import (
    PROSUMER_PAGE_FIELDS,
    GridRecord,
    ProsumerRecord,
    Reads,
    Totals,
    UnitOfWork,
)
from models.services.clock import utcnow
from models.services.errors import Conflict, NotFound, Unprocessable, found

GRID_DEFAULTS = {"mechanism": "mid_market", "wei_per_minor_unit": Decimal(10**13)}


def get_grid(uow: UnitOfWork, grid_id: str) -> GridRecord:
    return found(uow.registry.grid(grid_id), "grid", grid_id)


def list_grids(
    uow: UnitOfWork, page: int, size: int, scope: str | None
) -> tuple[Sequence[GridRecord], int]:
    """One page of grids, oldest first (only `scope` when given), and how many there are."""
    return uow.registry.grids(page, size, None if scope is None else [scope])


def check_grid(reads: Reads, grid_id: str) -> None:
    """404 unless the grid exists."""
    if not reads.grid_exists(grid_id):
        raise NotFound(f"grid {grid_id} does not exist")


def list_prosumers(
    reads: Reads, grid_id: str, page: int, size: int, total: Totals = None, **filters: Any
) -> tuple[list[Any], int]:
    """One page of a grid's prosumer rows and how many match, or 404.

    `total(key, count)` may answer the count from a recent one under the same key.
    """
    rows = reads.prosumer_page(grid_id, page, size, **filters)
    if not rows:  # rows name their grid, which exists (foreign key): check only an empty page
        check_grid(reads, grid_id)
    key = ("prosumers", grid_id, *sorted(filters.items()))
    count = functools.partial(reads.count_prosumers, grid_id, **filters)
    return rows, total(key, count) if total else count()


PROSUMER_INSTANTS = ("created_at", "updated_at")


def dumpable(row: Any) -> SimpleNamespace:
    """A prosumer row (a page's plain tuple or a read's row) as an object to serialize."""
    values = dict(zip(PROSUMER_PAGE_FIELDS, row, strict=True))
    for name in PROSUMER_INSTANTS:
        if isinstance(values[name], str):  # SQLite keeps instants as text
            values[name] = datetime.fromisoformat(values[name])
    values["active"] = bool(values["active"])  # SQLite keeps 0 or 1
    return SimpleNamespace(**values)


def read_prosumer(reads: Reads, prosumer_id: str) -> ProsumerRecord:
    """The prosumer's row, or 404."""
    return found(reads.prosumer(prosumer_id), "prosumer", prosumer_id)


def create_grid(uow: UnitOfWork, data: dict[str, Any]) -> GridRecord:
    fields = {**GRID_DEFAULTS, **data}
    _check_prices(fields["feed_in_price"], fields["import_price"])
    now = utcnow()
    grid = uow.registry.add_grid(id=str(uuid.uuid4()), created_at=now, updated_at=now, **fields)
    uow.commit()
    return grid


# Closed trades are in the grid's currency and months are cut in its zone: changing either
# would re-book history (mixed currencies in one statement, timeframes settled twice or never).
FROZEN_ONCE_CLOSED = ("timeframe_minutes", "currency", "timezone")


# A close that crashed after writing trades re-clears with the grid's current prices: they
# must be the ones it started with, or the re-run rewrites (and leaves stale) trade lines.
FROZEN_WHILE_CLOSING = ("import_price", "feed_in_price", "mechanism")


def update_grid(uow: UnitOfWork, grid: GridRecord, changes: dict[str, Any]) -> GridRecord:
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
    apply_changes(grid, changes)
    _check_prices(grid.feed_in_price, grid.import_price)
    uow.commit()
    return grid


def delete_grid(uow: UnitOfWork, grid: GridRecord) -> None:
    if uow.registry.grid_has_dependents(grid.id):
        raise Conflict(
            f"grid {grid.id} has prosumers or closed timeframes; only an unused grid is deleted"
        )
    uow.registry.delete_partners_and_keys(grid.id)
    uow.registry.delete_plant(grid.id)
    uow.communities.delete_of_grid(grid.id)
    uow.registry.delete(grid)
    uow.commit()


def _check_prices(feed_in_price: Decimal, import_price: Decimal) -> None:
    if Decimal(feed_in_price) > Decimal(import_price):
        raise Unprocessable(
            f"feed_in_price {feed_in_price} exceeds import_price {import_price}",
            errors={"feed_in_price": ["may not exceed import_price"]},
        )


def get_prosumer(uow: UnitOfWork, prosumer_id: str) -> ProsumerRecord:
    return found(uow.registry.prosumer(prosumer_id), "prosumer", prosumer_id)


def create_prosumer(uow: UnitOfWork, grid: GridRecord, data: dict[str, Any]) -> ProsumerRecord:
    _check_wallet_free(uow, grid.id, data["wallet"], None)
    now = utcnow()
    fields = {"active": True, "members": None, **data}
    _check_members(fields["kind"], fields["members"])
    check_community(uow, grid.id, fields.get("community_id"))
    prosumer = uow.registry.add_prosumer(
        id=str(uuid.uuid4()), grid_id=grid.id, created_at=now, updated_at=now, **fields
    )
    uow.commit()
    return prosumer


def update_prosumer(
    uow: UnitOfWork, prosumer: ProsumerRecord, changes: dict[str, Any]
) -> ProsumerRecord:
    if "wallet" in changes:
        _check_wallet_free(uow, prosumer.grid_id, changes["wallet"], prosumer.id)
    _check_members(changes.get("kind", prosumer.kind), changes.get("members", prosumer.members))
    if "community_id" in changes:
        check_community(uow, prosumer.grid_id, changes["community_id"])
    apply_changes(prosumer, changes)
    uow.commit()
    return prosumer


def delete_prosumer(uow: UnitOfWork, prosumer: ProsumerRecord) -> None:
    if uow.registry.count_prosumer_history(prosumer.id):
        raise Conflict(
            f"prosumer {prosumer.id} has readings or orders; deactivate it (active=false) instead"
        )
    uow.registry.delete_keys_of(prosumer_id=prosumer.id)
    uow.registry.delete_assets_and_controls(prosumer.id)
    uow.registry.delete(prosumer)
    uow.commit()


class Changeable(Protocol):
    """A registry record that keeps the time of its last change."""

    updated_at: datetime


def apply_changes(record: Changeable, changes: dict[str, Any]) -> None:
    """Set the changed fields and the time of the change."""
    for field, value in changes.items():
        setattr(record, field, value)
    record.updated_at = utcnow()


GROUP = "consumer_group"  # clustered consumers: only their total consumption counts


def _check_members(kind: str, members: int | None) -> None:
    """A consumer group counts its members; no other kind has any."""
    if (kind == GROUP) != (members is not None):
        need = "required for" if kind == GROUP else "only for"
        raise Unprocessable(
            f"members is {need} a {GROUP} prosumer", errors={"members": [f"{need} {GROUP}"]}
        )


def _check_wallet_free(uow: UnitOfWork, grid_id: str, wallet: str, own_id: str | None) -> None:
    owner = uow.registry.wallet_owner(grid_id, wallet)
    if owner is not None and owner != own_id:
        raise Conflict(
            f"wallet {wallet} is already registered to prosumer {owner} in this grid",
            errors={"wallet": ["already registered in this grid"]},
        )


def check_community(uow: UnitOfWork, grid_id: str, community_id: str | None) -> None:
    """A prosumer's community must exist in its own grid (422 otherwise)."""
    if community_id is None:
        return
    community = uow.communities.get(community_id)
    if community is None:
        raise Unprocessable(
            f"a prosumer needs the community_id of an existing community; {community_id} is not",
            errors={"community_id": ["no such community"]},
        )
    if community.grid_id != grid_id:
        raise Unprocessable(
            f"community {community_id} belongs to another grid",
            errors={"community_id": ["belongs to another grid"]},
        )
