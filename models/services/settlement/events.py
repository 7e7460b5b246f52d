"""The settlement's domain events, each written with the document change it reports."""

from __future__ import annotations

from typing import Any

from models.domain import events as ev
from models.ports import Doc
from models.services.events import doc_event

ITEM_EVENTS = {"confirmed": ev.CREDIT_PAID, "deferred": ev.CREDIT_DEFERRED, "paid": ev.DEBIT_PAID}


def _split(run_id: str) -> tuple[str, str]:
    grid_id, _, month = run_id.rpartition(":")
    return grid_id, month


def item_event(item: dict[str, Any], status: str) -> list[Doc]:
    """`settlement.credit_paid`, `credit_deferred` or `debit_paid` when an item reaches it."""
    type_ = ITEM_EVENTS.get(status)
    if type_ is None or item["kind"] == "zero":
        return []
    grid_id, month = _split(item["run"])
    data = {
        "month": month,
        "index": item["index"],
        "account": item["account"],
        "amount_minor": item["amount_minor"],
        "amount_wei": item["amount_wei"],
        "tx_hash": item.get("tx_hash"),
    }
    event_id = f"{type_}:{item['run']}:{item['index']}"
    return [doc_event(type_, grid_id, data, event_id=event_id, prosumer_id=item["prosumer_id"])]


def posted_event(run: dict[str, Any], tx_hash: str | None) -> list[Doc]:
    """`settlement.posted`: the month's root is on chain."""
    data = {
        "month": run["month"],
        "root": run["root"],
        "statements": run["count"],
        "credits_minor": run["credits_minor"],
        "debits_minor": run["debits_minor"],
        "contract": run["contract"],
        "tx_hash": tx_hash,
    }
    event_id = f"{ev.SETTLEMENT_POSTED}:{run['_id']}"
    return [doc_event(ev.SETTLEMENT_POSTED, run["grid_id"], data, event_id=event_id)]


def failed_event(run_id: str, error: str | None) -> list[Doc]:
    """`settlement.failed`: a settlement transaction reverted and the run stopped."""
    grid_id, month = _split(run_id)
    return [doc_event(ev.SETTLEMENT_FAILED, grid_id, {"month": month, "error": error})]
