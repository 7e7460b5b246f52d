"""GET /grids/{id}/price and the supply_demand mechanism through HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_metering import FUT, line, put_bulk
from tests.conftest import GRID, add_prosumer, make_key

RANGE = "from=2029-12-31T00:00:00Z&to=2030-01-02T00:00:00Z"
P_T = "0.177777777778"  # 8/45: the README's supply_demand example


def price(client: Any, headers: dict, grid_id: str, at: str = FUT) -> Any:
    return client.get(f"/api/v1/grids/{grid_id}/price?at={at}", headers=headers)


def set_mechanism(client: Any, headers: dict, grid_id: str, mechanism: str) -> Any:
    url = f"/api/v1/grids/{grid_id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    return client.patch(url, json={"mechanism": mechanism}, headers={**headers, "If-Match": etag})


@pytest.fixture
def example(client: Any, admin: dict, grid: dict) -> dict[str, Any]:
    """README: A +1100, B -500, C -200 Wh at 0.30 / 0.10 EUR/kWh; D registered, no reading."""
    assert set_mechanism(client, admin, grid["id"], "supply_demand").status_code == 200
    a, b, c, d = (add_prosumer(client, admin, grid["id"], n)["id"] for n in range(4))
    rows = [line(a, 1300, 200), line(b, 100, 600), line(c, 500, 700)]
    assert put_bulk(client, admin, grid["id"], FUT, rows).status_code == 200
    return {"grid": grid["id"], "a": a, "b": b, "c": c, "d": d}


def test_hand_worked_supply_demand_example(client: Any, admin: dict, example: dict) -> None:
    """The README example: open, then closed; the trades are the README's table."""
    grid_id = example["grid"]
    open_ = price(client, admin, grid_id, "2030-01-01T00:07:30Z")
    assert open_.status_code == 200, open_.json
    assert open_.json == {
        "grid_id": grid_id,
        "mechanism": "supply_demand",
        "currency": "EUR",
        "price": P_T,
        "sell_price": P_T,
        "import_price": "0.30",
        "feed_in_price": "0.10",
        "timeframe": {"start": FUT, "end": "2030-01-01T00:15:00Z"},
        "status": "open",
        "closed": False,
        "complete": False,
        "readings": 3,
        "missing_readings": 1,
        "total_production_wh": 1900,
        "total_demand_wh": 1500,
        "surplus_wh": 1100,
        "deficit_wh": 700,
    }
    closed = client.post(
        f"/api/v1/grids/{grid_id}/timeframes/{FUT}/close?force=true", headers=admin
    )
    assert closed.status_code == 201
    page = client.get(f"/api/v1/grids/{grid_id}/transactions?{RANGE}", headers=admin).json
    a, b, c = example["a"], example["b"], example["c"]
    rows = {
        (t["seller"], t["buyer"], t["energy_wh"], t["unit_price"], t["amount_minor"], t["kind"])
        for t in page["transactions"]
    }
    assert rows == {
        (a, "grid", 700, P_T, 12, "local"),
        ("grid", b, 500, P_T, 9, "local"),
        ("grid", c, 200, P_T, 4, "local"),
        (a, "grid", 400, "0.10", 4, "export"),
        ("grid", "plant", 400, "0.10", 4, "plant_export"),
        ("rounding", "grid", 0, "0", 1, "rounding"),
    }
    after = price(client, admin, grid_id).json
    assert after["closed"] and after["complete"] and after["status"] == "closed"
    assert after["price"] == P_T and after["missing_readings"] == 1 and after["readings"] == 3
    assert (after["surplus_wh"], after["deficit_wh"]) == (1100, 700)


def test_open_price_follows_the_readings(client: Any, admin: dict, example: dict) -> None:
    """A new reading moves p_t; an empty timeframe answers p_mid with everyone missing."""
    grid_id = example["grid"]
    put_bulk(client, admin, grid_id, FUT, [line(example["d"], 0, 2200)])  # D = 2900, S = 1100
    moved = price(client, admin, grid_id).json
    assert moved["price"] == "0.245000000000" and moved["missing_readings"] == 0
    empty = price(client, admin, grid_id, "2030-01-01T00:15:00Z").json
    assert empty["price"] == "0.200000000000" and empty["readings"] == 0
    assert empty["missing_readings"] == 4 and empty["total_demand_wh"] == 0


@pytest.mark.parametrize(
    ("mechanism", "buy", "sell"),
    [
        ("mid_market", "0.20", "0.20"),
        ("auction", "0.20", "0.20"),
        # bill sharing: the community exports 400 Wh; buyers pay 0, sellers 0.10 * 400 / 1100
        ("bill_sharing", "0", "0.036363636364"),
    ],
)
def test_other_mechanisms_answer_their_local_price(
    client: Any, admin: dict, example: dict, mechanism: str, buy: str, sell: str
) -> None:
    assert set_mechanism(client, admin, example["grid"], mechanism).status_code == 200
    body = price(client, admin, example["grid"]).json
    assert (body["mechanism"], body["price"], body["sell_price"]) == (mechanism, buy, sell)


@pytest.mark.parametrize(
    "query",
    ["at=yesterday", "at=2030-01-01", "at=2030-01-01T00:00:00", "", "at=9999-01-01T00:00:00Z"],
)
def test_bad_at_is_a_400_problem(client: Any, admin: dict, grid: dict, query: str) -> None:
    response = client.get(f"/api/v1/grids/{grid['id']}/price?{query}", headers=admin)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "query.at" in response.json["errors"], response.json


def test_unknown_query_field_is_a_400(client: Any, admin: dict, grid: dict) -> None:
    response = client.get(f"/api/v1/grids/{grid['id']}/price?at={FUT}&when=now", headers=admin)
    assert response.status_code == 400 and "query.when" in response.json["errors"]


def test_a_grid_the_key_cannot_see_is_404(app: Any, client: Any, admin: dict, grid: dict) -> None:
    other = client.post("/api/v1/grids", json={**GRID, "name": "other"}, headers=admin).json
    operator = make_key(app, role="operator", grid_id=other["id"])
    hidden = price(client, operator, grid["id"])
    assert hidden.status_code == 404
    assert hidden.headers["Content-Type"].startswith("application/problem+json")
    assert price(client, operator, other["id"]).status_code == 200
    unknown = price(client, admin, "00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404


def test_mechanism_is_validated(client: Any, admin: dict, grid: dict) -> None:
    bad = set_mechanism(client, admin, grid["id"], "lottery")
    assert bad.status_code == 400 and "mechanism" in bad.json["errors"]
    created = client.post(
        "/api/v1/grids", json={**GRID, "name": "sd", "mechanism": "supply_demand"}, headers=admin
    )
    assert created.status_code == 201 and created.json["mechanism"] == "supply_demand"


def test_orders_fill_at_p_t(client: Any, admin: dict, example: dict) -> None:
    """Orders acceptable at p_t = 8/45 fill at p_t; a buy limited to 0.17 (< p_t) does not."""

    def place(pid: str, key: str, side: str, energy: int, limit: str) -> str:
        body = {"timeframe_start": FUT, "side": side, "energy_wh": energy, "limit_price": limit}
        url = f"/api/v1/prosumers/{pid}/orders"
        response = client.post(url, json=body, headers={**admin, "Idempotency-Key": key})
        assert response.status_code == 201, response.json
        return str(response.json["id"])

    sell = place(example["a"], "s", "sell", 500, "0.17")
    buy = place(example["b"], "b", "buy", 400, "0.18")
    low = place(example["c"], "c", "buy", 200, "0.17")
    url = f"/api/v1/grids/{example['grid']}"
    assert client.post(f"{url}/timeframes/{FUT}/close?force=true", headers=admin).status_code == 201
    fills = {o: client.get(f"/api/v1/orders/{o}", headers=admin).json for o in (sell, buy, low)}
    assert [fills[o]["filled_wh"] for o in (sell, buy, low)] == [400, 400, 0]
    trades = client.get(f"{url}/transactions?{RANGE}", headers=admin).json["transactions"]
    ordered = [
        (t["energy_wh"], t["unit_price"], t["amount_minor"]) for t in trades if t["order_id"]
    ]
    assert ordered == [(400, P_T, 7), (400, P_T, 7)]  # 400 Wh * 8/45 = 7.11 cents
    local = {t["unit_price"] for t in trades if t["kind"] == "local"}
    assert local == {P_T}
