"""The terms a timeframe was cleared at on its first close: mechanism, prices, currency, orders.

Recorded by the close before its trades are written (stored once per timeframe), so a
correction re-clears at exactly these terms even after the grid's settings changed. For a
timeframe closed before terms were recorded, the grid's current terms and the orders its
close filled are taken only if they clear the first snapshot to the very trades it booked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from models.domain.clearing import ClearingResult, Order, Prices, clear_timeframe
from models.domain.hashing import content_hash
from models.domain.money import minor_unit_scale
from models.domain.trades import trade_docs
from models.ports import GridRecord, OrderRecord, Stores
from models.services.errors import Conflict

TERMS = "clearing_terms"
CLEARED = ("filled", "partial", "unfilled")  # the statuses a close gives the orders it cleared


def terms_key(grid_id: str, start_iso: str) -> str:
    return f"{grid_id}:{start_iso}"


def terms_doc(grid: GridRecord, start_iso: str, book: Sequence[Order]) -> dict[str, Any]:
    """The terms document of a close (prices as decimal text)."""
    return {
        "grid_id": grid.id,
        "start": start_iso,
        "mechanism": grid.mechanism,
        "import_price": str(Decimal(grid.import_price)),
        "feed_in_price": str(Decimal(grid.feed_in_price)),
        "currency": grid.currency,
        "orders": [
            {
                "order_id": o.order_id,
                "prosumer_id": o.prosumer_id,
                "side": o.side,
                "energy_wh": o.energy_wh,
                "limit_price": str(o.limit_price),
            }
            for o in book
        ],
    }


def record_terms(
    container: Stores, grid: GridRecord, start_iso: str, book: Sequence[Order]
) -> dict[str, Any]:
    """Store the terms of a close unless stored; the stored ones."""
    return container.documents.collection(TERMS).insert_if_absent(
        terms_key(grid.id, start_iso), terms_doc(grid, start_iso, book)
    )


def clear_at(terms: Mapping[str, Any], nets: Mapping[str, int]) -> ClearingResult:
    """Clear nets at recorded terms (orders of prosumers not in `nets` left out, as at close)."""
    prices = Prices(Decimal(terms["import_price"]), Decimal(terms["feed_in_price"]))
    book = [
        Order(o["order_id"], o["prosumer_id"], o["side"], o["energy_wh"], Decimal(o["limit_price"]))
        for o in terms["orders"]
        if o["prosumer_id"] in nets
    ]
    scale = minor_unit_scale(terms["currency"])
    return clear_timeframe(nets, prices, scale, terms["mechanism"], book)


def cleared_docs(terms: Mapping[str, Any], nets: Mapping[str, int]) -> list[dict[str, Any]]:
    """The trade documents of a clearing at recorded terms."""
    result = clear_at(terms, nets)
    return trade_docs(terms["grid_id"], terms["start"], terms["currency"], result)


def nets_of(snapshot: Mapping[str, Any]) -> dict[str, int]:
    return {line["prosumer_id"]: line["net_wh"] for line in snapshot["lines"]}


def terms_of(
    container: Stores,
    grid: GridRecord,
    first: Mapping[str, Any],
    orders: Sequence[OrderRecord],
    trades_hash: str | None,
) -> dict[str, Any]:
    """The recorded terms of a closed timeframe; for one closed before they were recorded, the
    grid's current terms if they reproduce its booked trades (`trades_hash`), else 409."""
    stored = container.documents.collection(TERMS).get(terms_key(grid.id, first["start"]))
    if stored is not None:
        return stored
    nets = nets_of(first)
    book = [
        Order(o.id, o.prosumer_id, o.side, o.energy_wh, Decimal(o.limit_price))
        for o in orders
        if o.status in CLEARED and o.prosumer_id in nets
    ]
    guess = terms_doc(grid, first["start"], book)
    if content_hash({"trades": cleared_docs(guess, nets)}) != trades_hash:
        raise Conflict(
            f"timeframe {first['start']} was closed before its clearing terms were recorded, and "
            "the grid's current mechanism and prices do not reproduce its trades: it cannot be "
            "re-cleared exactly"
        )
    return record_terms(container, grid, first["start"], book)
