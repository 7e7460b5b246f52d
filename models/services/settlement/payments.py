"""Debit commands: a prosumer's signed payment (check, record pending, broadcast, confirm or
hand off) and the reconciliation that records debits the contract shows paid.

The request waits at most PAYMENT_WAIT_S for the receipt; after that the payment stays
`pending` (202 with a status URL) and a task on the queue waits up to TX_WAIT_S and records
it `paid`. The contract's bitmap decides at most once; the store only reports. Reads (the
status URL, the run status) show the chain's answer live but never write it.
"""

from __future__ import annotations

import logging
from typing import Any

from models.domain import settlement_state as st
from models.ports import (
    GridRecord,
    LedgerError,
    LedgerReverted,
    LedgerUnavailable,
    ProsumerRecord,
    Stores,
)
from models.services.errors import Conflict, Unavailable, Unprocessable
from models.services.events import publish
from models.services.settlement.events import item_event
from models.services.settlement.queries import (
    paid_on_chain,
    payment_instructions,
    unpaid_debits,
    verifiable,
)
from models.services.settlement.run import ITEMS, SETTLEMENTS, item_key, run_key

log = logging.getLogger("minigrid.settlement")
PAYMENT_TASK = "settlement.reconcile_payment"  # run by a worker (settlement/jobs.py)


def submit_payment(
    container: Stores, prosumer: ProsumerRecord, grid: GridRecord, month: str, signed_tx: str
) -> dict[str, Any]:
    """Check a prosumer-signed pay_debit, record it pending, broadcast it, await it briefly."""
    expected = payment_instructions(container, prosumer, grid, month)
    if expected["status"] == st.PAID:
        raise Conflict(f"the {month} debit is already paid")
    chain = container.chain
    try:
        decoded = chain.check_debit_tx(signed_tx, expected)
    except LedgerError as exc:
        raise Unprocessable(str(exc)) from exc
    key = item_key(run_key(grid.id, month), expected["args"]["index"])
    set_debit(container, key, st.PENDING, decoded.tx_hash)  # before broadcast
    _broadcast(container, key, decoded.raw, decoded.tx_hash)
    outcome = {"tx_hash": decoded.tx_hash, "status": st.PAID, "value": expected["value"]}
    try:
        chain.wait_receipt(decoded.tx_hash, float(container.config["PAYMENT_WAIT_S"]))
    except LedgerReverted as exc:
        set_debit(container, key, st.DUE, None, expect_hash=decoded.tx_hash)
        raise Conflict(f"the payment reverted: {exc.reason}") from exc
    except LedgerError:  # not mined yet (or the node went quiet): the status URL follows it
        watch_payment(container, key, decoded.tx_hash)
        return {**outcome, "status": st.PENDING}
    set_debit(container, key, st.PAID, decoded.tx_hash)
    return outcome


def set_debit(
    container: Stores, key: str, status: str, tx_hash: str | None, expect_hash: str | None = None
) -> bool:
    """Move a debit item to `status` (IllegalTransition if not allowed), only while its
    recorded tx hash is `expect_hash` when given; True if written."""
    items = container.documents.collection(ITEMS)
    item = items.get(key)
    if item is None or (expect_hash is not None and item.get("tx_hash") != expect_hash):
        return False
    try:
        st.advance(st.DEBIT, item["status"], status)
    except st.IllegalTransition as exc:
        raise Conflict(f"payment {key}: {exc}") from exc
    expect = {"status": item["status"], "tx_hash": item.get("tx_hash")}
    events = item_event({**item, "tx_hash": tx_hash}, status) if item["status"] != status else []
    applied = bool(items.update(key, {"status": status, "tx_hash": tx_hash}, expect, events=events))
    if applied and events:
        publish(container)
    return applied


def _broadcast(container: Stores, key: str, raw: str, tx_hash: str) -> None:
    """Send the payment; if the node does not take it, the line is due again."""
    try:
        container.chain.send_raw(raw)
    except LedgerError as exc:
        set_debit(container, key, st.DUE, None, expect_hash=tx_hash)
        if isinstance(exc, LedgerUnavailable):
            raise Unavailable(f"the payment could not be sent: {exc}") from exc
        raise Unprocessable(f"the node refused the payment: {exc}") from exc


def reconcile_payment(container: Stores, key: str, tx_hash: str) -> str:
    """Wait (TX_WAIT_S) for a pending payment's receipt and record the outcome; its status."""
    try:
        container.chain.wait_receipt(tx_hash)
    except LedgerReverted:
        set_debit(container, key, st.DUE, None, expect_hash=tx_hash)
        return st.DUE
    except LedgerError:
        return st.PENDING  # still unknown: the status URL reads the chain, a re-POST retries
    set_debit(container, key, st.PAID, tx_hash, expect_hash=tx_hash)
    return st.PAID


def reconcile_debits(container: Stores, grid_id: str, month: str) -> int:
    """Record as `paid` the debits the contract's bitmap marks settled; how many were.

    A command (run by `flask settle` on every run and by the settlement job): reads never
    write. An unverifiable run (its contract is gone) is left as it is.
    """
    doc = container.documents.collection(SETTLEMENTS).get(run_key(grid_id, month))
    if doc is None or not verifiable(container, doc):
        return 0
    items = container.documents.collection(ITEMS)
    unpaid = unpaid_debits(items.find({"run": doc["_id"], "kind": st.DEBIT}))
    paid = paid_on_chain(container, doc, unpaid)
    done = [i for i in unpaid if i["index"] in paid]
    return sum(set_debit(container, i["_id"], st.PAID, i.get("tx_hash")) for i in done)


def watch_payment(container: Stores, key: str, tx_hash: str) -> None:
    """Have a worker record the pending payment once its receipt is there (`jobs`)."""
    container.tasks.enqueue(PAYMENT_TASK, key=key, tx_hash=tx_hash)
