"""settle_month on eth-tester: exact credits, idempotence, open months, reverts, dry runs."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.chain import Chain
from models.services.errors import Conflict
from models.services.settlement import SettlementFailed, settle_month
from models.services.settlement_run import ITEMS, SETTLEMENTS, TXS
from tests.settlement.world import MONTH, add_readings, build_grid, close_month


def balances(chain: Any, accounts: list[Any]) -> list[int]:
    return [chain.balance(a.address) for a in accounts]


def test_credits_arrive_exactly_and_a_rerun_sends_nothing(container, world, accounts) -> None:
    chain = container.chain
    before = balances(chain, accounts)
    summary = settle_month(container, world.grid_id, MONTH, batch_size=1)
    after = balances(chain, accounts)
    items = container.documents.collection(ITEMS).find({"run": f"{world.grid_id}:{MONTH}"})
    by_account = {i["account"]: i for i in items}
    for account, b, a in zip(accounts, before, after, strict=True):
        item = by_account.get(account.address)
        paid = int(item["amount_wei"]) if item and item["kind"] == "credit" else 0
        assert a - b == paid
    assert summary.status == "settled" and summary.credits >= 1 and summary.debits >= 1
    assert summary.sent_now == 1 + summary.credits  # root + one batch per credit
    again = settle_month(container, world.grid_id, MONTH)
    assert again.sent_now == 0 and balances(chain, accounts) == after
    assert again.gas_used == summary.gas_used > 0


def test_dry_run_writes_nothing(container, world) -> None:
    summary = settle_month(container, world.grid_id, MONTH, dry_run=True)
    assert summary.status == "dry-run" and summary.prosumers == 5
    assert container.documents.collection(SETTLEMENTS).count() == 0


def test_open_timeframes_are_a_conflict(container, accounts) -> None:
    world = build_grid(container, [a.address for a in accounts])
    add_readings(container, world)
    close_month(container, world, upto_day=10)
    with pytest.raises(Conflict) as info:
        settle_month(container, world.grid_id, MONTH)
    assert info.value.extra["open_count"] == 21
    assert info.value.extra["open_timeframes"][0] == "2026-10-11T00:00:00Z"


def test_a_reverted_batch_stops_and_marks_nothing_paid(container, accounts, monkeypatch) -> None:
    refuser = container.chain.deploy()  # a contract without a payable default: sends revert
    wallets = [a.address for a in accounts]
    wallets[0] = refuser  # prosumer 0 is a producer: it gets a credit
    world = build_grid(container, wallets)
    add_readings(container, world)
    close_month(container, world)
    original = Chain.build_and_sign

    def fixed_gas(self, fn_call, value, nonce, gas=None):  # skip the estimate so it is mined
        return original(self, fn_call, value, nonce, 3_000_000)

    monkeypatch.setattr(Chain, "build_and_sign", fixed_gas)
    with pytest.raises(SettlementFailed, match="reverted"):
        settle_month(container, world.grid_id, MONTH, batch_size=500)
    run_id = f"{world.grid_id}:{MONTH}"
    assert container.documents.collection(SETTLEMENTS).get(run_id)["status"] == "failed"
    items = container.documents.collection(ITEMS).find({"run": run_id, "kind": "credit"})
    assert items and all(i["status"] == "planned" for i in items)
    failed = container.documents.collection(TXS).find({"run": run_id, "status": "failed"})
    assert len(failed) == 1 and "reverted" in failed[0]["error"]


def _interrupt_after_recording(container: Any, world: Any) -> None:
    """Record the run and its items, then stop before anything is sent (a killed `flask settle`)."""
    from models.services.settlement import open_run
    from models.services.settlement_plan import plan_month

    open_run(container, plan_month(container, world.grid_id, MONTH))


def test_a_rerun_keeps_the_recorded_rate_and_wallets(container, world, accounts) -> None:
    """Grid settings changed between a crash and the re-run do not change what is paid."""
    from eth_account import Account

    from models.services import registry as reg

    _interrupt_after_recording(container, world)
    run_id = f"{world.grid_id}:{MONTH}"
    recorded = {i["index"]: i for i in container.documents.collection(ITEMS).find({"run": run_id})}
    credit = next(i for i in recorded.values() if i["kind"] == "credit")
    with container.uow() as uow:
        grid = reg.get_grid(uow, world.grid_id)
        reg.update_grid(uow, grid, {"wei_per_minor_unit": 10**15})
        prosumer = reg.get_prosumer(uow, credit["prosumer_id"])
        reg.update_prosumer(uow, prosumer, {"wallet": Account.create().address})
    chain = container.chain
    before = chain.balance(credit["account"])
    summary = settle_month(container, world.grid_id, MONTH)
    assert summary.status == "settled"
    run = container.documents.collection(SETTLEMENTS).get(run_id)
    state = chain.period_state(run["contract"], bytes.fromhex(run["period_id"][2:]))
    assert state["wei_per_minor"] == int(run["wei_per_minor"]) == 10**13
    assert chain.balance(credit["account"]) - before == credit["amount_minor"] * 10**13
