"""Clearing of one closed timeframe: orders first, then the grid's mechanism, then rounding.

Mechanisms (formulas in their modules): "mid_market" (default, models.domain.mid_market),
"bill_sharing" (models.domain.bill_sharing), "auction" (uniform-price double auction,
models.domain.auction; its remainder is cleared mid-market), "supply_demand" (the local price
follows the timeframe's supply and demand, models.domain.supply_demand). Under "mid_market" and
"bill_sharing", orders acceptable at p_mid are matched first at p_mid; under "supply_demand",
orders acceptable at its local price p_t are matched first at p_t.

Line order: order trades (sells, then buys, in priority order), the mechanism's trades, then at
most one "rounding" line. The grid is the central counterparty: it buys and sells the same
energy, and its money residue from per-line rounding (received - paid) is booked against the
"rounding" account, so the grid ends every timeframe at exactly zero in energy and money.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from operator import attrgetter

from models.domain.auction import Match, book_match, match_at, match_at_mid, match_auction
from models.domain.bill_sharing import clear_bill_sharing, effective_price
from models.domain.mid_market import clear_mid_market
from models.domain.money import RatioPrice
from models.domain.supply_demand import local_price, supply_and_demand
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

MECHANISMS = ("mid_market", "bill_sharing", "auction", "supply_demand")

__all__ = [
    "MECHANISMS",
    "ClearingResult",
    "Order",
    "Prices",
    "Trade",
    "clear_timeframe",
    "local_prices",
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
    local = local_price(*supply_and_demand(nets), prices) if mechanism == "supply_demand" else None
    match = _match(nets, prices, orders, mechanism, local) if orders else None
    fills = OrderFills(list(map(attrgetter("order_id"), orders)))
    if match:
        book_match(book, match, fills)
    rest = match.rest if match else nets
    if mechanism == "bill_sharing":
        clear_bill_sharing(book, rest, prices)
    else:
        clear_mid_market(book, rest, prices, local)
    book.close_rounding()
    return ClearingResult(book.lines, fills, match.price if match else None)


def _match(
    nets: Mapping[str, int],
    prices: Prices,
    orders: Sequence[Order],
    mechanism: str,
    local: RatioPrice | None,
) -> Match:
    """The orders matched by the mechanism's rule: auction, at p_t, or at p_mid."""
    if mechanism == "auction":
        return match_auction(nets, prices, orders)
    if local is not None:
        return match_at(nets, local, orders)
    return match_at_mid(nets, prices, orders)


def local_prices(
    mechanism: str, supply: int, demand: int, prices: Prices
) -> tuple[Decimal, Decimal]:
    """(buy, sell): what a kWh of local energy costs a buyer and pays a seller (S, D in Wh).

    supply_demand: p_t (12 places); mid_market and auction (its non-order remainder): p_mid;
    bill_sharing: the effective share prices p_imp * (D - S) / D and p_fit * (S - D) / S.
    """
    if mechanism not in MECHANISMS:
        raise ValueError(f"unknown mechanism {mechanism!r}; use one of {MECHANISMS}")
    if mechanism == "supply_demand":
        p_t = local_price(supply, demand, prices).shown
        return p_t, p_t
    if mechanism == "bill_sharing":
        buy = effective_price(prices.import_price, max(demand - supply, 0), demand)
        sell = effective_price(prices.feed_in_price, max(supply - demand, 0), supply)
        return buy, sell
    return prices.mid, prices.mid
