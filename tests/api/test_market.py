"""Orders, clearing at close, transactions and balances through HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_metering import FUT, line, put_bulk
from tests.conftest import add_prosumer, make_key

RANGE = "from=2029-12-31T00:00:00Z&to=2030-01-02T00:00:00Z"


@pytest.fixture
def market(client: Any, admin: dict, grid: dict) -> dict[str, Any]:
    a, b, c = (add_prosumer(client, admin, grid["id"], n)["id"] for n in range(3))
    put_bulk(client, admin, grid["id"], FUT, [line(a, 3000, 0), line(b, 0, 1000), line(c, 0, 500)])
    return {"grid": grid["id"], "a": a, "b": b, "c": c}


def close(client: Any, headers: dict, grid_id: str) -> Any:
    return client.post(
        f"/api/v1/grids/{grid_id}/timeframes/{FUT}/close?force=true", headers=headers
    )


def order(client: Any, headers: dict, pid: str, key: str, **body: Any) -> Any:
    payload = {
        "timeframe_start": FUT,
        "side": "sell",
        "energy_wh": 1000,
        "limit_price": "0.15",
        **body,
    }
    return client.post(
        f"/api/v1/prosumers/{pid}/orders", json=payload, headers={**headers, "Idempotency-Key": key}
    )


def test_hand_worked_mid_market_example(client: Any, admin: dict, market: dict) -> None:
    """A +3000, B -1000, C -500 Wh at 0.30/0.10 EUR/kWh (the README example)."""
    assert close(client, admin, market["grid"]).status_code == 201
    page = client.get(f"/api/v1/grids/{market['grid']}/transactions?{RANGE}", headers=admin)
    trades = {(t["seller"], t["buyer"], t["kind"]): t for t in page.json["transactions"]}
    a, b, c = market["a"], market["b"], market["c"]
    assert trades[(a, "grid", "local")]["amount_minor"] == 30
    assert trades[("grid", b, "local")]["amount_minor"] == 20
    assert trades[("grid", c, "local")]["amount_minor"] == 10
    assert trades[(a, "grid", "export")]["amount_minor"] == 15
    assert trades[("grid", "plant", "plant_export")]["amount_minor"] == 15
    balance = client.get(f"/api/v1/prosumers/{a}/balance?{RANGE}", headers=admin).json
    assert balance["sold_wh"] == 3000 and balance["received_minor"] == 45
    assert balance["net_wh"] == 3000 and balance["net_minor"] == 45


def test_transactions_are_paginated_with_page_sums(client: Any, admin: dict, market: dict) -> None:
    close(client, admin, market["grid"])
    url = f"/api/v1/prosumers/{market['a']}/transactions?{RANGE}&page_size=1"
    first = client.get(url, headers=admin)
    assert first.headers["X-Total-Count"] == "2" and 'rel="next"' in first.headers["Link"]
    assert len(first.json["transactions"]) == 1
    assert first.json["page_sums"]["sold_wh"] == first.json["transactions"][0]["energy_wh"]
    by_counterparty = client.get(
        f"/api/v1/grids/{market['grid']}/transactions?{RANGE}&counterparty=plant", headers=admin
    )
    assert [t["kind"] for t in by_counterparty.json["transactions"]] == ["plant_export"]


def test_order_idempotency(client: Any, admin: dict, market: dict) -> None:
    first = order(client, admin, market["a"], "k1")
    assert first.status_code == 201 and first.json["status"] == "open"
    replay = order(client, admin, market["a"], "k1")
    assert replay.status_code == 201 and replay.json["id"] == first.json["id"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = order(client, admin, market["a"], "k1", energy_wh=999)
    assert other.status_code == 409
    missing = client.post(
        f"/api/v1/prosumers/{market['a']}/orders",
        json={"timeframe_start": FUT, "side": "sell", "energy_wh": 1, "limit_price": "0.1"},
        headers=admin,
    )
    assert missing.status_code == 400


def test_orders_fill_at_close_and_link_trades(client: Any, admin: dict, market: dict) -> None:
    sell = order(client, admin, market["a"], "s", side="sell", energy_wh=800, limit_price="0.15")
    buy = order(client, admin, market["b"], "b", side="buy", energy_wh=600, limit_price="0.25")
    cancelled = order(client, admin, market["c"], "c", side="buy", energy_wh=100)
    assert (
        client.delete(f"/api/v1/orders/{cancelled.json['id']}", headers=admin).json["status"]
        == "cancelled"
    )
    close(client, admin, market["grid"])
    sold = client.get(f"/api/v1/orders/{sell.json['id']}", headers=admin).json
    bought = client.get(f"/api/v1/orders/{buy.json['id']}", headers=admin).json
    assert bought["status"] == "filled" and bought["filled_wh"] == 600 and bought["trade_ids"]
    assert sold["status"] == "partial" and sold["filled_wh"] == 600
    late = order(client, admin, market["a"], "late")
    assert late.status_code == 409
    balance_b = client.get(f"/api/v1/prosumers/{market['b']}/balance?{RANGE}", headers=admin).json
    assert balance_b["net_wh"] == -1000


def test_prosumers_see_only_their_own(app: Any, client: Any, admin: dict, market: dict) -> None:
    own = make_key(app, role="prosumer", prosumer_id=market["a"])
    mine = client.get(f"/api/v1/prosumers/{market['a']}/transactions?{RANGE}", headers=own)
    theirs = client.get(f"/api/v1/prosumers/{market['b']}/transactions?{RANGE}", headers=own)
    assert mine.status_code == 200 and theirs.status_code == 404
    assert order(client, own, market["b"], "x").status_code == 404


@pytest.mark.parametrize("mechanism", ["mid_market", "bill_sharing", "auction", "supply_demand"])
def test_every_mechanism_balances(client: Any, admin: dict, market: dict, mechanism: str) -> None:
    """Per timeframe: energy sold = bought, money paid = received, the grid ends at zero."""
    url = f"/api/v1/grids/{market['grid']}"
    etag = client.get(url, headers=admin).headers["ETag"]
    patched = client.patch(url, json={"mechanism": mechanism}, headers={**admin, "If-Match": etag})
    assert patched.status_code == 200
    order(client, admin, market["a"], "s", side="sell", energy_wh=700, limit_price="0.12")
    order(client, admin, market["b"], "b", side="buy", energy_wh=900, limit_price="0.28")
    assert close(client, admin, market["grid"]).status_code == 201
    trades = client.get(f"{url}/transactions?{RANGE}", headers=admin).json["transactions"]
    position: dict[str, int] = {}
    energy: dict[str, int] = {}
    for t in trades:
        position[t["seller"]] = position.get(t["seller"], 0) + t["amount_minor"]
        position[t["buyer"]] = position.get(t["buyer"], 0) - t["amount_minor"]
        energy[t["seller"]] = energy.get(t["seller"], 0) + t["energy_wh"]
        energy[t["buyer"]] = energy.get(t["buyer"], 0) - t["energy_wh"]
    assert sum(position.values()) == 0 and position.get("grid", 0) == 0
    assert energy.get("grid", 0) == 0
    assert (energy[market["a"]], energy[market["b"]], energy[market["c"]]) == (3000, -1000, -500)


def test_prices_cannot_change_while_a_timeframe_is_closing(
    app: Any, client: Any, admin: dict, market: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A close that crashed after writing trades re-runs with the prices it started with."""
    from models.domain.timeframes import parse_instant
    from models.services import closing

    def crash(*args: Any) -> None:
        raise RuntimeError("killed after the trades were written")

    monkeypatch.setattr(closing, "_finish", crash)
    with pytest.raises(RuntimeError):
        closing.close_timeframe(
            app.extensions["minigrid"], market["grid"], parse_instant(FUT), force=True
        )
    monkeypatch.undo()
    url = f"/api/v1/grids/{market['grid']}"
    written = client.get(f"{url}/transactions?{RANGE}", headers=admin).json["transactions"]
    for change in ({"mechanism": "bill_sharing"}, {"import_price": "0.50"}):
        etag = client.get(url, headers=admin).headers["ETag"]
        refused = client.patch(url, json=change, headers={**admin, "If-Match": etag})
        assert refused.status_code == 409, refused.json
    assert close(client, admin, market["grid"]).status_code == 201
    after = client.get(f"{url}/transactions?{RANGE}", headers=admin).json["transactions"]
    assert after == written
    etag = client.get(url, headers=admin).headers["ETag"]
    later = client.patch(url, json={"import_price": "0.50"}, headers={**admin, "If-Match": etag})
    assert later.status_code == 200
