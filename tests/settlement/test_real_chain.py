"""On anvil: a fee spike's stuck tx is replaced, a reorg is re-checked, a slow payment is 202."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from models.services.errors import Unavailable
from models.services.settlement import txs as settlement_txs
from models.services.settlement.ledger_status import recorded_contract
from models.services.settlement.run import ITEMS, SETTLEMENTS, TXS
from models.services.settlement.settle import settle_month
from tests.conftest import make_key
from tests.settlement.conftest import anvil_app, anvil_rpc, anvil_stores
from tests.settlement.test_settle_api import signed_payment
from tests.settlement.world import MONTH, add_readings, build_grid, close_month

pytestmark = pytest.mark.anvil
SPIKE = 100 * 10**9  # wei per gas: far above the 1 gwei the txs were priced at


class Crashed(Exception):
    """Stands in for a process killed right after broadcasting."""


def closed_world(container: Any, n: int = 5) -> tuple[Any, list[Any]]:
    accounts = [Account.create() for _ in range(n)]
    world = build_grid(container, [a.address for a in accounts])
    add_readings(container, world)
    close_month(container, world)
    return world, accounts


def paid_once(container: Any, world: Any, accounts: list[Any], before: list[int]) -> None:
    """Every credit arrived exactly once and the bitmap marks exactly the credits."""
    chain, run_id = container.chain, f"{world.grid_id}:{MONTH}"
    items = container.documents.collection(ITEMS).find({"run": run_id})
    credits = {i["account"]: int(i["amount_wei"]) for i in items if i["kind"] == "credit"}
    assert credits
    for account, was in zip(accounts, before, strict=True):
        assert chain.balance(account.address) - was == credits.get(account.address, 0)
    pid = bytes.fromhex(container.documents.collection(SETTLEMENTS).get(run_id)["period_id"][2:])
    bits = chain.settled_bits(recorded_contract(container), pid, [i["index"] for i in items])
    assert all(bits[i["index"]] == (i["kind"] == "credit") for i in items)


def test_a_tx_priced_out_by_a_fee_spike_is_replaced_not_duplicated(
    anvil_url: str, sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, container = anvil_stores(anvil_url, sqlite_template, tmp_path)
    world, accounts = closed_world(container)
    chain, txs = container.chain, container.documents.collection(TXS)
    before = [chain.balance(a.address) for a in accounts]

    def crash_point(name: str) -> None:
        if name == "after_broadcast":
            raise Crashed(name)

    monkeypatch.setattr(settlement_txs, "crash_point", crash_point)
    anvil_rpc(container, "evm_setAutomine", False)
    try:
        with pytest.raises(Crashed):
            settle_month(container, world.grid_id, MONTH)
        (root,) = txs.find({"run": f"{world.grid_id}:{MONTH}"})
        anvil_rpc(container, "anvil_setNextBlockBaseFeePerGas", hex(SPIKE))
        anvil_rpc(container, "evm_mine")  # the spike block: the root cannot be included
    finally:
        anvil_rpc(container, "evm_setAutomine", True)
    assert chain.receipt_or_none(root["tx_hash"]) is None
    assert chain.fees().base > SPIKE // 2 > chain.fees().tip
    monkeypatch.setattr(settlement_txs, "crash_point", lambda name: None)
    chain.fee_cap_wei = SPIKE // 2  # the cap forbids paying the spike: wait, send nothing
    with pytest.raises(Unavailable, match="above FEE_CAP_WEI"):
        settle_month(container, world.grid_id, MONTH)
    assert txs.get(root["_id"])["tx_hash"] == root["tx_hash"]
    chain.fee_cap_wei = 10 * SPIKE
    summary = settle_month(container, world.grid_id, MONTH)
    assert summary.status == "settled"
    replaced = txs.get(root["_id"])
    assert replaced["nonce"] == root["nonce"] and replaced["replaced"] == [root["tx_hash"]]
    receipt = chain.receipt_or_none(replaced["tx_hash"])
    assert receipt is not None and receipt["status"] == 1
    mined = chain.w3.eth.get_transaction(replaced["tx_hash"])
    assert mined["maxFeePerGas"] > SPIKE and chain.receipt_or_none(root["tx_hash"]) is None
    assert chain.operator_nonce_latest() == root["nonce"] + 2  # the root, one batch of credits
    paid_once(container, world, accounts, before)
    container.close()


def wait_for(what: Any, timeout_s: float = 60.0, mine: Any = None) -> Any:
    """Poll `what()` until truthy (calling `mine()` between polls); fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        if mine:
            mine()
        time.sleep(0.2)
    raise AssertionError(f"not reached within {timeout_s}s")


def status(runs: Any, run_id: str) -> str | None:
    doc = runs.get(run_id)
    return None if doc is None else str(doc["status"])


def test_a_run_settles_only_when_deep_and_rechecks_a_reorged_receipt(
    anvil_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    _, container = anvil_stores(anvil_url, sqlite_template, tmp_path, CONFIRMATIONS=3)
    world, accounts = closed_world(container)
    chain, run_id = container.chain, f"{world.grid_id}:{MONTH}"
    runs, txs = container.documents.collection(SETTLEMENTS), container.documents.collection(TXS)
    before = [chain.balance(a.address) for a in accounts]
    snapshot = anvil_rpc(container, "evm_snapshot")
    outcome: dict[str, Any] = {}

    def settle() -> None:
        try:
            outcome["summary"] = settle_month(container, world.grid_id, MONTH, batch_size=1)
        except Exception as exc:  # reported by the assertions below
            outcome["error"] = exc

    worker = threading.Thread(target=settle, daemon=True)
    worker.start()
    try:
        wait_for(lambda: "error" in outcome or status(runs, run_id) == "confirming")
        assert "error" not in outcome, outcome
        time.sleep(1.0)  # instant mining: no block on top, so it must still be waiting
        assert runs.get(run_id)["status"] == "confirming" and worker.is_alive()
        first = {t["_id"]: t["block_hash"] for t in txs.find({"run": run_id})}
        assert len(first) >= 3 and all(first.values())
        assert anvil_rpc(container, "evm_revert", snapshot) is True  # every receipt vanishes
        wait_for(lambda: not worker.is_alive(), mine=lambda: anvil_rpc(container, "evm_mine"))
    finally:
        worker.join(60)
    assert "error" not in outcome, outcome
    assert outcome["summary"].status == "settled"
    again = {t["_id"]: t for t in txs.find({"run": run_id})}
    assert again.keys() == first.keys()
    for tx_id, tx in again.items():
        receipt = chain.receipt_or_none(tx["tx_hash"])
        assert receipt is not None and tx["block_hash"] != first[tx_id]  # mined again
        assert chain.ping() - receipt["blockNumber"] >= 3
    paid_once(container, world, accounts, before)
    assert settle_month(container, world.grid_id, MONTH).sent_now == 0
    container.close()


def test_a_payment_not_mined_in_time_is_202_then_paid(
    anvil_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    _, app = anvil_app(anvil_url, sqlite_template, tmp_path, PAYMENT_WAIT_S=0.3)
    container, client = app.extensions["minigrid"], app.test_client()
    world, accounts = closed_world(container)
    assert settle_month(container, world.grid_id, MONTH).status == "settled"
    items = container.documents.collection(ITEMS).find({"run": f"{world.grid_id}:{MONTH}"})
    debit = next(i for i in items if i["kind"] == "debit")
    debtor = next(a for a in accounts if a.address == debit["account"])
    owner = make_key(app, role="prosumer", prosumer_id=debit["prosumer_id"])
    url = f"/api/v1/prosumers/{debit['prosumer_id']}/statements/{MONTH}/payment"
    call = client.get(url, headers=owner).json
    assert call["status"] == "due"
    raw = signed_payment(container.chain, debtor, call)
    anvil_rpc(container, "evm_setAutomine", False)
    try:
        posted = client.post(url, json={"signed_tx": raw}, headers=owner)
        assert posted.status_code == 202, posted.json
        assert posted.headers["Location"] == url == posted.json["status_url"]
        assert posted.json["status"] == "pending"
        pending = client.get(url, headers=owner).json
        assert pending["status"] == "pending" and pending["tx_hash"] == posted.json["tx_hash"]
        anvil_rpc(container, "evm_mine")
    finally:
        anvil_rpc(container, "evm_setAutomine", True)
    assert container.task_queue().drain() == 1  # the task that records the payment
    paid = client.get(url, headers=owner).json
    assert paid["status"] == "paid" and paid["tx_hash"] == posted.json["tx_hash"]
    line = container.documents.collection(ITEMS).get(debit["_id"])
    assert line["status"] == "paid" and line["tx_hash"] == posted.json["tx_hash"]
    assert client.post(url, json={"signed_tx": raw}, headers=owner).status_code == 409
    container.close()
