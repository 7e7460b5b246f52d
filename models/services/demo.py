"""The demo grid: built from `demo_grid`'s table through the services the API uses, then
simulated and closed from the start of the previous month (in the grid's zone) up to now.

Building is idempotent: the grid is found again by its name, prosumers by name within it,
assets by name within each prosumer; what exists is kept, what is missing is created, and the
simulation continues after the last closed timeframe (same seed: nothing written changes), so a
second call only brings the demo up to now. Readings go through metering's upsert (batched) and
timeframes close through closing's phases (batched, `closing_batch`). `reset_demo` deletes the
demo grid from every store first (its events stay in the feed), then builds a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from models.domain.timeframes import ceil_timeframe, floor_timeframe, format_instant, month_bounds
from models.ports import GridRecord, ProsumerRecord, Stores, UnitOfWork
from models.services import assets as asset_service
from models.services import demo_grid as data
from models.services import registry
from models.services.clearing_terms import TERMS
from models.services.clock import aware_utc, naive_utc, utcnow
from models.services.closing_batch import close_range
from models.services.correction_reads import ADJUSTMENTS, VERSIONS
from models.services.settlement.run import ITEMS, SETTLEMENTS, TXS
from models.services.simulation import simulate_grid
from models.services.simulation_jobs import SIMULATIONS

Say = Callable[[str], object]


@dataclass(frozen=True)
class DemoReport:
    """What a build did, and where the demo stands."""

    grid_id: str
    created: bool  # the grid was created by this call
    prosumers: int
    assets: int
    simulated: int  # timeframes simulated by this call
    readings: dict[str, int]  # inserted, updated, unchanged by this call
    closed: int  # timeframes closed by this call
    until: datetime  # aware UTC: the demo is simulated and closed up to here
    settle_month: str  # the previous month (YYYY-MM in the grid's zone), ready to settle


def demo_size() -> int:
    """How many prosumers (and so wallets) the demo has."""
    return sum(row.count for row in data.PROSUMERS)


def find_demo(stores: Stores) -> GridRecord | None:
    """The demo grid, found by its name."""
    with stores.uow(write=False) as uow:
        return _find(uow)


def is_empty(stores: Stores) -> bool:
    """True when the registry holds no grid at all."""
    with stores.uow(write=False) as uow:
        return uow.registry.grids(1, 1)[1] == 0


def previous_month(now: datetime, tz: str) -> str:
    """YYYY-MM of the month before `now`'s month in zone `tz`."""
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
    """Create (or complete) the demo grid, then simulate and close it up to `now`.

    `since` (aware) replaces the first simulated instant (default: the previous month's start
    in the grid's zone); tests use it to shorten the period.
    """
    note = say or (lambda _: None)
    now = now or aware_utc(utcnow())
    if len(wallets) < demo_size():
        raise ValueError(f"the demo needs {demo_size()} wallets, got {len(wallets)}")
    with stores.uow() as uow:
        grid, created = _grid(uow)
        prosumers, assets = _prosumers(uow, grid, wallets)
    month = previous_month(now, grid.timezone)
    first = ceil_timeframe(since or month_bounds(month, grid.timezone)[0], grid.timeframe_minutes)
    until = floor_timeframe(now, grid.timeframe_minutes)
    start = _resume_at(stores, grid, first)
    simulated, closed = 0, 0
    readings = {"inserted": 0, "updated": 0, "unchanged": 0}
    if start < until:
        note(f"simulating {format_instant(start)} .. {format_instant(until)}")
        summary = simulate_grid(stores, grid.id, start, until, seed=data.SEED)
        simulated, readings = summary["timeframes"], summary["readings"]
        note(f"closing {simulated:,} timeframes")
    closed = len(close_range(stores, grid.id, first, until))
    return DemoReport(
        grid.id, created, prosumers, assets, simulated, readings, closed, until, month
    )


def reset_demo(
    stores: Stores,
    wallets: Sequence[str],
    *,
    now: datetime | None = None,
    since: datetime | None = None,
    say: Say | None = None,
) -> DemoReport:
    """Delete the demo grid from every store (if there is one), then build a new one."""
    old = find_demo(stores)
    if old is not None:
        (say or (lambda _: None))(f"deleting demo grid {old.id}")
        purge_grid(stores, old.id)
    return build_demo(stores, wallets, now=now, since=since, say=say)


def purge_grid(stores: Stores, grid_id: str) -> None:
    """Remove a grid's documents, then its rows (a crash in between: purge again)."""
    docs = stores.documents
    runs = docs.collection(SETTLEMENTS)
    for run in runs.find({"grid_id": grid_id}):
        for name in (ITEMS, TXS):
            docs.collection(name).delete_many({"run": run["_id"]})
    runs.delete_many({"grid_id": grid_id})
    for name in (SIMULATIONS, TERMS, VERSIONS, ADJUSTMENTS):
        docs.collection(name).delete_many({"grid_id": grid_id})
    docs.snapshots.delete_grid(grid_id)
    docs.transactions.delete_grid(grid_id)
    docs.flows.delete_grid(grid_id)
    docs.plant_imports.delete_grid(grid_id)
    docs.weather.replace(grid_id, [])
    with stores.uow() as uow:
        uow.registry.purge_grid(grid_id)
        uow.commit()


def _find(uow: UnitOfWork) -> GridRecord | None:
    grids, _ = uow.registry.grids(1, 10**6)
    return next((g for g in grids if g.name == data.NAME), None)


def _grid(uow: UnitOfWork) -> tuple[GridRecord, bool]:
    grid = _find(uow)
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
            assets += _add_assets(uow, prosumer, row)
            if row.controls:
                ratios = {"input_ratio": row.controls[0], "output_ratio": row.controls[1]}
                asset_service.put_controls(
                    uow, prosumer, {k: Decimal(v) for k, v in ratios.items()}
                )
            count += 1
    return count, assets


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


def _add_assets(uow: UnitOfWork, prosumer: ProsumerRecord, row: data.Row) -> int:
    have = {a.name for a in uow.registry.assets(prosumer.id, 1, 1000)[0]}
    for body in row.assets:
        if body["name"] not in have:
            asset_service.create_asset(uow, prosumer, dict(body))
    return len(row.assets)


def _resume_at(stores: Stores, grid: GridRecord, first: datetime) -> datetime:
    """After the last closed timeframe from `first` on, or `first` when none is closed."""
    with stores.uow(write=False) as uow:
        far = utcnow() + timedelta(days=1)
        closed = uow.registry.timeframes_with_status(grid.id, "closed", naive_utc(first), far)
    if not closed:
        return first
    return aware_utc(closed[-1]) + timedelta(minutes=grid.timeframe_minutes)
