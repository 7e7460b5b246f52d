"""Trading with the grid: orders before close; transactions and balances after."""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models.domain.hashing import canonical_json
from models.domain.timeframes import format_instant
from models.ports import OrderRecord, ProsumerRecord, Stores, Totals, UnitOfWork
from models.services.clock import aware_utc, utcnow
from models.services.errors import Conflict, Unprocessable, found
from models.services.metering import check_start


def request_hash(body: dict[str, Any]) -> str:
    """A stable hash of an order request, to tell a retry from a different request."""
    normal = {
        k: (format_instant(v) if isinstance(v, datetime) else str(v)) for k, v in body.items()
    }
    return hashlib.sha256(canonical_json(normal)).hexdigest()


def place_order(
    uow: UnitOfWork, prosumer: ProsumerRecord, key: str, body: dict[str, Any]
) -> tuple[OrderRecord, bool]:
    """Accept an order once per Idempotency-Key; return it and whether this was a replay."""
    digest = request_hash(body)
    grid = uow.registry.lock_grid(prosumer.grid_id)
    assert grid is not None  # a prosumer's grid exists (foreign key)
    existing = uow.registry.order_by_key(prosumer.id, key)
    if existing is not None:
        if existing.request_hash != digest:
            raise Conflict(f"Idempotency-Key {key!r} was used for a different order request")
        return existing, True
    if not prosumer.active:
        raise Unprocessable(f"prosumer {prosumer.id} is inactive")
    at = check_start(grid, body["timeframe_start"])
    _refuse_closed(uow, grid.id, at)
    now = utcnow()
    order = uow.registry.add_order(
        id=str(uuid.uuid4()),
        grid_id=grid.id,
        prosumer_id=prosumer.id,
        timeframe_start=at,
        side=body["side"],
        energy_wh=body["energy_wh"],
        limit_price=body["limit_price"],
        status="open",
        filled_wh=0,
        trade_ids=[],
        idempotency_key=key,
        request_hash=digest,
        created_at=now,
        updated_at=now,
    )
    uow.commit()
    return order, False


def _refuse_closed(uow: UnitOfWork, grid_id: str, at: datetime) -> None:
    row = uow.registry.timeframe(grid_id, at)
    if row is not None:
        raise Conflict(
            f"timeframe {format_instant(aware_utc(at))} is {row.status}; orders are no longer "
            "accepted or cancelled"
        )


def list_orders(
    uow: UnitOfWork, prosumer: ProsumerRecord, page: int, size: int
) -> tuple[Sequence[OrderRecord], int]:
    """One page of a prosumer's orders, newest timeframe first, and how many there are."""
    return uow.registry.orders(prosumer.id, page, size)


def get_order(uow: UnitOfWork, order_id: str) -> OrderRecord:
    return found(uow.registry.order(order_id), "order", order_id)


def cancel_order(uow: UnitOfWork, order: OrderRecord) -> OrderRecord:
    """Cancel an open order (idempotent); 409 once its timeframe is closing."""
    if order.status == "cancelled":
        return order
    uow.registry.lock_grid(order.grid_id)
    _refuse_closed(uow, order.grid_id, order.timeframe_start)
    order.status = "cancelled"
    order.updated_at = utcnow()
    uow.commit()
    return order


def page_sums(trades: list[dict[str, Any]], party: str | None) -> dict[str, int]:
    """Energy and money on one page; seen from `party` when given."""
    sums = {
        "energy_wh": sum(t["energy_wh"] for t in trades),
        "amount_minor": sum(t["amount_minor"] for t in trades),
    }
    if party:
        sums.update(
            sold_wh=sum(t["energy_wh"] for t in trades if t["seller"] == party),
            bought_wh=sum(t["energy_wh"] for t in trades if t["buyer"] == party),
            received_minor=sum(t["amount_minor"] for t in trades if t["seller"] == party),
            paid_minor=sum(t["amount_minor"] for t in trades if t["buyer"] == party),
        )
    return sums


def list_transactions(
    container: Stores,
    grid_id: str,
    args: dict[str, Any],
    party: str | None,
    counterparty: str | None,
    total: Totals = None,
) -> tuple[dict[str, Any], int]:
    """One page of trades, newest first, with its sums, and how many trades match.

    `total(key, count)` may answer the count from a recent one under the same key.
    """
    size, store = args["page_size"], container.documents.transactions
    where = (
        grid_id,
        format_instant(args["start_from"]),
        format_instant(args["start_to"]),
        party,
        counterparty,
    )
    trades = store.page(*where, (args["page"] - 1) * size, size)
    count = functools.partial(store.count, *where)
    matching = total(("transactions", *where), count) if total else count()
    return {"transactions": trades, "page_sums": page_sums(trades, party or counterparty)}, matching


def balance(
    container: Stores, prosumer: ProsumerRecord, start_from: datetime, start_to: datetime
) -> dict[str, Any]:
    """Energy sold and bought, money received and paid, and the nets, over a range."""
    sums = container.documents.transactions.party_sums(
        prosumer.grid_id, format_instant(start_from), format_instant(start_to), prosumer.id
    )
    return {
        **sums,
        "prosumer_id": prosumer.id,
        "net_wh": sums["sold_wh"] - sums["bought_wh"],
        "net_minor": sums["received_minor"] - sums["paid_minor"],
        "start_from": format_instant(start_from),
        "start_to": format_instant(start_to),
    }
