"""Inputs at the edges of their types get a 400 problem, never a 500 (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import GRID, add_prosumer, wallet


@pytest.mark.parametrize(
    "start", ["9999-12-31T23:45:00Z", "0001-01-01T00:00:00Z", "1969-12-31T23:45:00Z"]
)
def test_instants_outside_the_supported_range(
    client: Any, admin: dict, grid: dict, start: str
) -> None:
    url = f"/api/v1/grids/{grid['id']}/timeframes/{start}"
    for response in (
        client.post(url + "/close?force=true", headers=admin),
        client.get(url, headers=admin),
        client.get(f"/api/v1/grids/{grid['id']}/netto?from={start}&to={start}", headers=admin),
    ):
        assert response.status_code == 400, response.json
        assert response.content_type == "application/problem+json"


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "2026-13"])
def test_months_outside_the_supported_range(
    client: Any, admin: dict, grid: dict, month: str
) -> None:
    response = client.post(
        f"/api/v1/grids/{grid['id']}/settlements", json={"month": month}, headers=admin
    )
    assert response.status_code == 400 and "month" in response.json["errors"]


def test_nul_characters_are_refused(client: Any, admin: dict) -> None:
    response = client.post("/api/v1/grids", json={**GRID, "name": "a\x00b"}, headers=admin)
    assert response.status_code == 400 and "name" in response.json["errors"]


def _partner(client: Any, admin: dict, grid: dict, datapoints: int = 0) -> dict:
    body = {"name": "p", "trust_level": 1, "datapoints": datapoints}
    response = client.post(f"/api/v1/grids/{grid['id']}/partners", json=body, headers=admin)
    assert response.status_code == 201, response.json
    return response.json


def test_deleting_a_grid_takes_its_partners_and_keys(client: Any, admin: dict, grid: dict) -> None:
    partner = _partner(client, admin, grid)
    body = {"role": "partner", "partner_id": partner["id"]}
    partner_key = client.post("/api/v1/keys", json=body, headers=admin).json
    body = {"role": "operator", "grid_id": grid["id"]}
    operator_key = client.post("/api/v1/keys", json=body, headers=admin).json
    url = f"/api/v1/grids/{grid['id']}"
    assert client.delete(url, headers={**admin, "If-Match": "*"}).status_code == 204
    assert client.get(url, headers=admin).status_code == 404
    for key in (partner_key, operator_key):
        assert client.get(f"/api/v1/keys/{key['id']}", headers=admin).status_code == 404


def test_a_grid_with_a_closed_timeframe_is_not_deleted(
    client: Any, admin: dict, grid: dict
) -> None:
    _partner(client, admin, grid)
    url = f"/api/v1/grids/{grid['id']}"
    closed = client.post(url + "/timeframes/2026-10-01T00:00:00Z/close?force=true", headers=admin)
    assert closed.status_code == 201, closed.json
    response = client.delete(url, headers={**admin, "If-Match": "*"})
    assert response.status_code == 409 and "closed timeframes" in response.json["detail"]
    assert client.get(url + "/partners", headers=admin).json[0]["name"] == "p"


def test_a_key_is_bound_by_its_role_id_only(client: Any, admin: dict, grid: dict) -> None:
    partner = _partner(client, admin, grid)
    prosumer = add_prosumer(client, admin, grid["id"], 1)
    body = {
        "role": "partner",
        "grid_id": grid["id"],
        "prosumer_id": prosumer["id"],
        "partner_id": partner["id"],
    }
    response = client.post("/api/v1/keys", json=body, headers=admin)
    assert response.status_code == 400, response.json
    assert set(response.json["errors"]) == {"grid_id", "prosumer_id"}
    response = client.post("/api/v1/keys", json={"role": "operator"}, headers=admin)
    assert response.status_code == 400 and set(response.json["errors"]) == {"grid_id"}


def test_a_top_up_stops_at_the_maximum_balance(client: Any, admin: dict, grid: dict) -> None:
    partner = _partner(client, admin, grid, datapoints=10**12 - 5)
    url = f"/api/v1/partners/{partner['id']}/datapoints"
    response = client.post(url, json={"datapoints": 6}, headers=admin)
    assert response.status_code == 409 and "datapoints" in response.json["errors"]
    response = client.post(url, json={"datapoints": 5}, headers=admin)
    assert response.status_code == 200 and response.json["datapoints"] == 10**12
    listed = client.get(f"/api/v1/grids/{grid['id']}/partners", headers=admin).json
    assert [p["datapoints"] for p in listed] == [10**12]


@pytest.mark.parametrize("active", [0, 1, "true", None])
def test_booleans_are_json_booleans(client: Any, admin: dict, grid: dict, active: Any) -> None:
    body = {"name": "h", "address": "a", "kind": "household", "wallet": wallet(9)}
    url = f"/api/v1/grids/{grid['id']}/prosumers"
    response = client.post(url, json={**body, "active": active}, headers=admin)
    assert response.status_code == 400 and "active" in response.json["errors"]
    assert client.get(url + "?active=1", headers=admin).status_code == 400
    assert client.get(url + "?active=false", headers=admin).status_code == 200


def test_whole_numbers_written_with_a_fraction_are_integers(client: Any, admin: dict) -> None:
    body = {**GRID, "timeframe_minutes": 15.0, "wei_per_minor_unit": 5.99417e5}
    response = client.post("/api/v1/grids", json=body, headers=admin)
    assert response.status_code == 201, response.json
    assert response.json["timeframe_minutes"] == 15
    assert response.json["wei_per_minor_unit"] == 599417
    for bad in (15.5, 7, True, "15"):
        response = client.post(
            "/api/v1/grids", json={**GRID, "timeframe_minutes": bad}, headers=admin
        )
        assert response.status_code == 400 and "timeframe_minutes" in response.json["errors"]


@pytest.mark.parametrize(
    "path", ["/api/v1/grids?colour=red", "/api/v1/grids/{id}?colour=red&page=1"]
)
def test_unknown_query_parameters_are_refused(
    client: Any, admin: dict, grid: dict, path: str
) -> None:
    response = client.get(path.format(id=grid["id"]), headers=admin)
    assert response.status_code == 400 and "query.colour" in response.json["errors"]
    assert response.content_type == "application/problem+json"


def test_a_json_body_with_another_type_is_415(client: Any, admin: dict) -> None:
    response = client.post(
        "/api/v1/grids", data=json.dumps(GRID), content_type="text/plain", headers=admin
    )
    assert response.status_code == 415 and response.content_type == "application/problem+json"


def test_a_key_cannot_revoke_itself(client: Any, admin: dict) -> None:
    own = client.get("/api/v1/keys", headers=admin).json[-1]["id"]
    assert client.delete(f"/api/v1/keys/{own}", headers=admin).status_code == 409
    assert client.get("/api/v1/grids", headers=admin).status_code == 200


def test_rfc3339_allows_a_lowercase_t_and_z(client: Any, admin: dict, grid: dict) -> None:
    url = f"/api/v1/grids/{grid['id']}/timeframes/2026-10-01"
    client.post(url + "T00:15:00Z/close?force=true", headers=admin)
    response = client.get(url + "t00:15:00z", headers=admin)
    assert response.status_code == 200 and response.json["start"] == "2026-10-01T00:15:00Z"
