"""Posting a run's root and paying its credits: record before every send, reconcile before any.

Every transaction is signed locally with an explicit nonce, recorded as `sent` with its raw
bytes, hash and nonce, then broadcast, then awaited. A recorded `sent` tx is resolved before
anything new is signed: mined -> confirmed (or failed if reverted; a credit the contract could
not push is `deferred`: owed on chain, claimable by its account); unmined with its nonce still
free -> the same raw tx is rebroadcast, or, if a fee spike prices it out, replaced by the same
call and nonce with higher fees (recorded first; every version's hash is kept and checked);
nonce used by another tx -> the contract's bitmap decides.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from models.domain import settlement_state as st
from models.ports import LedgerError, LedgerReverted, LedgerTimeout, Receipt
from models.services.crashpoints import crash_point
from models.services.errors import Conflict
from models.services.settlement.lease import renew
from models.services.settlement.run import SETTLEMENTS, TXS, Run, hex_text, now_text, set_tx


class SettlementFailed(Conflict):
    """A settlement transaction reverted; the run stopped and nothing was marked paid."""

    slug, title = "settlement-failed", "Settlement transaction failed"


def _txs(run: Run) -> Any:
    return run.collection(TXS)


def _fail(run: Run, tx_id: str, indices: list[int], exc: LedgerReverted) -> SettlementFailed:
    """Record a reverted tx (if it was recorded) as failed, its items planned, the run failed."""
    message = f"settlement {run.id} stopped: {exc}"
    tx = _txs(run).get(tx_id)
    if tx is not None:
        set_tx(run, tx, tx_id, st.FAILED, {"error": str(exc)})
    run.set_items(indices, status=st.PLANNED, tx_hash=None)
    run.set_run(status=st.FAILED, error=message)
    return SettlementFailed(message)


def _deferred(run: Run, indices: list[int], from_block: int) -> list[int]:
    """Those of `indices` whose credit the contract deferred (CreditDeferred since a block)."""
    if not indices:
        return []
    owed = run.chain.deferred(run.contract, run.plan.period_id, from_block)
    return [i for i in indices if i in owed]


def _mark_paid(run: Run, indices: list[int], from_block: int, tx_hash: str | None) -> None:
    """Settled items: `deferred` if the contract owes the credit instead, else `confirmed`."""
    deferred = _deferred(run, indices, from_block)
    paid = [i for i in indices if i not in deferred]
    run.set_items(paid, status=st.CONFIRMED, tx_hash=tx_hash)
    run.set_items(deferred, status=st.DEFERRED, tx_hash=tx_hash)


def _confirm(run: Run, tx_id: str, tx: dict[str, Any], receipt: Receipt) -> None:
    """Mark a mined tx's items confirmed (or deferred), then the tx itself."""
    _mark_paid(run, tx["indices"], int(receipt["blockNumber"]), tx["tx_hash"])
    set_tx(
        run,
        tx,
        tx_id,
        st.CONFIRMED,
        {
            "gas_used": int(receipt["gasUsed"]),
            "block_number": int(receipt["blockNumber"]),
            "block_hash": hex_text(receipt["blockHash"]),
            "confirmed_at": now_text(),
        },
    )
    crash_point("after_confirm")
    run.report()


RECHECK_S = 5.0  # while waiting: how often to rebroadcast, and replace an underpriced tx


def _receipt_any(run: Run, tx: dict[str, Any]) -> tuple[str, Receipt] | None:
    """(hash, receipt) of whichever of the tx's versions (it and those it replaced) was mined."""
    for tx_hash in [tx["tx_hash"], *tx.get("replaced", [])]:
        receipt = run.chain.receipt_or_none(tx_hash)
        if receipt is not None:
            return tx_hash, receipt
    return None


def _adopt(run: Run, tx_id: str, tx: dict[str, Any], tx_hash: str) -> dict[str, Any]:
    """Make the mined version of a replaced tx its recorded hash."""
    if tx_hash == tx["tx_hash"]:
        return tx
    _txs(run).update(tx_id, {"tx_hash": tx_hash})
    run.set_items(tx["indices"], tx_hash=tx_hash)
    return {**tx, "tx_hash": tx_hash}


def _rebroadcast(run: Run, tx_id: str, tx: dict[str, Any]) -> dict[str, Any]:
    """Broadcast a sent tx again; if a fee spike prices it out, replace it first (same nonce,
    higher fees), recorded before it is broadcast like every tx."""
    signed = run.chain.replacement(tx["raw"])
    if signed is not None:
        changes = {
            "raw": signed.raw,
            "tx_hash": signed.tx_hash,
            "replaced": [*tx.get("replaced", []), tx["tx_hash"]],
        }
        _txs(run).update(tx_id, changes)
        run.set_items(tx["indices"], tx_hash=signed.tx_hash)
        tx = {**tx, **changes}
        crash_point("after_record_replacement")
    run.chain.send_raw(tx["raw"])
    return tx


def _await(run: Run, tx_id: str, tx: dict[str, Any]) -> bool:
    """Wait (TX_WAIT_S) for the tx to be mined and confirm it, rebroadcasting it (replaced when
    underpriced) every RECHECK_S; False if its nonce went to another transaction."""
    chain = run.chain
    deadline = time.monotonic() + chain.tx_wait_s
    while True:
        try:
            left = max(deadline - time.monotonic(), 0.01)
            receipt = chain.wait_receipt(tx["tx_hash"], min(RECHECK_S, left))
        except LedgerReverted as exc:
            raise _fail(run, tx_id, tx["indices"], exc) from exc
        except LedgerTimeout:
            nonce_used = chain.operator_nonce_latest() > tx["nonce"]
            found = _receipt_any(run, tx)
            if found is not None:
                tx = _adopt(run, tx_id, tx, found[0])
                continue
            if nonce_used:
                return False
            if time.monotonic() >= deadline:
                raise
            renew(run.collection(SETTLEMENTS), run.id, run.holder)
            tx = _rebroadcast(run, tx_id, tx)
            continue
        _confirm(run, tx_id, tx, receipt)
        return True


def _nonce_lost(run: Run, tx_id: str, tx: dict[str, Any]) -> bool:
    set_tx(run, tx, tx_id, st.FAILED, {"error": "nonce used by another transaction"})
    return False


def resolve_sent(run: Run, tx_id: str, tx: dict[str, Any]) -> bool:
    """Finish a recorded `sent` tx; False if its nonce went to another tx (outcome: the chain's)."""
    chain = run.chain
    nonce_used = chain.operator_nonce_latest() > tx["nonce"]
    found = _receipt_any(run, tx)
    if found is not None:
        tx = _adopt(run, tx_id, tx, found[0])
    elif nonce_used:
        return _nonce_lost(run, tx_id, tx)
    else:
        tx = _rebroadcast(run, tx_id, tx)
        crash_point("after_broadcast")
    return _await(run, tx_id, tx) or _nonce_lost(run, tx_id, tx)


def send_new(
    run: Run, tx_id: str, kind: str, indices: list[int], sign: Callable[[int], Any]
) -> None:
    """Sign with the next operator nonce, record it, broadcast it, await it, confirm it."""
    renew(run.collection(SETTLEMENTS), run.id, run.holder)
    nonce = run.chain.nonce_manager().next()
    try:
        signed = sign(nonce)
    except LedgerReverted as exc:  # the node refused to estimate: it would revert
        raise _fail(run, tx_id, indices, exc) from exc
    tx = {
        "run": run.id,
        "kind": kind,
        "nonce": signed.nonce,
        "raw": signed.raw,
        "tx_hash": signed.tx_hash,
        "indices": indices,
        "sent_at": now_text(),
    }
    set_tx(run, _txs(run).get(tx_id), tx_id, st.SENT, tx)
    tx["status"] = st.SENT
    run.set_items(indices, status=st.SENT, tx_hash=signed.tx_hash)
    run.sent += 1
    crash_point("after_record_sent")
    run.chain.send_raw(signed.raw)
    crash_point("after_broadcast")
    if not _await(run, tx_id, tx):
        raise LedgerError(f"the nonce of {tx_id} went to another transaction; resume reconciles")


def post_root(run: Run) -> None:
    """Post the period's root once: reconcile a recorded tx and the contract first."""
    plan, chain = run.plan, run.chain
    tx_id = f"{run.id}:root"
    tx = _txs(run).get(tx_id)
    if tx is not None and tx["status"] == st.SENT and resolve_sent(run, tx_id, tx):
        return
    state = chain.period_state(run.contract, plan.period_id)
    if state["posted"]:
        if state["root"] != "0x" + plan.root.hex():
            raise Conflict(f"the chain holds root {state['root']} for {run.id}, not this one")
        tx = _txs(run).get(tx_id)
        if tx is None or tx["status"] != st.CONFIRMED:
            found: dict[str, Any] = {
                "kind": "root",
                "indices": [],
                "tx_hash": None,
                "note": "found on chain",
            }
            set_tx(run, tx, tx_id, st.CONFIRMED, found)
        return
    count = len(plan.statements)

    def sign(nonce: int) -> Any:
        return chain.post_root(
            run.contract, plan.period_id, plan.root, count, plan.wei_per_minor, nonce
        )

    send_new(run, tx_id, "root", [], sign)


def _reconcile_bitmap(run: Run, indices: list[int]) -> None:
    """Items the contract already marks settled are confirmed or deferred; unsettled ones replanned.

    Their recorded tx was not mined (another tx paid them), so its hash is dropped, not shown.
    """
    if not indices:
        return
    bits = run.chain.settled_bits(run.contract, run.plan.period_id, indices)
    _mark_paid(run, [i for i in indices if bits[i]], 0, None)
    run.set_items([i for i in indices if not bits[i]], status=st.PLANNED, tx_hash=None)


def pay_credits(run: Run) -> None:
    """Resolve recorded batches, reconcile with the bitmap, then pay the rest in batches."""
    txs = _txs(run)
    for tx in txs.find({"run": run.id, "kind": "batch", "status": st.SENT}, sort=[("nonce", 1)]):
        if not resolve_sent(run, tx["_id"], tx):
            _reconcile_bitmap(run, tx["indices"])
    _reconcile_bitmap(run, run.credits(st.PLANNED, st.SENT))
    run.report()
    pending = run.credits(st.PLANNED)
    number = txs.count({"run": run.id, "kind": "batch"})
    for first in range(0, len(pending), run.batch_size):
        indices = pending[first : first + run.batch_size]
        items = [(i, run.items[i]["account"], int(run.items[i]["amount_wei"])) for i in indices]

        def sign(nonce: int, items: list[tuple[int, str, int]] = items) -> Any:
            return run.chain.pay_credits(run.contract, run.plan.period_id, items, nonce)

        send_new(run, f"{run.id}:batch:{number}", "batch", indices, sign)
        number += 1
