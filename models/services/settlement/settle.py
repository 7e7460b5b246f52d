"""Settling a month: plan, record, post the root, pay credits, confirm; resumable.

State lives in the transaction store (collections settlements, settlement_items,
settlement_txs) and is written before each side effect; see `txs` for the tx rules.
A run is keyed by (grid, month), its items by (grid, month, index): a re-run writes the same
keys, reconciles with the contract and sends only what is still missing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from models.domain import settlement_state as st
from models.ports import LedgerError, LedgerReverted, Stores
from models.services.errors import Conflict, NotFound, Unavailable, Unprocessable
from models.services.events import publish
from models.services.settlement.adjusting import claim_corrections, plan_period
from models.services.settlement.depth import deep_enough
from models.services.settlement.lease import claim, release
from models.services.settlement.ledger_status import recorded_contract, require_contract
from models.services.settlement.payments import reconcile_debits
from models.services.settlement.plan import Plan, as_recorded
from models.services.settlement.run import (
    ITEMS,
    SETTLEMENTS,
    TXS,
    Progress,
    Run,
    item_docs,
    now_text,
    run_doc,
    run_key,
)
from models.services.settlement.txs import SettlementFailed, pay_credits, post_root

DEFAULT_BATCH, MAX_BATCH = 200, 500
log = logging.getLogger("minigrid.settlement")

__all__ = ["Summary", "SettlementFailed", "open_run", "resume_run", "settle_month"]


@dataclass(frozen=True)
class Summary:
    """What a run did or (dry run) would do."""

    grid_id: str
    month: str
    status: str
    prosumers: int
    credits: int
    credits_minor: int
    credits_wei: int
    deferred: int
    deferred_minor: int
    debits: int
    debits_minor: int
    zero: int
    gas_used: int
    transactions: int
    sent_now: int
    root: str
    contract: str | None
    chain_id: int | None


def settle_month(
    container: Stores,
    grid_id: str,
    month: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH,
) -> Summary:
    """Settle a grid's month on chain (or, dry run, compute what would be settled)."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise Unprocessable(f"batch size must be 1..{MAX_BATCH}, got {batch_size}")
    plan = plan_period(container, grid_id, month)
    if dry_run:
        return _dry_summary(container, plan)
    run = open_run(container, plan, batch_size, progress)
    return resume_run(run)


def _dry_summary(container: Stores, plan: Plan) -> Summary:
    """The summary of a plan, with nothing written."""
    try:
        contract, chain_id = recorded_contract(container), container.chain.chain_id
    except LedgerError:
        contract, chain_id = None, None
    doc = run_doc(plan, contract, chain_id)
    items = list(item_docs(plan, run_key(plan.grid_id, plan.month)).values())
    return summarize({**doc, "status": st.DRY_RUN}, items, [], 0)


def open_run(
    container: Stores, plan: Plan, batch_size: int = DEFAULT_BATCH, progress: Progress | None = None
) -> Run:
    """Record the run and its items unless present; refuse a different root or contract."""
    contract = require_contract(container)
    run_id = run_key(plan.grid_id, plan.month)
    docs = container.documents
    have = {doc["index"]: doc for doc in docs.collection(ITEMS).find({"run": run_id})}
    plan = as_recorded(plan, docs.collection(SETTLEMENTS).get(run_id), have)
    run = Run(container, plan, contract, batch_size, progress)
    claim_corrections(container, run.id, plan)  # before the run is recorded
    stored = run.collection(SETTLEMENTS).insert_if_absent(
        run.id, run_doc(plan, contract, container.chain.chain_id)
    )
    run.status = stored["status"]
    if stored["root"] != "0x" + plan.root.hex():
        raise Conflict(f"{run.id} was recorded with root {stored['root']}; the books changed")
    if stored["contract"] != contract:
        raise Conflict(
            f"{run.id} was settled against contract {stored['contract']}, which is gone "
            f"(chain reset): it is unverifiable and will not be paid again"
        )
    missing = {k: d for k, d in item_docs(plan, run.id).items() if d["index"] not in have}
    run.collection(ITEMS).put_many(missing)
    run.items = {**{d["index"]: d for d in missing.values()}, **have}
    return run


def resume_run(run: Run) -> Summary:
    """Run the phases still to do, holding the run's lease (a settled run sends nothing), then
    record the debits the contract shows paid."""
    runs = run.collection(SETTLEMENTS)
    if runs.get(run.id)["status"] != st.SETTLED:
        claim(runs, run.id, run.holder)
        try:
            _phases(run)
        finally:
            release(runs, run.id, run.holder)
            publish(run.container)
    try:
        reconcile_debits(run.container, run.plan.grid_id, run.plan.month)
    except LedgerError as exc:  # the debits stay as recorded; the next run records them
        log.warning("debits of %s not reconciled: %s", run.id, exc)
    return stored_summary(run.container, run.id, run.sent)


def _phases(run: Run) -> None:
    """Post the root, pay the credits, wait for confirmations (again after a reorg), record."""
    try:
        run.set_run(error=None)
        while True:
            run.set_run(status=st.POSTING)
            post_root(run)
            run.set_run(status=st.PAYING)
            pay_credits(run)
            run.set_run(status=st.CONFIRMING)
            if deep_enough(run):
                break
        run.set_run(status=st.SETTLED, finished_at=now_text())
    except LedgerReverted as exc:
        message = f"settlement {run.id} stopped: {exc}"
        run.set_run(status=st.FAILED, error=message)
        raise SettlementFailed(message) from exc
    except LedgerError as exc:
        run.set_run(error=str(exc))
        raise Unavailable(f"settlement {run.id} interrupted (re-run to resume): {exc}") from exc


def stored_summary(container: Stores, run_id: str, sent_now: int = 0) -> Summary:
    """The summary of a recorded run."""
    docs = container.documents
    doc = docs.collection(SETTLEMENTS).get(run_id)
    if doc is None:
        raise NotFound(f"no settlement run {run_id}")
    items = docs.collection(ITEMS).find({"run": run_id})
    txs = docs.collection(TXS).find({"run": run_id})
    return summarize(doc, items, txs, sent_now)


def summarize(
    doc: dict[str, Any], items: list[dict[str, Any]], txs: list[dict[str, Any]], sent_now: int
) -> Summary:
    """Counts and totals of a run's items and transactions."""
    credits = [i for i in items if i["kind"] == st.CREDIT]
    debits = [i for i in items if i["kind"] == st.DEBIT]
    deferred = [i for i in credits if i["status"] == st.DEFERRED]
    return Summary(
        grid_id=doc["grid_id"],
        month=doc["month"],
        status=doc["status"],
        prosumers=len(items),
        credits=len(credits),
        credits_minor=sum(i["amount_minor"] for i in credits),
        credits_wei=sum(int(i["amount_wei"]) for i in credits),
        deferred=len(deferred),
        deferred_minor=sum(i["amount_minor"] for i in deferred),
        debits=len(debits),
        debits_minor=-sum(i["amount_minor"] for i in debits),
        zero=len(items) - len(credits) - len(debits),
        gas_used=sum(int(t.get("gas_used") or 0) for t in txs),
        transactions=sum(1 for t in txs if t.get("raw")),
        sent_now=sent_now,
        root=doc["root"],
        contract=doc["contract"],
        chain_id=doc["chain_id"],
    )
