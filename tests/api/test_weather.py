"""PUT/GET /grids/{id}/weather (JSON and CSV) and the simulation replaying the measured series,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from models.services.simulation import simulate_grid
from tests.api.sim_helpers import DAY, add_asset, sim_grid
from tests.conftest import add_prosumer

ROW = {
    "time": "2026-06-01T12:00:00Z",
    "wind_speed_m_s": "6.5",
    "ghi_w_m2": "640",
    "temperature_c": "-3.25",
}
CSV = (
    "time,ghi_w_m2,wind_speed_m_s,temperature_c\n"
    "2026-06-01T00:00:00Z,0,0,10\n"
    "2026-06-01T06:00:00+02:00,0.0,0,10\n"
)


@pytest.fixture
def grid_id(client: Any, admin: dict[str, str]) -> str:
    return str(sim_grid(client, admin, houses=0)["grid"]["id"])


def put_json(client: Any, headers: dict[str, str], grid_id: str, body: Any) -> Any:
    return client.put(f"/api/v1/grids/{grid_id}/weather", json=body, headers=headers)


def put_csv(client: Any, headers: dict[str, str], grid_id: str, text: str) -> Any:
    return client.put(
        f"/api/v1/grids/{grid_id}/weather",
        data=text.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )


def test_json_series_round_trips_and_a_put_replaces_it(
    client: Any, admin: dict[str, str], grid_id: str
) -> None:
    later = {**ROW, "time": "2026-06-01T12:15:00.000+00:00", "ghi_w_m2": "650.50"}
    stored = put_json(client, admin, grid_id, {"rows": [ROW, later]})
    assert stored.status_code == 200, stored.json
    assert stored.json["count"] == 2 and stored.json["last"] == "2026-06-01T12:15:00Z"
    assert stored.json["rows"][1]["ghi_w_m2"] == "650.5"
    read = client.get(f"/api/v1/grids/{grid_id}/weather", headers=admin)
    assert read.json == stored.json
    replaced = put_csv(client, admin, grid_id, CSV)
    assert replaced.status_code == 200, replaced.json
    assert [r["time"] for r in replaced.json["rows"]] == [
        "2026-06-01T00:00:00Z",
        "2026-06-01T04:00:00Z",
    ]
    assert replaced.json["rows"][1]["ghi_w_m2"] == "0"
    assert put_json(client, admin, grid_id, {"rows": []}).json["count"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rows": [ROW, {**ROW, "ghi_w_m2": "2500"}]}, "rows.1.ghi_w_m2"),
        ({"rows": [{**ROW, "wind_speed_m_s": 5}]}, "rows.0.wind_speed_m_s"),
        ({"rows": [{**ROW, "time": "noon"}]}, "rows.0.time"),
        (
            {"rows": [{k: v for k, v in ROW.items() if k != "temperature_c"}]},
            "rows.0.temperature_c",
        ),
        ({"rows": [{**ROW, "extra": "1"}]}, "rows.0.extra"),
        ({}, "rows"),
    ],
)
def test_bad_json_rows_are_400_naming_row_and_field(
    client: Any, admin: dict[str, str], grid_id: str, body: Any, field: str
) -> None:
    refused = put_json(client, admin, grid_id, body)
    assert refused.status_code == 400, refused.json
    assert refused.content_type == "application/problem+json"
    assert field in refused.json["errors"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("time,wind\n", "header"),
        (CSV + "2026-06-01T07:00:00Z,5,1,x\n", "rows.2.temperature_c"),
        (CSV + "2026-06-01T07:00:00Z,5,1\n", "rows.2"),
        (CSV + "2026-06-01T07:00:00Z,5,1,2,3\n", "rows.2"),
    ],
)
def test_bad_csv_is_400_naming_what(
    client: Any, admin: dict[str, str], grid_id: str, text: str, needle: str
) -> None:
    refused = put_csv(client, admin, grid_id, text)
    assert refused.status_code == 400, refused.json
    assert needle in refused.json["detail"]


def test_out_of_order_is_422_and_nothing_is_stored(
    client: Any, admin: dict[str, str], grid_id: str
) -> None:
    assert put_json(client, admin, grid_id, {"rows": [ROW]}).status_code == 200
    refused = put_json(client, admin, grid_id, {"rows": [ROW, ROW]})
    assert refused.status_code == 422 and "rows.1.time" in refused.json["errors"]
    assert client.get(f"/api/v1/grids/{grid_id}/weather", headers=admin).json["rows"] == [ROW]
    untyped = client.put(
        f"/api/v1/grids/{grid_id}/weather",
        data=b"x",
        headers={**admin, "Content-Type": "text/plain"},
    )
    assert untyped.status_code == 415


def test_the_simulation_replays_measured_weather_where_it_covers(
    client: Any, admin: dict[str, str], app: Any, grid_id: str
) -> None:
    p = add_prosumer(client, admin, grid_id, 1)
    add_asset(
        client,
        admin,
        p["id"],
        {"type": "wind_turbine", "name": "wt", "rated_power_w": 3000, "hub_height_m": 10},
    )
    add_asset(client, admin, p["id"], {"type": "pv", "name": "pv", "peak_power_w": 4000})
    calm_dark = "time,wind_speed_m_s,ghi_w_m2,temperature_c\n" + "".join(
        f"2026-06-01T{h:02d}:00:00Z,0,0,15\n" for h in range(8, 14)
    )
    assert put_csv(client, admin, grid_id, calm_dark).status_code == 200
    noon = DAY + timedelta(hours=8)
    summary = simulate_grid(
        app.extensions["minigrid"], grid_id, noon, noon + timedelta(hours=8), seed=1
    )
    assert summary["weather"] == {"measured_timeframes": 20, "synthetic_timeframes": 12}
    flows, _ = app.extensions["minigrid"].documents.flows.of_prosumer(
        grid_id, p["id"], "2026-06-01T08:00:00Z", "2026-06-01T16:00:00Z", 0, 0
    )
    assert all(f["produced_wh"] == 0 for f in flows[:20])
    assert sum(f["produced_wh"] for f in flows[20:]) > 0
