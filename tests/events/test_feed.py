"""GET /api/v1/events: ordered, cursor-paged, scoped by the key."""

from __future__ import annotations

from typing import Any

from models.domain import events as ev
from models.services.events import record_event
from tests.conftest import GRID, add_prosumer, make_key


def _record(app: Any, type_: str, grid_id: str, prosumer_id: str | None = None) -> None:
    with app.extensions["minigrid"].uow() as uow:
        record_event(uow, type_, grid_id, {"n": 1}, prosumer_id=prosumer_id)
        uow.commit()


def _world(app: Any, client: Any, admin: dict[str, str]) -> dict[str, Any]:
    """Two grids; grid A has prosumers p1, p2; events of each kind in between."""
    a = client.post("/api/v1/grids", json=GRID, headers=admin).json["id"]
    b = client.post("/api/v1/grids", json={**GRID, "name": "other"}, headers=admin).json["id"]
    p1, p2 = (add_prosumer(client, admin, a, n)["id"] for n in (1, 2))
    _record(app, ev.TIMEFRAME_CLOSED, a)
    _record(app, ev.CREDIT_PAID, a, p1)
    _record(app, ev.DEBIT_PAID, a, p2)
    _record(app, ev.TIMEFRAME_CLOSED, b)
    _record(app, ev.SETTLEMENT_POSTED, a)
    return {"a": a, "b": b, "p1": p1, "p2": p2}


def _feed(client: Any, headers: dict[str, str], **query: Any) -> Any:
    response = client.get("/api/v1/events", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response


def test_cursor_pages_walk_every_event_once_in_order(app, client, admin) -> None:
    _world(app, client, admin)
    seen, cursor = [], None
    while True:
        response = _feed(client, admin, limit=2, **({"after": cursor} if cursor else {}))
        if not response.json:
            assert response.headers["X-Next-Cursor"] == cursor
            break
        seen += response.json
        cursor = response.headers["X-Next-Cursor"]
        assert cursor == response.json[-1]["cursor"]
        assert response.headers["X-Newest-Cursor"] == _feed(client, admin).json[-1]["cursor"]
    assert [e["type"] for e in seen] == [
        "timeframe.closed",
        "settlement.credit_paid",
        "settlement.debit_paid",
        "timeframe.closed",
        "settlement.posted",
    ]
    assert len({e["id"] for e in seen}) == 5


def test_types_and_grid_filter(app, client, admin) -> None:
    w = _world(app, client, admin)
    closed = _feed(client, admin, type="timeframe.closed").json
    assert [e["grid_id"] for e in closed] == [w["a"], w["b"]]
    both = _feed(client, admin, type=["settlement.posted", "settlement.debit_paid"]).json
    assert [e["type"] for e in both] == ["settlement.debit_paid", "settlement.posted"]
    assert [e["grid_id"] for e in _feed(client, admin, grid_id=w["b"]).json] == [w["b"]]


def test_a_prosumer_sees_itself_and_aggregates_an_operator_its_grid(app, client, admin) -> None:
    w = _world(app, client, admin)
    mine = _feed(client, make_key(app, role="prosumer", prosumer_id=w["p1"])).json
    assert [(e["type"], e["prosumer_id"]) for e in mine] == [
        ("timeframe.closed", None),
        ("settlement.credit_paid", w["p1"]),
        ("settlement.posted", None),
    ]
    operator = make_key(app, role="operator", grid_id=w["a"])
    assert {e["grid_id"] for e in _feed(client, operator).json} == {w["a"]}
    assert _feed(client, operator, grid_id=w["b"]).json == []
    meter = make_key(app, role="meter", prosumer_id=w["p1"])
    assert client.get("/api/v1/events", headers=meter).status_code == 403


def test_a_cursor_not_issued_by_the_feed_is_a_400(client, admin) -> None:
    for bad in ("nope", "ZXYx", ev.encode_cursor(1)[:-2] + "!!"):
        response = client.get("/api/v1/events", query_string={"after": bad}, headers=admin)
        assert response.status_code == 400, bad
        assert (
            response.mimetype == "application/problem+json" and "after" in response.json["detail"]
        )
    response = client.get("/api/v1/events", query_string={"type": "nope"}, headers=admin)
    assert response.status_code == 400
