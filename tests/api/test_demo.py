"""The demo grid (`flask demo`, models/services/demo.py) over a shortened period: every kind and
asset type, simulated and closed; a second build changes nothing and only catches up; --reset
deletes the old grid from every store and builds a new one. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.domain.timeframes import format_instant
from models.services import demo_grid
from models.services.assets import read_plant
from models.services.clearing_terms import TERMS
from models.services.demo import build_demo, demo_size, find_demo, reset_demo
from models.services.settlement.run import ITEMS, SETTLEMENTS
from tests.conftest import wallet

NOW = datetime(2026, 6, 2, 0, 7, tzinfo=UTC)  # inside the timeframe starting at 00:00
DAY = timedelta(days=1)
MIDNIGHT = datetime(2026, 6, 2, tzinfo=UTC)
WALLETS = [wallet(n) for n in range(100, 100 + demo_size())]
KINDS = {"household", "business", "public", "producer", "consumer_group"}
TYPES = {"wind_turbine", "pv", "battery", "load", "scheduled_load", "appliance"}


def stores(app: Any) -> Any:
    return app.extensions["minigrid"]


def registry_counts(app: Any, grid_id: str) -> dict[str, Any]:
    with stores(app).uow(write=False) as uow:
        prosumers = uow.registry.active_prosumers(grid_id)
        assets = uow.registry.grid_assets(grid_id)
        return {
            "prosumers": len(prosumers),
            "kinds": {p.kind for p in prosumers},
            "groups": {p.members for p in prosumers if p.kind == "consumer_group"},
            "wallets": sorted(p.wallet for p in prosumers),
            "assets": len(assets),
            "types": {a.type for a in assets},
            "controls": len(uow.registry.grid_controls(grid_id)),
            "plant": {k: v for k, v in read_plant(uow, grid_id).items() if k in demo_grid.PLANT},
            "closed": len(
                uow.registry.timeframes_with_status(
                    grid_id, "closed", datetime(2000, 1, 1), datetime(2100, 1, 1)
                )
            ),
        }


def test_the_demo_has_every_kind_and_asset_type_simulated_and_closed(app: Any) -> None:
    report = build_demo(stores(app), WALLETS, now=NOW, since=MIDNIGHT - DAY)
    assert report.created and report.prosumers == 40 == demo_size() and report.assets == 121
    assert report.simulated == 96 and report.closed == 96
    assert report.readings == {"inserted": 96 * 40, "updated": 0, "unchanged": 0}
    assert report.settle_month == "2026-05" and report.until == datetime(2026, 6, 2, tzinfo=UTC)
    counts = registry_counts(app, report.grid_id)
    assert counts["prosumers"] == 40 and counts["kinds"] == KINDS and counts["groups"] == {24}
    assert counts["assets"] == 121 and counts["types"] == TYPES
    assert counts["wallets"] == sorted(WALLETS) and counts["controls"] == 8 + 8 + 2 + 2 + 1
    assert counts["plant"] == demo_grid.PLANT and counts["closed"] == 96
    docs = stores(app).documents
    first, end = format_instant(MIDNIGHT - DAY), format_instant(MIDNIGHT)
    assert docs.snapshots.list_totals(report.grid_id, first, end, 0, 0)[1] == 96
    assert docs.transactions.count(report.grid_id, first, end, None, None) > 96
    rows, _, totals = docs.snapshots.netto(report.grid_id, first, end, 0, 0)
    assert len(rows) == 40 and totals["production_wh"] > 0 and totals["consumption_wh"] > 0


def test_building_again_changes_nothing_then_catches_up(app: Any) -> None:
    first = build_demo(stores(app), WALLETS, now=NOW, since=MIDNIGHT - DAY / 4)
    before = registry_counts(app, first.grid_id)
    again = build_demo(stores(app), WALLETS, now=NOW, since=MIDNIGHT - DAY / 4)
    assert again.grid_id == first.grid_id and not again.created
    assert (again.simulated, again.closed) == (0, 0)
    assert again.readings == {"inserted": 0, "updated": 0, "unchanged": 0}
    assert registry_counts(app, first.grid_id) == before
    later = build_demo(stores(app), WALLETS, now=NOW + timedelta(hours=1), since=MIDNIGHT - DAY / 4)
    assert (later.simulated, later.closed, later.readings["inserted"]) == (4, 4, 160)
    assert registry_counts(app, first.grid_id)["closed"] == 24 + 4


def test_reset_deletes_the_old_demo_everywhere_and_builds_a_new_one(app: Any) -> None:
    old = build_demo(stores(app), WALLETS, now=NOW, since=MIDNIGHT - DAY / 8)
    docs = stores(app).documents
    docs.collection(SETTLEMENTS).put(f"{old.grid_id}:2026-05", {"grid_id": old.grid_id})
    docs.collection(ITEMS).put(f"{old.grid_id}:2026-05:000000", {"run": f"{old.grid_id}:2026-05"})
    new = reset_demo(stores(app), WALLETS, now=NOW, since=MIDNIGHT - DAY / 8)
    assert new.grid_id != old.grid_id and new.created and new.closed == 12
    found = find_demo(stores(app))
    assert found is not None and found.id == new.grid_id
    with stores(app).uow(write=False) as uow:
        assert uow.registry.grid(old.grid_id) is None
        assert uow.registry.grids(1, 100)[1] == 1
    start = format_instant(MIDNIGHT - DAY / 8)
    assert docs.snapshots.get(old.grid_id, start) is None
    assert docs.transactions.timeframe(old.grid_id, start) == []
    assert docs.flows.at(old.grid_id, start) == {}
    assert docs.collection(SETTLEMENTS).count({"grid_id": old.grid_id}) == 0
    assert docs.collection(ITEMS).count({"run": f"{old.grid_id}:2026-05"}) == 0
    assert docs.collection(TERMS).count({"grid_id": old.grid_id}) == 0
    assert docs.collection(TERMS).count({"grid_id": new.grid_id}) == 12
    assert docs.snapshots.get(new.grid_id, start) is not None


@pytest.mark.parametrize("engine_name", ["sqlite"])  # the builder runs on both engines above
def test_flask_demo_is_idempotent_and_reset_rebuilds(app: Any) -> None:
    runner = app.test_cli_runner()
    since = format_instant(datetime.now(UTC).replace(second=0, microsecond=0) - DAY / 12)
    made = runner.invoke(args=["demo", "--since", since])
    assert made.exit_code == 0, made.output
    created = re.search(r"demo grid created in .*: Demo: Visby (\S+), 40 prosumers", made.output)
    assert created, made.output
    grid_id = created[1]
    assert f"settle --grid {grid_id} --month " in made.output
    again = runner.invoke(args=["demo", "--since", since])
    assert again.exit_code == 0, again.output
    assert "demo grid up to date in" in again.output and grid_id in again.output
    assert "simulated 0 and closed 0 timeframes" in again.output or "simulated 1 " in again.output
    reset = runner.invoke(args=["demo", "--reset", "--since", since])
    assert reset.exit_code == 0, reset.output
    assert f"deleting demo grid {grid_id}" in reset.output and "demo grid created" in reset.output
    assert grid_id not in reset.output.split("deleting demo grid")[1].split("\n", 1)[1]
