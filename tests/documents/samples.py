"""Builders of snapshot and trade documents in the shapes the domain produces."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

BASE = datetime(2026, 10, 1, tzinfo=UTC)


def ts(slot: int, minutes: int = 15) -> str:
    """The ISO 8601 `Z` instant of timeframe number `slot`."""
    return (BASE + timedelta(minutes=minutes * slot)).strftime("%Y-%m-%dT%H:%M:%SZ")


def content_hash(doc: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (lines by prosumer) without the hash and close time."""
    body = {k: v for k, v in doc.items() if k not in ("content_hash", "closed_at")}
    body["lines"] = sorted(body["lines"], key=lambda x: x["prosumer_id"])
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def snapshot(grid: str, slot: int, readings: dict[str, tuple[int, int, bool]]) -> dict[str, Any]:
    """A closed snapshot from {prosumer: (produced_wh, consumed_wh, missing)}, lines unsorted."""
    lines = [
        {"prosumer_id": p, "produced_wh": pr, "consumed_wh": co, "net_wh": pr - co, "missing": m}
        for p, (pr, co, m) in readings.items()
    ]
    production = sum(x["produced_wh"] for x in lines)
    consumption = sum(x["consumed_wh"] for x in lines)
    net = production - consumption
    doc: dict[str, Any] = {
        "_id": f"{grid}:{ts(slot)}",
        "grid_id": grid,
        "start": ts(slot),
        "end": ts(slot + 1),
        "timeframe_minutes": 15,
        "lines": lines,
        "missing": sorted(x["prosumer_id"] for x in lines if x["missing"]),
        "totals": {
            "prosumers": len(lines),
            "production_wh": production,
            "consumption_wh": consumption,
            "surplus_wh": sum(max(x["net_wh"], 0) for x in lines),
            "deficit_wh": sum(max(-x["net_wh"], 0) for x in lines),
            "net_wh": net,
            "export_wh": max(net, 0),
            "import_wh": max(-net, 0),
        },
    }
    doc["content_hash"] = content_hash(doc)
    doc["closed_at"] = ts(slot + 2)
    return doc


def trade(grid: str, slot: int, line: int, seller: str, buyer: str, wh: int, minor: int) -> dict:
    """One trade document with its deterministic id."""
    start = ts(slot)
    return {
        "_id": f"{grid}:{start}:{line:06d}",
        "grid_id": grid,
        "timeframe_start": start,
        "line": line,
        "seller": seller,
        "buyer": buyer,
        "energy_wh": wh,
        "unit_price": "0.2150",
        "amount_minor": minor,
        "currency": "EUR",
        "kind": "p2p",
        "order_id": None,
    }


def random_trades(grid: str, slot: int, count: int, parties: list[str], seed: int) -> list[dict]:
    """`count` trades between random distinct parties, amounts beyond 32 bits included."""
    rng = random.Random(seed)
    out = []
    for line in range(count):
        seller, buyer = rng.sample(parties, 2)
        wh = rng.choice([rng.randint(1, 5_000), rng.randint(2**31, 2**40)])
        out.append(trade(grid, slot, line, seller, buyer, wh, rng.randint(0, 10**9)))
    return out
