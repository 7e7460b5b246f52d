"""Grids and prosumers through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.conftest import GRID, add_prosumer, wallet


def test_grid_create_read_update_delete(client: Any, admin: dict[str, str]) -> None:
    created = client.post("/api/v1/grids", json=GRID, headers=admin)
    assert created.status_code == 201
    location = created.headers["Location"]
    assert location.endswith(created.json["id"])
    read = client.get(location, headers=admin)
    assert read.json["import_price"] == "0.30" and read.json["timeframe_minutes"] == 15
    etag = read.headers["ETag"]
    stale = client.patch(location, json={"name": "x"}, headers={**admin, "If-Match": '"stale"'})
    assert stale.status_code == 412
    assert stale.content_type == "application/problem+json"
    patched = client.patch(
        location, json={"import_price": "0.35"}, headers={**admin, "If-Match": etag}
    )
    assert patched.status_code == 200 and patched.json["import_price"] == "0.35"
    gone = client.delete(location, headers={**admin, "If-Match": patched.headers["ETag"]})
    assert gone.status_code == 204
    assert client.get(location, headers=admin).status_code == 404


def test_grid_validation_names_fields(client: Any, admin: dict[str, str]) -> None:
    bad = {
        **GRID,
        "timeframe_minutes": 7,
        "timezone": "Mars/Olympus",
        "currency": "XXQ",
        "import_price": 0.3,
        "extra": 1,
    }
    response = client.post("/api/v1/grids", json=bad, headers=admin)
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert set(response.json["errors"]) == {
        "timeframe_minutes",
        "timezone",
        "currency",
        "import_price",
        "extra",
    }
    assert response.json["trace_id"] == response.headers["X-Request-ID"]


def test_feed_in_above_import_is_a_domain_rule(client: Any, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/grids", json={**GRID, "feed_in_price": "0.40"}, headers=admin)
    assert response.status_code == 422
    assert "feed_in_price" in response.json["detail"]


def test_grid_with_prosumers_cannot_be_deleted(
    client: Any, admin: dict[str, str], grid: dict[str, Any]
) -> None:
    add_prosumer(client, admin, grid["id"], 1)
    url = f"/api/v1/grids/{grid['id']}"
    etag = client.get(url, headers=admin).headers["ETag"]
    response = client.delete(url, headers={**admin, "If-Match": etag})
    assert response.status_code == 409


def test_prosumer_wallet_checksummed_and_unique(
    client: Any, admin: dict[str, str], grid: dict[str, Any]
) -> None:
    lower = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
    first = add_prosumer(client, admin, grid["id"], 1, wallet=lower)
    assert first["wallet"] == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    body = {
        "name": "b",
        "address": "a",
        "kind": "business",
        "wallet": lower.upper().replace("0X", "0x"),
    }
    dup = client.post(f"/api/v1/grids/{grid['id']}/prosumers", json=body, headers=admin)
    assert dup.status_code == 409
    bad = client.post(
        f"/api/v1/grids/{grid['id']}/prosumers", json={**body, "wallet": "0x123"}, headers=admin
    )
    assert bad.status_code == 400 and "wallet" in bad.json["errors"]


def test_prosumer_list_paginates_and_filters(
    client: Any, admin: dict[str, str], grid: dict[str, Any]
) -> None:
    for n in range(5):
        add_prosumer(client, admin, grid["id"], n, kind="business" if n % 2 else "household")
    url = f"/api/v1/grids/{grid['id']}/prosumers"
    page = client.get(url + "?page=2&page_size=2", headers=admin)
    assert page.headers["X-Total-Count"] == "5"
    assert [p["name"] for p in page.json] == ["house 002", "house 003"]
    assert 'rel="next"' in page.headers["Link"] and 'rel="prev"' in page.headers["Link"]
    business = client.get(url + "?kind=business", headers=admin)
    assert {p["kind"] for p in business.json} == {"business"} and len(business.json) == 2
    prefix = client.get(url + "?name=house%2000", headers=admin)
    assert len(prefix.json) == 5
    assert client.get(url + "?page_size=1001", headers=admin).status_code == 400


def test_prosumer_patch_and_delete(
    client: Any, admin: dict[str, str], grid: dict[str, Any]
) -> None:
    prosumer = add_prosumer(client, admin, grid["id"], 1)
    url = f"/api/v1/prosumers/{prosumer['id']}"
    etag = client.get(url, headers=admin).headers["ETag"]
    patched = client.patch(
        url, json={"active": False, "wallet": wallet(99)}, headers={**admin, "If-Match": etag}
    )
    assert patched.status_code == 200 and patched.json["active"] is False
    assert (
        client.patch(url, json={"name": "x"}, headers={**admin, "If-Match": etag}).status_code
        == 412
    )
    missing_precondition = client.delete(url, headers=admin)
    assert missing_precondition.status_code == 428
    deleted = client.delete(url, headers={**admin, "If-Match": patched.headers["ETag"]})
    assert deleted.status_code == 204


def test_problem_details_everywhere(client: Any, admin: dict[str, str]) -> None:
    not_found = client.get("/api/v1/nowhere", headers=admin)
    assert not_found.status_code == 404 and not_found.content_type == "application/problem+json"
    wrong_method = client.put("/api/v1/grids", headers=admin)
    assert wrong_method.status_code == 405 and "POST" in wrong_method.headers["Allow"]
    not_json = client.post(
        "/api/v1/grids", data="{", headers={**admin, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.content_type == "application/problem+json"
    listed = client.post("/api/v1/grids", json=[1, 2], headers=admin)
    assert listed.status_code == 400


def test_request_id_is_echoed(client: Any) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert len(client.get("/health/live").headers["X-Request-ID"]) == 32


def test_body_too_large_is_413(app: Any, admin: dict[str, str]) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = app.test_client().post("/api/v1/grids", json={"name": "x" * 2000}, headers=admin)
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def _close_one(client: Any, admin: dict[str, str], grid_id: str) -> None:
    start = "2026-10-01T00:00:00Z"
    closed = client.post(f"/api/v1/grids/{grid_id}/timeframes/{start}/close", headers=admin)
    assert closed.status_code == 201, closed.json


def test_currency_and_timezone_are_frozen_once_a_timeframe_closed(
    client: Any, admin: dict[str, str]
) -> None:
    """Trades are in the grid's currency and months in its zone: changing them re-books history."""
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json
    url = f"/api/v1/grids/{grid['id']}"
    _close_one(client, admin, grid["id"])
    for change in ({"currency": "JPY"}, {"timezone": "UTC"}):
        etag = client.get(url, headers=admin).headers["ETag"]
        refused = client.patch(url, json=change, headers={**admin, "If-Match": etag})
        assert refused.status_code == 409, (change, refused.json)
        assert refused.content_type == "application/problem+json"
    read = client.get(url, headers=admin).json
    assert read["currency"] == "EUR" and read["timezone"] == "Europe/Stockholm"
    etag = client.get(url, headers=admin).headers["ETag"]
    headers = {**admin, "If-Match": etag}
    same = client.patch(url, json={"currency": "EUR", "name": "y"}, headers=headers)
    assert same.status_code == 200 and same.json["name"] == "y"


def test_timeframe_length_is_frozen_once_readings_exist(client: Any, admin: dict[str, str]) -> None:
    """Readings at :15 would fall between 60-minute timeframes and never be netted."""
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json
    pid = add_prosumer(client, admin, grid["id"], 1)["id"]
    url = f"/api/v1/grids/{grid['id']}"
    body = {"produced_wh": 500, "consumed_wh": 0}
    pushed = client.put(
        f"/api/v1/prosumers/{pid}/readings/2026-10-01T00:15:00Z", json=body, headers=admin
    )
    assert pushed.status_code == 200
    etag = client.get(url, headers=admin).headers["ETag"]
    refused = client.patch(url, json={"timeframe_minutes": 60}, headers={**admin, "If-Match": etag})
    assert refused.status_code == 409, refused.json
    assert client.get(url, headers=admin).json["timeframe_minutes"] == 15
