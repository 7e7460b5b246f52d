"""Clearing at 1,000-100,000 prosumers (domain and full close); listing a prosumer's month."""

from __future__ import annotations

import gc
import random
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from itertools import starmap
from typing import Any

from models.domain.clearing import MECHANISMS, Order, Prices, Trade, clear_timeframe
from models.domain.trades import trade_docs
from tests.bench import bench_metering
from tests.bench.bench_api import call
from tests.documents.samples import trade, ts

PRICES = Prices(Decimal("0.30"), Decimal("0.08"))
PEER_PRICES = Prices(Decimal("0.30"), Decimal("0.10"))
SIZES = (1_000, 10_000, 100_000)


def market_input(count: int, seed: int = 2026) -> tuple[dict[str, int], list[Order]]:
    """A seeded timeframe: `count` prosumers, about half sellers, 1-1,000 Wh each, one order each.

    Nets come in prosumer-id order, as a snapshot lists them; each prosumer has one order for its
    whole position (sell a surplus, buy a deficit) at a limit of 0.1000-0.3000 per kWh, in the
    order they were submitted.
    """
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        pid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        energy = rng.randint(1, 1000)
        side = "sell" if rng.random() < 0.5 else "buy"
        limit = Decimal(rng.randint(1000, 3000)).scaleb(-4)
        rows.append((pid, side, energy, limit, str(uuid.UUID(int=rng.getrandbits(128), version=4))))
    nets = {_fresh(pid): e if side == "sell" else -e for pid, side, e, _, _ in sorted(rows)}
    orders = [Order(oid, _fresh(pid), side, e, limit) for pid, side, e, limit, oid in rows]
    return nets, orders


def _fresh(text: str) -> str:
    """A new copy of `text`: ids are allocated in the order they are read, as from the stores."""
    return "".join(list(text))


# lemlab's clearing_pda (pandas) on `market_input`, measured side by side with the rows below by a
# script outside the repo (lemlab's code is not vendored); see README "Benchmarks".
PEER_RECORDED_MS = {1_000: 46, 10_000: 101, 100_000: 991}


def best_ms(work: Callable[[], Any], repeat: int) -> float:
    """The best of `repeat` runs of `work`, in CPU milliseconds (the machine may be shared)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        began = time.process_time()
        work()
        best = min(best, time.process_time() - began)
    return best * 1000


def clearing_at_scale(sizes: tuple[int, ...] = SIZES, repeat: int = 3) -> dict[str, Any]:
    """ms of `clear_timeframe` per mechanism at each size: one order each, and nets only."""
    inputs = {size: market_input(size) for size in sizes}
    cases = [(m, True) for m in MECHANISMS] + [("mid_market", False), ("bill_sharing", False)]
    rows: dict[str, Any] = {
        "lemlab pda (recorded)": " | ".join(f"{PEER_RECORDED_MS.get(n, '-')}" for n in sizes)
    }
    for mechanism, with_orders in cases:
        times = []
        for n in sizes:
            nets, orders = inputs[n]
            given = orders if with_orders else []
            times.append(
                best_ms(partial(clear_timeframe, nets, PEER_PRICES, 2, mechanism, given), repeat)
            )
        label = f"{mechanism} {'+ orders' if with_orders else 'nets only'}"
        growth = f"x{times[-1] / times[0]:,.0f} for x{sizes[-1] // sizes[0]:,}"
        rows[label] = " | ".join(f"{t:,.0f}" for t in times) + f"   ({growth})"
    return {"prosumers": " | ".join(f"{n:,}" for n in sizes), **rows}


def result_views(size: int = SIZES[-1], repeat: int = 3) -> dict[str, Any]:
    """ms of building the Trade objects and the store documents of an auction result."""
    nets, orders = market_input(size)
    result = clear_timeframe(nets, PEER_PRICES, 2, "auction", orders)
    lines = len(result.lines)
    views = {
        "lines": lines,
        "trade_objects_ms": best_ms(lambda: list(starmap(Trade, result.lines.rows())), repeat),
        "trade_docs_ms": best_ms(lambda: trade_docs("g", "2026-10-01T00:00:00Z", "EUR", result), 1),
    }
    return views


def close_trades(container: Any, grid_id: str, start: str, close_s: float) -> dict[str, Any]:
    """Trades the timed close wrote, and its trades/s including every store write."""
    trades = len(container.documents.transactions.timeframe(grid_id, start))
    return {"trades": trades, "close_s": close_s, "trades_per_s": trades / close_s}


def close_at_scale(
    container: Any, port: int, headers: dict[str, str], count: int
) -> dict[str, Any]:
    """A new grid of `count` prosumers: readings over HTTP, then the timed close (HTTP, stores)."""
    grid_id = bench_metering.create_grid(port, headers)
    ids = bench_metering.seed_prosumers(container, grid_id, count)
    closed = bench_metering.upsert_and_close(port, headers, grid_id, ids)
    return {**closed, **close_trades(container, grid_id, bench_metering.START, closed["close_s"])}


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
