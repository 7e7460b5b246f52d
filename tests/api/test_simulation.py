"""The simulation service and `flask simulate` on SQLite and PostgreSQL: readings through the
metering path equal the stored flows, energy balances, reruns change nothing, closed refuses."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.domain.timeframes import format_instant
from models.services import simulation
from models.services.errors import Conflict, Unprocessable
from models.services.flows_writer import FlowsWriter
from models.services.simulation import simulate_grid
from tests.api.sim_helpers import DAY, add_asset, sim_grid
from tests.conftest import GRID, add_prosumer

HOUR = timedelta(hours=1)


@pytest.fixture
def world(client: Any, admin: dict[str, str]) -> dict[str, Any]:
    return sim_grid(client, admin)


def stores(app: Any) -> Any:
    return app.extensions["minigrid"]


def flows_of(app: Any, grid_id: str, pid: str, start: datetime, end: datetime) -> list[dict]:
    rows, _ = stores(app).documents.flows.of_prosumer(
        grid_id, pid, format_instant(start), format_instant(end), 0, 0
    )
    return rows


def readings_of(app: Any, grid_id: str, start: datetime, end: datetime) -> dict:
    out = {}
    with stores(app).uow(write=False) as uow:
        at = start.replace(tzinfo=None)
        while at < end.replace(tzinfo=None):
            for pid, pair in uow.registry.readings_at(grid_id, at).items():
                out[(pid, at)] = pair
            at += timedelta(minutes=15)
    return out


def check_flows(app: Any, world: dict[str, Any], start: datetime, end: datetime) -> None:
    """Balance, SoC bounds and readings == (sold, bought) for every prosumer and timeframe."""
    gid = world["grid"]["id"]
    readings = readings_of(app, gid, start, end)
    count = 0
    for pid in [*world["houses"], world["group"]]:
        for f in flows_of(app, gid, pid, start, end):
            left = f["produced_wh"] + f["from_battery_wh"] + f["bought_wh"]
            right = f["consumed_wh"] + f["to_battery_wh"] + f["sold_wh"] + f["losses_wh"]
            assert left == right, f
            assert 0 <= f["stored_wh"] <= f["capacity_wh"]
            at = datetime.fromisoformat(f["start"].replace("Z", "+00:00")).replace(tzinfo=None)
            assert readings[(pid, at)] == (f["sold_wh"], f["bought_wh"])
            count += 1
    assert count == len(readings) > 0


def test_a_day_balances_and_readings_equal_the_flows(app: Any, world: dict[str, Any]) -> None:
    gid = world["grid"]["id"]
    summary = simulate_grid(stores(app), gid, DAY, DAY + 24 * HOUR, seed=3)
    assert summary["timeframes"] == 96 and summary["prosumers"] == 4
    assert summary["readings"] == {"inserted": 384, "updated": 0, "unchanged": 0}
    energy = summary["energy"]
    assert energy["produced_wh"] > 0 and energy["consumed_wh"] > 0
    check_flows(app, world, DAY, DAY + 24 * HOUR)
    group = flows_of(app, gid, world["group"], DAY, DAY + 24 * HOUR)
    assert all(f["produced_wh"] == 0 and f["capacity_wh"] == 0 for f in group)
    assert sum(f["consumed_wh"] for f in group) > 0
    assert all(f["consumed_wh"] % 10 == 0 for f in group)  # 10 members, each the same load


def test_a_second_identical_run_changes_nothing(app: Any, world: dict[str, Any]) -> None:
    gid = world["grid"]["id"]
    first = simulate_grid(stores(app), gid, DAY, DAY + 6 * HOUR, seed=5)
    before = flows_of(app, gid, world["houses"][0], DAY, DAY + 6 * HOUR)
    again = simulate_grid(stores(app), gid, DAY, DAY + 6 * HOUR, seed=5)
    assert again["readings"] == {"inserted": 0, "updated": 0, "unchanged": 4 * 24}
    assert again["energy"] == first["energy"]
    assert flows_of(app, gid, world["houses"][0], DAY, DAY + 6 * HOUR) == before
    other = simulate_grid(stores(app), gid, DAY, DAY + 6 * HOUR, seed=6)
    assert other["readings"]["updated"] > 0


def test_split_runs_and_small_chunks_equal_one_run(
    app: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    gid, pid = world["grid"]["id"], world["houses"][1]
    simulate_grid(stores(app), gid, DAY, DAY + 12 * HOUR, seed=2)
    whole = flows_of(app, gid, pid, DAY, DAY + 12 * HOUR)
    monkeypatch.setattr(simulation, "CHUNK_CELLS", 7)  # 1 timeframe per chunk
    again = simulate_grid(stores(app), gid, DAY, DAY + 5 * HOUR, seed=2)
    later = simulate_grid(stores(app), gid, DAY + 5 * HOUR, DAY + 12 * HOUR, seed=2)
    assert again["readings"]["unchanged"] == 4 * 20 and later["readings"]["unchanged"] == 4 * 28
    assert flows_of(app, gid, pid, DAY, DAY + 12 * HOUR) == whole


def test_a_failed_flows_write_is_raised_and_a_rerun_completes(
    app: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    gid, flows = world["grid"]["id"], stores(app).documents.flows
    monkeypatch.setattr(simulation, "WRITE_CELLS", 8)  # 2 timeframes of 4 prosumers per batch
    calls: list[int] = []
    real = flows.upsert_rows

    def failing(rows: Any) -> None:
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real(rows)

    monkeypatch.setattr(flows, "upsert_rows", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        simulate_grid(stores(app), gid, DAY, DAY + 3 * HOUR, seed=8)
    assert len(calls) == 2  # raised when the third batch's flows were handed over
    monkeypatch.setattr(flows, "upsert_rows", real)
    again = simulate_grid(stores(app), gid, DAY, DAY + 3 * HOUR, seed=8)
    # three batches' readings were committed (the third's flows never written)
    assert again["readings"] == {"inserted": 4 * 6, "updated": 0, "unchanged": 4 * 6}
    check_flows(app, world, DAY, DAY + 3 * HOUR)


def test_a_big_run_writes_its_flows_from_a_process_of_their_own(
    app: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    gid = world["grid"]["id"]
    writers: list[FlowsWriter] = []

    class Recorded(FlowsWriter):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            writers.append(self)

    monkeypatch.setattr(simulation, "FlowsWriter", Recorded)
    monkeypatch.setattr(simulation, "PROCESS_CELLS", 1)  # every run is "big"
    monkeypatch.setattr(simulation, "WRITE_CELLS", 8)  # 2 timeframes of 4 prosumers per batch
    first = simulate_grid(stores(app), gid, DAY, DAY + 3 * HOUR, seed=4)
    assert [w.separate for w in writers] == [True]
    assert first["readings"] == {"inserted": 4 * 12, "updated": 0, "unchanged": 0}
    check_flows(app, world, DAY, DAY + 3 * HOUR)
    before = flows_of(app, gid, world["houses"][0], DAY, DAY + 3 * HOUR)
    again = simulate_grid(stores(app), gid, DAY, DAY + 3 * HOUR, seed=4)
    assert again["readings"] == {"inserted": 0, "updated": 0, "unchanged": 4 * 12}
    assert flows_of(app, gid, world["houses"][0], DAY, DAY + 3 * HOUR) == before


def test_a_switched_off_asset_counts_for_nothing_from_then_on(
    client: Any, admin: dict[str, str], app: Any
) -> None:
    body = {**GRID, "latitude": "48.1", "longitude": "11.6"}
    grid = client.post("/api/v1/grids", json=body, headers=admin).json
    p = add_prosumer(client, admin, grid["id"], 1)
    pv = add_asset(client, admin, p["id"], {"type": "pv", "name": "pv", "peak_power_w": 5000})
    noon = DAY + 8 * HOUR
    simulate_grid(stores(app), grid["id"], noon, noon + 4 * HOUR)
    assert (
        sum(f["produced_wh"] for f in flows_of(app, grid["id"], p["id"], noon, noon + 4 * HOUR)) > 0
    )
    etag = client.get(f"/api/v1/assets/{pv['id']}", headers=admin).headers["ETag"]
    off = client.patch(
        f"/api/v1/assets/{pv['id']}", json={"enabled": False}, headers={**admin, "If-Match": etag}
    )
    assert off.status_code == 200, off.json
    later = noon + 24 * HOUR
    simulate_grid(stores(app), grid["id"], later, later + 4 * HOUR)
    assert all(
        f["produced_wh"] == 0 for f in flows_of(app, grid["id"], p["id"], later, later + 4 * HOUR)
    )


def test_a_paused_scheduled_load_consumes_nothing(
    client: Any, admin: dict[str, str], app: Any
) -> None:
    body = {**GRID, "latitude": "48.1", "longitude": "11.6"}
    grid = client.post("/api/v1/grids", json=body, headers=admin).json
    p = add_prosumer(client, admin, grid["id"], 1)
    ev = {
        "type": "scheduled_load",
        "name": "ev",
        "power_w": 7000,
        "energy_wh": 9000,
        "window_start": "01:00",
        "window_end": "05:00",
    }
    add_asset(client, admin, p["id"], ev)
    add_asset(client, admin, p["id"], {**ev, "name": "paused ev", "paused": True})
    summary = simulate_grid(stores(app), grid["id"], DAY, DAY + 24 * HOUR)
    assert summary["energy"]["consumed_wh"] == 9000


def test_closed_timeframes_refuse_changes_and_nothing_is_written(
    client: Any, admin: dict[str, str], app: Any, world: dict[str, Any]
) -> None:
    gid = world["grid"]["id"]
    summary = simulate_grid(stores(app), gid, DAY, DAY + 2 * HOUR, seed=1, close=True)
    assert summary["closed_timeframes"] == 8
    assert simulate_grid(stores(app), gid, DAY, DAY + 2 * HOUR, seed=1)["readings"]["updated"] == 0
    before = readings_of(app, gid, DAY, DAY + 4 * HOUR)
    kettle = {"type": "load", "name": "kettle", "peak_w": 2000, "profile": ["1"] * 24}
    add_asset(client, admin, world["group"], kettle)
    with pytest.raises(Conflict, match="is closed"):
        simulate_grid(stores(app), gid, DAY, DAY + 4 * HOUR, seed=1)
    assert readings_of(app, gid, DAY, DAY + 4 * HOUR) == before


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (DAY + timedelta(minutes=5), DAY + HOUR, "start"),
        (DAY, DAY, "to"),
        (DAY, DAY + timedelta(minutes=20), "to"),
        (DAY, DAY + timedelta(days=401), "to"),
    ],
)
def test_bad_ranges_are_422_naming_the_field(
    app: Any, world: dict[str, Any], start: datetime, end: datetime, field: str
) -> None:
    with pytest.raises(Unprocessable) as refused:
        simulate_grid(stores(app), world["grid"]["id"], start, end)
    assert field in refused.value.extra["errors"]


def test_a_grid_without_coordinates_is_422(client: Any, admin: dict[str, str], app: Any) -> None:
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json
    with pytest.raises(Unprocessable, match="latitude"):
        simulate_grid(stores(app), grid["id"], DAY, DAY + HOUR)


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32),
    offset=st.integers(0, 95),
    length=st.integers(1, 40),
    ratios=st.tuples(st.sampled_from(["0", "0.3", "1"]), st.sampled_from(["0", "0.5", "1"])),
)
def test_property_flows_balance_and_equal_the_readings(
    client: Any,
    admin: dict[str, str],
    app: Any,
    seed: int,
    offset: int,
    length: int,
    ratios: tuple[str, str],
) -> None:
    world = sim_grid(client, admin, houses=2)
    controls = {"input_ratio": ratios[0], "output_ratio": ratios[1]}
    put = client.put(
        f"/api/v1/prosumers/{world['houses'][0]}/controls", json=controls, headers=admin
    )
    assert put.status_code == 200, put.json
    start = DAY + offset * timedelta(minutes=15)
    end = start + length * timedelta(minutes=15)
    first = simulate_grid(stores(app), world["grid"]["id"], start, end, seed=seed)
    check_flows(app, world, start, end)
    again = simulate_grid(stores(app), world["grid"]["id"], start, end, seed=seed)
    assert again["readings"]["unchanged"] == 3 * length and again["energy"] == first["energy"]


def cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def test_cli_simulates_closes_and_prints_a_summary(app: Any, world: dict[str, Any]) -> None:
    gid = world["grid"]["id"]
    args = (
        "simulate",
        "--grid",
        gid,
        "--from",
        "2026-06-01T00:00:00Z",
        "--to",
        "2026-06-01T03:00:00Z",
    )
    done = cli(app, *args, "--seed", "4", "--close")
    assert done.exit_code == 0, done.output
    assert re.search(r"readings inserted +48\n", done.output)
    assert re.search(r"closed timeframes +12\n", done.output)
    again = cli(app, *args, "--seed", "4")
    assert re.search(r"readings unchanged +48\n", again.output)
    refused = cli(app, *args, "--seed", "4", "--to", "2026-06-01T03:05:00Z")
    assert refused.exit_code == 1 and "timeframe" in refused.output
    bad = cli(app, "simulate", "--grid", gid, "--from", "yesterday", "--to", "2026-06-01T03:00:00Z")
    assert bad.exit_code == 2 and "--from" in bad.output
