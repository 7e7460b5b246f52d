"""The local price of the timeframe holding an instant, with its supply and demand.

Closed timeframes are read from their snapshot; open (or closing) ones from the readings received
so far. The price is the grid's mechanism applied to the timeframe's surplus S and deficit D
with the grid's current upstream prices (models.domain.clearing.local_prices).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from models.domain.clearing import Prices, local_prices
from models.domain.supply_demand import supply_and_demand
from models.domain.timeframes import floor_timeframe, format_instant, timeframe_end
from models.ports import Stores
from models.services.clock import naive_utc
from models.services.errors import Conflict, NotFound


def timeframe_price(container: Stores, grid_id: str, at: datetime) -> dict[str, Any]:
    """Price, supply and demand of the timeframe holding `at` (snapshot once closed)."""
    with container.uow(write=False) as uow:
        grid = uow.registry.grid(grid_id)
        if grid is None:
            raise NotFound(f"grid {grid_id} does not exist")
        start = floor_timeframe(at, grid.timeframe_minutes)
        end = timeframe_end(start, grid.timeframe_minutes)
        row = uow.registry.timeframe(grid_id, naive_utc(start))
        status = "open" if row is None else row.status
        if status != "closed":
            readings = uow.registry.readings_at(grid_id, naive_utc(start))
            members = set(uow.registry.members_at(grid_id, naive_utc(end)))
    if status == "closed":
        lines, missing = _from_snapshot(container, grid_id, start)
    else:
        lines = list(readings.values())
        missing = len(members - readings.keys())
    nets = {str(i): produced - consumed for i, (produced, consumed) in enumerate(lines)}
    supply, demand = supply_and_demand(nets)
    prices = Prices(Decimal(grid.import_price), Decimal(grid.feed_in_price))
    buy, sell = local_prices(grid.mechanism, supply, demand, prices)
    return {
        "grid_id": grid_id,
        "mechanism": grid.mechanism,
        "currency": grid.currency,
        "price": buy,
        "sell_price": sell,
        "import_price": prices.import_price,
        "feed_in_price": prices.feed_in_price,
        "timeframe": {"start": format_instant(start), "end": format_instant(end)},
        "status": status,
        "closed": status == "closed",
        "complete": status == "closed",
        "readings": len(lines) - missing if status == "closed" else len(lines),
        "missing_readings": missing,
        "total_production_wh": sum(p for p, _ in lines),
        "total_demand_wh": sum(c for _, c in lines),
        "surplus_wh": supply,
        "deficit_wh": demand,
    }


def _from_snapshot(
    container: Stores, grid_id: str, start: datetime
) -> tuple[list[tuple[int, int]], int]:
    """(produced, consumed) per snapshot line and the number of prosumers without a reading."""
    snapshot = container.documents.snapshots.get(grid_id, format_instant(start))
    if snapshot is None:
        raise Conflict(
            f"timeframe {format_instant(start)} is closed but its snapshot is missing "
            "from the document store"
        )
    lines = [(line["produced_wh"], line["consumed_wh"]) for line in snapshot["lines"]]
    return lines, len(snapshot["missing"])
