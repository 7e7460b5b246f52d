"""The demo grid: built from `demo_grid`'s table through the same services the API uses, then
simulated and closed from the start of the previous month (in the grid's zone) up to now.

Building is idempotent: the grid is found again by its name, prosumers by name within it,
assets by name within each prosumer; what exists is kept, what is missing is created, and the
simulation continues after the last closed timeframe (same seed, so nothing written changes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from models.domain.timeframes import floor_timeframe, format_instant, month_bounds
from models.ports import GridRecord, ProsumerRecord, Stores, UnitOfWork
from models.services import assets as asset_service
from models.services import demo_grid as data
from models.services import registry
from models.services.clock import aware_utc, utcnow
from models.services.closing_batch import close_range
from models.services.simulation import simulate_grid

Say = Callable[[str], object]


@dataclass(frozen=True)
class DemoReport:
    """What a build did, and where the demo stands."""

    grid_id: str
    created: bool  # the grid was created by this call
    prosumers: int
    assets: int
    first: datetime  # aware UTC: first simulated timeframe
    until: datetime  # aware UTC: end of the last closed timeframe
    readings: dict[str, int]
    closed: int  # timeframes closed by this call
    settle_month: str  # the previous month, YYYY-MM, ready to settle


def demo_size() -> int:
    """How many prosumers (and wallets) the demo has."""
    return sum(row.count for row in data.PROSUMERS)


def find_demo(stores: Stores) -> GridRecord | None:
    """The demo grid, found by its name."""
    with stores.uow(write=False) as uow:
        grids, _ = uow.registry.grids(1, 10**6)
        return next((g for g in grids if g.name == data.NAME), None)


def is_empty(stores: Stores) -> bool:
    """True when the registry holds no grid at all."""
    with stores.uow(write=False) as uow:
        return uow.registry.grids(1, 1)[1] == 0


def previous_month(now: datetime, tz: str) -> str:
    """YYYY-MM of the month before `now`'s month in zone `tz`."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(tz))
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return f"{year:04d}-{month:02d}"


def build_demo(
    stores: Stores,
    wallets: Sequence[str],
    *,
    now: datetime | None = None,
    since: datetime | None = None,
    say: Say | None = None,
) -> DemoReport:
    """Create (or complete) the demo grid and simulate and close it up to `now`.

    `since` (aware) overrides the first simulated instant (default: the previous month's start);
    tests use it to shorten the period.
    """
    note = say or (lambda _: None)
    now = now or aware_utc(utcnow())
    if len(wallets) < demo_size():
        raise ValueError(f"the demo needs {demo_size()} wallets, got {len(wallets)}")
    with stores.uow() as uow:
        grid, created = _grid(uow)
        prosumers, assets = _prosumers(uow, grid, wallets)
    month = previous_month(now, grid.timezone)
    first = since or month_bounds(month, grid.timezone)[0]
    until = floor_timeframe(now, grid.timeframe_minutes)
    start = _resume_at(stores, grid, first)
    readings = {"inserted": 0, "updated": 0, "unchanged": 0}
    closed = 0
    if start < until:
        note(f"simulating {format_instant(start)} .. {format_instant(until)}")
        summary = simulate_grid(stores, grid.id, start, until, seed=data.SEED)
        readings = summary["readings"]
        note(f"closing {summary['timeframes']} timeframes")
        closed = len(close_range(stores, grid.id, start, until))
    return DemoReport(grid.id, created, prosumers, assets, first, until, readings, closed, month)


def _grid(uow: UnitOfWork) -> tuple[GridRecord, bool]:
    grids, _ = uow.registry.grids(1, 10**6)
    grid = next((g for g in grids if g.name == data.NAME), None)
    if grid is not None:
        return grid, False
    grid = registry.create_grid(uow, dict(data.GRID))
    asset_service.update_plant(uow, grid.id, dict(data.PLANT))
    return grid, True


def _prosumers(uow: UnitOfWork, grid: GridRecord, wallets: Sequence[str]) -> tuple[int, int]:
    """Every prosumer of the table with its assets and controls; (prosumers, assets)."""
    existing = {p.name: p for p in uow.registry.active_prosumers(grid.id)}
    count = assets = 0
    for row in data.PROSUMERS:
        for n in range(1, row.count + 1):
            name = f"{row.name} {n:02d}" if row.count > 1 else row.name
            prosumer = existing.get(name) or _add_prosumer(uow, grid, row, name, wallets[count])
            assets += _assets(uow, prosumer, row)
            if row.controls:
                inp, out = row.controls
                asset_service.put_controls(
                    uow, prosumer, {"input_ratio": _dec(inp), "output_ratio": _dec(out)}
                )
            count += 1
    return count, assets


def _dec(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)


def _add_prosumer(
    uow: UnitOfWork, grid: GridRecord, row: data.Row, name: str, wallet: str
) -> ProsumerRecord:
    body = {
        "name": name,
        "address": f"{name}, Visby",
        "kind": row.kind,
        "wallet": wallet,
        "members": row.members,
    }
    return registry.create_prosumer(uow, grid, body)


def _assets(uow: UnitOfWork, prosumer: ProsumerRecord, row: data.Row) -> int:
    have = {a.name for a in uow.registry.assets(prosumer.id, 1, 1000)[0]}
    for body in row.assets:
        if body["name"] not in have:
            asset_service.create_asset(uow, prosumer, dict(body))
    return len(row.assets)


def _resume_at(stores: Stores, grid: GridRecord, first: datetime) -> datetime:
    """After the last closed timeframe, or `first` when nothing is closed yet."""
    with stores.uow(write=False) as uow:
        last = uow.registry.last_closed(grid.id)
    if last is None:
        return first
    return max(first, aware_utc(last) + timedelta(minutes=grid.timeframe_minutes))


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)
