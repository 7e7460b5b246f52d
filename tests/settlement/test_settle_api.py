"""The settlement API on eth-tester: start a run, read it, verify a proof, pay a debit once."""

from __future__ import annotations

import hashlib
from typing import Any

from models.domain.merkle import verify_proof
from tests.conftest import make_key
from tests.settlement.world import MONTH, refusing_world


def signed_payment(chain: Any, account: Any, call: dict[str, Any]) -> str:
    """The prosumer signs the instructions (funding its wallet first, as a dev account would)."""
    nonce = chain.nonce_manager().next()
    chain.wait_receipt(chain.send_raw(chain.sign_transfer(account.address, 10**18, nonce).raw))
    base = int(chain.w3.eth.get_block("latest")["baseFeePerGas"])
    tx = {
        "to": call["to"],
        "data": call["data"],
        "value": int(call["value"]),
        "chainId": call["chain_id"],
        "nonce": 0,
        "gas": 300_000,
        "maxFeePerGas": 2 * base + 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    return "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()


def test_settle_over_http_then_pay_a_debit_once(app, client, admin, container, world, accounts):
    url = f"/api/v1/grids/{world.grid_id}/settlements"
    started = client.post(url, json={"month": MONTH}, headers=admin)
    assert started.status_code == 202, started.json
    assert container.task_queue().drain() == 1  # a worker runs the queued settlement
    status = client.get(started.headers["Location"], headers=admin)
    assert status.status_code == 200 and status.json["status"] == "settled"
    assert client.post(url, json={"month": MONTH}, headers=admin).status_code == 200
    debit = next(line for line in status.json["lines"] if line["kind"] == "debit")
    index = debit["index"]
    owner = make_key(app, role="prosumer", prosumer_id=debit["prosumer_id"])
    base = f"/api/v1/prosumers/{debit['prosumer_id']}/statements/{MONTH}"
    statement = client.get(base, headers=owner).json
    leaf, proof = bytes.fromhex(statement["leaf"][2:]), statement["proof"]
    assert verify_proof(
        leaf, [bytes.fromhex(p[2:]) for p in proof], bytes.fromhex(statement["root"][2:])
    )
    assert statement["on_chain"] == {"root_posted": True, "root_matches": True, "settled": False}
    raw_leaf = bytes.fromhex(statement["encoding"]["leaf_bytes"][2:])
    assert hashlib.sha256(hashlib.sha256(raw_leaf).digest()).digest() == leaf
    words = [raw_leaf[i : i + 32] for i in range(0, 160, 32)]
    assert int.from_bytes(words[1], "big") == statement["encoding"]["period_number"]
    assert int.from_bytes(words[4], "big", signed=True) == debit["amount_minor"]
    call = client.get(base + "/payment", headers=owner).json
    assert call["status"] == "due" and call["tx_hash"] is None
    assert int(call["value"]) == -debit["amount_minor"] * 10**13
    chain = container.chain
    account = accounts[[a.address for a in accounts].index(debit["account"])]
    wrong = dict(call, value=str(int(call["value"]) + 1))
    bad = client.post(
        base + "/payment", json={"signed_tx": signed_payment(chain, account, wrong)}, headers=owner
    )
    assert bad.status_code == 422 and "value" in bad.json["detail"]
    raw = signed_payment(chain, account, call)
    paid = client.post(base + "/payment", json={"signed_tx": raw}, headers=owner)
    assert paid.status_code == 200, paid.json
    assert paid.json["status"] == "paid" and paid.json["status_url"] == base + "/payment"
    after = client.get(base + "/payment", headers=owner).json
    assert after["status"] == "paid" and after["tx_hash"] == paid.json["tx_hash"]
    again = client.post(base + "/payment", json={"signed_tx": raw}, headers=owner)
    assert again.status_code == 409 and "already paid" in again.json["detail"]  # paid once
    status = client.get(started.headers["Location"], headers=admin).json
    assert status["lines"][index]["status"] == "paid" and status["totals"]["debits_paid"] == 1


def test_month_is_validated_and_open_months_conflict(client, admin, grid, container) -> None:
    url = f"/api/v1/grids/{grid['id']}/settlements"
    assert client.post(url, json={"month": "2026-13"}, headers=admin).status_code == 400
    conflict = client.post(url, json={"month": "2026-10"}, headers=admin)
    assert (
        conflict.status_code == 409 and conflict.json["open_count"] == 31 * 96 + 4
    )  # Stockholm: DST ends Oct 25


def test_readiness_names_a_missing_contract(app, client) -> None:
    ready = client.get("/health/ready")
    assert ready.status_code == 503 and "flask ledger deploy" in ready.json["detail"]


def test_a_deferred_credit_shows_in_status_and_statement(client, admin, container, accounts):
    world, refuser = refusing_world(container, accounts)
    url = f"/api/v1/grids/{world.grid_id}/settlements"
    started = client.post(url, json={"month": MONTH}, headers=admin)
    assert started.status_code == 202, started.json
    assert container.task_queue().drain() == 1  # a worker runs the queued settlement
    status = client.get(started.headers["Location"], headers=admin).json
    assert status["status"] == "settled" and status["totals"]["credits_deferred"] == 1
    (line,) = [x for x in status["lines"] if x["status"] == "deferred"]
    assert line["account"] == refuser and line["kind"] == "credit"
    assert status["deferred_wei"] == line["amount_wei"]
    assert status["totals"]["credits_paid"] == sum(
        1 for x in status["lines"] if x["kind"] == "credit" and x["status"] == "confirmed"
    )
    base = f"/api/v1/prosumers/{line['prosumer_id']}/statements/{MONTH}"
    statement = client.get(base, headers=admin).json
    assert statement["status"] == "deferred" and statement["on_chain"]["settled"] is True
    assert statement["owed_wei"] == line["amount_wei"] != "0"
    paid = next(x for x in status["lines"] if x["status"] == "confirmed" and x["kind"] == "credit")
    other = client.get(f"/api/v1/prosumers/{paid['prosumer_id']}/statements/{MONTH}", headers=admin)
    assert other.json["status"] == "confirmed" and other.json["owed_wei"] == "0"
