"""Confirmations: a run is `settled` once its transactions are CONFIRMATIONS blocks deep.

Receipts are re-read, not trusted: a tx whose receipt vanished or moved to another block (a
reorg) goes back to `sent` with its items, and the run's reconciliation resolves it again
(its recorded raw bytes and nonce make that a rebroadcast, never a second payment).
"""

from __future__ import annotations

import time
from typing import Any

from models.domain import settlement_state as st
from models.ports import LedgerTimeout
from models.services.settlement.lease import renew
from models.services.settlement.run import SETTLEMENTS, TXS, Run, hex_text, set_tx

POLL_S = 0.5


def _moved(run: Run, tx: dict[str, Any]) -> bool:
    """Whether the tx's recorded receipt is gone or now in another block."""
    receipt = run.chain.receipt_or_none(tx["tx_hash"])
    if receipt is None:
        return True
    recorded = tx.get("block_hash")
    return recorded is not None and hex_text(receipt["blockHash"]) != recorded


def _reopen(run: Run, tx: dict[str, Any]) -> None:
    """Put a reorged tx and its items back to `sent`, to be resolved again."""
    set_tx(run, tx, tx["_id"], st.SENT, {"block_hash": None})
    run.set_items(tx["indices"], status=st.SENT, tx_hash=tx["tx_hash"])


def deep_enough(run: Run) -> bool:
    """Wait (TX_WAIT_S) until every confirmed tx is CONFIRMATIONS blocks deep; False as soon
    as one was reorged away (reopened: the caller reconciles, then asks again)."""
    need = int(run.container.config.get("CONFIRMATIONS", 0))
    deadline = time.monotonic() + run.chain.tx_wait_s
    while True:
        txs = run.collection(TXS).find({"run": run.id, "status": st.CONFIRMED})
        mined = [t for t in txs if t.get("tx_hash")]
        moved = [t for t in mined if _moved(run, t)]
        for tx in moved:
            _reopen(run, tx)
        if moved:
            return False
        head = run.chain.ping()
        shallow = [t for t in mined if head - int(t.get("block_number") or 0) < need]
        if not shallow:
            return True
        if time.monotonic() >= deadline:
            raise LedgerTimeout(f"{len(shallow)} transactions not {need} blocks deep in time")
        renew(run.collection(SETTLEMENTS), run.id, run.holder)
        time.sleep(POLL_S)
