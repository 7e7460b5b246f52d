"""Clearing of one closed timeframe: orders first, then the grid's mechanism, then rounding.

Mechanisms (formulas in their modules): "mid_market" (default, models.domain.mid_market),
"bill_sharing" (models.domain.bill_sharing), "auction" (uniform-price double auction,
models.domain.auction; its remainder is cleared mid-market). Under "mid_market" and
"bill_sharing", orders acceptable at p_mid are matched first at p_mid.

Line order: order trades (sells, then buys, in priority order), the mechanism's trades, then at
most one "rounding" line. The grid is the central counterparty: it buys and sells the same
energy, and its money residue from per-line rounding (received - paid) is booked against the
"rounding" account, so the grid ends every timeframe at exactly zero in energy and money.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter

from models.domain.auction import book_match, match_at_mid, match_auction
from models.domain.bill_sharing import clear_bill_sharing
from models.domain.mid_market import clear_mid_market
from models.domain.trades import (
    RESERVED_PARTIES,
    ClearingResult,
    Order,
    OrderFills,
    Prices,
    Trade,
    TradeBook,
    trade_doc,
)

MECHANISMS = ("mid_market", "bill_sharing", "auction")

__all__ = [
    "MECHANISMS",
    "ClearingResult",
    "Order",
    "Prices",
    "Trade",
    "clear_timeframe",
    "trade_doc",
]


def _check_inputs(
    nets: Mapping[str, int], scale: int, mechanism: str, orders: Sequence[Order]
) -> None:
    """Refuse unknown mechanisms, reserved or non-text ids, non-int nets and duplicate orders."""
    if mechanism not in MECHANISMS:
        raise ValueError(f"unknown mechanism {mechanism!r}; use one of {MECHANISMS}")
    if type(scale) is not int or not 0 <= scale <= 18:
        raise ValueError(f"currency scale must be an int in 0..18, got {scale!r}")
    if not _plain_nets(nets):
        for pid, net in nets.items():
            if type(net) is not int:
                raise ValueError(f"net of {pid!r} must be an int Wh, got {net!r}")
            if not isinstance(pid, str) or pid in RESERVED_PARTIES:
                raise ValueError(f"invalid prosumer id: {pid!r}")
    if len(set(map(attrgetter("order_id"), orders))) != len(orders):
        raise ValueError("duplicate order ids")


def _plain_nets(nets: Mapping[str, int]) -> bool:
    """Whether every net is an int and every id a non-reserved str (checked at C speed)."""
    return (
        set(map(type, nets.values())) <= {int}
        and set(map(type, nets)) <= {str}
        and RESERVED_PARTIES.isdisjoint(nets)
    )


def clear_timeframe(
    nets: Mapping[str, int],
    prices: Prices,
    scale: int,
    mechanism: str = "mid_market",
    orders: Sequence[Order] = (),
) -> ClearingResult:
    """Clear one timeframe's nets (Wh per prosumer) into ordered, balanced trades."""
    _check_inputs(nets, scale, mechanism, orders)
    book = TradeBook(scale)
    matcher = match_auction if mechanism == "auction" else match_at_mid
    match = matcher(nets, prices, orders) if orders else None
    fills = OrderFills(list(map(attrgetter("order_id"), orders)))
    if match:
        book_match(book, match, fills)
    rest = match.rest if match else nets
    if mechanism == "bill_sharing":
        clear_bill_sharing(book, rest, prices)
    else:
        clear_mid_market(book, rest, prices)
    book.close_rounding()
    return ClearingResult(book.lines, fills, match.price if match else None)
