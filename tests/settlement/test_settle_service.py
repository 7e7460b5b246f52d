"""settle_month on eth-tester: exact credits, deferred credits, idempotence, reverts, dry runs."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from api.ledger_cli import summary_table
from ledger.chain import Chain
from models.services.errors import Conflict
from models.services.settlement.run import ITEMS, SETTLEMENTS, TXS
from models.services.settlement.settle import SettlementFailed, settle_month
from tests.ledger.refuser import claim_through
from tests.settlement.world import MONTH, add_readings, build_grid, close_month, refusing_world


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


def test_a_wallet_refusing_ether_is_deferred_and_the_run_settles(container, accounts) -> None:
    world, refuser = refusing_world(container, accounts)
    chain, run_id = container.chain, f"{world.grid_id}:{MONTH}"
    before = balances(chain, accounts[1:])
    seen: list[tuple[int, int]] = []
    summary = settle_month(container, world.grid_id, MONTH, batch_size=500, progress=_record(seen))
    items = container.documents.collection(ITEMS).find({"run": run_id, "kind": "credit"})
    (owed,) = [i for i in items if i["account"] == refuser]
    assert owed["status"] == "deferred" and owed["tx_hash"]
    assert summary.status == "settled" and summary.deferred == 1
    assert summary.deferred_minor == owed["amount_minor"] > 0
    assert "deferred     1 credits" in summary_table(summary)
    assert seen[-1] == (len(items), len(items))
    paid = {i["account"]: int(i["amount_wei"]) for i in items if i["status"] == "confirmed"}
    assert len(paid) == len(items) - 1
    for account, was in zip(accounts[1:], before, strict=True):
        assert chain.balance(account.address) - was == paid.get(account.address, 0)
    contract = container.documents.collection(SETTLEMENTS).get(run_id)["contract"]
    assert chain.balance(refuser) == 0
    assert chain.owed(contract, refuser) == int(owed["amount_wei"]) == chain.balance(contract)
    assert settle_month(container, world.grid_id, MONTH).sent_now == 0
    to = Account.create().address
    claim_through(chain, refuser, contract, to)
    assert chain.balance(to) == int(owed["amount_wei"]) and chain.owed(contract, refuser) == 0


def _record(seen: list[tuple[int, int]]) -> Any:
    return lambda done, total: seen.append((done, total))


def test_a_reverted_batch_stops_and_marks_nothing_paid(container, world, monkeypatch) -> None:
    original = Chain.build_and_sign

    def wrong_value(self, fn_call, value, nonce, gas=None):  # mined with value != Σ amounts
        return original(self, fn_call, value + 1 if value else 0, nonce, 3_000_000)

    monkeypatch.setattr(Chain, "build_and_sign", wrong_value)
    with pytest.raises(SettlementFailed, match="reverted: value != sum of amounts"):
        settle_month(container, world.grid_id, MONTH, batch_size=500)
    run_id = f"{world.grid_id}:{MONTH}"
    run = container.documents.collection(SETTLEMENTS).get(run_id)
    assert run["status"] == "failed" and "value != sum of amounts" in run["error"]
    items = container.documents.collection(ITEMS).find({"run": run_id, "kind": "credit"})
    assert items and all(i["status"] == "planned" and i["tx_hash"] is None for i in items)
    failed = container.documents.collection(TXS).find({"run": run_id, "status": "failed"})
    assert len(failed) == 1 and "reverted" in failed[0]["error"]
    pid = bytes.fromhex(run["period_id"][2:])
    bits = container.chain.settled_bits(run["contract"], pid, [i["index"] for i in items])
    assert not any(bits.values())


def _interrupt_after_recording(container: Any, world: Any) -> None:
    """Record the run and its items, then stop before anything is sent (a killed `flask settle`)."""
    from models.services.settlement.plan import plan_month
    from models.services.settlement.settle import open_run

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
