"""Closing many timeframes of a grid in batches: `close_timeframe`'s phases, each done for a
whole batch in one store step, so a month of 15-minute timeframes is a few hundred round trips
instead of tens of thousands.

Each batch runs closing's phases in order (see `closing`): one SQL transaction records the
batch's timeframes `closing` (after the same checks); the snapshots are computed by the same
`snapshot_of` (communities included) with the plant's part, its buffer carried along the batch,
and stored together (an existing one wins), then the plant imports; the clearing terms and the
trades by the same `order_book` and `cleared`, written together; one SQL transaction fills the
orders, marks each timeframe `closed` with both hashes, appends its `timeframe.closed` event
and marks it for the peak evaluation task (`peaks.mark_on_close`, queued after). A crash leaves
`closing` rows that the next run (this one or `close_timeframe`) finishes exactly as it would
have; the documents, hashes and events are the ones `close_timeframe` writes (tests compare
them). The community events come from the worker's `peaks.evaluate` after the closes (in
timeframe order), for batched and one-by-one closes alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from models.domain.clearing import Order
from models.domain.plant import PlantSettings
from models.domain.timeframes import ceil_timeframe, format_instant, timeframe_end
from models.ports import GridRecord, Stores
from models.services import peaks
from models.services.clearing_terms import TERMS, record_terms, terms_doc, terms_key
from models.services.clock import aware_utc, naive_utc, utcnow
from models.services.closing import (
    cleared,
    closed_event,
    fill_orders,
    mark_closed,
    order_book,
    snapshot_of,
)
from models.services.communities import snapshot_groups
from models.services.errors import Conflict, found
from models.services.metering import check_closable
from models.services.plant import carried_buffer, import_rows, plant_settings, plant_snapshot

BATCH = 192  # timeframes per batch (two days of 15-minute ones): short store transactions


def close_range(
    container: Stores,
    grid_id: str,
    since: datetime,
    until: datetime,
    progress: Callable[[int], object] | None = None,
) -> list[datetime]:
    """Close every ended timeframe in [since, until) not closed yet, oldest first, in batches;
    return the starts closed by this call (naive UTC, as `close_due`)."""
    with container.uow(write=False) as uow:
        grid = found(uow.registry.grid(grid_id), "grid", grid_id)
    step = timedelta(minutes=grid.timeframe_minutes)
    first = naive_utc(ceil_timeframe(since, grid.timeframe_minutes))
    limit = min(naive_utc(until), utcnow())
    closed: list[datetime] = []
    at = first
    while at + step <= limit:
        starts: list[datetime] = []
        while at + step <= limit and len(starts) < BATCH:
            starts.append(at)
            at += step
        closed += _close_batch(container, grid, starts)
        if progress:
            progress(len(closed))
    return closed


def _close_batch(container: Stores, grid: GridRecord, starts: list[datetime]) -> list[datetime]:
    first, end = starts[0], starts[-1] + timedelta(minutes=grid.timeframe_minutes)
    due, readings, resumed = _begin(container, grid, starts)
    if not due:
        return []
    with container.uow(write=False) as uow:
        prosumers = uow.registry.active_prosumers(grid.id)
        orders = uow.registry.orders_between(grid.id, first, end, status="open")
        settings = plant_settings(uow, grid.id)
        groups = snapshot_groups(uow, grid.id)  # communities: members and peak rules
    netted = {
        at: snapshot_of(grid, at, _members(prosumers, at, grid), readings[at], groups) for at in due
    }
    snapshots = container.documents.snapshots.save_many(
        _with_plant(container, grid, settings, netted, resumed)
    )
    container.documents.plant_imports.save_timeframes(
        grid.id, {s["start"]: rows for s in snapshots if (rows := import_rows(s)) is not None}
    )
    by_start: dict[datetime, list[Any]] = {}
    for order in orders:
        by_start.setdefault(order.timeframe_start, []).append(order)
    books = {at: order_book(s, by_start.get(at, [])) for at, s in zip(due, snapshots, strict=True)}
    _record_terms(container, grid, dict(zip(due, snapshots, strict=True)), books, resumed)
    results = {at: cleared(grid, s, books[at]) for at, s in zip(due, snapshots, strict=True)}
    trades = {s["start"]: results[at][0] for at, s in zip(due, snapshots, strict=True)}
    container.documents.transactions.save_timeframes(grid.id, trades)
    if _finish(container, grid, first, end, dict(zip(due, snapshots, strict=True)), results):
        peaks.queue(container, grid.id)  # peaks and autarky on the final totals: a worker's task
    return due


def _record_terms(
    container: Stores,
    grid: GridRecord,
    snapshots: dict[datetime, dict[str, Any]],
    books: dict[datetime, list[Order]],
    resumed: set[datetime],
) -> None:
    """The clearing terms of each timeframe, stored once: a resumed timeframe's (which may be
    stored already) as `record_terms` does; the batch's fresh ones (open until this batch's
    phase 1, so only a close resuming them now could store theirs, the same document: prices,
    mechanism and orders are frozen while closing) together."""
    fresh = {}
    for at, snapshot in snapshots.items():
        start = snapshot["start"]
        if at in resumed:
            record_terms(container, grid, start, books[at])
        else:
            fresh[terms_key(grid.id, start)] = terms_doc(grid, start, books[at])
    container.documents.collection(TERMS).put_many(fresh)


def _with_plant(
    container: Stores,
    grid: GridRecord,
    settings: PlantSettings,
    netted: dict[datetime, dict[str, Any]],
    resumed: set[datetime],
) -> list[dict[str, Any]]:
    """Each snapshot with its plant part, the buffer carried along the batch as closing one by
    one carries it; a resumed timeframe's stored snapshot (if phase 2 ran) is kept, and carried."""
    step = timedelta(minutes=grid.timeframe_minutes)
    out: list[dict[str, Any]] = []
    carried: tuple[datetime, int] | None = None  # (start, buffer after) of the previous one
    for at, snapshot in netted.items():
        stored = (
            container.documents.snapshots.get(grid.id, snapshot["start"]) if at in resumed else None
        )
        if stored is None:
            if carried is None or carried[0] != at - step:
                level = carried_buffer(container, grid, snapshot["start"])
            else:
                level = carried[1]
            stored = plant_snapshot(settings, grid, snapshot, level)
        out.append(stored)
        plant = stored.get("plant")
        carried = (at, int(plant["buffer_after_wh"]) if plant else 0)
    return out


def _members(prosumers: Sequence[Any], at: datetime, grid: GridRecord) -> set[str]:
    """Active prosumers registered before the timeframe ended (`members_at`)."""
    end = at + timedelta(minutes=grid.timeframe_minutes)
    return {p.id for p in prosumers if p.created_at < end}


def _begin(
    container: Stores, grid: GridRecord, starts: list[datetime]
) -> tuple[list[datetime], dict[datetime, dict[str, tuple[int, int]]], set[datetime]]:
    """Phase 1 for the batch: record the open ones `closing`; the due ones, their readings and
    those that were `closing` already (a close that stopped after phase 1)."""
    first, end = starts[0], starts[-1] + timedelta(minutes=grid.timeframe_minutes)
    with container.uow() as uow:
        found(uow.registry.lock_grid(grid.id), "grid", grid.id)
        status = {t.start: t.status for t in uow.registry.timeframes_between(grid.id, first, end)}
        readings = uow.registry.readings_between(grid.id, first, end)
        fresh = [at for at in starts if at not in status]
        last = timeframe_end(aware_utc(starts[-1]), grid.timeframe_minutes)
        if fresh and naive_utc(last) > utcnow():
            raise Conflict(
                f"timeframe {format_instant(aware_utc(starts[-1]))} ends at "
                f"{format_instant(last)}; it can be closed once it has ended"
            )
        for at in fresh:
            check_closable(grid, at, readings.get(at, {}))
        uow.registry.begin_closing_many(grid.id, fresh)
        uow.commit()
    due = [at for at in starts if status.get(at) != "closed"]
    resumed = {at for at in due if status.get(at) == "closing"}
    return due, {at: readings.get(at, {}) for at in due}, resumed


def _finish(
    container: Stores,
    grid: GridRecord,
    first: datetime,
    end: datetime,
    snapshots: dict[datetime, dict[str, Any]],
    results: dict[datetime, tuple[list[dict[str, Any]], dict[str, Any]]],
) -> bool:
    """Phase 4 for the batch: order fills, `closed` with both hashes, the events and the peak
    evaluation's marks; one commit. True when the caller queues the evaluation."""
    with container.uow() as uow:
        due = peaks.mark_on_close(uow, grid.id, sorted(snapshots))
        orders: dict[datetime, list[Any]] = {}
        for order in uow.registry.orders_between(grid.id, first, end, status="open"):
            orders.setdefault(order.timeframe_start, []).append(order)
        events = []
        for row in uow.registry.timeframes_between(grid.id, first, end):
            if row.start not in snapshots:
                continue
            trades, fills = results[row.start]
            fill_orders(orders.get(row.start, []), fills, trades)
            mark_closed(row, snapshots[row.start], trades)
            events.append(closed_event(grid.id, snapshots[row.start], trades))
        uow.events.append(events)
        uow.commit()
    return due
