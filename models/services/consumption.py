"""Consumption, production and autarky of a grid and its communities at a moment or over a range.

A closed timeframe is read from its snapshot (the per-community totals frozen and hashed at the
close); an open (or closing) one from the readings received so far, with `complete: false` and
the number of readings still missing (active members registered before the timeframe's end).
Power is the timeframe's average: W = Wh * 60 / timeframe_minutes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from models.domain.communities import above, energy_view
from models.domain.timeframes import (
    ceil_timeframe,
    floor_timeframe,
    format_instant,
    timeframe_end,
)
from models.ports import CommunityRecord, Doc, GridRecord, Stores, Sums, UnitOfWork
from models.services.clock import naive_utc
from models.services.community_sums import expected as expected_counts
from models.services.community_sums import open_sums
from models.services.errors import Conflict, found

NO_SUMS: Sums = (0, 0, 0, 0)


def _span(grid: GridRecord, at: datetime) -> tuple[datetime, datetime]:
    start = floor_timeframe(at, grid.timeframe_minutes)
    return start, timeframe_end(start, grid.timeframe_minutes)


def _status(uow: UnitOfWork, grid_id: str, start: datetime) -> str:
    row = uow.registry.timeframe(grid_id, naive_utc(start))
    return "open" if row is None else row.status


def _header(stores: Stores, grid_id: str, start: datetime) -> Doc:
    """A closed timeframe's snapshot without its lines."""
    end = start + timedelta(seconds=1)
    found_, _ = stores.documents.snapshots.list_totals(
        grid_id, format_instant(start), format_instant(end), 0, 1
    )
    if not found_:
        raise Conflict(
            f"timeframe {format_instant(start)} is closed but its snapshot is missing "
            "from the document store"
        )
    return found_[0]


def _frame(grid: GridRecord, start: datetime, end: datetime, status: str) -> dict[str, Any]:
    return {
        "timeframe": {"start": format_instant(start), "end": format_instant(end)},
        "timeframe_minutes": grid.timeframe_minutes,
        "status": status,
        "closed": status == "closed",
        "complete": status == "closed",
    }


def _part(sums: Sums, expected: int, minutes: int) -> dict[str, Any]:
    """One group's view from its summed readings: (readings, produced, consumed, on time)."""
    readings, produced, consumed, on_time = sums
    return {
        "readings": readings,
        "missing_readings": max(expected - on_time, 0),
        **energy_view(produced, consumed, minutes),
    }


def _from_snapshot(entry: Mapping[str, Any], minutes: int) -> dict[str, Any]:
    """A group's view from a snapshot's per-community entry (or totals)."""
    readings = entry["prosumers"] - entry["missing"]
    return {
        "readings": readings,
        "missing_readings": entry["missing"],
        **energy_view(entry["production_wh"], entry["consumption_wh"], minutes),
    }


def grid_consumption(stores: Stores, grid_id: str, at: datetime) -> dict[str, Any]:
    """The grid's and each community's consumption and production in the timeframe of `at`."""
    with stores.uow(write=False) as uow:
        grid = found(uow.registry.grid(grid_id), "grid", grid_id)
        start, end = _span(grid, at)
        status = _status(uow, grid_id, start)
        communities = list(uow.communities.of_grid(grid_id))
        if status != "closed":
            sums, expected = open_sums(uow, grid_id, naive_utc(start), naive_utc(end))
    minutes = grid.timeframe_minutes
    names = {c.id: c.name for c in communities}
    if status == "closed":
        header = _header(stores, grid_id, start)
        entries = {e["community_id"]: e for e in header.get("communities", [])}
        total = _grid_from_header(header, minutes)
        groups = [
            {"community_id": cid, "name": names.get(cid), **_from_snapshot(e, minutes)}
            for cid, e in sorted(entries.items())
        ]
        outside = _outside(total, groups, minutes)
    else:
        groups = [
            {
                "community_id": c.id,
                "name": c.name,
                **_part(sums.get(c.id, NO_SUMS), expected.get(c.id, 0), minutes),
            }
            for c in communities
        ]
        outside = _part(sums.get(None, NO_SUMS), expected.get(None, 0), minutes)
        total = _sum_parts([outside, *groups], minutes)
    return {
        "grid_id": grid_id,
        **_frame(grid, start, end, status),
        **total,
        "communities": groups,
        "outside_communities": outside,
    }


def _grid_from_header(header: Mapping[str, Any], minutes: int) -> dict[str, Any]:
    totals = header["totals"]
    missing = len(header.get("missing", []))
    return {
        "readings": totals["prosumers"] - missing,
        "missing_readings": missing,
        **energy_view(totals["production_wh"], totals["consumption_wh"], minutes),
    }


def _sum_parts(parts: Sequence[Mapping[str, Any]], minutes: int) -> dict[str, Any]:
    return {
        "readings": sum(p["readings"] for p in parts),
        "missing_readings": sum(p["missing_readings"] for p in parts),
        **energy_view(
            sum(p["production_wh"] for p in parts),
            sum(p["consumption_wh"] for p in parts),
            minutes,
        ),
    }


def _outside(
    total: Mapping[str, Any], groups: Sequence[Mapping[str, Any]], minutes: int
) -> dict[str, Any]:
    """What the grid's totals hold beyond its communities' (the prosumers outside any)."""
    return {
        "readings": total["readings"] - sum(g["readings"] for g in groups),
        "missing_readings": total["missing_readings"] - sum(g["missing_readings"] for g in groups),
        **energy_view(
            total["production_wh"] - sum(g["production_wh"] for g in groups),
            total["consumption_wh"] - sum(g["consumption_wh"] for g in groups),
            minutes,
        ),
    }


def community_consumption(
    stores: Stores, community: CommunityRecord, at: datetime
) -> dict[str, Any]:
    """One community's consumption and production in the timeframe of `at`."""
    with stores.uow(write=False) as uow:
        grid = found(uow.registry.grid(community.grid_id), "grid", community.grid_id)
        start, end = _span(grid, at)
        status = _status(uow, grid.id, start)
        if status != "closed":
            sums = uow.communities.sums_at(
                grid.id, naive_utc(start), naive_utc(end), [community.id]
            )
            expected = expected_counts(uow, grid.id, naive_utc(end), [community.id])
    minutes = grid.timeframe_minutes
    if status == "closed":
        view = _closed_view(_header(stores, grid.id, start), community.id, minutes)
    else:
        view = _part(sums.get(community.id, NO_SUMS), expected.get(community.id, 0), minutes)
    return {
        "community_id": community.id,
        "grid_id": grid.id,
        "name": community.name,
        **_frame(grid, start, end, status),
        **view,
        "peak_threshold_w": community.peak_threshold_w,
        "above_threshold": above(view["consumption_wh"], minutes, community.peak_threshold_w),
    }


def _closed_view(header: Mapping[str, Any], community_id: str, minutes: int) -> dict[str, Any]:
    """The community's entry of a snapshot; zeros when it was not a community at that close."""
    for entry in header.get("communities", []):
        if entry["community_id"] == community_id:
            return _from_snapshot(entry, minutes)
    return {"readings": 0, "missing_readings": 0, **energy_view(0, 0, minutes)}


def autarky(
    stores: Stores,
    community: CommunityRecord,
    at: datetime | None,
    start_from: datetime | None,
    start_to: datetime | None,
    page: int,
    size: int,
) -> tuple[dict[str, Any], int]:
    """Autarky of the timeframe holding `at`, or per timeframe starting in [from, to) (a page of
    points), and how many points there are."""
    with stores.uow(write=False) as uow:
        grid = found(uow.registry.grid(community.grid_id), "grid", community.grid_id)
    minutes = grid.timeframe_minutes
    if at is not None:
        start_from, start_to = _span(grid, at)
    assert start_from is not None and start_to is not None
    step = timedelta(minutes=minutes)
    first = ceil_timeframe(start_from, minutes)
    count = max(0, -(-(start_to - first) // step)) if start_to > first else 0
    lo = first + (page - 1) * size * step
    hi = min(start_to, lo + size * step)
    points = _points(stores, grid, community, lo, hi) if lo < start_to else []
    return {
        "community_id": community.id,
        "grid_id": grid.id,
        "timeframe_minutes": minutes,
        "points": points,
    }, count


def _points(
    stores: Stores, grid: GridRecord, community: CommunityRecord, lo: datetime, hi: datetime
) -> list[dict[str, Any]]:
    """Every timeframe starting in [lo, hi): closed ones from snapshots, open ones from readings."""
    minutes = grid.timeframe_minutes
    with stores.uow(write=False) as uow:
        closed = set(
            uow.registry.timeframes_with_status(grid.id, "closed", naive_utc(lo), naive_utc(hi))
        )
        closing = set(
            uow.registry.timeframes_with_status(grid.id, "closing", naive_utc(lo), naive_utc(hi))
        )
        open_sums = uow.communities.sums_by_start(community.id, naive_utc(lo), naive_utc(hi))
        joined = uow.communities.member_since(community.id)
    headers: dict[str, Doc] = {}
    if closed:
        docs, _ = stores.documents.snapshots.list_totals(
            grid.id, format_instant(lo), format_instant(hi), 0, 0
        )
        headers = {d["start"]: d for d in docs}
    points = []
    at = lo
    step = timedelta(minutes=minutes)
    while at < hi:
        end = at + step
        if naive_utc(at) in closed:
            if format_instant(at) not in headers:
                raise Conflict(
                    f"timeframe {format_instant(at)} is closed but its snapshot is missing"
                )
            view = _closed_view(headers[format_instant(at)], community.id, minutes)
            status = "closed"
        else:
            expected = sum(1 for since in joined if since < naive_utc(end))
            readings, produced, consumed = open_sums.get(naive_utc(at), (0, 0, 0))
            view = _part((readings, produced, consumed, readings), expected, minutes)
            status = "closing" if naive_utc(at) in closing else "open"
        points.append({**_frame(grid, at, end, status), **view})
        at = end
    return points
