"""Statements carry the month's plant imports and carbon, outside the Merkle leaf (eth-tester,
SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.domain.statements import Statement, leaf_bytes
from models.domain.timeframes import month_bounds
from models.services import metering
from models.services import registry as reg
from models.services.settlement.settle import settle_month
from tests.settlement.world import MONTH, World, build_grid, close_month


def add_imports(container: Any, world: World) -> None:
    """Six days in deficit: the import need is 2200 + 100 * day Wh, and 3000 Wh on day 5."""
    start, _ = month_bounds(MONTH, "UTC")
    for day in range(6):
        extra = 800 if day == 5 else 100 * day
        profile = [(3000, 0), (0, 2500 + extra), (0, 1700), (500, 1500), (0, 0)]
        lines = [
            {"prosumer_id": pid, "produced_wh": p, "consumed_wh": c}
            for pid, (p, c) in zip(world.prosumers, profile, strict=True)
        ]
        with container.uow() as uow:
            grid = reg.get_grid(uow, world.grid_id)
            metering.upsert_readings(uow, grid, start + timedelta(days=day), lines)


def test_statements_split_the_grids_imports_and_grams(app, client, admin, container, accounts):
    world = build_grid(container, [a.address for a in accounts])
    add_imports(container, world)
    plant = f"/api/v1/grids/{world.grid_id}/plant"
    etag = client.get(plant, headers=admin).headers["ETag"]
    small = {
        "max_output_w": 100,
        "ratio": "0.25",
        "buffer_capacity_wh": 700,
        "carbon_g_per_kwh": 333,
    }
    assert client.patch(plant, json=small, headers={**admin, "If-Match": etag}).status_code == 200
    close_month(container, world)
    settle_month(container, world.grid_id, MONTH)

    snapshots = client.get(
        f"/api/v1/grids/{world.grid_id}/snapshots",
        query_string={"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
        headers=admin,
    ).json
    parts = [s["plant"] for s in snapshots]
    delivered = sum(p["delivered_wh"] for p in parts)
    grams = sum(p["carbon_g"] for p in parts)
    assert [p["delivered_wh"] for p in parts[:6]] == [2200, 2300, 2400, 2500, 2600, 2400]
    assert parts[5]["unserved_wh"] == 600  # 2400 Wh a day at most, the buffer empty
    url = "/api/v1/prosumers/{}/statements/" + MONTH
    assert client.get(url.format(world.prosumers[4]), headers=admin).status_code == 404  # no trade
    statements = [client.get(url.format(pid), headers=admin).json for pid in world.prosumers[:4]]
    assert sum(s["imported_wh"] for s in statements) == delivered
    assert sum(s["carbon_g"] for s in statements) == grams
    assert all(s["imported_wh"] >= 0 and s["carbon_g"] >= 0 for s in statements)
    assert statements[0]["imported_wh"] == statements[0]["carbon_g"] == 0  # never in deficit
    assert all(s["imported_wh"] > 0 and s["carbon_g"] > 0 for s in statements[1:])
    for s in statements:  # the leaf is the five words it always was
        st = Statement(
            world.grid_id, MONTH, s["index"], s["prosumer_id"], s["account"], s["amount_minor"]
        )
        assert s["encoding"]["leaf_bytes"] == "0x" + leaf_bytes(st).hex()
