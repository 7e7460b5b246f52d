"""Corrections of closed timeframes through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from models.domain.adjustments import pair_sums
from models.domain.corrections import verify_chain
from models.services.clearing_terms import TERMS, cleared_docs, nets_of
from tests.api.test_metering import T0, T1, line, put_bulk
from tests.conftest import add_prosumer, make_key


@pytest.fixture
def closed(client: Any, admin: dict[str, str], grid: dict[str, Any]) -> dict[str, Any]:
    """A grid with three prosumers and timeframe T0 closed (T1 open)."""
    ids = [add_prosumer(client, admin, grid["id"], n)["id"] for n in range(3)]
    lines = [line(ids[0], 3000, 0), line(ids[1], 0, 1000), line(ids[2], 0, 500)]
    assert put_bulk(client, admin, grid["id"], T0, lines).status_code == 200
    url = f"/api/v1/grids/{grid['id']}/timeframes/{T0}"
    assert client.post(url + "/close?force=true", headers=admin).status_code == 201
    return {"grid": grid["id"], "p": ids, "url": url}


def correct(client: Any, headers: dict, url: str, lines: list, key: str | None = None) -> Any:
    body = {"reason": "meter under-read", "readings": lines}
    headers = {**headers, "Idempotency-Key": key or uuid.uuid4().hex}
    return client.post(url + "/corrections", json=body, headers=headers)


def books(app: Any, grid_id: str, start: str) -> dict[tuple[str, str], tuple[int, int]]:
    """Original trades plus every correction's adjustments, per (seller, buyer)."""
    docs = app.extensions["minigrid"].documents
    trades = docs.transactions.timeframe(grid_id, start)
    for adjusted in docs.collection("adjustments").find({"grid_id": grid_id}):
        trades += adjusted["trades"]
    return pair_sums(trades)


def fresh(
    app: Any, grid_id: str, snapshot: dict[str, Any]
) -> dict[tuple[str, str], tuple[int, int]]:
    terms = app.extensions["minigrid"].documents.collection(TERMS).get(f"{grid_id}:{T0}")
    return pair_sums(cleared_docs(terms, nets_of(snapshot)))


def test_a_correction_makes_version_2_and_books_the_difference(
    app: Any, client: Any, admin: dict, closed: dict
) -> None:
    g, (a, b, _), url = closed["grid"], closed["p"], closed["url"]
    original = client.get(url, headers=admin).json
    assert original["version"] == 1 and len(original["versions"]) == 1
    done = correct(client, admin, url, [line(b, 0, 1500)], key="k1")
    assert done.status_code == 201, done.json
    body = done.json
    assert body["version"] == 2 and body["status"] == "applied" and body["month"] == "2026-10"
    assert body["created_role"] == "admin" and body["reason"] == "meter under-read"
    assert done.headers["Location"].endswith(f"/timeframes/{T0}?version=2")
    assert done.headers["Idempotent-Replayed"] == "false"
    # README's worked example: B buys 500 Wh more locally at 0.20, A exports 500 Wh less
    adjusted = {
        (t["seller"], t["buyer"]): (t["energy_wh"], t["amount_minor"]) for t in body["adjustments"]
    }
    assert adjusted == {(a, "grid"): (0, 5), ("grid", b): (500, 10), ("grid", "plant"): (-500, -5)}
    assert all(t["kind"] == "adjustment" and t["to_version"] == 2 for t in body["adjustments"])
    latest = client.get(url, headers=admin).json
    assert latest["version"] == 2 and latest["previous_hash"] == original["content_hash"]
    assert [v["version"] for v in latest["versions"]] == [1, 2]
    assert {ln["prosumer_id"]: ln["consumed_wh"] for ln in latest["lines"]}[b] == 1500
    assert books(app, g, T0) == fresh(app, g, latest)
    first = client.get(url + "?version=1", headers=admin).json
    assert {k: first[k] for k in original if k != "versions"} == {
        k: original[k] for k in original if k != "versions"
    }
    assert client.get(url + "?version=3", headers=admin).status_code == 404
    readings = client.get(f"/api/v1/prosumers/{b}/readings?from={T0}&to={T1}", headers=admin)
    assert readings.json[0]["consumed_wh"] == 1500


def test_retries_replay_and_a_changed_body_is_a_conflict(
    client: Any, admin: dict, closed: dict
) -> None:
    b, url = closed["p"][1], closed["url"]
    first = correct(client, admin, url, [line(b, 0, 1500)], key="same")
    again = correct(client, admin, url, [line(b, 0, 1500)], key="same")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"] and again.json["version"] == 2
    other = correct(client, admin, url, [line(b, 0, 1600)], key="same")
    assert other.status_code == 409 and "different correction" in other.json["detail"]
    nothing = correct(client, admin, url, [line(b, 0, 1500)])
    assert nothing.status_code == 422 and "changes nothing" in nothing.json["detail"]
    listed = client.get(url + "/corrections", headers=admin).json
    assert [c["version"] for c in listed] == [2]


def test_refusals(client: Any, admin: dict, closed: dict, grid: dict) -> None:
    g, (a, b, _), url = closed["grid"], closed["p"], closed["url"]
    open_tf = correct(client, admin, f"/api/v1/grids/{g}/timeframes/{T1}", [line(a, 1, 0)])
    assert open_tf.status_code == 409 and "/readings" in open_tf.json["detail"]
    body = {"reason": "x", "readings": [line(a, 1, 0)]}
    assert client.post(url + "/corrections", json=body, headers=admin).status_code == 400
    unknown = correct(client, admin, url, [line(str(uuid.uuid4()), 1, 0)])
    assert unknown.status_code == 422 and "readings.0.prosumer_id" in unknown.json["errors"]
    twice = correct(client, admin, url, [line(a, 1, 0), line(a, 2, 0)])
    assert twice.status_code == 422 and "readings.1.prosumer_id" in twice.json["errors"]
    negative = correct(client, admin, url, [line(a, -1, 0)])
    assert negative.status_code == 422
    empty = correct(client, admin, url, [])
    assert empty.status_code == 400
    meter = make_key(client.application, role="meter", prosumer_id=b)
    push = client.put(
        f"/api/v1/prosumers/{b}/readings/{T0}",
        json={"produced_wh": 0, "consumed_wh": 1},
        headers=meter,
    )
    assert push.status_code == 409
    assert correct(client, meter, url, [line(b, 0, 1)]).status_code == 403
    assert client.get(url + "/corrections", headers=admin).json == []


def test_chain_of_versions_and_events(app: Any, client: Any, admin: dict, closed: dict) -> None:
    g, (a, b, c), url = closed["grid"], closed["p"], closed["url"]
    assert correct(client, admin, url, [line(b, 0, 1500)]).status_code == 201
    third = correct(client, admin, url, [line(a, 2500, 0), line(c, 200, 0)])
    assert third.status_code == 201 and third.json["version"] == 3
    versions = [client.get(f"{url}?version={n}", headers=admin).json for n in (1, 2, 3)]
    stored = [{k: v for k, v in doc.items() if k != "versions"} for doc in versions]
    docs = app.extensions["minigrid"].documents
    stored[0] = docs.snapshots.get(g, T0)
    stored[1] = docs.collection("snapshot_versions").get(f"{g}:{T0}:v0002")
    stored[2] = docs.collection("snapshot_versions").get(f"{g}:{T0}:v0003")
    assert verify_chain(stored) == []
    tampered = [stored[0], {**stored[1], "lines": stored[2]["lines"]}, stored[2]]
    assert verify_chain(tampered) == ["version 2: content hash does not match its content"]
    assert books(app, g, T0) == fresh(app, g, versions[2])
    feed = client.get("/api/v1/events?type=reading.corrected", headers=admin).json
    corrected = [e for e in feed if e["type"] == "reading.corrected"]
    assert [(e["prosumer_id"], e["data"]["version"]) for e in corrected] == [(b, 2), (a, 3), (c, 3)]
    assert corrected[2]["data"]["previous_consumed_wh"] == 500
    assert corrected[2]["data"]["produced_wh"] == 200
