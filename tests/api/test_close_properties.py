"""Property: through the real stores, every closed timeframe balances to the Wh and minor unit."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.domain.clearing import MECHANISMS
from models.domain.money import minor_unit_scale
from models.domain.timeframes import format_instant
from models.services import metering, registry
from models.services.closing import close_timeframe
from tests.conftest import make_test_app, wallet

START = datetime(2030, 1, 1, tzinfo=UTC)
_n = itertools.count()
energy = st.integers(min_value=0, max_value=5_000_000)
grids = st.fixed_dictionaries(
    {
        "currency": st.sampled_from(["EUR", "JPY", "KWD"]),
        "feed_in_price": st.decimals(min_value=0, max_value=2, places=4),
        "spread": st.decimals(min_value=0, max_value=2, places=4),
        "mechanism": st.sampled_from(MECHANISMS),
    }
)
frames = st.lists(
    st.lists(st.tuples(energy, energy), min_size=1, max_size=6), min_size=1, max_size=3
)


@pytest.fixture(scope="module")
def app(sqlite_template: Path) -> Any:
    tmp = Path(tempfile.mkdtemp())
    shutil.copy(sqlite_template, tmp / "registry.db")
    app = make_test_app(f"sqlite:///{tmp / 'registry.db'}", tmp)
    yield app
    app.extensions["minigrid"].close()
    shutil.rmtree(tmp)


def make_grid(container: Any, params: dict[str, Any], size: int) -> tuple[Any, list[str]]:
    with container.uow() as uow:
        grid = registry.create_grid(
            uow,
            {
                "name": f"g{next(_n)}",
                "timezone": "UTC",
                "timeframe_minutes": 15,
                "currency": params["currency"],
                "mechanism": params["mechanism"],
                "feed_in_price": params["feed_in_price"],
                "import_price": params["feed_in_price"] + params["spread"],
            },
        )
        ids = [
            registry.create_prosumer(
                uow,
                grid,
                {
                    "name": f"p{i}",
                    "address": "a",
                    "kind": "household",
                    "wallet": wallet(next(_n) + 1),
                },
            ).id
            for i in range(size)
        ]
    return grid, ids


def p_t(grid: Any, totals: dict[str, int]) -> Fraction:
    """supply_demand's p_fit + (p_imp - p_fit) * D / (S + D) from a snapshot's totals."""
    supply, demand = totals["surplus_wh"], totals["deficit_wh"]
    fit, imp = Fraction(grid.feed_in_price), Fraction(grid.import_price)
    return fit + (imp - fit) * Fraction(demand, supply + demand) if supply + demand else fit


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(params=grids, readings=frames)
def test_closed_timeframes_balance(
    app: Any, params: dict[str, Any], readings: list[list[tuple[int, int]]]
) -> None:
    container = app.extensions["minigrid"]
    grid, ids = make_grid(container, params, max(len(f) for f in readings))
    for slot, frame in enumerate(readings):
        start = START + timedelta(minutes=15 * slot)
        lines = [
            {"prosumer_id": pid, "produced_wh": p, "consumed_wh": c}
            for pid, (p, c) in zip(ids, frame, strict=False)
        ]
        with container.uow() as uow:
            metering.upsert_readings(uow, grid, start, lines)
        snapshot, _ = close_timeframe(container, grid.id, start, force=True)
        trades = container.documents.transactions.timeframe(grid.id, format_instant(start))
        money: dict[str, int] = {}
        wh: dict[str, int] = {}
        for t in trades:
            assert t["amount_minor"] >= 0 and t["energy_wh"] >= 0
            for party, sign in ((t["seller"], 1), (t["buyer"], -1)):
                money[party] = money.get(party, 0) + sign * t["amount_minor"]
                wh[party] = wh.get(party, 0) + sign * t["energy_wh"]
            if params["mechanism"] in ("mid_market", "supply_demand") and t["kind"] != "rounding":
                assert grid.feed_in_price <= Decimal(t["unit_price"]) <= grid.import_price
            if params["mechanism"] == "supply_demand" and t["kind"] == "local":
                exact = p_t(grid, snapshot["totals"])  # amounts from the exact p_t, not the shown
                scale = 10 ** minor_unit_scale(grid.currency)
                assert t["amount_minor"] == round(t["energy_wh"] * exact * scale / 1000), t
                assert abs(Fraction(t["unit_price"]) - exact) <= Fraction(1, 2 * 10**12)
        assert sum(money.values()) == 0 and money.get("grid", 0) == 0
        assert wh.get("grid", 0) == 0
        totals = snapshot["totals"]
        assert wh.get("plant", 0) == -totals["net_wh"]  # the plant takes the grid's net
        for line in snapshot["lines"]:
            assert wh.get(line["prosumer_id"], 0) == line["net_wh"]
    end = format_instant(START + timedelta(minutes=15 * len(readings)))
    sums = container.documents.transactions.all_party_sums(grid.id, format_instant(START), end)
    assert sum(s["received_minor"] - s["paid_minor"] for s in sums.values()) == 0
