"""Assets, controls, the plant and grid coordinates through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GRID, add_prosumer, make_key

PROFILE = ["0.5"] * 24
ASSETS = {
    "wind_turbine": {"rated_power_w": 3000, "hub_height_m": 12, "cut_in_m_s": "2.5"},
    "pv": {"peak_power_w": 5000, "tilt_deg": "35", "azimuth_deg": "170.5"},
    "battery": {"capacity_wh": 10000, "max_charge_w": 3000, "max_discharge_w": 2500},
    "load": {"peak_w": 2000, "profile": PROFILE},
    "scheduled_load": {
        "power_w": 7400,
        "energy_wh": 15000,
        "window_start": "22:00",
        "window_end": "06:00",
    },
    "appliance": {"max_production_w": 150},
}


@pytest.fixture
def prosumer(client: Any, admin: dict[str, str], grid: dict[str, Any]) -> dict[str, Any]:
    return add_prosumer(client, admin, grid["id"], 1)  # type: ignore[no-any-return]


def _url(prosumer: dict[str, Any]) -> str:
    return f"/api/v1/prosumers/{prosumer['id']}/assets"


def _count(client: Any, admin: dict[str, str], prosumer: dict[str, Any]) -> int:
    return int(client.get(_url(prosumer), headers=admin).headers["X-Total-Count"])


@pytest.mark.parametrize("kind", sorted(ASSETS))
def test_each_type_round_trips_with_defaults(
    client: Any, admin: dict[str, str], prosumer: dict[str, Any], kind: str
) -> None:
    body = {"type": kind, "name": f"my {kind}", **ASSETS[kind]}
    created = client.post(_url(prosumer), json=body, headers=admin)
    assert created.status_code == 201, created.json
    read = client.get(created.headers["Location"], headers=admin)
    assert read.status_code == 200 and read.json == created.json
    assert read.json["enabled"] is True and read.json["prosumer_id"] == prosumer["id"]
    for field, value in ASSETS[kind].items():
        assert read.json[field] == value
    listed = client.get(_url(prosumer), headers=admin)
    assert [a["id"] for a in listed.json] == [created.json["id"]]


def test_defaults_are_filled_in_exactly(
    client: Any, admin: dict[str, str], prosumer: dict[str, Any]
) -> None:
    battery = {"type": "battery", "name": "b", **ASSETS["battery"]}
    made = client.post(_url(prosumer), json=battery, headers=admin).json
    assert (made["round_trip_efficiency"], made["initial_soc"]) == ("0.9", "0.5")
    turbine = {"type": "wind_turbine", "name": "t", "rated_power_w": 1, "hub_height_m": 10}
    made = client.post(_url(prosumer), json=turbine, headers=admin).json
    assert (made["cut_in_m_s"], made["rated_m_s"], made["cut_out_m_s"]) == ("3", "12", "25")
    assert "power_curve" not in made and "capacity_wh" not in made


BAD = [
    ({"type": "pv", "peak_power_w": -1}, "peak_power_w"),
    ({"type": "pv", "peak_power_w": 1.5}, "peak_power_w"),
    ({"type": "pv", "peak_power_w": 1, "tilt_deg": "91"}, "tilt_deg"),
    ({"type": "pv", "peak_power_w": 1, "tilt_deg": 30.0}, "tilt_deg"),
    ({"type": "load", "peak_w": 1, "profile": ["0.5"] * 23}, "profile"),
    ({"type": "load", "peak_w": 1, "profile": ["0.5"] * 23 + ["1.5"]}, "profile"),
    ({"type": "battery", **ASSETS["battery"], "initial_soc": "1.01"}, "initial_soc"),
    (
        {"type": "battery", **ASSETS["battery"], "round_trip_efficiency": "0"},
        "round_trip_efficiency",
    ),
    ({"type": "battery", "capacity_wh": 1, "max_charge_w": 1}, "max_discharge_w"),
    ({"type": "pv", "peak_power_w": 1, "capacity_wh": 5}, "capacity_wh"),
    ({"type": "scheduled_load", **ASSETS["scheduled_load"], "window_end": "24:00"}, "window_end"),
    ({"type": "heat_pump"}, "type"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_bad_input_is_400_naming_the_field_and_stores_nothing(
    client: Any, admin: dict[str, str], prosumer: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    response = client.post(_url(prosumer), json={"name": "x", **body}, headers=admin)
    assert response.status_code == 400, response.json
    assert response.content_type == "application/problem+json"
    assert any(k.split(".")[0] == field for k in response.json["errors"]), response.json
    assert _count(client, admin, prosumer) == 0


@pytest.mark.parametrize(
    ("speeds", "field"),
    [
        ({"cut_in_m_s": "13"}, "cut_in_m_s"),
        ({"rated_m_s": "14", "cut_out_m_s": "13"}, "cut_out_m_s"),
        (
            {"power_curve": [{"speed_m_s": "5", "power_w": 1}, {"speed_m_s": "5", "power_w": 2}]},
            "power_curve",
        ),
    ],
)
def test_turbine_speed_rules_are_422_naming_the_field(
    client: Any, admin: dict[str, str], prosumer: dict[str, Any], speeds: dict[str, Any], field: str
) -> None:
    body = {"type": "wind_turbine", "name": "t", **ASSETS["wind_turbine"], **speeds}
    response = client.post(_url(prosumer), json=body, headers=admin)
    assert response.status_code == 422 and field in response.json["errors"]
    assert _count(client, admin, prosumer) == 0


def test_patch_needs_the_current_etag_and_keeps_rules(
    client: Any, admin: dict[str, str], prosumer: dict[str, Any]
) -> None:
    body = {"type": "wind_turbine", "name": "t", **ASSETS["wind_turbine"]}
    url = client.post(_url(prosumer), json=body, headers=admin).headers["Location"]
    etag = client.get(url, headers=admin).headers["ETag"]
    assert client.patch(url, json={"enabled": False}, headers=admin).status_code == 428
    stale = client.patch(url, json={"enabled": False}, headers={**admin, "If-Match": '"x"'})
    assert stale.status_code == 412
    broken = client.patch(url, json={"rated_m_s": "30"}, headers={**admin, "If-Match": etag})
    assert broken.status_code == 422 and "cut_out_m_s" in broken.json["errors"]
    foreign = client.patch(url, json={"capacity_wh": 5}, headers={**admin, "If-Match": etag})
    assert foreign.status_code == 422 and "capacity_wh" in foreign.json["errors"]
    done = client.patch(
        url, json={"enabled": False, "cut_out_m_s": "30"}, headers={**admin, "If-Match": etag}
    )
    assert done.status_code == 200 and done.json["enabled"] is False
    assert done.json["cut_out_m_s"] == "30" and done.json["cut_in_m_s"] == "2.5"
    assert done.headers["ETag"] != etag
    gone = client.delete(url, headers={**admin, "If-Match": done.headers["ETag"]})
    assert gone.status_code == 204 and client.get(url, headers=admin).status_code == 404


def test_roles_prosumer_flips_enabled_only_and_other_grids_get_404(
    app: Any, client: Any, admin: dict[str, str], grid: dict[str, Any], prosumer: dict[str, Any]
) -> None:
    body = {"type": "pv", "name": "roof", **ASSETS["pv"]}
    url = client.post(_url(prosumer), json=body, headers=admin).headers["Location"]
    own = make_key(app, role="prosumer", prosumer_id=prosumer["id"])
    etag = client.get(url, headers=own).headers["ETag"]
    assert client.post(_url(prosumer), json=body, headers=own).status_code == 403
    renamed = client.patch(url, json={"name": "x"}, headers={**own, "If-Match": etag})
    assert renamed.status_code == 403
    flipped = client.patch(url, json={"enabled": False}, headers={**own, "If-Match": etag})
    assert flipped.status_code == 200 and flipped.json["enabled"] is False
    other = add_prosumer(client, admin, grid["id"], 2)
    stranger = make_key(app, role="prosumer", prosumer_id=other["id"])
    assert client.get(url, headers=stranger).status_code == 404
    assert client.get(_url(prosumer), headers=stranger).status_code == 404
    second = client.post("/api/v1/grids", json={**GRID, "name": "other"}, headers=admin).json
    operator = make_key(app, role="operator", grid_id=second["id"])
    assert client.get(url, headers=operator).status_code == 404
    assert client.post(_url(prosumer), json=body, headers=operator).status_code == 404
    assert client.get(f"/api/v1/grids/{grid['id']}/plant", headers=operator).status_code == 404
    home = make_key(app, role="operator", grid_id=grid["id"])
    assert client.get(url, headers=home).status_code == 200


def test_deleting_a_prosumer_deletes_its_assets_and_controls(
    client: Any, admin: dict[str, str], prosumer: dict[str, Any]
) -> None:
    client.post(_url(prosumer), json={"type": "pv", "name": "r", **ASSETS["pv"]}, headers=admin)
    controls = f"/api/v1/prosumers/{prosumer['id']}/controls"
    client.put(controls, json={"input_ratio": "0.5", "output_ratio": "0.5"}, headers=admin)
    url = f"/api/v1/prosumers/{prosumer['id']}"
    etag = client.get(url, headers=admin).headers["ETag"]
    assert client.delete(url, headers={**admin, "If-Match": etag}).status_code == 204


def test_controls_default_then_put(
    app: Any, client: Any, admin: dict[str, str], prosumer: dict[str, Any]
) -> None:
    url = f"/api/v1/prosumers/{prosumer['id']}/controls"
    first = client.get(url, headers=admin)
    assert first.status_code == 200
    assert (first.json["input_ratio"], first.json["output_ratio"]) == ("1", "1")
    own = make_key(app, role="prosumer", prosumer_id=prosumer["id"])
    body = {"input_ratio": "0.25", "output_ratio": "1.0"}
    for _ in range(2):  # idempotent
        put = client.put(url, json=body, headers=own)
        assert put.status_code == 200 and put.json["input_ratio"] == "0.25"
    assert client.get(url, headers=admin).json["output_ratio"] == "1.0"
    bad = client.put(url, json={"input_ratio": "1.5", "output_ratio": 0.5}, headers=admin)
    assert bad.status_code == 400 and set(bad.json["errors"]) == {"input_ratio", "output_ratio"}
    assert client.get(url, headers=admin).json["input_ratio"] == "0.25"


def test_plant_defaults_and_patch(client: Any, admin: dict[str, str], grid: dict[str, Any]) -> None:
    url = f"/api/v1/grids/{grid['id']}/plant"
    first = client.get(url, headers=admin)
    assert first.status_code == 200
    assert first.json["carbon_g_per_kwh"] == 820 and first.json["status"] == "running"
    assert first.json["ratio"] == "0"
    etag = first.headers["ETag"]
    assert client.patch(url, json={"status": "stopped"}, headers=admin).status_code == 428
    bad = client.patch(url, json={"ratio": "1.5"}, headers={**admin, "If-Match": etag})
    assert bad.status_code == 400 and "ratio" in bad.json["errors"]
    done = client.patch(
        url, json={"status": "stopped", "ratio": "0.2"}, headers={**admin, "If-Match": etag}
    )
    assert done.status_code == 200 and done.json["status"] == "stopped"
    again = client.get(url, headers=admin)
    assert again.json["ratio"] == "0.2" and again.json["max_output_w"] == 1_000_000
    stale = client.patch(url, json={"status": "running"}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
    missing = "/api/v1/grids/3fa85f64-5717-4562-b3fc-2c963f66afa6/plant"
    assert client.get(missing, headers=admin).status_code == 404


def test_grid_coordinates(client: Any, admin: dict[str, str]) -> None:
    made = client.post(
        "/api/v1/grids", json={**GRID, "latitude": "65.58", "longitude": "-22.15"}, headers=admin
    )
    assert made.status_code == 201
    assert (made.json["latitude"], made.json["longitude"]) == ("65.58", "-22.15")
    plain = client.post("/api/v1/grids", json=GRID, headers=admin).json
    assert plain["latitude"] is None
    bad = client.post("/api/v1/grids", json={**GRID, "latitude": "91"}, headers=admin)
    assert bad.status_code == 400 and "latitude" in bad.json["errors"]
    url = f"/api/v1/grids/{plain['id']}"
    etag = client.get(url, headers=admin).headers["ETag"]
    moved = client.patch(url, json={"longitude": "180"}, headers={**admin, "If-Match": etag})
    assert moved.status_code == 200 and moved.json["longitude"] == "180"
    bad = client.patch(
        url, json={"longitude": "180.5"}, headers={**admin, "If-Match": moved.headers["ETag"]}
    )
    assert bad.status_code == 400 and "longitude" in bad.json["errors"]


def test_consumer_group_counts_members(
    client: Any, admin: dict[str, str], grid: dict[str, Any]
) -> None:
    group = add_prosumer(client, admin, grid["id"], 7, kind="consumer_group", members=40)
    assert group["members"] == 40
    house = add_prosumer(client, admin, grid["id"], 8)
    assert house["members"] is None
    url = f"/api/v1/grids/{grid['id']}/prosumers"
    body = {"name": "g", "address": "a", "kind": "consumer_group", "wallet": "0x" + "9" * 40}
    missing = client.post(url, json=body, headers=admin)
    assert missing.status_code == 400 and "members" in missing.json["errors"]
    stray = client.post(url, json={**body, "kind": "household", "members": 3}, headers=admin)
    assert stray.status_code == 400 and "members" in stray.json["errors"]
    listed = client.get(url + "?kind=consumer_group", headers=admin).json
    assert [(p["id"], p["members"]) for p in listed] == [(group["id"], 40)]
    target = f"/api/v1/prosumers/{house['id']}"
    etag = client.get(target, headers=admin).headers["ETag"]
    bad = client.patch(target, json={"members": 3}, headers={**admin, "If-Match": etag})
    assert bad.status_code == 422 and "members" in bad.json["errors"]
    ok = client.patch(
        target, json={"kind": "consumer_group", "members": 3}, headers={**admin, "If-Match": etag}
    )
    assert ok.status_code == 200 and ok.json["members"] == 3
