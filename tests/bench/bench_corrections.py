"""Corrections: one reading corrected in a closed timeframe of 1,000 / 10,000 prosumers, and
an adjustments-only settlement plan (`make bench`; never asserts speed)."""

from __future__ import annotations

import random
import time
import uuid
from decimal import Decimal
from typing import Any

from models.domain.timeframes import parse_instant
from models.services import metering
from models.services import registry as reg
from models.services.closing import close_timeframe
from models.services.corrections import correct_timeframe
from tests.bench.bench_metering import seed_prosumers

START = "2026-10-05T10:00:00Z"
GRID = {
    "name": "bench corrections",
    "timezone": "UTC",
    "timeframe_minutes": 15,
    "currency": "EUR",
    "import_price": Decimal("0.30"),
    "feed_in_price": Decimal("0.10"),
}


def closed_timeframe(container: Any, size: int) -> tuple[str, list[str]]:
    """A grid whose timeframe START of `size` prosumers is closed (half sellers)."""
    with container.uow() as uow:
        grid_id = reg.create_grid(uow, dict(GRID)).id
    ids = seed_prosumers(container, grid_id, size)
    rng = random.Random(size)
    lines = [
        {
            "prosumer_id": pid,
            "produced_wh": rng.randint(0, 2000),
            "consumed_wh": rng.randint(0, 2000),
        }
        for pid in ids
    ]
    with container.uow() as uow:
        metering.upsert_readings(uow, reg.get_grid(uow, grid_id), parse_instant(START), lines)
    close_timeframe(container, grid_id, parse_instant(START), force=True)
    return grid_id, ids


def one_correction(container: Any, grid_id: str, pid: str, consumed: int) -> tuple[float, int]:
    """Seconds for one corrected reading, and the adjustment trades it booked."""
    body = {
        "reason": "bench",
        "readings": [{"prosumer_id": pid, "produced_wh": 0, "consumed_wh": consumed}],
    }
    began = time.perf_counter()
    view, _ = correct_timeframe(
        container, grid_id, parse_instant(START), uuid.uuid4().hex, body, ("bench", "admin")
    )
    return time.perf_counter() - began, len(view["adjustments"])


def run(container: Any) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for size in (1_000, 10_000):
        grid_id, ids = closed_timeframe(container, size)
        first_s, trades = one_correction(container, grid_id, ids[0], 2500)
        second_s, _ = one_correction(container, grid_id, ids[1], 2600)
        rows[f"correct_{size}_s"] = first_s
        rows[f"correct_{size}_again_s"] = second_s
        rows[f"adjustment_trades_{size}"] = trades
    return rows
