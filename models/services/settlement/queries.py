"""Reading settlements (queries: they never write or broadcast): run status with lines, a
prosumer's statement and stored proof, the debit payment a prosumer signs."""

from __future__ import annotations

from typing import Any

from models.domain import settlement_state as st
from models.domain.adjustments import is_adjustments_period
from models.domain.merkle import merkle_proofs, verify_proof
from models.domain.statements import (
    Statement,
    grid_key,
    leaf_bytes,
    leaf_hash,
    period_number,
    statement_leaves,
)
from models.domain.timeframes import format_instant
from models.ports import GridRecord, LedgerError, ProsumerRecord, Stores
from models.services.errors import Conflict, NotFound
from models.services.plant import imports_between
from models.services.settlement.ledger_status import recorded_contract
from models.services.settlement.plan import month_range
from models.services.settlement.run import ITEMS, SETTLEMENTS, TXS, run_key


def _run(container: Stores, grid_id: str, month: str) -> dict[str, Any]:
    doc: dict[str, Any] | None = container.documents.collection(SETTLEMENTS).get(
        run_key(grid_id, month)
    )
    if doc is None:
        raise NotFound(f"no settlement of {month} for grid {grid_id}")
    return doc


def verifiable(container: Stores, doc: dict[str, Any]) -> bool:
    """Whether the run's contract is still the recorded one on this chain and has code."""
    try:
        chain = container.chain
        if doc["chain_id"] != chain.chain_id or recorded_contract(container) != doc["contract"]:
            return False
        return bool(chain.has_code(doc["contract"]))
    except LedgerError:
        return False


def unpaid_debits(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Debit items the store does not yet record as paid."""
    return [i for i in items if i["kind"] == st.DEBIT and i["status"] in (st.DUE, st.PENDING)]


def paid_on_chain(container: Stores, doc: dict[str, Any], items: list[dict[str, Any]]) -> set[int]:
    """Indices of `items` the contract's bitmap marks settled (a read of the chain)."""
    if not items:
        return set()
    bits = container.chain.settled_bits(doc["contract"], root_pid(doc), [i["index"] for i in items])
    return {i["index"] for i in items if bits[i["index"]]}


def _live_debits(container: Stores, doc: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """Show debits the contract marks settled as `paid` (in these copies; the store is left to
    the reconcile command)."""
    paid = paid_on_chain(container, doc, unpaid_debits(items))
    for item in items:
        if item["index"] in paid:
            item["status"] = st.PAID


def run_status(
    container: Stores, grid_id: str, month: str, skip: int, limit: int
) -> dict[str, Any]:
    """The run with its transactions and a page of its lines (debit status live from chain)."""
    doc = _run(container, grid_id, month)
    docs = container.documents
    items = docs.collection(ITEMS).find({"run": doc["_id"]}, sort=[("index", 1)])
    ok = verifiable(container, doc)
    if ok and doc["status"] in (st.PAYING, st.CONFIRMING, st.SETTLED, st.FAILED):
        _live_debits(container, doc, items)
    txs = docs.collection(TXS).find({"run": doc["_id"]}, sort=[("nonce", 1)])
    status = doc["status"] if ok else st.UNVERIFIABLE
    credits = [i for i in items if i["kind"] == st.CREDIT]
    deferred = [i for i in credits if i["status"] == st.DEFERRED]
    totals = {
        "credits_paid": sum(1 for i in credits if i["status"] == st.CONFIRMED),
        "credits_deferred": len(deferred),
        "debits_due": sum(1 for i in items if i["status"] == st.DUE),
        "debits_pending": sum(1 for i in items if i["status"] == st.PENDING),
        "debits_paid": sum(1 for i in items if i["status"] == st.PAID),
    }
    return {
        **doc,
        "status": status,
        "verifiable": ok,
        "totals": totals,
        "deferred_wei": str(sum(int(i["amount_wei"]) for i in deferred)),
        "transactions": [
            {k: t.get(k) for k in ("kind", "nonce", "tx_hash", "status", "gas_used")} for t in txs
        ],
        "lines": items[skip : skip + limit],
        "total_lines": len(items),
    }


def _statement(grid_id: str, month: str, item: dict[str, Any]) -> Statement:
    return Statement(
        grid_id, month, item["index"], item["prosumer_id"], item["account"], item["amount_minor"]
    )


def _proof(container: Stores, doc: dict[str, Any], item: dict[str, Any], month: str) -> list[bytes]:
    """The item's proof as stored at plan time (recomputed only for runs recorded before)."""
    if "proof" in item:
        return [bytes.fromhex(p[2:]) for p in item["proof"]]
    items = container.documents.collection(ITEMS).find({"run": doc["_id"]}, sort=[("index", 1)])
    leaves = statement_leaves(_statement(doc["grid_id"], month, i) for i in items)
    return merkle_proofs(leaves)[item["index"]]


def _statement_of(container: Stores, grid_id: str, month: str, prosumer_id: str) -> tuple[Any, ...]:
    """(run doc, the prosumer's item, statement, leaf, proof) from the recorded items."""
    doc = _run(container, grid_id, month)
    mine = container.documents.collection(ITEMS).find(
        {"run": doc["_id"], "prosumer_id": prosumer_id}
    )
    if not mine:
        raise NotFound(f"prosumer {prosumer_id} has no statement for {month}")
    statement = _statement(grid_id, month, mine[0])
    return doc, mine[0], statement, leaf_hash(statement), _proof(container, doc, mine[0], month)


def prosumer_statement(
    container: Stores, prosumer: ProsumerRecord, grid: GridRecord, month: str
) -> dict[str, Any]:
    """Statement, per-timeframe lines, leaf, proof and on-chain status of one prosumer."""
    doc, item, statement, leaf, proof = _statement_of(container, grid.id, month, prosumer.id)
    lines: list[dict[str, Any]] = []  # an adjustments-only period has no trades of its own
    imports = {"imported_wh": 0, "carbon_g": 0}  # nor imports: they stay in their month's statement
    if not is_adjustments_period(month):
        start, end = month_range(grid, month)
        lines = container.documents.transactions.per_timeframe(
            grid.id, format_instant(start), format_instant(end), prosumer.id
        )
        imports = imports_between(container, grid.id, prosumer.id, start, end)
    ok = verifiable(container, doc)
    root = bytes.fromhex(doc["root"][2:])
    onchain = {"root_posted": False, "root_matches": False, "settled": False}
    owed: str | None = None
    if ok:
        state = container.chain.period_state(doc["contract"], bytes.fromhex(doc["period_id"][2:]))
        onchain["root_posted"] = state["posted"]
        onchain["root_matches"] = state["root"] == doc["root"]
        bits = container.chain.settled_bits(doc["contract"], root_pid(doc), [item["index"]])
        onchain["settled"] = bits[item["index"]]
        owed = str(container.chain.owed(doc["contract"], item["account"]))
    return {
        **{
            k: item[k]
            for k in ("index", "prosumer_id", "account", "amount_minor", "kind", "status")
        },
        "month": month,
        "amount_wei": item["amount_wei"],
        **imports,  # not in the leaf
        "lines": lines,
        "adjustments": item.get("adjustments", []),  # corrections settled in this statement
        "encoding": {
            "grid_key": "0x" + grid_key(grid.id).hex(),
            "period_number": period_number(month),
            "leaf_bytes": "0x" + leaf_bytes(statement).hex(),
            "leaf": "sha256(sha256(leaf_bytes)); pairs: sha256(min(a,b) || max(a,b))",
        },
        "leaf": "0x" + leaf.hex(),
        "proof": ["0x" + p.hex() for p in proof],
        "proof_valid": verify_proof(leaf, proof, root),
        "root": doc["root"],
        "period_id": doc["period_id"],
        "contract": doc["contract"],
        "chain_id": doc["chain_id"],
        "on_chain": onchain,
        "owed_wei": owed,
        "verifiable": ok,
    }


def root_pid(doc: dict[str, Any]) -> bytes:
    """The run's period id as bytes."""
    return bytes.fromhex(doc["period_id"][2:])


def payment_instructions(
    container: Stores, prosumer: ProsumerRecord, grid: GridRecord, month: str
) -> dict[str, Any]:
    """The exact pay_debit call a prosumer signs, with its status: due, pending or paid.

    Read only: `paid` comes from the contract's bitmap (the chain decides), `pending` and its
    tx_hash from the store (a signed payment was accepted; its receipt was not there yet).
    """
    doc, item, _, _, proof = _statement_of(container, grid.id, month, prosumer.id)
    if item["kind"] != st.DEBIT:
        raise Conflict(f"the {month} statement is a {item['kind']}, not a debit: nothing to pay")
    if not verifiable(container, doc):
        raise Conflict(f"the {month} settlement is unverifiable: its contract is gone")
    chain = container.chain
    if not chain.period_state(doc["contract"], root_pid(doc))["posted"]:
        raise Conflict(f"the {month} root is not on chain yet")
    paid = chain.settled_bits(doc["contract"], root_pid(doc), [item["index"]])[item["index"]]
    wei = int(doc["wei_per_minor"])
    call = chain.debit_call(
        doc["contract"],
        grid_key(grid.id),
        period_number(month),
        item["index"],
        item["account"],
        item["amount_minor"],
        wei,
        proof,
    )
    args = {
        "grid_key": "0x" + grid_key(grid.id).hex(),
        "period_number": period_number(month),
        "index": item["index"],
        "amount_minor": item["amount_minor"],
        "wei_per_minor": str(wei),
        "proof": ["0x" + p.hex() for p in proof],
    }
    status = st.PAID if paid else st.PENDING if item["status"] == st.PENDING else st.DUE
    return {
        **call,
        "value": str(call["value"]),
        "function": "pay_debit",
        "args": args,
        "status": status,
        "tx_hash": item.get("tx_hash") if status != st.DUE else None,
    }
