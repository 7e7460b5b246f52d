"""Closing a timeframe: freeze, net, clear, record — resumable after a crash at any line.

Phases, each safe to repeat:
1. SQL: a `closing` row freezes the timeframe's readings and orders.
2. Documents: the snapshot is computed from the frozen readings (with the plant's part,
   `services/plant.py`) and stored unless one exists; then each prosumer's plant imports.
3. Documents: the clearing terms are recorded once (what corrections re-clear at); the stored
   snapshot's nets are cleared; trades are upserted under deterministic ids.
4. SQL: order fills and the `closed` status with both content hashes, in one transaction.
A re-run after a crash in phase 2–4 recomputes the same documents and finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from models.domain import events as ev
from models.domain.clearing import Order, Prices, clear_timeframe
from models.domain.communities import Settings, with_communities
from models.domain.hashing import content_hash
from models.domain.money import minor_unit_scale
from models.domain.netting import Reading, net_timeframe
from models.domain.timeframes import ceil_timeframe, format_instant, timeframe_end
from models.domain.trades import trade_docs
from models.ports import Doc, GridRecord, OrderRecord, Stores, UnitOfWork
from models.services import peaks
from models.services.clearing_terms import record_terms
from models.services.clock import aware_utc, naive_utc, utcnow
from models.services.communities import snapshot_groups
from models.services.crashpoints import crash_point
from models.services.errors import Conflict, found
from models.services.events import new_event, record_event
from models.services.metering import check_closable, check_start
from models.services.plant import record_imports, with_plant


def close_timeframe(
    container: Stores, grid_id: str, start: datetime, *, force: bool = False
) -> tuple[dict[str, Any], bool]:
    """Close a timeframe; return its snapshot and whether this call closed it."""
    at, status = _begin(container, grid_id, start, force)
    if status == "closed":
        return _stored_snapshot(container, grid_id, at), False
    with container.uow(write=False) as uow:
        grid = found(uow.registry.grid(grid_id), "grid", grid_id)
        members = set(uow.registry.members_at(grid_id, at + _minutes(grid)))
        readings = uow.registry.readings_at(grid_id, at)
        orders = uow.registry.orders_at(grid_id, at, status="open")
        groups = snapshot_groups(uow, grid_id)  # communities: members and peak rules
    crash_point("close:frozen")
    snapshot = _save_snapshot(container, grid, at, members, readings, groups)
    crash_point("close:snapshot_saved")
    trades, fills = _clear(container, grid, at, snapshot, orders)
    crash_point("close:trades_saved")
    if _finish(container, grid_id, at, snapshot, trades, fills):
        peaks.queue(container, grid_id)  # peaks and autarky on the final totals: a worker's task
    return snapshot, True


def _minutes(grid: GridRecord) -> timedelta:
    return timedelta(minutes=grid.timeframe_minutes)


def _begin(container: Stores, grid_id: str, start: datetime, force: bool) -> tuple[datetime, str]:
    with container.uow() as uow:
        grid = found(uow.registry.lock_grid(grid_id), "grid", grid_id)
        at = check_start(grid, start)
        row = uow.registry.timeframe(grid_id, at)
        if row is not None:
            return at, row.status
        end = timeframe_end(aware_utc(at), grid.timeframe_minutes)
        if not force and naive_utc(end) > utcnow():
            raise Conflict(
                f"timeframe {format_instant(aware_utc(at))} ends at {format_instant(end)}; "
                "it can be closed once it has ended (operators may force it)"
            )
        check_closable(grid, at, uow.registry.readings_at(grid_id, at))
        uow.registry.begin_closing(grid_id, at)
        uow.commit()
        return at, "closing"


def _save_snapshot(
    container: Stores,
    grid: GridRecord,
    at: datetime,
    members: set[str],
    readings: dict[str, Any],
    groups: tuple[dict[str, str], dict[str, Settings]] = ({}, {}),
) -> dict[str, Any]:
    snapshot = with_plant(container, grid, snapshot_of(grid, at, members, readings, groups))
    stored = container.documents.snapshots.save(snapshot)
    record_imports(container, stored)  # from the stored snapshot, so a resumed close agrees
    return stored


def snapshot_of(
    grid: GridRecord,
    at: datetime,
    members: set[str],
    readings: dict[str, Any],
    groups: tuple[dict[str, str], dict[str, Settings]] = ({}, {}),
) -> dict[str, Any]:
    """The timeframe's snapshot: the members and whoever sent a reading, netted, with the
    per-community totals (hashed with the rest); the plant's part is added by `with_plant`."""
    ids = sorted(members | set(readings))
    frozen = {pid: Reading(pid, p, c) for pid, (p, c) in readings.items()}
    snapshot = net_timeframe(grid.id, aware_utc(at), grid.timeframe_minutes, ids, frozen)
    return with_communities(snapshot, *groups)


def _clear(
    container: Stores,
    grid: GridRecord,
    at: datetime,
    snapshot: dict[str, Any],
    orders: Sequence[OrderRecord],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    book = order_book(snapshot, orders)
    record_terms(container, grid, snapshot["start"], book)  # what corrections re-clear at
    docs, fills = cleared(grid, snapshot, book)
    container.documents.transactions.save_timeframe(grid.id, snapshot["start"], docs)
    return docs, fills


def order_book(snapshot: dict[str, Any], orders: Sequence[OrderRecord]) -> list[Order]:
    """The open orders of the snapshot's prosumers, as the clearing takes them."""
    nets = {line["prosumer_id"] for line in snapshot["lines"]}
    return [
        Order(o.id, o.prosumer_id, o.side, o.energy_wh, Decimal(o.limit_price))
        for o in orders
        if o.prosumer_id in nets
    ]


def cleared(
    grid: GridRecord, snapshot: dict[str, Any], book: Sequence[Order]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The snapshot's trade documents and the orders' fills, by the grid's mechanism."""
    nets = {line["prosumer_id"]: line["net_wh"] for line in snapshot["lines"]}
    prices = Prices(Decimal(grid.import_price), Decimal(grid.feed_in_price))
    result = clear_timeframe(nets, prices, minor_unit_scale(grid.currency), grid.mechanism, book)
    docs = trade_docs(grid.id, snapshot["start"], grid.currency, result)
    return docs, result.order_fills


def trades_hash(trades: list[dict[str, Any]]) -> str:
    """The content hash of a timeframe's trades, in line order."""
    return content_hash({"trades": trades})


def _finish(
    container: Stores,
    grid_id: str,
    at: datetime,
    snapshot: dict[str, Any],
    trades: list[dict[str, Any]],
    fills: dict[str, Any],
) -> bool:
    """Phase 4: order fills, `closed` with both hashes, its event and the peak evaluation's
    mark, in one transaction; True when the caller queues the evaluation."""
    with container.uow() as uow:
        due = peaks.mark_on_close(uow, grid_id, [at])
        fill_orders(uow.registry.orders_at(grid_id, at, status="open"), fills, trades)
        row = uow.registry.timeframe(grid_id, at)
        assert row is not None  # phase 1 recorded it
        mark_closed(row, snapshot, trades)
        _record_closed(uow, grid_id, snapshot, trades)
        uow.commit()
    return due


def fill_orders(
    orders: Sequence[OrderRecord], fills: dict[str, Any], trades: list[dict[str, Any]]
) -> None:
    """Record each open order's fill and trades (unfilled, partial or filled)."""
    ids = {t["line"]: t["_id"] for t in trades}
    for order in orders:
        filled, lines = fills.get(order.id, (0, []))
        order.filled_wh = filled
        order.trade_ids = [ids[line] for line in lines]
        order.status = _fill_status(filled, order.energy_wh)
        order.updated_at = utcnow()


def mark_closed(row: Any, snapshot: dict[str, Any], trades: list[dict[str, Any]]) -> None:
    """The `closed` status with both content hashes."""
    row.status = "closed"
    row.snapshot_hash = snapshot["content_hash"]
    row.trades_hash = trades_hash(trades)
    row.closed_at = utcnow()


def _record_closed(
    uow: UnitOfWork, grid_id: str, snapshot: dict[str, Any], trades: list[dict[str, Any]]
) -> None:
    """`timeframe.closed`, in the transaction that records the `closed` status (grid totals)."""
    event_id = f"{ev.TIMEFRAME_CLOSED}:{grid_id}:{snapshot['start']}"
    data = _closed_data(snapshot, trades)
    record_event(uow, ev.TIMEFRAME_CLOSED, grid_id, data, event_id=event_id)


def closed_event(grid_id: str, snapshot: dict[str, Any], trades: list[dict[str, Any]]) -> Doc:
    """The `timeframe.closed` event `_record_closed` records, to append with others."""
    event_id = f"{ev.TIMEFRAME_CLOSED}:{grid_id}:{snapshot['start']}"
    return new_event(
        ev.TIMEFRAME_CLOSED, grid_id, _closed_data(snapshot, trades), event_id=event_id
    )


def _closed_data(snapshot: dict[str, Any], trades: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "start": snapshot["start"],
        "end": snapshot["end"],
        "totals": snapshot["totals"],
        "trades": len(trades),
        "snapshot_hash": snapshot["content_hash"],
    }


def _fill_status(filled: int, wanted: int) -> str:
    if filled == 0:
        return "unfilled"
    return "filled" if filled >= wanted else "partial"


def _stored_snapshot(container: Stores, grid_id: str, at: datetime) -> dict[str, Any]:
    snapshot = container.documents.snapshots.get(grid_id, format_instant(aware_utc(at)))
    if snapshot is None:
        raise Conflict(
            f"timeframe {format_instant(aware_utc(at))} is closed but its snapshot is "
            "missing from the document store"
        )
    return snapshot


def close_due(
    container: Stores,
    grid_id: str,
    until: datetime,
    progress: Callable[[datetime], object] | None = None,
    since: datetime | None = None,
) -> list[datetime]:
    """Close every due timeframe of a grid from `since` (default: its first reading) to `until`."""
    with container.uow(write=False) as uow:
        grid = uow.registry.grid(grid_id)
        first = uow.registry.first_reading(grid_id)
        if grid is not None and since is not None:
            first = naive_utc(ceil_timeframe(since, grid.timeframe_minutes))
        if grid is None or first is None:
            return []
        step = _minutes(grid)
        limit = min(naive_utc(until), utcnow())
        done = set(uow.registry.timeframes_with_status(grid_id, "closed", first, limit))
    closed = []
    at = first
    while at + step <= limit:
        if at not in done:
            close_timeframe(container, grid_id, aware_utc(at))
            closed.append(at)
            if progress:
                progress(at)
        at += step
    return closed
