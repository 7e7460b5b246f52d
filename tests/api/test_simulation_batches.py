"""A grid with communities is simulated in batches of timeframes, peaks evaluated after each
timeframe in order; a pause or resume stops the batch and the rest is computed again. The
outcome must be what writing one timeframe per call gives: readings, flows, counts, peaks,
device commands and the communities' events (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.services import simulation
from models.services.simulation import simulate_grid
from tests.api.test_communities_scenario import car, post
from tests.conftest import GRID, add_prosumer

T0 = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)
DAYS = 2
HOME = [
    20,
    20,
    20,
    20,
    20,
    30,
    60,
    70,
    40,
    30,
    30,
    30,
    30,
    30,
    30,
    40,
    50,
    80,
    100,
    90,
    70,
    50,
    30,
    20,
]
WINDOWS = [("17:00", "23:00"), ("18:00", "23:30"), ("17:30", "22:00"), ("19:00", "23:45")]
CARS_W = [4000, 3000, 3500, 2500]
COMMUNITY_EVENTS = [
    "community.peak_started",
    "community.peak_ended",
    "community.autarky_gained",
    "community.autarky_lost",
]


def build(client: Any, admin: dict, first_wallet: int) -> dict[str, Any]:
    """A community of four houses (house load, car with its window) and one house outside."""
    body = {**GRID, "name": f"Batches {first_wallet}", "latitude": "59.33", "longitude": "18.07"}
    grid = post(client, admin, "/api/v1/grids", body)["id"]
    rule = {"name": "street", "peak_threshold_w": 9000, "peak_hysteresis": "0.1"}
    community = post(client, admin, f"/api/v1/grids/{grid}/communities", rule)["id"]
    names: dict[str, str] = {}
    load = {
        "type": "load",
        "name": "House",
        "peak_w": 2500,
        "profile": [str(x / 100) for x in HOME],
    }
    for n, (window, watts) in enumerate(zip(WINDOWS, CARS_W, strict=True)):
        pid = add_prosumer(client, admin, grid, first_wallet + n, community_id=community)["id"]
        names[pid] = f"house {n}"
        post(client, admin, f"/api/v1/prosumers/{pid}/assets", load)
        ev = {**car(watts, window), "energy_wh": 7000}
        post(client, admin, f"/api/v1/prosumers/{pid}/assets", ev)
    outside = add_prosumer(client, admin, grid, first_wallet + len(WINDOWS))["id"]
    names[outside] = "outside"
    post(client, admin, f"/api/v1/prosumers/{outside}/assets", {**car(4000), "energy_wh": 5000})
    return {"grid": grid, "community": community, "names": names}


def outcome(app: Any, world: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """Everything the run wrote, with ids replaced by names (the two grids' ids differ)."""
    stores, grid, names = app.extensions["minigrid"], world["grid"], world["names"]
    end = T0 + timedelta(days=DAYS)
    with stores.uow(write=False) as uow:
        readings = uow.registry.readings_between(
            grid, T0.replace(tzinfo=None), end.replace(tzinfo=None)
        )
        commands = sorted(  # in a timeframe, resumes go by asset id: these differ
            (c.timeframe, names[c.prosumer_id], c.action, c.power_w)
            for c in uow.communities.command_history(grid)
        )
        peaks = [
            (p.started_at, p.ended_at, p.peak_w)
            for p in uow.communities.peaks(world["community"], T0, end, 1, 100)[0]
        ]
        events = [
            (e["type"], {k: v for k, v in e["data"].items() if k not in ("id", "peak_id")})
            for _, e in uow.communities.notifications(world["community"], COMMUNITY_EVENTS, 0, 1000)
        ]
    flows = {}
    step = timedelta(minutes=15)
    for k in range(DAYS * 96):
        at = (T0 + k * step).strftime("%Y-%m-%dT%H:%M:%SZ")
        for pid, row in stores.documents.flows.at(grid, at).items():
            flows[(names[pid], at)] = {
                f: v for f, v in row.items() if f not in ("_id", "grid_id", "prosumer_id")
            }
    short = [
        (names[s["prosumer_id"]], s["window_closed_at"], s["delivered_wh"], s["shortfall_wh"])
        for s in summary["shortfalls"]
    ]
    return {
        "readings": {(names[p], at): v for at, row in readings.items() for p, v in row.items()},
        "flows": flows,
        "commands": commands,
        "peaks": peaks,
        "events": events,
        "counts": summary["readings"],
        "energy": summary["energy"],
        "short": short,
    }


def test_batched_writes_give_what_one_timeframe_per_call_gives(
    app: Any, client: Any, admin: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores, end = app.extensions["minigrid"], T0 + timedelta(days=DAYS)
    batched = build(client, admin, 1)
    calls = {"n": 0}
    upsert = simulation.upsert_timeframes

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        return upsert(*args, **kwargs)

    monkeypatch.setattr(simulation, "upsert_timeframes", counted)
    got = outcome(app, batched, simulate_grid(stores, batched["grid"], T0, end, seed=3))
    batched_calls = calls["n"]
    monkeypatch.setattr(simulation, "EVALUATE_CELLS", 1)  # one timeframe per call
    single = build(client, admin, 20)
    calls["n"] = 0
    want = outcome(app, single, simulate_grid(stores, single["grid"], T0, end, seed=3))
    assert calls["n"] == DAYS * 96
    assert len([c for c in want["commands"] if c[2] == "pause"]) >= 2  # demand response acted
    assert want["peaks"] and want["events"]
    for key in want:
        assert got[key] == want[key], key
    assert batched_calls < DAYS * 96 / 4
    again = simulate_grid(stores, batched["grid"], T0, end, seed=3)
    assert again["readings"] == {"inserted": 0, "updated": 0, "unchanged": DAYS * 96 * 5}
