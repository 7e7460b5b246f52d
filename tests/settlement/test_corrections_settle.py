"""Corrections and settlement on eth-tester: adjustments of an open month are part of it, those
of a settled month go to the next run (its statements' `adjustments`), or to an adjustments-only
period; every run's sum equals a settlement from scratch of the final readings."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from models.domain.adjustments import positions
from models.domain.timeframes import format_instant, month_bounds, timeframe_starts
from models.services import corrections
from models.services.clearing_terms import TERMS, cleared_docs, nets_of
from models.services.errors import Conflict
from models.services.settlement.queries import prosumer_statement
from models.services.settlement.run import ITEMS, SETTLEMENTS
from models.services.settlement.settle import settle_month
from models.services.snapshot_versions import get_version
from tests.settlement.world import MONTH, World, close_month

NOVEMBER = "2026-11"
SQLITE_ONLY = pytest.mark.parametrize("engine_name", ["sqlite"])  # the first test runs on both
ADMIN = ("test-key", "admin")


def correct(container: Any, world: World, day: int, who: int, consumed: int) -> dict[str, Any]:
    start, _ = month_bounds(MONTH, "UTC")
    line = {"prosumer_id": world.prosumers[who], "produced_wh": 0, "consumed_wh": consumed}
    body = {"reason": "late meter data", "readings": [line]}
    at = start + timedelta(days=day)
    view, _ = corrections.correct_timeframe(
        container, world.grid_id, at, uuid.uuid4().hex, body, ADMIN
    )
    return view


def settled_totals(container: Any, grid_id: str) -> Counter[str]:
    """Σ of statement amounts per prosumer over every recorded run of the grid."""
    totals: Counter[str] = Counter()
    for run in container.documents.collection(SETTLEMENTS).find({"grid_id": grid_id}):
        for item in container.documents.collection(ITEMS).find({"run": run["_id"]}):
            totals[item["prosumer_id"]] += item["amount_minor"]
    return totals


def from_scratch(container: Any, grid_id: str, months: list[str]) -> Counter[str]:
    """What settling the latest readings of every timeframe would pay, per prosumer."""
    totals: Counter[str] = Counter()
    terms = container.documents.collection(TERMS)
    for month in months:
        start, end = month_bounds(month, "UTC")
        for at in timeframe_starts(start, end, 1440):
            latest = get_version(container, grid_id, at)
            doc = terms.get(f"{grid_id}:{format_instant(at)}")
            for party, amount in positions(cleared_docs(doc, nets_of(latest))).items():
                if party not in ("grid", "plant", "rounding"):
                    totals[party] += amount
    return totals


def nonzero(counter: Counter[str]) -> dict[str, int]:
    return {k: v for k, v in counter.items() if v}


def test_adjustments_across_runs_add_up_to_a_settlement_from_scratch(
    container: Any, world: World
) -> None:
    grid_id = world.grid_id
    before = correct(container, world, 0, 1, 3500)  # October not settled: part of it
    october = settle_month(container, grid_id, MONTH)
    assert october.status == "settled"
    run = container.documents.collection(SETTLEMENTS).get(f"{grid_id}:{MONTH}")
    assert run["corrections"] == [before["id"]]
    assert nonzero(settled_totals(container, grid_id)) == nonzero(
        from_scratch(container, grid_id, [MONTH])
    )
    after = correct(container, world, 1, 3, 3000)  # a week later: October stays as it is
    assert after["version"] == 2 and after["settled_in"] is None
    again = settle_month(container, grid_id, MONTH)
    assert again.root == october.root and again.sent_now == 0
    close_month(container, world, NOVEMBER)
    november = settle_month(container, grid_id, NOVEMBER)
    assert november.status == "settled"
    nov_run = container.documents.collection(SETTLEMENTS).get(f"{grid_id}:{NOVEMBER}")
    assert nov_run["corrections"] == [after["id"]]
    assert nonzero(settled_totals(container, grid_id)) == nonzero(
        from_scratch(container, grid_id, [MONTH, NOVEMBER])
    )
    late = correct(container, world, 2, 0, 900)
    only = settle_month(container, grid_id, "2026-12.1")
    assert only.status == "settled" and only.prosumers >= 1
    assert nonzero(settled_totals(container, grid_id)) == nonzero(
        from_scratch(container, grid_id, [MONTH, NOVEMBER])
    )
    adjusted = container.documents.collection("adjustments").get(late["id"])
    assert adjusted["settled_in"] == f"{grid_id}:2026-12.1"
    with pytest.raises(Conflict, match="no adjustments are waiting"):
        settle_month(container, grid_id, "2026-12.2")


@SQLITE_ONLY
def test_statement_shows_the_adjustments_and_its_leaf_covers_them(
    container: Any, world: World
) -> None:
    grid_id, prosumer = world.grid_id, world.prosumers[3]
    settle_month(container, grid_id, MONTH)
    with container.uow(write=False) as uow:
        record = uow.registry.prosumer(prosumer)
        grid = uow.registry.grid(grid_id)
    october = prosumer_statement(container, record, grid, MONTH)
    fix = correct(container, world, 1, 3, 3000)
    assert prosumer_statement(container, record, grid, MONTH) == october  # never changes
    close_month(container, world, NOVEMBER)
    settle_month(container, grid_id, NOVEMBER)
    statement = prosumer_statement(container, record, grid, NOVEMBER)
    (entry,) = statement["adjustments"]
    assert entry["correction_id"] == fix["id"] and entry["month"] == MONTH
    assert entry["amount_minor"] == fix_amount(fix, prosumer) < 0
    lines = sum(line["received_minor"] - line["paid_minor"] for line in statement["lines"])
    assert statement["amount_minor"] == lines + entry["amount_minor"]
    assert statement["proof_valid"] and statement["on_chain"]["root_matches"]


def fix_amount(view: dict[str, Any], prosumer: str) -> int:
    return positions(view["adjustments"]).get(prosumer, 0)


@SQLITE_ONLY
def test_a_correction_waits_while_its_month_is_being_settled(container: Any, world: World) -> None:
    grid_id = world.grid_id
    settle_month(container, grid_id, MONTH)
    runs = container.documents.collection(SETTLEMENTS)
    runs.update(f"{grid_id}:{MONTH}", {"status": "paying"})
    with pytest.raises(Conflict, match="settlement of 2026-10 is paying"):
        correct(container, world, 1, 3, 3000)
    runs.update(f"{grid_id}:{MONTH}", {"status": "settled"})
    assert correct(container, world, 1, 3, 3000)["version"] == 2


@SQLITE_ONLY
def test_cli_settles_the_waiting_adjustments_only(app: Any, container: Any, world: World) -> None:
    settle_month(container, world.grid_id, MONTH)
    correct(container, world, 1, 3, 3000)
    runner = app.test_cli_runner()
    args = ["settle", "--grid", world.grid_id, "--adjustments-only", "--month", "2026-12"]
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    assert "2026-12.1" in done.output and "settled" in done.output
    nothing = runner.invoke(args=args)
    assert nothing.exit_code == 0 and "no adjustments are waiting" in nothing.output
    correct(container, world, 2, 3, 3000)
    second = runner.invoke(args=args)
    assert second.exit_code == 0 and "2026-12.2" in second.output
    assert runner.invoke(args=["settle", "--grid", world.grid_id]).exit_code != 0
