"""`flask simulate --via mqtt`: meter -> broker -> ingest -> store -> close -> events in one
command (the embedded broker and Mosquitto)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from models.domain import events as ev
from tests.api.sim_helpers import sim_grid
from tests.conftest import make_key, make_test_app
from tests.events.conftest import all_events
from tests.mqtt.helpers import ingesting, wait_for

RUN = ["--from", "2026-06-01T00:00:00Z", "--to", "2026-06-01T06:00:00Z", "--seed", "2"]


@pytest.fixture
def app(broker_url: str, sqlite_template: Path, tmp_path: Path) -> Iterator[Any]:
    db = tmp_path / "registry.db"
    shutil.copy(sqlite_template, db)
    app = make_test_app(f"sqlite:///{db}", tmp_path, MQTT_URL=broker_url)
    yield app
    app.extensions["minigrid"].close()


def summary(output: str) -> dict[str, str]:
    rows = (line.rsplit("  ", 1) for line in output.splitlines() if "  " in line)
    return {name.strip(): value.strip() for name, value in rows}


def test_simulated_meters_publish_and_the_ingest_writes_and_closes(
    app: Any, broker_url: str
) -> None:
    stores = app.extensions["minigrid"]
    world = sim_grid(app.test_client(), make_key(app, role="admin"), houses=2)
    gid, runner = world["grid"]["id"], app.test_cli_runner()
    args = ["simulate", "--grid", gid, *RUN, "--close", "--via", "mqtt"]
    with ingesting(stores, broker_url, grid_id=gid) as ingest:
        first = runner.invoke(args=args)
        assert first.exit_code == 0, first.output
        again = runner.invoke(args=args)  # the same readings again: unchanged, nothing closes
        assert again.exit_code == 0, again.output
        stats = wait_for(
            lambda: ingest.get("stats") and ingest["stats"].acked == 144 and ingest["stats"]
        )
    done = summary(first.output)
    assert done["readings published"] == done["readings written by the ingest"] == "72"
    assert done["closed timeframes"] == "24"
    assert summary(again.output)["closed timeframes"] == "0"
    assert stats.counts == {"inserted": 72, "updated": 0, "unchanged": 72} and not stats.refused
    closed = [e for e in all_events(stores, grid_id=gid) if e["type"] == ev.TIMEFRAME_CLOSED]
    assert len(closed) == 24  # the events of the closes, once each
    flows = stores.documents.flows.at(gid, "2026-06-01T05:45:00Z")
    with stores.uow(write=False) as uow:
        stored = uow.registry.readings_at(gid, datetime(2026, 6, 1, 5, 45))
    assert stored == {pid: (f["sold_wh"], f["bought_wh"]) for pid, f in flows.items()}


def test_without_an_ingest_the_run_says_so(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from models.services import simulation

    monkeypatch.setattr(simulation, "simulate_grid", _impatient(simulation.simulate_grid))
    world = sim_grid(app.test_client(), make_key(app, role="admin"), houses=1)
    args = ["simulate", "--grid", world["grid"]["id"], *RUN, "--via", "mqtt"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1 and "is `flask ingest-mqtt` running" in result.output


def _impatient(simulate: Any) -> Any:
    return lambda *a, **k: simulate(*a, **{**k, "ingest_wait_s": 0.5})
