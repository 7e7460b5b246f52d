"""The smart-grid scenario end to end over HTTP (SQLite and PostgreSQL), with its numbers.

Four houses form a community (threshold 2,000 W, hysteresis 0.1) and a fifth is outside it;
timeframes of 15 minutes, so W = Wh * 4. In timeframe T0 three of the four 500 W blenders run
and three cars charge (9,000, 1,300 and 1,300 W; house 4's car is outside its window): the
community draws 13,100 W and the grid 18,900 W. The peak starts, the cars are paused largest
first (9,000 -> 4,100 W, 1,300 -> 2,800 W, 1,300 -> 1,500 W < 2,000 W), each pause a command
for the device. In T1 the meters report the community at 1,500 W: autarky -1,500 W and no
autarky notification. House 2 gets a 1,700 W exercise bike and reports it: +200 W and one
notification {"type": "Community", "id": …, "autarky": true}. A partner (trust 2, 130
datapoints) buys the production (70 -> 60 left) and is refused the per-asset consumption (403,
still 60).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_metering import line, put_bulk
from tests.conftest import GRID, add_prosumer, make_key, run_worker

T0 = "2030-11-07T15:45:00Z"
T1 = "2030-11-07T16:00:00Z"
AT0 = "2030-11-07T15:59:22Z"  # the scenario's moments, inside T0 and T1
AT1 = "2030-11-07T16:09:22Z"
MIXER = {"type": "appliance", "name": "Mixeur", "max_consumption_w": 500}
BIKE = {"type": "appliance", "name": "Velo d'appartement", "max_production_w": 1700}


def car(power_w: int, window: tuple[str, str] = ("16:00", "22:00")) -> dict[str, Any]:
    """A car charging in a local (Europe/Stockholm) window: 16:00-22:00 holds T0 and T1."""
    start, end = window
    return {
        "type": "scheduled_load",
        "name": "Car",
        "power_w": power_w,
        "energy_wh": 20_000,
        "window_start": start,
        "window_end": end,
    }


def post(client: Any, headers: dict, url: str, body: dict) -> Any:
    response = client.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def world(client: Any, admin: dict[str, str], app: Any) -> dict[str, Any]:
    grid = post(client, admin, "/api/v1/grids", GRID)["id"]
    body = {"name": "Community 4", "peak_threshold_w": 2000, "peak_hysteresis": "0.1"}
    community = post(client, admin, f"/api/v1/grids/{grid}/communities", body)
    houses = [
        add_prosumer(client, admin, grid, n, community_id=community["id"])["id"]
        for n in range(1, 5)
    ]
    outside = add_prosumer(client, admin, grid, 5)["id"]
    cars = {}
    windows = [("16:00", "22:00")] * 3 + [("22:00", "06:00")]
    for house, power, window in zip(houses, (1300, 9000, 1300, 1300), windows, strict=True):
        post(client, admin, f"/api/v1/prosumers/{house}/assets", MIXER)
        cars[house] = post(client, admin, f"/api/v1/prosumers/{house}/assets", car(power, window))
    return {
        "grid": grid,
        "community": community["id"],
        "houses": houses,
        "outside": outside,
        "cars": cars,
        "meters": [make_key(app, role="meter", prosumer_id=h) for h in houses],
        "pro2": make_key(app, role="prosumer", prosumer_id=houses[1]),
    }


def get(client: Any, headers: dict, url: str) -> Any:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_the_scenario(client: Any, admin: dict[str, str], world: dict[str, Any]) -> None:
    grid, community, houses = world["grid"], world["community"], world["houses"]
    h1, h2, h3, h4 = houses
    # T0: blenders of houses 2-4 (500 W each), cars of houses 1-3; the house outside: 5,800 W
    watts = {h1: 1300, h2: 500 + 9000, h3: 500 + 1300, h4: 500, world["outside"]: 5800}
    rows = [line(pid, 0, w // 4) for pid, w in watts.items()]
    assert put_bulk(client, admin, grid, T0, rows).status_code == 200
    peaks_url = f"/api/v1/communities/{community}/peaks?from={T0}&to={T1}"
    assert get(client, admin, peaks_url) == []  # the write only queued the evaluation
    assert run_worker(client.application) == 1  # the worker evaluates it

    total = get(client, admin, f"/api/v1/grids/{grid}/consumption?at={AT0}")
    assert (total["consumption_w"], total["status"], total["complete"]) == (18900, "open", False)
    (mine,) = total["communities"]
    assert (mine["community_id"], mine["consumption_w"], mine["consumption_wh"]) == (
        community,
        13100,
        3275,
    )
    assert total["outside_communities"]["consumption_w"] == 5800
    now = get(client, admin, f"/api/v1/communities/{community}/consumption?at={AT0}")
    assert (now["consumption_w"], now["above_threshold"], now["missing_readings"]) == (
        13100,
        True,
        0,
    )

    (peak,) = get(client, admin, peaks_url)
    assert (peak["peak_w"], peak["started_at"], peak["ongoing"]) == (13100, T0, True)
    paused = {}
    for house in houses:
        commands = get(client, admin, f"/api/v1/prosumers/{house}/commands")["commands"]
        paused[house] = [(c["action"], c["asset_id"], c["power_w"]) for c in commands]
    cars = world["cars"]
    assert paused == {
        h1: [("pause", cars[h1]["id"], 1300)],
        h2: [("pause", cars[h2]["id"], 9000)],
        h3: [("pause", cars[h3]["id"], 1300)],
        h4: [],
    }
    assert get(client, admin, f"/api/v1/assets/{cars[h2]['id']}")["paused"] is True
    assert get(client, admin, f"/api/v1/assets/{cars[h4]['id']}")["paused"] is False

    # T1: the meters report the paused cars' houses; the community is at 1,500 W
    for meter, house, wh in zip(world["meters"], houses, (0, 125, 125, 125), strict=True):
        url = f"/api/v1/prosumers/{house}/readings/{T1}"
        put = client.put(url, json={"produced_wh": 0, "consumed_wh": wh}, headers=meter)
        assert put.status_code == 200, put.json
    assert run_worker(client.application) == 1  # four writes, one task: the first queued it
    now = get(client, admin, f"/api/v1/communities/{community}/consumption?at={AT1}")
    assert (now["consumption_w"], now["above_threshold"]) == (1500, False)
    autarky = get(client, admin, f"/api/v1/communities/{community}/autarky?at={AT1}")
    (point,) = autarky["points"]
    assert (point["net_w"], point["autarkic"], point["self_sufficiency"]) == (
        -1500,
        False,
        "0.0000",
    )
    notes = get(client, admin, f"/api/v1/communities/{community}/notifications")["notifications"]
    assert [n["event"] for n in notes] == ["peak_started"]  # no autarky notification

    # a 1,700 W exercise bike in house 2; its meter reports it: +200 W, one notification
    post(client, admin, f"/api/v1/prosumers/{h2}/assets", BIKE)
    url = f"/api/v1/prosumers/{h2}/readings/{T1}"
    put = client.put(url, json={"produced_wh": 425, "consumed_wh": 125}, headers=world["meters"][1])
    assert put.status_code == 200, put.json
    assert run_worker(client.application) == 1
    (point,) = get(client, admin, f"/api/v1/communities/{community}/autarky?at={AT1}")["points"]
    assert (point["net_w"], point["autarkic"], point["production_w"]) == (200, True, 1700)
    assert point["self_sufficiency"] == "1.0000"
    notes = get(client, world["pro2"], f"/api/v1/communities/{community}/notifications")
    autarky_notes = [n for n in notes["notifications"] if "autarky" in n]
    assert len(autarky_notes) == 1
    note = autarky_notes[0]
    assert {k: note[k] for k in ("type", "id", "autarky")} == {
        "type": "Community",
        "id": community,
        "autarky": True,
    }
    assert note["time"] and note["cursor"] and note["timeframe"] == T1
    after = client.get(
        f"/api/v1/communities/{community}/notifications?after={note['cursor']}",
        headers=admin,
    )
    assert after.json["notifications"] == []

    _partner_buys_production_not_detail(client, admin, grid, h2)


def _partner_buys_production_not_detail(client: Any, admin: dict, grid: str, producer: str) -> None:
    body = {"name": "partenaire-scenario", "trust_level": 2, "datapoints": 130}
    partner = post(client, admin, f"/api/v1/grids/{grid}/partners", body)
    key = client.post(
        "/api/v1/keys", json={"role": "partner", "partner_id": partner["id"]}, headers=admin
    )
    headers = {"Authorization": f"Bearer {key.json['secret']}"}

    def balance() -> int:
        found = get(client, admin, f"/api/v1/grids/{grid}/partners")
        return next(p["datapoints"] for p in found if p["id"] == partner["id"])

    assert balance() == 130
    bought = get(client, headers, f"/api/v1/grids/{grid}/production?at={AT1}")
    (one,) = bought["producers"]
    assert (one["production_w"], one["production_wh"]) == (1700, 425)
    assert one["producer_id"] != producer  # pseudonymous
    assert balance() == 60
    refused = client.get(f"/api/v1/grids/{grid}/consumption/assets?at={AT1}", headers=headers)
    assert refused.status_code == 403
    assert "trust level 3" in refused.json["detail"]
    assert balance() == 60  # nothing debited
    url = f"/api/v1/partners/{partner['id']}/datapoints"
    assert client.post(url, json={"datapoints": 100}, headers=admin).status_code == 200
    again = get(client, headers, f"/api/v1/grids/{grid}/production?at={AT1}")
    assert again["producers"][0]["producer_id"] == one["producer_id"]  # stable for this partner
    assert balance() == 160 - 70
