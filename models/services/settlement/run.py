"""A settlement run's recorded state in the transaction store: the run, its items, its txs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from models.domain import settlement_state as st
from models.domain.merkle import merkle_proofs
from models.domain.statements import statement_leaves
from models.domain.timeframes import format_instant
from models.ports import Ledger, Stores
from models.services.clock import aware_utc, utcnow
from models.services.settlement.events import failed_event, item_event, posted_event
from models.services.settlement.lease import new_holder
from models.services.settlement.plan import Plan

SETTLEMENTS, ITEMS, TXS = "settlements", "settlement_items", "settlement_txs"
Progress = Callable[[int, int], None]


def now_text() -> str:
    """The wall clock as an ISO instant."""
    return format_instant(aware_utc(utcnow()))


def hex_text(value: bytes | str) -> str:
    """A hash as 0x-prefixed lowercase hex, whether the node gave bytes or text."""
    return value.lower() if isinstance(value, str) else "0x" + bytes(value).hex()


def run_key(grid_id: str, month: str) -> str:
    return f"{grid_id}:{month}"


def item_key(run_id: str, index: int) -> str:
    return f"{run_id}:{index:06d}"


def run_doc(plan: Plan, contract: str | None, chain_id: int | None) -> dict[str, Any]:
    """The run document as first recorded (status planned)."""
    amounts = [st.amount_minor for st in plan.statements]
    return {
        "grid_id": plan.grid_id,
        "month": plan.month,
        "status": st.advance(st.RUN, None, st.PLANNED),
        "root": "0x" + plan.root.hex(),
        "period_id": "0x" + plan.period_id.hex(),
        "count": len(plan.statements),
        "credits_minor": sum(a for a in amounts if a > 0),
        "debits_minor": -sum(a for a in amounts if a < 0),
        "contract": contract,
        "chain_id": chain_id,
        "wei_per_minor": str(plan.wei_per_minor),
        "started_at": now_text(),
        "finished_at": None,
        "error": None,
        "owner": None,
        "lease_until": None,
        "corrections": list(plan.corrections),
    }


def item_docs(plan: Plan, run_id: str) -> dict[str, dict[str, Any]]:
    """Every statement as a planned item with its Merkle proof (wei as decimal text: it can
    exceed int64)."""
    docs = {}
    proofs = merkle_proofs(statement_leaves(plan.statements))
    for line in plan.statements:
        kind = st.item_kind(line.amount_minor)
        docs[item_key(run_id, line.index)] = {
            "run": run_id,
            "index": line.index,
            "prosumer_id": line.prosumer_id,
            "account": line.account,
            "amount_minor": line.amount_minor,
            "amount_wei": str(plan.wei(line)),
            "kind": kind,
            "status": st.INITIAL[kind],
            "tx_hash": None,
            "proof": ["0x" + p.hex() for p in proofs[line.index]],
        }
        if line.prosumer_id in plan.adjustments:  # corrections settled in this item
            docs[item_key(run_id, line.index)]["adjustments"] = plan.adjustments[line.prosumer_id]
    return docs


@dataclass
class Run:
    """One run in progress: the stores, the chain, the items in memory."""

    container: Stores
    plan: Plan
    contract: str
    batch_size: int
    progress: Progress | None
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    status: str = st.PLANNED  # the stored run's status, kept in step by set_run
    sent: int = 0
    holder: str = field(default_factory=new_holder)

    @property
    def id(self) -> str:
        return run_key(self.plan.grid_id, self.plan.month)

    @property
    def chain(self) -> Ledger:
        ledger: Ledger = self.container.chain
        return ledger

    def collection(self, name: str) -> Any:
        return self.container.documents.collection(name)

    def set_run(self, **changes: Any) -> None:
        """Update the run document; a status change must be allowed (IllegalTransition)."""
        events = []
        if "status" in changes:
            self.status = st.advance(st.RUN, self.status, changes["status"])
            if self.status == st.FAILED:
                events = failed_event(self.id, changes.get("error"))
        self.collection(SETTLEMENTS).update(self.id, changes, events=events)

    def set_items(self, indices: Iterable[int], **changes: Any) -> None:
        """Update items in memory and in the store in one write; status changes are checked
        for every item before anything is written."""
        indices = list(indices)
        if "status" in changes:
            for index in indices:
                item = self.items[index]
                st.advance(item["kind"], item["status"], changes["status"])
        docs, events = {}, {}
        for index in indices:
            self.items[index].update(changes)
            key = item_key(self.id, index)
            docs[key] = self.items[index]
            if "status" in changes:
                events[key] = item_event(self.items[index], changes["status"])
        if docs:
            self.collection(ITEMS).put_many(docs, events=events)

    def credits(self, *statuses: str) -> list[int]:
        """Indices of credit items, optionally only those in `statuses`."""
        return sorted(
            i
            for i, doc in self.items.items()
            if doc["kind"] == st.CREDIT and (not statuses or doc["status"] in statuses)
        )

    def report(self) -> None:
        """Tell the progress callback how many credits are settled (paid or deferred)."""
        if self.progress:
            self.progress(len(self.credits(*st.CREDIT_DONE)), len(self.credits()))


def set_tx(
    run: Run, tx: dict[str, Any] | None, tx_id: str, status: str, changes: dict[str, Any]
) -> None:
    """Record a transaction's new status and `changes` (checked against `tx`, its recorded doc,
    or None: then `changes` is the new doc)."""
    st.advance(st.TX, None if tx is None else tx["status"], status)
    kind = changes.get("kind") or (tx or {}).get("kind")
    events = []
    if kind == "root" and status == st.CONFIRMED:
        tx_hash = changes.get("tx_hash", (tx or {}).get("tx_hash"))
        events = posted_event(run.collection(SETTLEMENTS).get(run.id), tx_hash)
    if tx is None:
        run.collection(TXS).put(tx_id, {"run": run.id, **changes, "status": status}, events)
    else:
        run.collection(TXS).update(tx_id, {**changes, "status": status}, events=events)
