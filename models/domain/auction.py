"""Order matching: a uniform-price double auction, and matching at the mid-market rate.

Each order is first bounded by its prosumer's actual position in the timeframe: a buy order by
the prosumer's deficit max(-net, 0), a sell order by its surplus max(net, 0) (shared by that
prosumer's orders in priority order). Priority: buys by limit descending, sells by limit
ascending, ties by order id.

Uniform-price double auction ("auction"): walk both books in priority order, matching
q = min(remaining buy, remaining sell) while buy limit >= sell limit. Q = sum(q). With (b*, s*)
the limits of the last matched pair, the uniform price is
    P = clamp((b* + s*) / 2, p_fit, p_imp).
Every matched buy has limit >= b* >= (b* + s*)/2 and every matched sell has limit <= s*, so P
honours all matched limits unless the clamp moves it (a limit outside [p_fit, p_imp]).
Matched sellers sell their fill to the grid at P, matched buyers buy theirs from the grid at P
(kind "order", order_id set). The remaining nets are cleared by the mid-market rule.

Matching at p_mid (under "mid_market" and "bill_sharing"): only orders acceptable at
p_mid = (p_imp + p_fit) / 2 take part (buy limit >= p_mid, sell limit <= p_mid);
Q = min(sum of acceptable buys, sum of acceptable sells) is filled in priority order on each
side at p_mid. The remaining nets are cleared by the chosen mechanism.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from models.domain.money import exact_context
from models.domain.trades import GRID, Order, Prices, TradeBook


@dataclass(frozen=True)
class Match:
    """Matched fills (order id -> Wh) per side, the price, and the nets left after them."""

    buys: list[tuple[Order, int]]
    sells: list[tuple[Order, int]]
    price: Decimal | None
    rest: dict[str, int]


def _book(orders: Sequence[Order], nets: Mapping[str, int], side: str) -> list[tuple[Order, int]]:
    """The side's orders in priority order with their bounded capacity (zero-capacity dropped)."""
    sign = -1 if side == "buy" else 1
    by_id = sorted((o for o in orders if o.side == side), key=lambda o: o.order_id)
    ranked = sorted(by_id, key=lambda o: o.limit_price, reverse=side == "buy")
    room = {pid: max(sign * net, 0) for pid, net in nets.items()}
    booked: list[tuple[Order, int]] = []
    for order in ranked:
        cap = min(order.energy_wh, room.get(order.prosumer_id, 0))
        if cap > 0:
            room[order.prosumer_id] -= cap
            booked.append((order, cap))
    return booked


def _fill(book: list[tuple[Order, int]], quantity: int) -> list[tuple[Order, int]]:
    """Fill `quantity` Wh down the book in priority order."""
    fills: list[tuple[Order, int]] = []
    for order, cap in book:
        if quantity <= 0:
            break
        take = min(cap, quantity)
        fills.append((order, take))
        quantity -= take
    return fills


def _walk(
    buys: list[tuple[Order, int]], sells: list[tuple[Order, int]]
) -> tuple[int, Decimal | None]:
    """Matched quantity and the midpoint of the last matched pair's limits."""
    i = j = total = 0
    last: Decimal | None = None
    rb = buys[0][1] if buys else 0
    rs = sells[0][1] if sells else 0
    while i < len(buys) and j < len(sells) and buys[i][0].limit_price >= sells[j][0].limit_price:
        q = min(rb, rs)
        total += q
        with localcontext(exact_context()):
            last = (buys[i][0].limit_price + sells[j][0].limit_price) / 2
        rb, rs = rb - q, rs - q
        if rb == 0:
            i += 1
            rb = buys[i][1] if i < len(buys) else 0
        if rs == 0:
            j += 1
            rs = sells[j][1] if j < len(sells) else 0
    return total, last


def _result(
    nets: Mapping[str, int],
    buys: list[tuple[Order, int]],
    sells: list[tuple[Order, int]],
    price: Decimal | None,
) -> Match:
    """Package fills with the nets left after them."""
    rest = dict(nets)
    for order, wh in buys:
        rest[order.prosumer_id] += wh
    for order, wh in sells:
        rest[order.prosumer_id] -= wh
    return Match(buys, sells, price, rest)


def match_auction(nets: Mapping[str, int], prices: Prices, orders: Sequence[Order]) -> Match:
    """Uniform-price double auction of `orders` bounded by `nets`."""
    buys, sells = _book(orders, nets, "buy"), _book(orders, nets, "sell")
    quantity, mid = _walk(buys, sells)
    if mid is None:
        return _result(nets, [], [], None)
    price = min(max(mid, prices.feed_in_price), prices.import_price)
    return _result(nets, _fill(buys, quantity), _fill(sells, quantity), price)


def match_at_mid(nets: Mapping[str, int], prices: Prices, orders: Sequence[Order]) -> Match:
    """Match orders acceptable at p_mid, in priority order, at p_mid."""
    p_mid = prices.mid
    buys = [(o, c) for o, c in _book(orders, nets, "buy") if o.limit_price >= p_mid]
    sells = [(o, c) for o, c in _book(orders, nets, "sell") if o.limit_price <= p_mid]
    quantity = min(sum(c for _, c in buys), sum(c for _, c in sells))
    if quantity == 0:
        return _result(nets, [], [], None)
    return _result(nets, _fill(buys, quantity), _fill(sells, quantity), p_mid)


def book_match(book: TradeBook, match: Match) -> dict[str, tuple[int, list[int]]]:
    """Append the matched order trades (sells, then buys); fills per order id."""
    fills: dict[str, tuple[int, list[int]]] = {}
    if match.price is None:
        return fills
    for order, wh in match.sells:
        line = book.add(order.prosumer_id, GRID, wh, match.price, "order", order.order_id)
        fills[order.order_id] = (wh, [line])
    for order, wh in match.buys:
        line = book.add(GRID, order.prosumer_id, wh, match.price, "order", order.order_id)
        fills[order.order_id] = (wh, [line])
    return fills
