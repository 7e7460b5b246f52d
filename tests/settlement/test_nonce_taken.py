"""A recorded `sent` batch whose nonce another tx used: the re-run lets the bitmap decide."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from models.services.settlement import txs as settlement_txs
from models.services.settlement.ledger_status import recorded_contract
from models.services.settlement.run import ITEMS, SETTLEMENTS, TXS
from models.services.settlement.settle import settle_month
from tests.settlement.world import MONTH


class Crashed(Exception):
    """Stands in for a process killed between recording a tx and broadcasting it."""


def crash_on_hit(monkeypatch: pytest.MonkeyPatch, point: str, nth: int) -> None:
    """Raise Crashed the n-th time the settlement reaches `point`."""
    hits = {"n": 0}

    def crash_point(name: str) -> None:
        if name == point:
            hits["n"] += 1
            if hits["n"] == nth:
                raise Crashed(name)

    monkeypatch.setattr(settlement_txs, "crash_point", crash_point)


def take_nonce(container: Any, tx: dict[str, Any], replay: bool) -> None:
    """Mine another operator tx with the recorded nonce: a transfer, or the same batch re-signed."""
    chain, contract = container.chain, recorded_contract(container)
    if replay:
        run = container.documents.collection(SETTLEMENTS).get(tx["run"])
        items = container.documents.collection(ITEMS).find({"run": tx["run"]})
        by_index = {i["index"]: i for i in items}
        batch = [(i, by_index[i]["account"], int(by_index[i]["amount_wei"])) for i in tx["indices"]]
        pid = bytes.fromhex(run["period_id"][2:])
        signed = chain.pay_credits(contract, pid, batch, tx["nonce"], gas=400_000)
    else:
        signed = chain.sign_transfer(Account.create().address, 1, tx["nonce"])
    assert signed.tx_hash != tx["tx_hash"]
    chain.wait_receipt(chain.send_raw(signed.raw))


@pytest.mark.parametrize("replay", [False, True], ids=["transfer", "same-batch-resigned"])
def test_a_taken_nonce_then_rerun_pays_each_credit_once(
    container, world, accounts, monkeypatch, replay
) -> None:
    chain, run_id = container.chain, f"{world.grid_id}:{MONTH}"
    before = {a.address: chain.balance(a.address) for a in accounts}
    crash_on_hit(monkeypatch, "after_record_sent", 3)  # root, batch 0, then batch 1 is lost
    with pytest.raises(Crashed):
        settle_month(container, world.grid_id, MONTH, batch_size=1)
    txs = container.documents.collection(TXS)
    (lost,) = txs.find({"run": run_id, "status": "sent"})
    assert lost["kind"] == "batch" and chain.receipt_or_none(lost["tx_hash"]) is None
    take_nonce(container, lost, replay)
    monkeypatch.setattr(settlement_txs, "crash_point", lambda name: None)
    summary = settle_month(container, world.grid_id, MONTH, batch_size=1)
    assert summary.status == "settled"
    assert txs.get(lost["_id"])["status"] == "failed"
    assert "nonce used by another transaction" in txs.get(lost["_id"])["error"]
    items = container.documents.collection(ITEMS).find({"run": run_id})
    credits = {i["account"]: int(i["amount_wei"]) for i in items if i["kind"] == "credit"}
    assert len(credits) == 2  # batch 0 paid before the loss, batch 1 lost
    for account, was in before.items():
        assert chain.balance(account) - was == credits.get(account, 0)
    pid = bytes.fromhex(container.documents.collection(SETTLEMENTS).get(run_id)["period_id"][2:])
    bits = chain.settled_bits(recorded_contract(container), pid, [i["index"] for i in items])
    assert all(bits[i["index"]] == (i["kind"] == "credit") for i in items)
    assert all(i["status"] == "confirmed" for i in items if i["kind"] == "credit")
    for item in (i for i in items if i["kind"] == "credit" and i["tx_hash"]):
        receipt = chain.receipt_or_none(item["tx_hash"])  # a line never names a tx never mined
        assert receipt is not None and receipt["status"] == 1, item
    again = settle_month(container, world.grid_id, MONTH, batch_size=1)
    assert again.sent_now == 0
