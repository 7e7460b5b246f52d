"""Inputs at the edges of their types get a 400 problem, never a 500 (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GRID


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
