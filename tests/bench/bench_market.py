"""Clearing 10,000 prosumers (domain and full close) and listing a month of a prosumer's trades."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from models.domain.clearing import Prices, clear_timeframe
from tests.bench.bench_api import call
from tests.documents.samples import trade, ts

PRICES = Prices(Decimal("0.30"), Decimal("0.08"))


def domain_clearing(ids: list[str], mechanism: str = "mid_market") -> dict[str, Any]:
    """Time `clear_timeframe` over one timeframe of nets for `ids`."""
    nets = {pid: (n * 37) % 900 - (n * 53) % 800 for n, pid in enumerate(ids)}
    began = time.perf_counter()
    result = clear_timeframe(nets, PRICES, 2, mechanism)
    seconds = time.perf_counter() - began
    trades = len(result.trades)
    return {
        "mechanism": mechanism,
        "prosumers": len(ids),
        "trades": trades,
        "seconds": seconds,
        "trades_per_s": trades / seconds,
    }


def close_trades(container: Any, grid_id: str, start: str, close_s: float) -> dict[str, Any]:
    """Trades the timed close wrote, and its trades/s including every store write."""
    trades = len(container.documents.transactions.timeframe(grid_id, start))
    return {"trades": trades, "close_s": close_s, "trades_per_s": trades / close_s}


def fill_month(container: Any, grid_id: str, party: str, others: list[str], slots: int) -> int:
    """Save `slots` timeframes of trades in which `party` sells to or buys from the grid."""
    store = container.documents.transactions
    for slot in range(slots):
        lines = [trade(grid_id, slot, 0, party, "grid", 100 + slot % 50, 2 + slot % 7)]
        lines += [trade(grid_id, slot, i + 1, o, "grid", 10, 1) for i, o in enumerate(others)]
        store.save_timeframe(grid_id, ts(slot), lines)
    return slots


def listing_latency(container: Any, grid_id: str, party: str, slots: int) -> dict[str, Any]:
    """Seconds of the store's transactions.list for `party` over the month (first, last page)."""
    store = container.documents.transactions
    out: dict[str, Any] = {"trades": slots}
    for name, skip in (("store_first_page_s", 0), ("store_last_page_s", slots - 50)):
        began = time.perf_counter()
        items, total = store.list(grid_id, ts(0), ts(slots), party, None, skip, 50)
        out[name] = time.perf_counter() - began
        assert total == slots and items, (total, len(items))
    return out


def http_listing(port: int, headers: dict[str, str], party: str, slots: int) -> float:
    """Seconds of GET /api/v1/prosumers/{id}/transactions over the month (first page)."""
    path = f"/api/v1/prosumers/{party}/transactions?from={ts(0)}&to={ts(slots)}"
    began = time.perf_counter()
    status, body = call(port, "GET", path, headers)
    seconds = time.perf_counter() - began
    assert status == 200 and body["transactions"], body
    return seconds
