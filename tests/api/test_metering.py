"""Readings, closing and netto through HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import add_prosumer

T0 = "2026-10-01T00:00:00Z"
T1 = "2026-10-01T00:15:00Z"
FUT = "2030-01-01T00:00:00Z"


@pytest.fixture
def setup(client: Any, admin: dict[str, str], grid: dict[str, Any]) -> dict[str, Any]:
    prosumers = [add_prosumer(client, admin, grid["id"], n)["id"] for n in range(3)]
    return {"grid": grid["id"], "p": prosumers}


def put_bulk(client: Any, headers: dict[str, str], grid_id: str, start: str, lines: list) -> Any:
    url = f"/api/v1/grids/{grid_id}/timeframes/{start}/readings"
    return client.put(url, json={"readings": lines}, headers=headers)


def line(pid: str, produced: int, consumed: int) -> dict[str, Any]:
    return {"prosumer_id": pid, "produced_wh": produced, "consumed_wh": consumed}


def test_bulk_upsert_counts_and_idempotency(client: Any, admin: dict, setup: dict) -> None:
    g, (a, b, c) = setup["grid"], setup["p"]
    first = put_bulk(client, admin, g, T0, [line(a, 3000, 0), line(b, 0, 1000)])
    assert first.json == {"inserted": 2, "updated": 0, "unchanged": 0}
    again = put_bulk(client, admin, g, T0, [line(a, 3000, 0), line(b, 0, 900), line(c, 0, 500)])
    assert again.json == {"inserted": 1, "updated": 1, "unchanged": 1}


def test_bad_line_rejects_everything(client: Any, admin: dict, setup: dict) -> None:
    g, (a, b, _) = setup["grid"], setup["p"]
    bad = put_bulk(client, admin, g, T0, [line(a, 1, 0), line(b, -5, 0)])
    assert bad.status_code == 422
    assert "readings.1.produced_wh" in bad.json["errors"]
    unknown = put_bulk(client, admin, g, T0, [line(a, 1, 0), line("nope", 1, 0)])
    assert unknown.status_code == 422 and "readings.1.prosumer_id" in unknown.json["errors"]
    fraction = put_bulk(client, admin, g, T0, [line(a, 1.5, 0)])
    assert fraction.status_code == 422
    misaligned = put_bulk(client, admin, g, "2026-10-01T00:07:00Z", [line(a, 1, 0)])
    assert misaligned.status_code == 422
    garbage = put_bulk(client, admin, g, "yesterday", [line(a, 1, 0)])
    assert garbage.status_code == 400
    url = f"/api/v1/prosumers/{a}/readings?from={T0}&to={T1}"
    assert client.get(url, headers=admin).headers["X-Total-Count"] == "0"


def test_inactive_and_foreign_prosumers_are_refused(client: Any, admin: dict, setup: dict) -> None:
    other = client.post(
        "/api/v1/grids",
        json={
            "name": "other",
            "timezone": "UTC",
            "timeframe_minutes": 15,
            "currency": "SEK",
            "import_price": "1.5",
            "feed_in_price": "0.5",
        },
        headers=admin,
    ).json
    stranger = add_prosumer(client, admin, other["id"], 50)["id"]
    response = put_bulk(client, admin, setup["grid"], T0, [line(stranger, 1, 1)])
    assert response.status_code == 422 and "another grid" in response.json["detail"]


def test_close_snapshot_and_immutability(client: Any, admin: dict, setup: dict) -> None:
    """A future timeframe (forced) so that every registered prosumer is a member."""
    g, (a, b, c) = setup["grid"], setup["p"]
    put_bulk(client, admin, g, FUT, [line(a, 3000, 0), line(b, 0, 1000)])
    open_tf = client.get(f"/api/v1/grids/{g}/timeframes/{FUT}", headers=admin)
    assert open_tf.status_code == 404 and "open with 2 reading" in open_tf.json["detail"]
    closed = client.post(f"/api/v1/grids/{g}/timeframes/{FUT}/close?force=true", headers=admin)
    assert closed.status_code == 201
    snap = closed.json
    assert snap["totals"]["net_wh"] == 2000 and snap["totals"]["export_wh"] == 2000
    assert snap["missing"] == [c]
    again = client.post(f"/api/v1/grids/{g}/timeframes/{FUT}/close?force=true", headers=admin)
    assert again.status_code == 200 and again.json["content_hash"] == snap["content_hash"]
    read = client.get(f"/api/v1/grids/{g}/timeframes/{FUT}", headers=admin).json
    assert {k: read[k] for k in snap} == snap and read["version"] == 1  # + its versions list
    same = put_bulk(client, admin, g, FUT, [line(a, 3000, 0)])
    assert same.status_code == 200 and same.json["unchanged"] == 1
    changed = put_bulk(client, admin, g, FUT, [line(a, 3001, 0)])
    assert changed.status_code == 409
    late = client.put(
        f"/api/v1/prosumers/{c}/readings/{FUT}",
        json={"produced_wh": 1, "consumed_wh": 0},
        headers=admin,
    )
    assert late.status_code == 409


def test_future_timeframe_needs_force(client: Any, admin: dict, setup: dict) -> None:
    future = "2099-01-01T00:00:00Z"
    url = f"/api/v1/grids/{setup['grid']}/timeframes/{future}/close"
    assert client.post(url, headers=admin).status_code == 409
    assert client.post(url + "?force=true", headers=admin).status_code == 201


def test_netto_and_snapshots(client: Any, admin: dict, setup: dict) -> None:
    g, (a, b, _) = setup["grid"], setup["p"]
    for start, (pa, cb) in ((T0, (3000, 1000)), (T1, (100, 700))):
        put_bulk(client, admin, g, start, [line(a, pa, 0), line(b, 0, cb)])
        client.post(f"/api/v1/grids/{g}/timeframes/{start}/close", headers=admin)
    rng = "from=2026-10-01T00:00:00Z&to=2026-10-02T00:00:00Z"
    netto = client.get(f"/api/v1/grids/{g}/netto?{rng}", headers=admin)
    assert netto.status_code == 200, netto.json
    rows = {r["prosumer_id"]: r for r in netto.json["prosumers"]}
    assert rows[a]["net_wh"] == 3100 and rows[b]["net_wh"] == -1700
    assert netto.json["grid"]["net_wh"] == 1400 and netto.json["grid"]["timeframes"] == 2
    snaps = client.get(f"/api/v1/grids/{g}/snapshots?{rng}", headers=admin)
    assert [s["start"] for s in snaps.json] == [T0, T1] and "lines" not in snaps.json[0]
    too_long = client.get(
        f"/api/v1/grids/{g}/netto?from=2025-01-01T00:00:00Z&to=2026-10-01T00:00:00Z",
        headers=admin,
    )
    assert too_long.status_code == 400 and "query.to" in too_long.json["errors"]


def test_a_timeframe_too_large_for_exact_sums_is_refused_before_freezing(
    client: Any, admin: dict
) -> None:
    """Amounts beyond the stores' 64-bit integers: a 422 naming why, readings still editable."""
    from tests.conftest import GRID

    body = {**GRID, "import_price": "999999999.999999", "feed_in_price": "0"}
    grid = client.post("/api/v1/grids", json=body, headers=admin).json["id"]
    a, b = (add_prosumer(client, admin, grid, n)["id"] for n in range(2))
    assert put_bulk(client, admin, grid, T0, [line(a, 0, 10**12)]).status_code == 200
    url = f"/api/v1/grids/{grid}/timeframes/{T0}/close"
    refused = client.post(url, headers=admin)
    assert refused.status_code == 422, refused.json
    assert refused.content_type == "application/problem+json"
    fixed = put_bulk(client, admin, grid, T0, [line(a, 0, 1000), line(b, 10, 0)])
    assert fixed.status_code == 200 and fixed.json["updated"] == 1
    closed = client.post(url, headers=admin)
    assert closed.status_code == 201, closed.json
    assert closed.json["totals"]["consumption_wh"] == 1000
