"""On anvil: corrections after October is settled are paid by November's run and by an
adjustments-only run (`flask settle --adjustments-only`, period 2026-12.1), whose debit the
prosumer pays with its proof; October's root on chain never changes."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from models.domain.timeframes import month_bounds
from models.services.corrections import correct_timeframe
from models.services.settlement.ledger_status import recorded_contract
from models.services.settlement.payments import submit_payment
from models.services.settlement.queries import payment_instructions, prosumer_statement
from models.services.settlement.run import ITEMS, SETTLEMENTS
from models.services.settlement.settle import settle_month
from tests.settlement.conftest import anvil_app
from tests.settlement.test_settle_api import signed_payment
from tests.settlement.world import MONTH, add_readings, build_grid, close_month

pytestmark = pytest.mark.anvil


def correct(container: Any, world: Any, day: int, who: int, consumed: int) -> None:
    start, _ = month_bounds(MONTH, "UTC")
    line = {"prosumer_id": world.prosumers[who], "produced_wh": 0, "consumed_wh": consumed}
    body = {"reason": "utility correction", "readings": [line]}
    at = start + timedelta(days=day)
    correct_timeframe(container, world.grid_id, at, uuid.uuid4().hex, body, ("k", "admin"))


def credits_by_account(container: Any, grid_id: str) -> Counter[str]:
    """Wei of every credit item over all of the grid's runs, per account."""
    paid: Counter[str] = Counter()
    for run in container.documents.collection(SETTLEMENTS).find({"grid_id": grid_id}):
        for item in container.documents.collection(ITEMS).find({"run": run["_id"]}):
            if item["kind"] == "credit":
                paid[item["account"]] += int(item["amount_wei"])
    return paid


def test_adjustments_are_paid_on_chain_in_later_runs(
    anvil_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    _, app = anvil_app(anvil_url, sqlite_template, tmp_path)
    container = app.extensions["minigrid"]
    accounts = [Account.create() for _ in range(5)]
    world = build_grid(container, [a.address for a in accounts])
    add_readings(container, world)
    close_month(container, world)
    chain, contract = container.chain, recorded_contract(container)
    before = {a.address: chain.balance(a.address) for a in accounts}
    october = settle_month(container, world.grid_id, MONTH)
    correct(container, world, 0, 1, 3500)  # a week after settlement: 500 Wh more
    close_month(container, world, "2026-11")
    november = settle_month(container, world.grid_id, "2026-11")
    assert november.status == "settled" and november.credits >= 1
    correct(container, world, 1, 3, 3500)  # prosumer 3 bought 1000 Wh more: a debit
    cli = ["settle", "--grid", world.grid_id, "--adjustments-only", "--month", "2026-12"]
    done = app.test_cli_runner().invoke(args=cli)
    assert done.exit_code == 0, done.output
    assert "2026-12.1" in done.output and "settled" in done.output
    credited = credits_by_account(container, world.grid_id)
    for account in accounts:
        assert chain.balance(account.address) - before[account.address] == credited[account.address]
    period = container.documents.collection(SETTLEMENTS).get(f"{world.grid_id}:{MONTH}")
    onchain = chain.period_state(contract, bytes.fromhex(period["period_id"][2:]))
    assert onchain["root"] == october.root == period["root"]
    with container.uow(write=False) as uow:
        debtor = uow.registry.prosumer(world.prosumers[3])
        grid = uow.registry.grid(world.grid_id)
    statement = prosumer_statement(container, debtor, grid, "2026-12.1")
    assert statement["kind"] == "debit" and statement["lines"] == []
    assert statement["amount_minor"] == sum(a["amount_minor"] for a in statement["adjustments"])
    assert statement["encoding"]["period_number"] == 202612001
    call = payment_instructions(container, debtor, grid, "2026-12.1")
    paid = submit_payment(
        container, debtor, grid, "2026-12.1", signed_payment(chain, accounts[3], call)
    )
    assert paid["status"] == "paid"
    assert prosumer_statement(container, debtor, grid, "2026-12.1")["on_chain"]["settled"]
    container.close()
