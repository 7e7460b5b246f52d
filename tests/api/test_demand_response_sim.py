"""The simulator honours demand response: a peak in a simulated community pauses the largest
car, the pause shows in the next timeframes' readings, the paused energy is served after the
resume inside the window, or reported short when the window closes first (SQLite, PostgreSQL).

Community threshold 5,000 W (hysteresis 0.1: ends below 4,500 W counting paused loads);
car A 4,000 W needing 3,000 Wh, car B 3,000 W needing 1,500 Wh, both from 18:00 local
(Europe/Stockholm, 16:00Z in June). 15-minute timeframes: A takes 1,000 Wh, B 750 Wh each.
T0 7,000 W: peak, A paused (7,000 - 4,000 = 3,000 < 5,000). T1 B 3,000 W + A's 4,000 W
paused = 7,000: still a peak. T2 0 W + 4,000 W < 4,500: it ends and A resumes from T3.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.services.simulation import simulate_grid
from tests.api.test_communities_scenario import car, get, post
from tests.conftest import GRID, add_prosumer

T0 = datetime(2030, 6, 3, 16, 0, tzinfo=UTC)
STEP = timedelta(minutes=15)


def frames(n: int) -> list[datetime]:
    return [(T0 + k * STEP).replace(tzinfo=None) for k in range(n)]


def build(client: Any, admin: dict, window_end: str) -> dict[str, Any]:
    body = {**GRID, "latitude": "59.33", "longitude": "18.07"}
    grid = post(client, admin, "/api/v1/grids", body)["id"]
    rule = {"name": "street", "peak_threshold_w": 5000}
    community = post(client, admin, f"/api/v1/grids/{grid}/communities", rule)["id"]
    a, b = (add_prosumer(client, admin, grid, n, community_id=community)["id"] for n in (1, 2))
    car_a = {**car(4000, ("18:00", window_end)), "energy_wh": 3000}
    car_b = {**car(3000, ("18:00", window_end)), "energy_wh": 1500}
    asset_a = post(client, admin, f"/api/v1/prosumers/{a}/assets", car_a)["id"]
    post(client, admin, f"/api/v1/prosumers/{b}/assets", car_b)
    return {"grid": grid, "community": community, "a": a, "b": b, "car_a": asset_a}


def consumed(app: Any, grid: str, pid: str, n: int) -> list[int]:
    with app.extensions["minigrid"].uow(write=False) as uow:
        return [uow.registry.readings_at(grid, at).get(pid, (0, 0))[1] for at in frames(n)]


@pytest.mark.parametrize(
    ("window_end", "a_wh", "short"),
    [
        ("19:30", [1000, 0, 0, 1000, 1000, 0], []),  # served later in the window
        ("19:00", [1000, 0, 0, 1000, 0, 0], [(2000, 1000, 2)]),  # the window closed first
    ],
)
def test_paused_energy_is_served_later_or_reported_short(
    app: Any, client: Any, admin: dict, window_end: str, a_wh: list[int], short: list
) -> None:
    w = build(client, admin, window_end)
    summary = simulate_grid(app.extensions["minigrid"], w["grid"], T0, T0 + 6 * STEP)
    assert consumed(app, w["grid"], w["a"], 6) == a_wh
    assert consumed(app, w["grid"], w["b"], 6) == [750, 750, 0, 0, 0, 0]
    commands = get(client, admin, f"/api/v1/prosumers/{w['a']}/commands")["commands"]
    assert [(c["action"], c["timeframe"]) for c in commands] == [
        ("pause", "2030-06-03T16:00:00Z"),
        ("resume", "2030-06-03T16:30:00Z"),
    ]
    (peak,) = get(
        client,
        admin,
        f"/api/v1/communities/{w['community']}/peaks?from=2030-06-03T00:00:00Z"
        "&to=2030-06-04T00:00:00Z",
    )
    assert (peak["started_at"], peak["ended_at"], peak["peak_w"]) == (
        "2030-06-03T16:00:00Z",
        "2030-06-03T16:30:00Z",
        7000,
    )
    got = [
        (s["delivered_wh"], s["shortfall_wh"], s["paused_timeframes"])
        for s in summary["shortfalls"]
    ]
    assert got == short
    assert summary["shortfall_wh"] == sum(s[1] for s in short)
    if short:
        assert summary["shortfalls"][0]["asset_id"] == w["car_a"]
        assert summary["shortfalls"][0]["window_closed_at"] == "2030-06-03T17:00:00Z"
    assert summary["readings"]["inserted"] == 12  # each timeframe written once
    again = simulate_grid(app.extensions["minigrid"], w["grid"], T0, T0 + 6 * STEP)
    assert again["readings"] == {"inserted": 0, "updated": 0, "unchanged": 12}
    assert consumed(app, w["grid"], w["a"], 6) == a_wh
