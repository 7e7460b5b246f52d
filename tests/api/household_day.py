"""One household's simulated day as the README's table, from the real simulator.

A throwaway app (SQLite stores): a one-hour grid in Berlin, one household with a 3 kW turbine,
4 kW of PV, an 8 kWh battery, an evening-heavy 2.5 kW load and an EV charged overnight; one day
simulated with `simulate_grid` (what `flask simulate` and `POST …/simulations` run), the flows
read back from `GET /api/v1/prosumers/{id}/flows`, the weather from the same `grid_weather`
the simulation used. `tests/api/test_household_day.py` checks the README shows exactly this.

Print it: `.venv/bin/python -m tests.api.household_day`.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DAY = datetime(2026, 5, 9, 22, tzinfo=UTC)  # 2026-05-10 00:00 in Berlin (CEST)
ZONE = "Europe/Berlin"
SEED = 11
GRID = {
    "name": "Berlin Mitte",
    "timezone": ZONE,
    "timeframe_minutes": 60,
    "currency": "EUR",
    "import_price": "0.30",
    "feed_in_price": "0.08",
    "latitude": "52.52",
    "longitude": "13.40",
}
PROFILE = ["0.2"] * 6 + ["0.5"] * 3 + ["0.3"] * 8 + ["0.8"] * 5 + ["0.4"] * 2
ASSETS: list[dict[str, Any]] = [
    {"type": "wind_turbine", "name": "turbine", "rated_power_w": 3000, "hub_height_m": 18},
    {"type": "pv", "name": "roof", "peak_power_w": 4000, "tilt_deg": "35", "azimuth_deg": "180"},
    {
        "type": "battery",
        "name": "battery",
        "capacity_wh": 8000,
        "max_charge_w": 3000,
        "max_discharge_w": 3000,
        "round_trip_efficiency": "0.9",
        "initial_soc": "0.5",
    },
    {"type": "load", "name": "house", "peak_w": 2500, "profile": PROFILE},
    {
        "type": "scheduled_load",
        "name": "ev",
        "power_w": 7000,
        "energy_wh": 10000,
        "window_start": "22:00",
        "window_end": "06:00",
    },
]
HEADER = (
    "| hour | wind m/s (10 m) | sun W/m² (GHI) | produced Wh | consumed Wh | SoC after |"
    " bought Wh | sold Wh | ran on |\n|---|---:|---:|---:|---:|---:|---:|---:|---|"
)


def table(client: Any, stores: Any, admin: dict[str, str]) -> str:
    """Build the grid and household over HTTP, simulate the day, shape the table."""
    from models.domain.physics.timeline import Timeline
    from models.services.simulation import simulate_grid
    from models.services.weather import grid_weather

    grid = _post(client, "/api/v1/grids", GRID, admin)
    house = {"name": "House 1", "address": "Unter den Linden 1", "kind": "household"}
    house["wallet"] = "0x" + "0" * 39 + "1"
    pid = _post(client, f"/api/v1/grids/{grid['id']}/prosumers", house, admin)["id"]
    for asset in ASSETS:
        _post(client, f"/api/v1/prosumers/{pid}/assets", asset, admin)
    simulate_grid(stores, grid["id"], DAY, DAY + timedelta(days=1), seed=SEED)
    query = f"from={_iso(DAY)}&to={_iso(DAY + timedelta(days=1))}&page_size=24"
    flows = client.get(f"/api/v1/prosumers/{pid}/flows?{query}", headers=admin).json
    with stores.uow(write=False) as uow:
        record = uow.registry.grid(grid["id"])
    weather, _ = grid_weather(stores, record, Timeline(DAY, 60, 24, ZONE), SEED)
    lines = [HEADER]
    for n, flow in enumerate(flows):
        hour = DAY.astimezone(ZoneInfo(ZONE)) + timedelta(hours=n)
        lines.append(
            f"| {hour:%H}:00 | {weather.wind_m_s[n]:.1f} | {weather.ghi_w_m2[n]:.0f} |"
            f" {flow['produced_wh']:,} | {flow['consumed_wh']:,} | {_percent(flow['soc'])} |"
            f" {flow['bought_wh']:,} | {flow['sold_wh']:,} | {flow['ran_on'].replace('_', ' ')} |"
        )
    total = {k: sum(f[k] for f in flows) for k in ("produced_wh", "consumed_wh")}
    total.update({k: sum(f[k] for f in flows) for k in ("bought_wh", "sold_wh", "losses_wh")})
    lines.append(
        f"| day | | | {total['produced_wh']:,} | {total['consumed_wh']:,} | |"
        f" {total['bought_wh']:,} | {total['sold_wh']:,} | losses {total['losses_wh']:,} Wh |"
    )
    return "\n".join(lines)


def _percent(soc: str | None) -> str:
    return "–" if soc is None else f"{float(soc) * 100:.0f} %"


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _post(client: Any, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    made = client.post(url, json=body, headers=headers)
    assert made.status_code == 201, made.json
    return made.json


def generate() -> str:
    """The table, on throwaway stores."""
    from api import create_app
    from migrations.runner import upgrade
    from models.services.keys import create_key

    with tempfile.TemporaryDirectory(prefix="minigrid-day-") as name:
        tmp = Path(name)
        upgrade(f"sqlite:///{tmp / 'minigrid.db'}")
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp / 'minigrid.db'}",
                "MONGO_URL": f"sqlite:///{tmp / 'documents.db'}",
                "LEDGER_URL": "eth-tester://",
                "QUEUE_URL": f"sqlite:///{tmp / 'queue.db'}",
                "LOG_LEVEL": "WARNING",
            }
        )
        stores = app.extensions["minigrid"]
        try:
            with stores.uow() as uow:
                _, secret = create_key(uow, {"role": "admin"})
            return table(app.test_client(), stores, {"Authorization": f"Bearer {secret}"})
        finally:
            stores.close()


if __name__ == "__main__":
    print(generate())
