"""A prosumer's signed debit payment: check, record as pending, broadcast, confirm or hand off.

The request waits at most PAYMENT_WAIT_S for the receipt; after that the payment stays
`pending` (202 with a status URL) and a background command waits up to TX_WAIT_S and records
it `paid`. The contract's bitmap decides at most once; the store only reports.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ledger.errors import LedgerError, LedgerReverted, LedgerUnavailable
from models.services.errors import Conflict, Unavailable, Unprocessable
from models.services.settlement_run import ITEMS, item_key, run_key
from models.services.settlement_views import payment_instructions

log = logging.getLogger("minigrid.settlement")


def submit_payment(
    container: Any, prosumer: Any, grid: Any, month: str, signed_tx: str
) -> dict[str, Any]:
    """Check a prosumer-signed pay_debit, record it pending, broadcast it, await it briefly."""
    expected = payment_instructions(container, prosumer, grid, month)
    if expected["status"] == "paid":
        raise Conflict(f"the {month} debit is already paid")
    chain = container.chain
    try:
        decoded = chain.check_debit_tx(signed_tx, expected)
    except LedgerError as exc:
        raise Unprocessable(str(exc)) from exc
    key = item_key(run_key(grid.id, month), expected["args"]["index"])
    items = container.documents.collection(ITEMS)
    items.update(key, {"status": "pending", "tx_hash": decoded.tx_hash})  # before broadcast
    _broadcast(container, key, decoded.raw, decoded.tx_hash)
    outcome = {"tx_hash": decoded.tx_hash, "status": "paid", "value": expected["value"]}
    try:
        chain.wait_receipt(decoded.tx_hash, float(container.config["PAYMENT_WAIT_S"]))
    except LedgerReverted as exc:
        items.update(key, {"status": "due", "tx_hash": None}, {"tx_hash": decoded.tx_hash})
        raise Conflict(f"the payment reverted: {exc.reason}") from exc
    except LedgerError:  # not mined yet (or the node went quiet): the status URL follows it
        watch_payment(container, key, decoded.tx_hash)
        return {**outcome, "status": "pending"}
    items.update(key, {"status": "paid", "tx_hash": decoded.tx_hash})
    return outcome


def _broadcast(container: Any, key: str, raw: str, tx_hash: str) -> None:
    """Send the payment; if the node does not take it, the line is due again."""
    try:
        container.chain.send_raw(raw)
    except LedgerError as exc:
        items = container.documents.collection(ITEMS)
        items.update(key, {"status": "due", "tx_hash": None}, {"tx_hash": tx_hash})
        if isinstance(exc, LedgerUnavailable):
            raise Unavailable(f"the payment could not be sent: {exc}") from exc
        raise Unprocessable(f"the node refused the payment: {exc}") from exc


def reconcile_payment(container: Any, key: str, tx_hash: str) -> str:
    """Wait (TX_WAIT_S) for a pending payment's receipt and record the outcome; its status."""
    items = container.documents.collection(ITEMS)
    try:
        container.chain.wait_receipt(tx_hash)
    except LedgerReverted:
        items.update(key, {"status": "due", "tx_hash": None}, {"tx_hash": tx_hash})
        return "due"
    except LedgerError:
        return "pending"  # still unknown: the status URL reads the chain, a re-POST retries
    items.update(key, {"status": "paid", "tx_hash": tx_hash}, {"tx_hash": tx_hash})
    return "paid"


def watch_payment(container: Any, key: str, tx_hash: str) -> None:
    """Reconcile a pending payment in a daemon thread of this worker."""

    def work() -> None:
        try:
            reconcile_payment(container, key, tx_hash)
        except Exception:  # the status URL still reads the chain
            log.exception("payment %s not reconciled", key)

    threading.Thread(target=work, daemon=True, name=f"settle-pay-{key}").start()
