"""Readings over HTTP for 10,000 prosumers, closing the timeframe, and a month of netto."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from api.metering.schemas import MAX_LINES
from models.services.clock import utcnow
from models.sql.tables import Prosumer
from tests.bench import bench_documents
from tests.bench.bench_api import call

GRID = {
    "name": "bench",
    "timezone": "Europe/Berlin",
    "timeframe_minutes": 15,
    "currency": "EUR",
    "import_price": "0.30",
    "feed_in_price": "0.08",
}
START = "2026-10-01T00:00:00Z"


def create_grid(port: int, headers: dict[str, str]) -> str:
    """POST a 15-minute grid; return its id."""
    status, body = call(port, "POST", "/api/v1/grids", headers, GRID)
    assert status == 201, body
    return str(body["id"])


def seed_prosumers(
    container: Any,
    grid_id: str,
    count: int,
    communities: Sequence[str] = (),
    registered_ago: timedelta = timedelta(0),
) -> list[str]:
    """Insert `count` prosumers in one transaction (registry setup is not what we measure),
    spread evenly over `communities` when given."""
    now = utcnow()
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with container.uow() as uow:
        for n, pid in enumerate(ids):
            uow.registry.add(
                Prosumer(
                    id=pid,
                    grid_id=grid_id,
                    name=f"house {n:05d}",
                    address=f"street {n}",
                    kind="household",
                    wallet="0x" + f"{n + 1:040x}",
                    active=True,
                    community_id=communities[n % len(communities)] if communities else None,
                    created_at=now - registered_ago,
                    updated_at=now,
                )
            )
        uow.commit()
    return ids


def readings(ids: list[str]) -> list[dict[str, Any]]:
    """One deterministic reading per prosumer, about half of them net producers."""
    return [
        {"prosumer_id": pid, "produced_wh": (n * 37) % 900, "consumed_wh": (n * 53) % 800}
        for n, pid in enumerate(ids)
    ]


def upsert_and_close(
    port: int, headers: dict[str, str], grid_id: str, ids: list[str]
) -> dict[str, Any]:
    """Time the bulk PUTs of one timeframe's readings (50,000 a request) and its close."""
    base = f"/api/v1/grids/{grid_id}/timeframes/{START}"
    lines = readings(ids)
    began = time.perf_counter()
    for at in range(0, len(lines), MAX_LINES):
        body = {"readings": lines[at : at + MAX_LINES]}
        status, put = call(port, "PUT", f"{base}/readings", headers, body)
        assert status == 200, put
    upsert_s = time.perf_counter() - began
    began = time.perf_counter()
    status, closed = call(port, "POST", f"{base}/close", headers)
    close_s = time.perf_counter() - began
    assert status == 201, closed
    return {
        "prosumers": len(ids),
        "upsert_s": upsert_s,
        "readings_per_s": len(ids) / upsert_s,
        "close_s": close_s,
    }


def month_netto(container: Any, prosumers: int = 1000, timeframes: int = 2880) -> dict[str, float]:
    """Load a month of snapshots straight into the store, then time the netto query."""
    stores = container.documents
    raw = bench_documents.raw_insert_rate(stores, 100_000)
    began = time.perf_counter()
    bench_documents.fill_snapshots(stores, prosumers, timeframes)
    load_s = time.perf_counter() - began
    netto = bench_documents.netto_seconds(stores, timeframes)
    return {
        "raw_insert_per_s": raw,
        "load_s": load_s,
        "lines": prosumers * timeframes,
        "netto_first_page_s": netto["first_page"],
        "netto_last_page_s": netto["last_page"],
    }
