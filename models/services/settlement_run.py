"""A settlement run's recorded state in the transaction store: the run, its items, its txs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from models.domain.timeframes import format_instant
from models.services.clock import aware_utc, utcnow
from models.services.settlement_lease import new_holder
from models.services.settlement_plan import Plan

SETTLEMENTS, ITEMS, TXS = "settlements", "settlement_items", "settlement_txs"
Progress = Callable[[int, int], None]


def now_text() -> str:
    """The wall clock as an ISO instant."""
    return format_instant(aware_utc(utcnow()))


def run_key(grid_id: str, month: str) -> str:
    return f"{grid_id}:{month}"


def item_key(run_id: str, index: int) -> str:
    return f"{run_id}:{index:06d}"


def item_kind(amount_minor: int) -> str:
    return "credit" if amount_minor > 0 else "debit" if amount_minor < 0 else "zero"


INITIAL_STATUS = {"credit": "planned", "debit": "due", "zero": "confirmed"}
# A settled credit: paid to the wallet, or refused by it and owed on chain (claim_owed).
SETTLED = ("confirmed", "deferred")


def run_doc(plan: Plan, contract: str | None, chain_id: int | None) -> dict[str, Any]:
    """The run document as first recorded (status planned)."""
    amounts = [st.amount_minor for st in plan.statements]
    return {
        "grid_id": plan.grid_id,
        "month": plan.month,
        "status": "planned",
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
    }


def item_docs(plan: Plan, run_id: str) -> dict[str, dict[str, Any]]:
    """Every statement as a planned item (wei as decimal text: it can exceed int64)."""
    docs = {}
    for st in plan.statements:
        kind = item_kind(st.amount_minor)
        docs[item_key(run_id, st.index)] = {
            "run": run_id,
            "index": st.index,
            "prosumer_id": st.prosumer_id,
            "account": st.account,
            "amount_minor": st.amount_minor,
            "amount_wei": str(plan.wei(st)),
            "kind": kind,
            "status": INITIAL_STATUS[kind],
            "tx_hash": None,
        }
    return docs


@dataclass
class Run:
    """One run in progress: the stores, the chain, the items in memory."""

    container: Any
    plan: Plan
    contract: str
    batch_size: int
    progress: Progress | None
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    sent: int = 0
    holder: str = field(default_factory=new_holder)

    @property
    def id(self) -> str:
        return run_key(self.plan.grid_id, self.plan.month)

    @property
    def chain(self) -> Any:
        return self.container.chain

    def collection(self, name: str) -> Any:
        return self.container.documents.collection(name)

    def set_run(self, **changes: Any) -> None:
        """Update the run document."""
        self.collection(SETTLEMENTS).update(self.id, changes)

    def set_items(self, indices: Iterable[int], **changes: Any) -> None:
        """Update items in memory and in the store in one write."""
        docs = {}
        for index in indices:
            self.items[index].update(changes)
            docs[item_key(self.id, index)] = self.items[index]
        if docs:
            self.collection(ITEMS).put_many(docs)

    def credits(self, *statuses: str) -> list[int]:
        """Indices of credit items, optionally only those in `statuses`."""
        return sorted(
            i
            for i, doc in self.items.items()
            if doc["kind"] == "credit" and (not statuses or doc["status"] in statuses)
        )

    def report(self) -> None:
        """Tell the progress callback how many credits are settled (paid or deferred)."""
        if self.progress:
            self.progress(len(self.credits(*SETTLED)), len(self.credits()))
