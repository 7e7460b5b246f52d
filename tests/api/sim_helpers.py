"""A small simulated grid built over HTTP: every asset type, a consumer group, coordinates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.conftest import GRID, add_prosumer

DAY = datetime(2026, 6, 1, tzinfo=UTC)
EVENING = ["0.2"] * 7 + ["0.6"] * 2 + ["0.3"] * 8 + ["0.8"] * 5 + ["0.3"] * 2
HOUSE_ASSETS: list[dict[str, Any]] = [
    {"type": "wind_turbine", "name": "wt", "rated_power_w": 3000, "hub_height_m": 18},
    {"type": "pv", "name": "roof", "peak_power_w": 4000, "tilt_deg": "35", "azimuth_deg": "180"},
    {
        "type": "battery",
        "name": "b",
        "capacity_wh": 8000,
        "max_charge_w": 3000,
        "max_discharge_w": 3000,
        "round_trip_efficiency": "0.9",
        "initial_soc": "0.5",
    },
    {"type": "load", "name": "house", "peak_w": 2500, "profile": EVENING},
    {
        "type": "scheduled_load",
        "name": "ev",
        "power_w": 7000,
        "energy_wh": 10000,
        "window_start": "22:00",
        "window_end": "06:00",
    },
    {"type": "appliance", "name": "bike", "max_production_w": 150, "max_consumption_w": 50},
]


def add_asset(client: Any, headers: dict[str, str], prosumer_id: str, body: dict[str, Any]) -> Any:
    made = client.post(f"/api/v1/prosumers/{prosumer_id}/assets", json=body, headers=headers)
    assert made.status_code == 201, made.json
    return made.json


def sim_grid(client: Any, admin: dict[str, str], houses: int = 3) -> dict[str, Any]:
    """A grid at Lulea with `houses` full households and one consumer group of 10."""
    body = {**GRID, "latitude": "65.58", "longitude": "22.15"}
    grid = client.post("/api/v1/grids", json=body, headers=admin).json
    ids = []
    for n in range(houses):
        p = add_prosumer(client, admin, grid["id"], n)
        for asset in HOUSE_ASSETS:
            add_asset(client, admin, p["id"], {**asset, "name": f"{asset['name']} {n}"})
        ids.append(p["id"])
    group = add_prosumer(client, admin, grid["id"], houses, kind="consumer_group", members=10)
    add_asset(
        client,
        admin,
        group["id"],
        {"type": "load", "name": "flat", "peak_w": 500, "profile": EVENING},
    )
    ids.append(group["id"])
    return {"grid": grid, "houses": ids[:-1], "group": ids[-1]}
